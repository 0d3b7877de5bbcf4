"""kill -9 during a fan-out: the real bot (`python -m bot`) in a subprocess against the fake Bot API here. The
fake holds the sends in flight when the bot is killed (as Telegram, which acts on a request it received even if
the bot died waiting for the answer); after a restart every chat has the alert exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from bot.changes import Changes, Outcome
from bot.config import ROOT, Settings
from bot.outbox import IN_FLIGHT
from bot.people import Person
from bot.runtime import open_registry
from tests.fakebot.server import Call, FakeBotApi
from tests.telegram_harness import free_port

FANPAGE = "https://www.facebook.com/congthongtincantho"
NEW_PAGE = "https://www.facebook.com/cantho.gov.vn"
CHATS = [-(30_000 + i) for i in range(80)]
ADMIN = Person.telegram(999)


def alerts(api: FakeBotApi, chat: int) -> list[Call]:
    return [c for c in api.sends_to(chat) if "Kênh chính thức thay đổi" in str(c.params.get("caption", ""))]


def processes_of(settings: Settings) -> list[int]:
    """Processes started for this test's database (the bot, its card worker), from /proc."""
    mark = f"BOT_DB_PATH={settings.db_path}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return found


async def start_bot(settings: Settings, api: FakeBotApi, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url,
           "TELEGRAM_BASE_FILE_URL": api.base_file_url, "BOT_DB_PATH": str(settings.db_path),
           "BOT_HTTP_LISTEN": "127.0.0.1", "BOT_HTTP_PORT": str(free_port()), "NO_PROXY": "127.0.0.1,localhost",
           "BOT_MEDIA_DIR": str(settings.media_dir)}
    with log.open("ab") as stderr:  # a file, not a pipe: nothing waits for every holder of a pipe to close it
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=stderr)


async def test_kill_9_mid_fan_out_loses_no_alert_and_sends_none_twice(settings: Settings, tmp_path: Path) -> None:
    settings = replace(settings, http_port=0)
    registry = await open_registry(settings)
    for chat in CHATS:
        await registry.store.subscribe("telegram", str(chat), "can_tho", "vi", "telegram:1")
    channel = await registry.store.channel_by_url(FANPAGE)
    assert channel is not None
    changes = Changes(registry)
    token = await changes.propose(ADMIN, "retire_channel", {"channel_id": channel.id, "successor_url": NEW_PAGE,
                                                           "successor_platform": "facebook"})
    assert (await changes.confirm(token, ADMIN, "Admin")).outcome == Outcome.APPLIED  # acknowledged: owed
    await registry.store.close()

    api = FakeBotApi()
    await api.start()
    try:
        api.hold_sends(after=25)  # 25 alerts land, then the sends in flight hang: the bot is killed there
        bot = await start_bot(settings, api, tmp_path / "first.log")
        await api.wait_until(lambda: api.held >= IN_FLIGHT, within=60)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        for _ in range(100):  # its card worker process goes with it (no orphan keeps memory and files)
            if not processes_of(settings):
                break
            await asyncio.sleep(0.05)
        assert processes_of(settings) == []
        api.release_sends()  # what the bot had sent lands (Telegram had it), though no one reads the answers
        await api.wait_until(lambda: api.held == 0, within=10)
        landed = sum(1 for chat in CHATS if alerts(api, chat))
        assert landed == 25 + IN_FLIGHT  # what was in flight at the kill had reached Telegram

        again = await start_bot(settings, api, tmp_path / "again.log")
        try:
            await api.wait_until(lambda: all(alerts(api, chat) for chat in CHATS), within=60)
            await asyncio.sleep(1.0)  # anything sent twice would have landed by now
        finally:
            again.send_signal(signal.SIGTERM)
            await asyncio.wait_for(again.wait(), 30)
        err = (tmp_path / "again.log").read_text(encoding="utf-8", errors="replace")
        assert again.returncode == 0, err[-2000:]
        assert [len(alerts(api, chat)) for chat in CHATS] == [1] * len(CHATS)
        assert "in flight when the bot last stopped" in err
    finally:
        await api.close()
