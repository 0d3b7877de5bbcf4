"""The real Application, over real HTTP, against the fake Bot API server."""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.frontends.delivery import Backoff
from bot.frontends.telegram import build_application, polling_error_callback
from bot.people import Person
from tests.fakebot.server import Call, FakeBotApi

SUPER_ADMIN = 999
_update_ids = itertools.count(10_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Harness:
    def __init__(self, app: Application, api: FakeBotApi) -> None:
        self.app = app
        self.api = api

    @property
    def registry(self) -> Any:
        return self.app.bot_data["registry"]

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """Feed one update to the Application and return the Bot API calls it made for it."""
        for kind in ("callback_query", "inline_query"):
            if kind in update:
                self.api.open_query(update[kind]["id"])
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json({"update_id": next(_update_ids), **update}, self.app.bot))
        return self.api.calls[before:]


@asynccontextmanager
async def running_bot(settings: Settings, api: FakeBotApi, *, polling: bool = False, backoff: Backoff | None = None,
                      read_timeout: float = 5.0, **overrides: Any) -> AsyncIterator[Harness]:
    """The bot, started; `overrides` replace Settings fields; `backoff` and `read_timeout` go to the builder."""
    s = replace(settings, token=api.token, base_url=api.base_url, base_file_url=api.base_file_url,
                admin_ids=frozenset({Person.telegram(SUPER_ADMIN)}), **overrides)
    app = build_application(s, backoff=backoff, read_timeout=read_timeout)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    if polling:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1, error_callback=polling_error_callback(app))
    try:
        yield Harness(app, api)
    finally:
        if polling and app.updater is not None:
            await app.updater.stop()
        await app.stop()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()
