"""The Zalo benchmark: `/channels cần thơ` replies per second through the fake Zalo Bot API, and the card image
server's requests per second, each beside a floor measured in the same run, in shuffled rounds.

1. Replies: the real App + ZaloFrontend (polling, `min_interval=0`) and the fake (tests/fakezalo) in this one
   process. N messages from N distinct users are injected at once; the time runs until the fake has received
   the N-th reply's sendMessage. The floor is a bare loop on the same transport (ZaloClient) against a second
   fake in the same process: getUpdates → sendPhoto with the bot's card URL (fetched by the fake from the
   bot's web server, as for the bot) → sendMessage with the bot's text. project / floor is the bot's own cost.
2. Card images: GET /card/<hash>.png and /zalo/image/<hash>.png of Cần Thơ's current card from the App's web
   server, and the same bytes from a bare aiohttp handler (memory), each server in its own process, the
   clients here (aiohttp, `CLIENTS` concurrent).

Usage: python -m bench.zalo [--rounds 5] [--messages 200] [--seconds 3] [--write]
       (make bench runs it with --write after bench.web: its section of BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.harness import free_port
from bot.app import App
from bot.config import ROOT, Settings
from bot.frontends.zalo.client import ZaloClient
from bot.frontends.zalo.frontend import ZaloFrontend
from bot.runtime import open_registry
from tests.fakezalo.server import USER_ID, Call, FakeZaloApi

MARKER = "## Zalo (bench/zalo.py)"
WEB_MARKER = "## Public directory (bench/web.py)"  # this section goes right after that one
QUERY = "/channels cần thơ"
UNIT = "can_tho"
CLIENTS = 16
PRODUCTION_MIN_INTERVAL = 1.0  # ZaloFrontend's default spacing of polls (bot/frontends/zalo/receive.py)


# --- the rig: fake Zalo + the real App and front-end, in this process ------------------------------------------
@dataclass
class Rig:
    fake: FakeZaloApi  # the bot polls this one
    app: App
    frontend: ZaloFrontend
    floor_fake: FakeZaloApi  # the floor polls this one
    floor_client: ZaloClient
    photo_url: str = ""  # what the bot sent for QUERY, learnt by warm_up()
    text: str = ""
    rounds: int = field(default=0)


@asynccontextmanager
async def rig(db_dir: Path) -> AsyncIterator[Rig]:
    """The App with a polling ZaloFrontend (min_interval=0: one poll right after the other) on one fake, and
    a ZaloClient for the floor on a second, idle-until-used fake."""
    async with FakeZaloApi(max_poll_wait=2.0) as fake, FakeZaloApi(max_poll_wait=2.0) as floor_fake:
        port = free_port()
        settings = Settings(db_path=db_dir / "zalo.sqlite3", media_dir=db_dir / "media", data_dir=ROOT / "data",
                            zalo_token=fake.token, zalo_base_url=fake.client_base_url, http_listen="127.0.0.1",
                            http_port=port, public_url=f"http://127.0.0.1:{port}", log_level="WARNING")
        async with App(settings) as app, ZaloClient(floor_fake.token, base_url=floor_fake.client_base_url) as fc:
            frontend = ZaloFrontend(app.services, ZaloClient(fake.token, base_url=fake.client_base_url),
                                    poll_timeout=30, min_interval=0)
            app.add(frontend)
            await app.start()
            yield Rig(fake, app, frontend, floor_fake, fc)


def _users(tag: int, n: int) -> list[str]:
    """n distinct Zalo user ids (20 hex characters, like the platform's), new for every round."""
    return [f"{tag:06x}{i:014x}" for i in range(n)]


async def _until_replied(fake: FakeZaloApi, start: int, chats: set[str]) -> None:
    """Until the fake has received a sendMessage to every chat in `chats` (calls from index `start` on; one
    pass over the calls in all, so the waiting costs the loop next to nothing)."""
    pending = set(chats)
    seen = start

    def done(f: FakeZaloApi) -> bool:
        nonlocal seen
        calls = f.calls
        while seen < len(calls):
            call = calls[seen]
            seen += 1
            if call.method == "sendMessage":
                pending.discard(call.chat_id or "")
        return not pending

    await fake.wait_for(done, within=600)


def _check(calls: list[Call], chats: set[str]) -> None:
    """Every chat got one photo and one text, and nothing failed (a benchmark of errors measures nothing)."""
    failed = [c for c in calls if not c.ok]
    if failed:
        raise RuntimeError(f"fake Zalo refused {len(failed)} call(s), e.g. {failed[0].method}: {failed[0].error}")
    for method in ("sendPhoto", "sendMessage"):
        got = [c.chat_id for c in calls if c.method == method]
        if len(got) != len(chats) or set(got) != chats:
            raise RuntimeError(f"{method}: {len(got)} call(s) to {len(set(got))} of {len(chats)} chats")


@dataclass(frozen=True)
class Rate:
    per_second: float
    cpu_ms: float  # this process's CPU time per reply (it holds the fake too, so compare differences)
    count: int


async def _round(fake: FakeZaloApi, users: list[str], worker: Callable[[], Any] | None = None) -> Rate:
    start = len(fake.calls)
    for user in users:  # no await in between: nobody reads them before the clock starts
        fake.inject_text(QUERY, user_id=user)
    chats = set(users)
    cpu, began = time.process_time(), time.perf_counter()
    task = asyncio.ensure_future(worker()) if worker is not None else None
    await _until_replied(fake, start, chats)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    if task is not None:
        await task
    await asyncio.sleep(0.01)  # the last answers go out
    _check(fake.calls[start:], chats)
    return Rate(len(users) / elapsed, cpu * 1000 / len(users), len(users))


async def bot_replies(r: Rig, n: int) -> Rate:
    """The project: n `/channels cần thơ` from n new users, answered by the App's ZaloFrontend."""
    r.rounds += 1
    return await _round(r.fake, _users(r.rounds, n))


async def floor_replies(r: Rig, n: int) -> Rate:
    """The floor: the same transport work without the bot, one update at a time like the bot's poll loop."""
    assert r.photo_url and r.text, "warm_up() first"
    r.rounds += 1
    client = r.floor_client

    async def loop() -> None:
        answered = 0
        while answered < n:
            for update in await client.get_updates(timeout=30):
                chat = update["message"]["chat"]["id"]
                await client.send_photo(chat, r.photo_url)
                await client.send_message(chat, r.text)
                answered += 1

    return await _round(r.floor_fake, _users(r.rounds, n), loop)


async def warm_up(r: Rig) -> None:
    """One reply through the bot (the card rendered, the views warm): its photo URL and text for the floor."""
    r.fake.inject_text(QUERY, user_id=USER_ID)
    await r.fake.wait_for(lambda f: any(c.method == "sendMessage" for c in f.sent(USER_ID)), within=60)
    await asyncio.sleep(0.05)
    sent = r.fake.sent(USER_ID)
    photos = [c for c in sent if c.method == "sendPhoto"]
    texts = [c for c in sent if c.method == "sendMessage"]
    if len(photos) != 1 or len(texts) != 1:
        raise RuntimeError(f"expected one photo and one text for {QUERY!r}, got {[c.method for c in sent]}")
    r.photo_url, r.text = photos[0].photo_url or "", texts[0].text or ""
    await bot_replies(r, 10)
    await floor_replies(r, 10)


# --- the card image server -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardServer:
    base: str  # http://127.0.0.1:port
    card_key: str  # Cần Thơ's current card: /card/<key>.png
    zalo_key: str  # what the bot sent to Zalo: /zalo/image/<key>.png (empty for the bare server)
    other_key: str  # another unit's current card, never sent to Zalo: /zalo/image/ → redirect


async def card_urls(r: Rig) -> CardServer:
    """The rig's web server (with the Zalo front-end's routes) and its card keys, after warm_up()."""
    registry = r.app.services.registry
    view = await registry.unit_view(registry.places.places[UNIT])
    other = await registry.unit_view(registry.places.places["vinh_long"])
    zalo_key = r.photo_url.rsplit("/", 1)[1].removesuffix(".png")
    return CardServer(r.app.settings.public_url, view.page_keys[0], zalo_key, other.page_keys[0])


@asynccontextmanager
async def card_server(db_dir: Path) -> AsyncIterator[CardServer]:
    """The App's web server (with the Zalo front-end's routes) after one Zalo reply to QUERY."""
    async with rig(db_dir) as r:
        await warm_up(r)
        yield await card_urls(r)


@asynccontextmanager
async def bare_server(db_dir: Path) -> AsyncIterator[CardServer]:
    """The floor: aiohttp returning Cần Thơ's card bytes (rendered by the project once) from memory."""
    registry = await open_registry(Settings(db_path=db_dir / "bare.sqlite3", data_dir=ROOT / "data"))
    try:
        view = await registry.unit_view(registry.places.places[UNIT])
        key = view.page_keys[0]
        png = await registry.cards.render(view.pages[0], key)
    finally:
        await registry.store.close()

    async def bare(request: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get(r"/card/{key:[0-9a-f]{64}}.png", bare)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield CardServer(f"http://127.0.0.1:{port}", key, "", "")
    finally:
        await runner.cleanup()


async def load(url: str, seconds: float, clients: int = CLIENTS) -> tuple[float, int, str]:
    """GET `url` from `clients` concurrent aiohttp clients for `seconds`: requests/s, requests, body hash."""
    import hashlib

    count = 0
    bodies: set[str] = set()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        async with session.get(url, allow_redirects=False) as response:  # warm: the card rendered once
            bodies.add(hashlib.sha256(await response.read()).hexdigest())
            if response.status != 200:
                raise RuntimeError(f"GET {url}: HTTP {response.status}")
        stop = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal count
            while time.perf_counter() < stop:
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"GET {url}: HTTP {response.status}")
                count += 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return count / elapsed, count, bodies.pop()


async def cache_headers(server: CardServer) -> list[str]:
    """What a browser or Zalo's fetcher may cache: Cache-Control, ETag, and the answer to If-None-Match."""
    lines = []
    card_etag = ""
    async with aiohttp.ClientSession() as session:
        for label, path in (("/card/<hash>.png", f"/card/{server.card_key}.png"),
                            ("/zalo/image/<hash>.png", f"/zalo/image/{server.zalo_key}.png")):
            async with session.get(server.base + path, allow_redirects=False) as response:
                await response.read()
                cache, etag = response.headers.get("Cache-Control"), response.headers.get("ETag")
            card_etag = card_etag or etag or ""
            tried = etag or card_etag  # without an ETag of its own: the card's (the same bytes)
            async with session.get(server.base + path, headers={"If-None-Match": tried},
                                   allow_redirects=False) as again:
                body = await again.read()
            whose = "its ETag" if etag else "the /card/ ETag"
            sent = " (sent lately)" if "zalo" in label else ""
            lines.append(f"`{label}`{sent}: HTTP {response.status}, Cache-Control `{cache or 'none'}`, "
                         f"ETag {'`' + etag + '`' if etag else 'none'}; If-None-Match with {whose} → "
                         f"HTTP {again.status} ({len(body)} bytes)")
        path = f"/zalo/image/{server.other_key}.png"  # a current card Zalo was never sent: the fallback
        async with session.get(server.base + path, allow_redirects=False) as response:
            await response.read()
            location = (response.headers.get("Location") or "").split("/")
            lines.append(f"`/zalo/image/<hash>.png` (not sent lately, e.g. after a restart): HTTP {response.status} "
                         f"→ `/{location[1] if len(location) > 1 else '?'}/<hash>.png`, Cache-Control "
                         f"`{response.headers.get('Cache-Control') or 'none'}`")
    return lines


# --- the card servers in their own processes -------------------------------------------------------------------
async def _serve(kind: str, db_dir: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    factory = card_server if kind == "app" else bare_server
    async with factory(Path(db_dir)) as server:
        print(json.dumps(asdict(server)), flush=True)
        await asyncio.Event().wait()


@asynccontextmanager
async def card_process(kind: str, db_dir: Path) -> AsyncIterator[CardServer]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.zalo", "--serve", kind,
                                                   "--db", str(db_dir), stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if not line:
            raise RuntimeError(f"bench.zalo --serve {kind} did not start")
        yield CardServer(**json.loads(line))
    finally:
        process.terminate()
        await process.wait()


# --- the run ---------------------------------------------------------------------------------------------------
def spread(values: list[float], fmt: str = ".0f") -> str:
    return f"{min(values):{fmt}}–{max(values):{fmt}}"


async def run(rounds: int, messages: int, seconds: float) -> tuple[str, list[str]]:
    rng = random.Random(20261201)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        (tmp_dir / "replies").mkdir()
        (tmp_dir / "cards").mkdir()
        replies: dict[str, list[Rate]] = {"bot": [], "floor": []}
        async with rig(tmp_dir / "replies") as r:
            await warm_up(r)
            jobs = [("bot", bot_replies), ("floor", floor_replies)]
            for _ in range(rounds):
                rng.shuffle(jobs)
                for name, job in jobs:
                    replies[name].append(await job(r, messages))
        images: dict[str, list[float]] = {"card": [], "zalo": [], "bare": []}
        async with card_process("app", tmp_dir / "cards") as app, card_process("bare", tmp_dir / "cards") as bare:
            if bare.card_key != app.card_key:
                raise RuntimeError("the bare server's card is not the App's current card")
            headers = await cache_headers(app)
            urls = {"card": f"{app.base}/card/{app.card_key}.png", "zalo": f"{app.base}/zalo/image/{app.zalo_key}.png",
                    "bare": f"{bare.base}/card/{bare.card_key}.png"}
            hashes: set[str] = set()
            order = list(urls)
            for _ in range(rounds):
                rng.shuffle(order)
                for name in order:
                    rate, _, digest = await load(urls[name], seconds)
                    images[name].append(rate)
                    hashes.add(digest)
            if len(hashes) != 1:
                raise RuntimeError("the three URLs did not return the same bytes")
    return table(replies, images), headers


def table(replies: dict[str, list[Rate]], images: dict[str, list[float]]) -> str:
    def row(figure: str, ours: list[float], floor: list[float], unit: str) -> str:
        ratios = [a / b for a, b in zip(ours, floor, strict=True)]
        return (f"| {figure} | {statistics.median(ours):.0f} {unit} | {spread(ours)} | "
                f"{statistics.median(floor):.0f} {unit} ({spread(floor)}) | "
                f"{statistics.median(ratios):.2f}× ({spread(ratios, '.2f')}) |")

    bot = [x.per_second for x in replies["bot"]]
    floor = [x.per_second for x in replies["floor"]]
    extra_ms = [1000 / a - 1000 / b for a, b in zip(bot, floor, strict=True)]
    cpu_bot = [x.cpu_ms for x in replies["bot"]]
    cpu_floor = [x.cpu_ms for x in replies["floor"]]
    cpu_extra = [a - b for a, b in zip(cpu_bot, cpu_floor, strict=True)]
    n = replies["bot"][0].count
    return "\n".join([
        "| Zalo: figure | median | spread (min–max) | floor: median (min–max) | ratio: median (min–max) |",
        "|---|---|---|---|---|",
        row(f"`{QUERY}` replies (photo + text), {n} users at once, polling with min_interval=0", bot, floor,
            "replies/s"),
        f"| … the bot's own time per reply (1/bot − 1/floor) | {statistics.median(extra_ms):.2f} ms | "
        f"{spread(extra_ms, '.2f')} | | |",
        f"| … CPU per reply, this process (bot + fake; floor + fake) | {statistics.median(cpu_bot):.2f} ms | "
        f"{spread(cpu_bot, '.2f')} | {statistics.median(cpu_floor):.2f} ms ({spread(cpu_floor, '.2f')}) | "
        f"+{statistics.median(cpu_extra):.2f} ms ({spread(cpu_extra, '.2f')}) |",
        f"| … with the production min_interval ({PRODUCTION_MIN_INTERVAL:g} s between polls, one update a poll) "
        f"| ≤ {1 / PRODUCTION_MIN_INTERVAL:g} reply/s by construction (not measured) | | | |",
        row(f"card image server, `GET /card/<hash>.png`, {CLIENTS} clients", images["card"], images["bare"],
            "requests/s"),
        row(f"card image server, `GET /zalo/image/<hash>.png`, {CLIENTS} clients", images["zalo"], images["bare"],
            "requests/s"),
    ])


def machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} cores; Python {platform.python_version()}; aiohttp {aiohttp.__version__}"


def write(section: str) -> None:
    """BENCHMARKS.md: this section replaced where it is, else put right after the web section (else at the end);
    the rest kept."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{MARKER}\n\n{section}\n"
    if MARKER in text:
        before, _, after = text.partition(MARKER)
        rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    elif WEB_MARKER in text:
        head, _, web_part = text.partition(WEB_MARKER)
        web_body, sep, rest = web_part.partition("\n## ")
        before = head + WEB_MARKER + web_body
        rest = rest if sep else ""
    else:
        before, rest = text, ""
    text = f"{before.rstrip()}\n\n{block}" + (f"\n## {rest}" if rest else "")
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--serve")
    parser.add_argument("--db")
    parser.add_argument("--write", action="store_true", help="put the section into BENCHMARKS.md")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.db))
        return 0
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()
    rows, headers = asyncio.run(run(args.rounds, args.messages, args.seconds))
    took = time.perf_counter() - began
    notes = "\n".join(f"- {line}" for line in headers)
    section = "\n".join([
        f"{args.rounds} rounds, in a shuffled order each round, {took:.0f} s in all ({machine()}).",
        "",
        f"- Replies: the real App + ZaloFrontend and the fake Zalo Bot API (tests/fakezalo) in one process, real "
        f"HTTP on 127.0.0.1; {args.messages} new users send `{QUERY}` at once, timed until the fake has the last "
        f"reply's sendMessage. Polling with min_interval=0: production's {PRODUCTION_MIN_INTERVAL:g} s between "
        f"polls, with one update per getUpdates, caps the bot at 1 reply/s whatever it costs.",
        "- Floor: a bare ZaloClient loop on a second fake in the same process (getUpdates → sendPhoto with the bot's "
        "card URL, fetched by the fake from the bot's web server → sendMessage with the bot's text). The fake's "
        "work is in both, so the per-reply differences are the bot's own cost; wall time beyond the CPU is waiting "
        "(one update at a time, each message_id committed to SQLite before it is answered).",
        f"- Card images: the App's web server (after one Zalo reply) and a bare aiohttp handler with the same bytes "
        f"from memory, each in its own process, {CLIENTS} aiohttp clients here for {args.seconds:g} s a round. "
        "`/card/` finds its key among every unit's current cards on each request; `/zalo/image/` is a memo hit.",
        "- A ratio is the project over the floor of the same round: median and min–max over rounds. Speed is "
        "reported here, never asserted in tests.",
        "",
        rows,
        "",
        "Caching of the card URLs (checked in the same run):",
        "",
        notes,
    ])
    print(section)
    if args.write:
        write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
