"""The public directory's benchmark: unit pages per second and p50 / p99 latency under 32 concurrent clients,
beside a bare aiohttp handler that returns a fixed page of the same size, measured in the same run; and the
poster's render time. Each server runs in its own process; the clients run here.

Usage: python -m bench.web [--seconds 10]   (make bench runs it after the main benchmark)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.config import ROOT, Settings
from bot.runtime import open_registry
from bot.web.server import WebServer

CLIENTS = 32
MARKER = "## Public directory (bench/web.py)"
UNITS = ("can_tho", "vinh_long", "ha_noi", "da_nang", "tay_ninh", "ho_chi_minh")


async def _serve(kind: str, db: str) -> None:
    registry = await open_registry(Settings(db_path=Path(db), data_dir=ROOT / "data"))
    if kind == "directory":
        server = WebServer(registry, "127.0.0.1", 0)
        await server.start()
        port = server.port
    else:
        site = WebServer(registry, "127.0.0.1", 0).site
        unit = registry.places.places["can_tho"]
        body = (await site.unit_html(unit, "vi")).body  # a fixed page of the same size

        async def bare(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        app = web.Application()
        app.router.add_get("/don-vi/{slug}/", bare)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    await asyncio.Event().wait()


async def _load(port: int, seconds: float) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    # identity: both servers send the same bytes (the directory would gzip them; the bare handler cannot)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS),
                                     headers={"Accept-Encoding": "identity"}) as session:
        for slug in UNITS:  # warm up: every page rendered once
            async with session.get(f"http://127.0.0.1:{port}/don-vi/{slug}/") as r:
                await r.read()

        async def client(i: int) -> None:
            n = i
            while time.perf_counter() < stop:
                start = time.perf_counter()
                async with session.get(f"http://127.0.0.1:{port}/don-vi/{UNITS[n % len(UNITS)]}/") as r:
                    await r.read()
                    assert r.status == 200
                latencies.append(time.perf_counter() - start)
                n += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(CLIENTS)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000, len(latencies)


async def _measure(kind: str, seconds: float, db: str) -> tuple[float, float, float, int]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.web", "--serve", kind, "--db", db,
                                                   stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    port = int((await process.stdout.readline()).decode())
    try:
        return await _load(port, seconds)
    finally:
        process.terminate()
        await process.wait()


async def _poster_ms(db: str) -> tuple[float, float]:
    from bot.web.poster import render_poster

    registry = await open_registry(Settings(db_path=Path(db), data_dir=ROOT / "data"))
    site = WebServer(registry, "127.0.0.1", 0).site
    page = await site.unit_page(registry.places.places["can_tho"])
    times = []
    for _ in range(7):
        start = time.perf_counter()
        render_poster(page.view.unit, page)
        times.append((time.perf_counter() - start) * 1000)
    await registry.store.close()
    return times[0], statistics.median(times[1:])


async def run(seconds: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite3")
        await _poster_ms(db)  # creates and seeds the database once
        bare = await _measure("bare", seconds, db)
        directory = await _measure("directory", seconds, db)
        first, poster = await _poster_ms(db)
    ratio = directory[0] / bare[0]
    rows = [
        "| web: what | requests/s | p50 ms | p99 ms | requests |",
        "|---|---|---|---|---|",
        f"| bare aiohttp handler, fixed page of the same size | {bare[0]:.0f} | {bare[1]:.1f} | {bare[2]:.1f} | "
        f"{bare[3]} |",
        f"| directory unit pages (6 units, {CLIENTS} clients) | {directory[0]:.0f} | {directory[1]:.1f} | "
        f"{directory[2]:.1f} | {directory[3]} |",
        f"| ratio (target ≥ 0.7×) | {ratio:.2f}× {'(met)' if ratio >= 0.7 else '(missed)'} | | | |",
        f"| poster PDF render, Cần Thơ (first / median of 6 more) | {first:.0f} ms / {poster:.0f} ms | | | |",
    ]
    return "\n".join(rows)


def machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} cores; Python {platform.python_version()}; aiohttp {aiohttp.__version__}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve")
    parser.add_argument("--db")
    parser.add_argument("--write", action="store_true", help="put the rows into BENCHMARKS.md")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.db))
        return 0
    rows = asyncio.run(run(args.seconds))
    print(rows)
    if args.write:  # BENCHMARKS.md: this section replaced, the rest kept
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text() if path.exists() else ""
        before, _, after = text.partition(MARKER)
        rest = after[after.find("\n## "):] if "\n## " in after else ""  # the sections after this one stay
        section = (f"{MARKER}\n\n{CLIENTS} concurrent clients for {args.seconds:.0f} s each, same run, same "
                   f"machine, servers in their own process ({machine()}).\n\n{rows}\n")
        path.write_text(f"{before.rstrip(chr(10))}\n\n{section}{rest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
