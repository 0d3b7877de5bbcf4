"""Alerts to private subscriptions on Zalo and in the console, end to end: the real App, front-end and delivery
worker; Zalo over real HTTP against the fake Zalo Bot API (which fetches the card by its URL, as Zalo does)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from bot.app import App
from bot.config import ROOT, Settings
from bot.frontends.console import Console, ConsoleCourier
from bot.people import ZALO, Person
from bot.transfer import export_registry
from tests.conftest import decode_qr
from tests.fakezalo.server import GROUP_ID, USER_ID, FakeZaloApi
from tests.test_zalo import ADMIN_ID, FANPAGE, ZALO_OA, ask, fake, zalo_bot

__all__ = ["fake"]  # the fake Zalo server fixture

NEW_PAGE = "https://www.facebook.com/cantho.gov.vn"


async def test_a_private_zalo_subscription_gets_the_alert_with_a_card_of_the_new_set(
        settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake) as (app, _):
        [done] = await ask(fake, "/subscribe cần thơ")
        assert "Đã đăng ký theo dõi: Cần Thơ" in done
        [group] = await ask(fake, "/subscribe cần thơ", group=GROUP_ID)  # a Zalo group: no way to check admins
        assert "nhắn riêng" in group
        assert await app.services.registry.store.subscriptions_of(ZALO, GROUP_ID) == []
        before = len(fake.sent(USER_ID))
        preview = "\n".join(await ask(fake, f"/retirechannel {FANPAGE} {NEW_PAGE}", user=ADMIN_ID))
        assert "XEM TRƯỚC" in preview
        await ask(fake, "có", user=ADMIN_ID)
        await fake.wait_for(lambda f: any("Kênh chính thức thay đổi" in (c.text or "") for c in f.sent(USER_ID)),
                            within=10)
        await asyncio.sleep(0.3)
        told = fake.sent(USER_ID)[before:]
        texts = [c.text or "" for c in told if c.method == "sendMessage"]
        [alert] = [t for t in texts if "Kênh chính thức thay đổi" in t]
        assert f"{FANPAGE} → thay bằng {NEW_PAGE}" in alert and len(alert) <= 2000
        assert alert.index("Danh sách hiện hành") < alert.index(ZALO_OA)
        [card] = [c for c in told if c.method == "sendPhoto"]
        assert decode_qr(card.photo_bytes) == [NEW_PAGE, ZALO_OA]
        assert not any("Kênh chính thức thay đổi" in (c.text or "") for c in fake.sent(ADMIN_ID))  # not subscribed


async def test_a_console_subscription_is_told_in_the_console(settings: Settings) -> None:
    out = io.StringIO()
    async with App(replace(settings, admin_ids=frozenset({Person(ZALO, ADMIN_ID)}))) as app:
        console = Console(app.services, out)
        await app.start_outbox([ConsoleCourier(console)])
        await console.handle_line("/subscribe cần thơ")
        await console.handle_line(f"/retirechannel {FANPAGE} {NEW_PAGE}")
        await console.handle_line("có")
        assert app.outbox is not None
        await app.outbox.drain()
    text = out.getvalue()
    alert = text[text.index("Kênh chính thức thay đổi"):]
    assert f"{FANPAGE} → thay bằng {NEW_PAGE}" in alert and "[image]" in alert


async def test_an_import_by_the_cli_in_another_process_is_told_by_the_running_bot(
        settings: Settings, tmp_path: Path) -> None:
    """`python -m bot import --apply` writes the alert with its change; the bot's worker (another process) finds
    it and tells the subscribed console."""
    out = io.StringIO()
    async with App(settings) as app:
        console = Console(app.services, out)
        await app.start_outbox([ConsoleCourier(console)])
        await console.handle_line("/subscribe cần thơ")
        data = await export_registry(app.services.registry.store)
        data["channels"].append({"place_slug": "can_tho", "platform": "facebook", "name": "Truyền hình Cần Thơ",
                                 "url": NEW_PAGE, "status": "active"})
        file = tmp_path / "registry.json"
        file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "BOT_DB_PATH": str(settings.db_path)}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "import", str(file), "--apply"],
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        for _ in range(100):  # the worker's next look (it polls every second, and the watcher wakes it)
            if "Kênh chính thức thay đổi" in out.getvalue():
                break
            await asyncio.sleep(0.1)
    alert = out.getvalue()[out.getvalue().index("Kênh chính thức thay đổi"):]
    assert f"🆕 Mới: Truyền hình Cần Thơ — {NEW_PAGE}" in alert
