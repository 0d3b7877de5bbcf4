"""`python -m bot web`: the public directory alone (a read-only mirror, or to try it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from bot.config import Settings
from bot.runtime import open_registry
from bot.web.export import ExportWatcher, export
from bot.web.server import WebServer
from bot.web.site import Site


async def serve(settings: Settings, ready: asyncio.Event | None = None) -> int:
    registry = await open_registry(settings)
    server = WebServer(registry, settings.http_listen, settings.http_port, settings.public_url)
    try:
        url = await server.start()
        if settings.export_dir is not None:
            server.watcher = ExportWatcher(server.site, settings.export_dir)
            server.watcher.start()
        print(f"Public directory: open {settings.public_url + '/' if settings.public_url else url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await server.stop()
        await registry.store.close()
    return 0


async def export_to(settings: Settings, target: str) -> int:
    registry = await open_registry(settings)
    try:
        count = await export(Site.shared(registry, settings.public_url), Path(target))
    finally:
        await registry.store.close()
    print(f"Exported {count} files to {target}: serve that folder with any static web server", flush=True)
    return 0
