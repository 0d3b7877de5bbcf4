"""The project's own CPU per update, without the network: the same cached `/channels cần thơ` updates through the
project's Application and through floor (c)'s, in one process, every Bot API call answered at once by a stub
transport with the bytes the fake answers. Parsing the updates and the fake server's work are out of it, so the
difference is what the project does per update: its handlers' routing, context, dispatch, rendering, ordering
and its request wrapper. The end-to-end bursts (bench/__main__.py) measure the same through real HTTP, where the
machine's noise is several times this difference.

Run alone: python -m bench.own_cost
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bench.floors import add_payload, payload_parts, project_builder
from tests.fakebot.server import BOT_USER
from tests.fakebot.updates import inline, message

TOKEN = "123456:OWN-COST-token_abcdefghijklmnopqrstuvw"  # never sent anywhere
FILE_ID = "AgACAgIAAxkBAAIBOWb2own-cost"
BLOCK = 2000  # updates per timed block
PAIRS = 9  # alternating blocks (project, floor) or (floor, project)
KINDS = {"channels": "/channels cần thơ", "notice": "/notice cần thơ",
         "verify": "/verify https://zalo.me/3460461954401350861"}


class StubTransport(BaseRequest):
    """Answers every call at once: getMe, a sent message (the photo with the payload's caption and keyboard),
    True for the rest. The same instance's answers for the project and for the floor."""

    def __init__(self, sent: bytes) -> None:
        self._me = json.dumps({"ok": True, "result": BOT_USER}).encode()
        self._sent = sent

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if name == "getMe":
            return 200, self._me
        if name.startswith("send"):
            return 200, self._sent
        return 200, b'{"ok":true,"result":true}'


def _sent_message(caption: str, markup: dict[str, Any]) -> bytes:
    return json.dumps({"ok": True, "result": {
        "message_id": 5, "date": 0, "chat": {"id": 100_000, "type": "private", "first_name": "U"},
        "photo": [{"file_id": FILE_ID, "file_unique_id": "own-cost", "width": 1280, "height": 915}],
        "caption": caption, "reply_markup": markup}}).encode()


def _updates(app: Application, kind: str, n: int) -> list[Update]:
    out = []
    for i in range(n):
        user = {"id": 100_000 + i % 50, "is_bot": False, "first_name": "U", "language_code": "vi"}
        raw = inline("cần thơ", user=user) if kind == "inline" else message(KINDS[kind], user=user)
        out.append(Update.de_json({**raw, "update_id": i + 1}, app.bot))
    return out


async def _cpu_per_update(app: Application, kind: str, n: int = BLOCK) -> float:
    """CPU µs per update through the Application's own update processor (ordering per chat included)."""
    updates = _updates(app, kind, n)
    processor = app.update_processor
    started = time.process_time()
    for update in updates:
        await processor.process_update(update, app.process_update(update))
    return (time.process_time() - started) / n * 1e6


async def measure_own_cost(tmp: Path) -> dict[str, Any]:
    from bot.app import App
    from bot.config import Settings
    from bot.frontends.telegram import build_application

    settings = replace(Settings.from_env(), token=TOKEN, rate_limit=False, db_path=tmp / "own_cost.sqlite3")
    _, caption, markup = await payload_parts(settings)
    transport = StubTransport(_sent_message(caption, markup))

    def stub(pool: int, read_timeout: float) -> BaseRequest:
        return transport

    app_owner = App(settings, web_server=False)
    services = await app_owner.open()
    project = build_application(services, transport=stub)
    floor = project_builder(stub, TOKEN).build()
    add_payload(floor, caption, markup, {"file_id": FILE_ID})
    for app in (project, floor):
        await app.initialize()
    try:
        for kind in (*KINDS, "inline"):  # warm: caches, file_ids, views
            await _cpu_per_update(project, kind, 100)
        await _cpu_per_update(floor, "channels", 200)
        gc.collect()
        gc.freeze()  # as the bot does after start-up
        ours, theirs = [], []
        for i in range(PAIRS):
            order = [(project, ours), (floor, theirs)]
            for app, into in order if i % 2 == 0 else order[::-1]:
                into.append(await _cpu_per_update(app, "channels"))
        others = {kind: statistics.median([await _cpu_per_update(project, kind, BLOCK // 2) for _ in range(3)])
                  for kind in ("notice", "verify", "inline")}
    finally:
        gc.unfreeze()
        for app in (project, floor):
            await app.shutdown()
        await app_owner.close()
    diffs = [a - b for a, b in zip(ours, theirs, strict=True)]
    return {"project_us": statistics.median(ours), "floor_us": statistics.median(theirs),
            "diff_us": statistics.median(diffs), "diff_min": min(diffs), "diff_max": max(diffs),
            "ratio": statistics.median(b / a for a, b in zip(ours, theirs, strict=True)),
            "pairs": PAIRS, "block": BLOCK, **{f"{k}_us": v for k, v in others.items()}}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as name:
        print(asyncio.run(measure_own_cost(Path(name))))
