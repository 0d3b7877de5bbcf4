"""Shared fixtures: a real SQLite file per test, the real data/ seed, QR decoding of real PNGs."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.config import ROOT, Settings
from bot.places import Gazetteer, load_gazetteer
from bot.runtime import open_registry
from bot.services import Registry
from bot.userstate import UserState
from handlers import Dispatcher
from tests.fakebot.server import FakeBotApi
from tests.telegram_harness import Harness, running_bot

os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

DATA_DIR = ROOT / "data"


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return load_gazetteer(DATA_DIR)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # http_port=0: the public directory (bot/web) started with a test bot takes any free port, never 8080.
    return Settings(db_path=tmp_path / "bot.sqlite3", media_dir=tmp_path / "media", data_dir=DATA_DIR, http_port=0)


@pytest.fixture
async def setup(settings: Settings) -> AsyncIterator[tuple[Registry, Dispatcher]]:
    """A real registry and the dispatcher over its per-user state: commands without any front-end."""
    registry = await open_registry(settings)
    state = UserState(registry.store)
    await state.load()
    try:
        yield registry, Dispatcher(state)
    finally:
        await registry.store.close()


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    reg = await open_registry(settings)
    yield reg
    await reg.store.close()


def decode_qr(png: bytes, *, as_telegram: bool = False) -> list[str]:
    """The URLs in an image's QR codes; with as_telegram, after Telegram's re-encoding (JPEG, ≤ 1280 px)."""
    image = Image.open(io.BytesIO(png))
    if as_telegram:
        image = image.convert("RGB")
        image.thumbnail((1280, 1280))
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=75)
        image = Image.open(io.BytesIO(buf.getvalue()))
    return sorted(r.text for r in zxingcpp.read_barcodes(image))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def bot(settings: Settings, api: FakeBotApi) -> AsyncIterator[Harness]:
    """The bot, started, handling updates fed with `bot.send(...)`. Stopped before the fake server."""
    async with running_bot(settings, api) as harness:
        yield harness
