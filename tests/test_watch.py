"""A change written by another process reaches the running bot's cards within seconds (two real processes)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT
from bot.services import Registry
from bot.transfer import export_registry
from bot.watch import RegistryWatcher

NEW_PAGE = "https://www.facebook.com/canthotv.official"


async def test_an_import_applied_by_the_cli_while_the_bot_runs_reaches_its_cards(registry: Registry,
                                                                                 tmp_path: Path) -> None:
    can_tho = registry.places.places["can_tho"]
    before = await registry.unit_view(can_tho)
    assert NEW_PAGE not in [cv.channel.url for cv in before.channels]
    watcher = RegistryWatcher(registry, interval=0.05)
    await watcher.start()
    try:
        data = await export_registry(registry.store)
        data["channels"].append({"place_slug": "can_tho", "platform": "facebook", "name": "Truyền hình Cần Thơ",
                                 "url": NEW_PAGE, "status": "active"})
        file = tmp_path / "registry.json"
        file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        assert registry.store.path is not None
        env = {**os.environ, "BOT_DB_PATH": str(registry.store.path)}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "import", str(file), "--apply"],
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        after = before
        for _ in range(200):  # the watcher's next tick, within seconds
            await asyncio.sleep(0.05)
            after = await registry.unit_view(can_tho)
            if NEW_PAGE in [cv.channel.url for cv in after.channels]:
                break
        # (the CLI's own start-up writes too — its seed's upserts — so there may be more than one reload)
        assert watcher.reloads >= 1 and NEW_PAGE in [cv.channel.url for cv in after.channels]
        assert after.card_key != before.card_key  # a new card, drawn from the new rows
        assert not await watcher.check()  # and no reload without a further outside change
    finally:
        await watcher.stop()


async def test_our_own_writes_do_not_count_as_outside_changes(registry: Registry) -> None:
    watcher = RegistryWatcher(registry, interval=60)
    await watcher.start()
    try:
        await registry.store.remember_media("abc", "telegram", "file-1")
        assert not await watcher.check()
    finally:
        await watcher.stop()
