"""The Zalo front-end end to end: the real runner (polling or webhook) over real HTTP against the fake Zalo Bot
API, the real App and web server (cards served under BOT_PUBLIC_URL and fetched by the fake, as Zalo does)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.config import Settings
from bot.frontends.zalo.client import ZaloClient
from bot.frontends.zalo.frontend import ZaloFrontend
from bot.people import ZALO, Person
from tests.conftest import decode_qr
from tests.fakebot.server import FakeBotApi
from tests.fakezalo.server import GROUP_ID, USER_ID, FakeZaloApi
from tests.telegram_harness import free_port

ADMIN_ID = "ad000000000000000001"
FANPAGE = "https://www.facebook.com/congthongtincantho"
ZALO_OA = "https://zalo.me/3460461954401350861"
NEW_PAGE = "https://www.facebook.com/hue.portal.test"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    async with FakeZaloApi(max_poll_wait=0.3) as api:
        yield api


@asynccontextmanager
async def zalo_bot(settings: Settings, fake: FakeZaloApi, *, secret: str = "",
                   extra: Any = None) -> AsyncIterator[tuple[App, ZaloFrontend]]:
    port = free_port()
    s = replace(settings, zalo_token=fake.token, zalo_base_url=fake.client_base_url, http_listen="127.0.0.1",
                http_port=port, public_url=f"http://127.0.0.1:{port}",
                admin_ids=frozenset({Person(ZALO, ADMIN_ID)}))
    async with App(s) as app:
        frontend = ZaloFrontend(app.services, ZaloClient(fake.token, base_url=fake.client_base_url),
                                webhook_secret=secret, poll_timeout=1, min_interval=0.01)
        app.add(frontend)
        if extra is not None:
            app.add(extra(app))
        await app.start()
        yield app, frontend


async def ask(fake: FakeZaloApi, text: str, *, user: str = USER_ID, group: str | None = None,
              replies: int = 1) -> list[str]:
    """Send `text` from `user`; wait for `replies` more messages in that chat; their texts."""
    chat = group or user
    before = len(fake.sent(chat))
    fake.inject_text(text, user_id=user, group=group)
    await fake.wait_for(lambda f: len([c for c in f.sent(chat) if c.method == "sendMessage"])
                        >= len([c for c in f.sent(chat)[:before] if c.method == "sendMessage"]) + replies)
    await asyncio.sleep(0.05)  # anything else that belongs to the same answer
    return [c.text or "" for c in fake.sent(chat)[before:] if c.method == "sendMessage"]


def photos(fake: FakeZaloApi, chat: str = USER_ID) -> list[Any]:
    return [c for c in fake.sent(chat) if c.method == "sendPhoto"]


async def test_channels_and_a_bare_name_give_both_links_as_text_and_a_card_that_decodes(
        settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake) as (app, _):
        for query in ("/channels cần thơ", "cần thơ"):
            before = len(photos(fake))
            [text] = await ask(fake, query)
            assert FANPAGE in text and ZALO_OA in text and "Thành phố Cần Thơ" in text
            assert "<b>" not in text and "](" not in text  # plain text: Zalo shows markup literally
            [photo] = photos(fake)[before:]
            assert photo.photo_url.startswith(app.settings.public_url + "/zalo/image/")
            assert decode_qr(photo.photo_bytes) == [FANPAGE, ZALO_OA]


async def test_a_former_province_a_notice_and_verdicts(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        [ben_tre] = await ask(fake, "ben tre")
        assert "Vĩnh Long" in ben_tre and "https://www.facebook.com/cttdtbentre" in ben_tre
        notice = "\n".join(await ask(fake, "/notice cần thơ"))
        assert "Văn phòng UBND thành phố Cần Thơ" in notice
        [official] = await ask(fake, f"/verify {ZALO_OA}")
        assert "✅ CHÍNH THỨC — Thành phố Cần Thơ" in official
        [fake_page] = await ask(fake, "/verify https://www.facebook.com/congthongtincanth0")
        assert fake_page.startswith("🚫 GIẢ MẠO") and "✅" not in fake_page


async def test_numbered_choices_are_picked_by_number_and_lang_switches(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        [choices] = await ask(fake, "/channels qn")
        assert "1. " in choices and "/channels quang_ninh" in choices
        first_line = next(line for line in choices.splitlines() if line.startswith("1. "))
        slug = first_line.rsplit("/channels ", 1)[1]
        [picked] = await ask(fake, "1")
        assert picked.startswith("Kênh thông tin chính thức"), (slug, picked)
        [unknown] = await ask(fake, "9")  # the menu now is the card's: "see the notice", nothing 9th
        assert "Không có lựa chọn số 9" in unknown
        [english] = await ask(fake, "/lang en")
        assert english == "From now on I reply in English."
        [card] = await ask(fake, "cần thơ")
        assert card.startswith("Official channels — ")


async def test_an_admin_confirms_by_typing_co_and_a_stranger_changes_nothing(
        settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake) as (app, _):
        [refused] = await ask(fake, f"/addchannel huế {NEW_PAGE} Trang Huế")  # from an ordinary user
        assert "quản trị" in refused.lower()
        assert await app.services.registry.store.channel_by_url(NEW_PAGE) is None
        preview = "\n".join(await ask(fake, f"/addchannel huế {NEW_PAGE} Trang Huế", user=ADMIN_ID))
        assert "XEM TRƯỚC" in preview and "Gõ “có” để xác nhận" in preview
        assert await app.services.registry.store.channel_by_url(NEW_PAGE) is None
        saved = "\n".join(await ask(fake, "Có", user=ADMIN_ID))
        assert "Đã lưu" in saved
        channel = await app.services.registry.store.channel_by_url(NEW_PAGE)
        assert channel is not None
        audit = await app.services.registry.store.all_audit()
        assert audit[-1].actor == Person(ZALO, ADMIN_ID)  # who did it, on which platform
        [verdict] = await ask(fake, f"/verify {NEW_PAGE}")
        assert "✅ CHÍNH THỨC — Thành phố Huế" in verdict


async def test_images_stickers_and_withheld_content_get_a_hint(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        for inject in (fake.inject_image, fake.inject_sticker, fake.inject_unsupported):
            before = len(fake.sent(USER_ID))
            inject()
            await fake.wait_for(lambda f, n=before: len(f.sent(USER_ID)) > n)
            assert "Tôi chỉ đọc được tin nhắn chữ" in (fake.sent(USER_ID)[-1].text or "")
        fake.inject_text("/channels cần thơ", is_bot=True)  # another bot: ignored
        await asyncio.sleep(0.3)
        assert not any("Cần Thơ" in (c.text or "") for c in fake.sent(USER_ID))


async def test_a_replayed_update_is_answered_once_also_after_a_restart(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        await ask(fake, f"/verify {ZALO_OA}")
        fake.replay_next(3)
        await asyncio.sleep(0.5)
        assert len([c for c in fake.sent(USER_ID) if c.method == "sendMessage"]) == 1
    async with zalo_bot(settings, fake):  # the same file: the ids it answered are remembered
        fake.replay_next(2)
        await ask(fake, "/help")
        assert len([c for c in fake.sent(USER_ID) if c.method == "sendMessage"]) == 2


async def test_webhook_mode_refuses_a_wrong_secret_and_answers_a_retried_delivery_once(
        settings: Settings, fake: FakeZaloApi) -> None:
    secret = "webhook-Secret-123"
    async with zalo_bot(settings, fake, secret=secret) as (app, _):
        assert fake.webhook is not None and fake.webhook["url"] == f"{app.settings.public_url}/zalo"
        update = fake.update("message.text.received", {"text": f"/verify {ZALO_OA}"})
        assert await fake.deliver(update, wrong_secret=True) == 403
        assert await fake.deliver(update, omit_secret=True) == 403
        await asyncio.sleep(0.2)
        assert fake.sent(USER_ID) == []
        assert await fake.deliver(update, shape="wrapped") == 200
        assert await fake.deliver(update, shape="flat") == 200  # Zalo retrying: the same message_id
        await fake.wait_for(lambda f: bool(f.sent(USER_ID)))
        await asyncio.sleep(0.3)
        assert len(fake.sent(USER_ID)) == 1 and "CHÍNH THỨC" in (fake.sent(USER_ID)[0].text or "")
        async with aiohttp.ClientSession() as http, http.get(f"{app.settings.public_url}/healthz") as health:
            body = await health.json()
            assert health.status == 200 and body["frontends"]["zalo"]["mode"] == "webhook"


async def test_idle_polls_and_a_burst_of_errors_lose_no_reply(
        settings: Settings, fake: FakeZaloApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with zalo_bot(settings, fake):
        await asyncio.sleep(0.8)  # idle: 408s
        fake.fail_next(502, 2, method="getUpdates")
        fake.fail_next(429, 1, method="getUpdates")
        fake.fail_next(503, 2, method="sendMessage")
        texts = await ask(fake, "/channels cần thơ")
        assert FANPAGE in texts[0]
    assert fake.token not in caplog.text and fake.token.split(":")[1] not in caplog.text


async def test_no_message_breaks_zalos_limits(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        await ask(fake, "/help")
        await ask(fake, "/channels")
        await ask(fake, "/notice vĩnh long")
        for call in fake.sent(USER_ID):
            assert call.error is None
            assert 1 <= len(call.text or call.caption or "x") <= 2000


async def test_export_becomes_a_single_use_download_link(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        texts = await ask(fake, "/export", user=ADMIN_ID, replies=2)
        links = [word for text in texts for word in text.split() if "/download/" in word]
        assert links, texts
        async with aiohttp.ClientSession() as http:
            async with http.get(links[0]) as first:
                assert first.status == 200 and b"can_tho" in await first.read()
            async with http.get(links[0]) as again:
                assert again.status == 404
        [elsewhere] = await ask(fake, "/import", user=ADMIN_ID)
        assert "Telegram" in elsewhere and "python -m bot import" in elsewhere


async def test_a_group_member_gets_the_same_answers(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        [text] = await ask(fake, "/channels cần thơ", group=GROUP_ID)
        assert FANPAGE in text


async def test_one_process_serves_telegram_and_zalo_from_one_registry(
        settings: Settings, fake: FakeZaloApi, api: FakeBotApi) -> None:
    """A change confirmed on Telegram is on Zalo at once: the new link in the text and a new card URL whose QR
    codes decode to the new set."""
    from telegram import Update

    from bot.frontends.telegram import TelegramFrontend
    from tests.fakebot.updates import callback, message
    from tests.telegram_harness import SUPER_ADMIN

    port = free_port()
    s = replace(settings, token=api.token, base_url=api.base_url, base_file_url=api.base_file_url,
                zalo_token=fake.token, zalo_base_url=fake.client_base_url, http_listen="127.0.0.1", http_port=port,
                public_url=f"http://127.0.0.1:{port}", admin_ids=frozenset({Person.telegram(SUPER_ADMIN)}))
    admin = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
    async with App(s) as app:
        telegram = TelegramFrontend(app.services, poll=False)
        app.add(telegram)
        app.add(ZaloFrontend(app.services, ZaloClient(fake.token, base_url=fake.client_base_url), poll_timeout=1,
                             min_interval=0.01))
        await app.start()
        [before] = await ask(fake, "/channels huế")
        assert NEW_PAGE not in before

        async def send(update: dict[str, Any]) -> list[Any]:
            if "callback_query" in update:
                api.open_query(update["callback_query"]["id"])
            start = len(api.calls)
            await telegram.app.process_update(Update.de_json({"update_id": len(api.calls) + 1, **update},
                                                             telegram.app.bot))
            return api.calls[start:]

        calls = await send(message(f"/addchannel huế {NEW_PAGE} Trang Huế", user=admin))
        markup = next(c.params["reply_markup"] for c in calls if c.params.get("reply_markup"))
        markup = markup if isinstance(markup, dict) else json.loads(markup)
        yes = next(b["callback_data"] for row in markup["inline_keyboard"] for b in row
                   if str(b.get("callback_data", "")).startswith("yes|"))
        await send(callback(yes, user=admin))
        photos_before = len(photos(fake))
        [after] = await ask(fake, "/channels huế")
        assert NEW_PAGE in after
        [card] = photos(fake)[photos_before:]
        assert NEW_PAGE in decode_qr(card.photo_bytes)
        async with aiohttp.ClientSession() as http, http.get(f"{s.public_url}/healthz") as health:
            body = await health.json()
        assert body["ok"] and set(body["frontends"]) == {"telegram", "zalo"}
        assert body["frontends"]["zalo"]["mode"] == "polling"


async def test_a_super_admin_grants_a_zalo_user_by_id_who_can_then_change_the_registry(
        settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake) as (app, _):
        [granted] = await ask(fake, f"/grant {USER_ID}", user=ADMIN_ID)
        assert f"zalo:{USER_ID}" in granted
        assert await app.services.registry.store.is_admin(Person(ZALO, USER_ID))
        assert not await app.services.registry.store.is_admin(Person("telegram", "1"))
        preview = "\n".join(await ask(fake, f"/addchannel huế {NEW_PAGE} Trang Huế"))
        assert "XEM TRƯỚC" in preview
        history = "\n".join(await ask(fake, "/admins", user=ADMIN_ID))
        assert f"zalo:{USER_ID}" in history and f"zalo:{ADMIN_ID}" in history
        [revoked] = await ask(fake, f"/revoke zalo:{USER_ID}", user=ADMIN_ID)
        assert not await app.services.registry.store.is_admin(Person(ZALO, USER_ID)), revoked


async def test_an_image_url_is_content_addressed_and_cached(settings: Settings, fake: FakeZaloApi) -> None:
    async with zalo_bot(settings, fake):
        await ask(fake, "cần thơ")
        [photo] = photos(fake)
        async with aiohttp.ClientSession() as http:
            async with http.get(photo.photo_url) as first:
                etag = first.headers["ETag"]
                assert first.status == 200 and "immutable" in first.headers["Cache-Control"]
                assert await first.read() == photo.photo_bytes
            async with http.get(photo.photo_url, headers={"If-None-Match": etag}) as again:
                assert again.status == 304
            base = photo.photo_url.rsplit("/", 1)[0]
            for path in ("/../../bot.sqlite3", "/%2e%2e%2fbot.sqlite3", "/0000.png", "/" + "a" * 64 + ".png"):
                async with http.get(base + path) as missing:
                    assert missing.status == 404, path


def test_sigterm_stops_a_zalo_bot_cleanly(tmp_path: Any) -> None:
    """`python -m bot` with ZALO_BOT_TOKEN, stopped by SIGTERM: exit 0, no traceback, the web server closed."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    loop = asyncio.new_event_loop()
    fake = FakeZaloApi(max_poll_wait=0.3)
    loop.run_until_complete(fake.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(ZALO_BOT_TOKEN=fake.token, ZALO_BASE_URL=fake.client_base_url, BOT_DB_PATH=str(tmp_path / "z.sqlite3"),
               BOT_HTTP_LISTEN="127.0.0.1", BOT_HTTP_PORT=str(port), BOT_PUBLIC_URL=f"http://127.0.0.1:{port}")
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not any(c.method == "getUpdates" for c in fake.calls) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(c.method == "getUpdates" for c in fake.calls)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Traceback" not in err and fake.token not in err
    finally:
        if process.poll() is None:
            process.kill()
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
