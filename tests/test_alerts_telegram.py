"""Group subscriptions and change alerts end to end on Telegram: the real App, front-end and delivery worker over
real HTTP against the fake Bot API, which knows groups, their administrators (getChatMember), the bot being
removed (403), groups becoming supergroups (migrate_to_chat_id) and Telegram's flood limits (429)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bot import alerts
from bot.changes import Changes, Outcome
from bot.config import Settings
from bot.people import Person
from tests.conftest import decode_qr
from tests.fakebot.server import Call, FakeBotApi
from tests.fakebot.updates import callback, message
from tests.telegram_harness import SUPER_ADMIN, Harness, running_bot

FANPAGE = "https://www.facebook.com/congthongtincantho"
ZALO_OA = "https://zalo.me/3460461954401350861"
NEW_PAGE = "https://www.facebook.com/cantho.gov.vn"
HUE_PAGE = "https://www.facebook.com/hue.portal.test"
GROUP_ADMIN = {"id": 4001, "is_bot": False, "first_name": "Trưởng nhóm", "language_code": "vi"}
MEMBER = {"id": 4002, "is_bot": False, "first_name": "Thành viên", "language_code": "vi"}
ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
TITLE = "Kênh chính thức thay đổi"


def group_chat(chat_id: int, kind: str = "group") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "Phòng Văn hóa"}


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def alerts_to(api: FakeBotApi, chat_id: int) -> list[Call]:
    return [c for c in api.sends_to(chat_id) if TITLE in text_of(c)]


async def press(bot: Harness, calls: list[Call], prefix: str, user: dict[str, Any]) -> list[Call]:
    """Press the button whose callback data starts with `prefix` in what `calls` sent."""
    for call in reversed(calls):
        markup = call.params.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else markup or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if str(button.get("callback_data", "")).startswith(prefix):
                    return await bot.send(callback(button["callback_data"], user=user))
    raise AssertionError(f"no {prefix} button in {[c.method for c in calls]}")


async def confirmed(bot: Harness, command: str) -> None:
    calls = await bot.send(message(command, user=ADMIN))
    done = await press(bot, calls, "yes|", ADMIN)
    assert any("Đã lưu" in text_of(c) or "Đã hoàn tác" in text_of(c) for c in done), [text_of(c) for c in done]


async def test_a_group_subscribes_and_follows_every_change(settings: Settings, api: FakeBotApi,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts, "FOLD_SECONDS", 0.5)  # the follow-up window, shortened for the test
    api.add_group(-500, kind="group", admins=[GROUP_ADMIN["id"]], members=[MEMBER["id"]])
    api.add_group(-600, kind="group", admins=[GROUP_ADMIN["id"]])
    async with running_bot(settings, api) as bot:
        store = bot.registry.store
        refused = await bot.send(message("/subscribe cần thơ", user=MEMBER, chat=group_chat(-500)))
        assert "Chỉ quản trị viên của nhóm" in text_of(refused[-1])
        assert await store.subscriptions_of("telegram", "-500") == []
        for chat in (-500, -600):
            done = await bot.send(message("/subscribe@KenhChinhThucBot cần thơ", user=GROUP_ADMIN,
                                          chat=group_chat(chat)))
            assert "Đã đăng ký theo dõi: Cần Thơ" in text_of(done[-1])
        api.remove_bot(-600, push=False)  # the bot was removed from one of them (Telegram's update lost)

        # An admin retires the fanpage in favour of a new one: the group gets one alert, the new card.
        await confirmed(bot, f"/retirechannel {FANPAGE} {NEW_PAGE}")
        await api.wait_until(lambda: len(alerts_to(api, -500)) == 1, within=10)
        [alert] = alerts_to(api, -500)
        assert alert.method == "sendPhoto"
        assert f"{FANPAGE} → thay bằng {NEW_PAGE}" in text_of(alert)
        assert decode_qr(api.files[alert.params["photo"]] if isinstance(alert.params.get("photo"), str)
                         else alert.files["photo"], as_telegram=True) == [NEW_PAGE, ZALO_OA]
        await api.wait_until(lambda: any(c.chat_id == -600 and c.error for c in api.calls), within=10)
        await asyncio.sleep(0.5)
        refused_sends = [c for c in api.calls if c.chat_id == -600 and c.error and c.error.startswith("Forbidden")]
        assert len(refused_sends) == 1  # one try, then the group's subscriptions end
        assert await store.subscriptions_of("telegram", "-600") == []

        # /history shows the alerts of the change.
        history = await bot.send(message("/history cần thơ", user=ADMIN))
        assert "Thông báo tới 2 cuộc trò chuyện: 1 đã gửi, 0 đang chờ, 0 lỗi, 1 bỏ qua" in text_of(history[-1])

        # /undo sends a correction (the follow-up of the same unit, after the window).
        await confirmed(bot, "/undo")
        await api.wait_until(lambda: len(alerts_to(api, -500)) == 2, within=10)
        correction = text_of(alerts_to(api, -500)[1])
        assert "Đính chính" in correction and FANPAGE in correction.split("Danh sách hiện hành")[1]

        # The group becomes a supergroup: the next alert goes to its new id, once.
        new_id = api.migrate(-500)
        await asyncio.sleep(alerts.FOLD_SECONDS)
        await confirmed(bot, f"/addchannel cần thơ {HUE_PAGE} Trang thử")
        await api.wait_until(lambda: len(alerts_to(api, new_id)) == 1, within=10)
        assert HUE_PAGE in text_of(alerts_to(api, new_id)[0])
        assert [s.chat_id for s in await store.subscriptions_of("telegram", str(new_id))] == [str(new_id)]
        assert len(alerts_to(api, -500)) == 2


async def test_telegrams_own_news_ends_or_moves_subscriptions(settings: Settings, api: FakeBotApi) -> None:
    api.add_group(-700, kind="group", admins=[GROUP_ADMIN["id"]])
    api.add_group(-800, kind="group", admins=[GROUP_ADMIN["id"]])
    async with running_bot(settings, api) as bot:
        store = bot.registry.store
        for chat in (-700, -800):
            await bot.send(message("/subscribe huế", user=GROUP_ADMIN, chat=group_chat(chat)))
        removed = api.remove_bot(-700, push=False)
        await bot.send(removed)  # my_chat_member: the bot was kicked
        assert await store.subscriptions_of("telegram", "-700") == []
        new_id = api.migrate(-800)
        for update in api.pending_updates()[-2:]:  # the two service messages
            await bot.send({k: v for k, v in update.items() if k != "update_id"})
        assert await store.subscriptions_of("telegram", "-800") == []
        assert [s.unit_slug for s in await store.subscriptions_of("telegram", str(new_id))] == ["hue"]
        # An anonymous administrator (writing as the group) may subscribe it too.
        anonymous = message("/subscriptions", user={"id": 1087968824, "is_bot": True, "first_name": "Group"},
                            chat=group_chat(new_id, "supergroup"))
        anonymous["message"]["sender_chat"] = group_chat(new_id, "supergroup")
        listed = await bot.send(anonymous)
        assert "Huế" in text_of(listed[-1])


async def test_a_fan_out_to_500_groups_keeps_telegrams_limits_and_answers_users_meanwhile(
        settings: Settings, api: FakeBotApi) -> None:
    chats = [-(20_000 + i) for i in range(500)]
    async with running_bot(settings, api) as bot:
        store = bot.registry.store
        for chat in chats:
            await store.subscribe("telegram", str(chat), "can_tho", "vi", "telegram:1")
        channel = await store.channel_by_url(FANPAGE)
        assert channel is not None
        changes = Changes(bot.registry)
        token = await changes.propose(Person.telegram(SUPER_ADMIN), "retire_channel", {
            "channel_id": channel.id, "successor_url": NEW_PAGE, "successor_platform": "facebook"})
        assert (await changes.confirm(token, Person.telegram(SUPER_ADMIN), "Admin")).outcome == Outcome.APPLIED
        await api.wait_until(lambda: sum(1 for c in chats[:150] if alerts_to(api, c)) >= 100, within=30)
        asked = time.monotonic()
        answer = await bot.send(message("/channels cần thơ"))
        [card] = [c for c in answer if c.method == "sendPhoto" and c.chat_id == 111]
        assert card.at - asked < 1.0  # answered within a second, mid fan-out
        await api.wait_until(lambda: all(alerts_to(api, c) for c in chats), within=60)
        await asyncio.sleep(0.5)
        assert all(len(alerts_to(api, c)) == 1 for c in chats)  # each group once
        assert api.max_sends_per_second() <= 30
        assert max(api.max_sends_per_minute(c) for c in chats) <= 20
        assert not [c for c in api.calls if c.error and c.error.startswith("Too Many Requests")]
