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

from bot.app import App
from bot.config import Settings
from bot.frontends.delivery import Backoff
from bot.frontends.telegram import TelegramFrontend
from bot.people import Person
from bot.userstate import UserState
from tests.fakebot.server import Call, FakeBotApi

SUPER_ADMIN = 999
_update_ids = itertools.count(10_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Harness:
    def __init__(self, frontend: TelegramFrontend, api: FakeBotApi, app: App) -> None:
        self.frontend = frontend
        self.app: Application = frontend.app
        self.api = api
        self.root = app

    @property
    def registry(self) -> Any:
        return self.app.bot_data["registry"]

    @property
    def state(self) -> UserState:
        return self.root.services.state

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
    """The bot, started by the composition root as in production (the web server on a free port); `overrides`
    replace Settings fields; `backoff` and `read_timeout` go to the front-end. Without `polling`, updates are
    fed by `Harness.send` (nothing polls)."""
    s = replace(settings, token=api.token, base_url=api.base_url, base_file_url=api.base_file_url,
                admin_ids=frozenset({Person.telegram(SUPER_ADMIN)}), **overrides)
    async with App(s) as root:
        frontend = TelegramFrontend(root.services, backoff=backoff, read_timeout=read_timeout, poll_timeout=1,
                                    poll=polling)
        root.add(frontend)
        await root.start()
        if frontend.face is not None:  # the menus and descriptions, set beside the first getUpdates
            await frontend.face
        try:
            yield Harness(frontend, api, root)
        finally:
            await root.close()
