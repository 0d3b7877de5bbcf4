"""The fake Bot API in its own process, with control endpoints for the benchmark: inject a burst of updates,
set the simulated round trip, read back per-update latency (injected → reply recorded) and upload sizes.

Usage: python -m bench.fake_server PORT
"""

from __future__ import annotations

import asyncio
import collections
import sys
import time
from typing import Any

from aiohttp import web

from bench.harness import TOKEN
from tests.fakebot.server import FakeBotApi

REPLIES = {"sendMessage", "sendPhoto", "sendMediaGroup"}


class BenchFakeApi(FakeBotApi):
    def __init__(self, port: int) -> None:
        # No flood limits: the benchmark measures throughput, past the 30 messages a second Telegram takes.
        super().__init__(TOKEN, check=False, record=False, port=port, flood_limits=False)
        self.reset()
        self.first_get_updates: float | None = None

    def reset(self) -> None:
        self.injected: dict[int, float] = {}
        self.waiting: dict[int, collections.deque[int]] = collections.defaultdict(collections.deque)
        self.inline_ids: dict[str, int] = {}
        self.latencies: list[float] = []
        self.latency_chats: list[int] = []  # the chat of each latency, to tell one user's replies from others'
        self.refused = 0  # calls answered with an error: a card Telegram would refuse shows here
        self.first_inject = 0.0
        self.last_reply = 0.0
        self.upload_bytes: list[int] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/_control/inject", self._inject)
        app.router.add_post("/_control/reset", self._reset)
        app.router.add_get("/_control/stats", self._stats)

    async def _inject(self, request: web.Request) -> web.Response:
        updates = await request.json()
        now = time.monotonic()
        self.first_inject = self.first_inject or now
        for update in updates:
            pushed = self.push_update(update)
            self.injected[pushed["update_id"]] = now
            if "inline_query" in update:
                self.inline_ids[update["inline_query"]["id"]] = pushed["update_id"]
            else:
                self.waiting[update["message"]["chat"]["id"]].append(pushed["update_id"])
        return web.json_response({"ok": True})

    async def _reset(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.latency = float(body.get("latency", 0))
        self.reset()
        return web.json_response({"ok": True})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({
            "replies": len(self.latencies), "latencies": self.latencies, "first_inject": self.first_inject,
            "last_reply": self.last_reply, "upload_bytes": self.upload_bytes,
            "first_get_updates": self.first_get_updates, "latency_chats": self.latency_chats,
            "refused": self.refused,
        })

    async def _handle(self, request: web.Request) -> web.Response:
        response = await super()._handle(request)
        if response.status >= 400:
            self.refused += 1
        return response

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self.first_get_updates is None:
            self.first_get_updates = time.time()
        return await super()._m_getUpdates(params, files)

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if "photo" in files:
            self.upload_bytes.append(len(files["photo"]))
        return await super()._m_sendPhoto(params, files)

    async def _m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.upload_bytes += [len(data) for data in files.values()]
        return await super()._m_sendMediaGroup(params, files)

    def on_result(self, method: str, params: dict[str, Any]) -> None:
        update_id = None
        chat = int(params.get("chat_id") or 0)
        if method in REPLIES:
            queue = self.waiting.get(chat)
            update_id = queue.popleft() if queue else None
        elif method == "answerInlineQuery":
            update_id = self.inline_ids.pop(str(params["inline_query_id"]), None)
        if update_id is not None:
            now = time.monotonic()
            self.latencies.append(now - self.injected.pop(update_id))
            self.latency_chats.append(chat)
            self.last_reply = now


async def main(port: int) -> None:
    api = BenchFakeApi(port)
    await api.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
