"""Alerts to private subscriptions on Zalo and in the console, end to end: the real App, front-end and delivery
worker; Zalo over real HTTP against the fake Zalo Bot API (which fetches the card by its URL, as Zalo does)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

from bot.app import App
from bot.config import Settings
from bot.frontends.console import Console, ConsoleCourier
from bot.people import ZALO, Person
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
