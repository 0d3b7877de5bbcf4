"""Changes made by another process (`python -m bot import --apply`, a restore, a second instance) reach the
running bot within seconds: SQLite's `PRAGMA data_version` moves whenever another connection commits, so a
cheap poll tells the registry to rebuild its views — cards included — instead of serving the old ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.services import Registry

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class RegistryWatcher:
    def __init__(self, registry: Registry, interval: float = POLL_SECONDS) -> None:
        self.registry, self.interval = registry, interval
        self.reloads = 0
        self._version: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._version = await self.registry.store.data_version()
        self._task = asyncio.create_task(self._run(), name="registry-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> bool:
        """Rebuild the views if another process changed the file since the last check."""
        version = await self.registry.store.data_version()
        if version == self._version:
            return False
        self._version = version
        self.registry.changed()
        self.registry.store.forget_media()
        self.reloads += 1
        log.info("the registry was changed by another process: views rebuilt")
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # a locked or briefly unreadable file: try again at the next tick
                log.warning("could not check the registry for outside changes", exc_info=True)
