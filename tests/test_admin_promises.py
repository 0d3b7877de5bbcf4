"""Issue 11, item 7, where the admin sees it: dates that are refused say why, /undo previews exactly what it
restores and needs Confirm, a preview is what gets saved (as-of dates included), the new admin is told, and
/history and /notice speak in words and Vietnam time. End to end on the fake Bot API; the SQLite file checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import handlers.admin
from bot import changes as changes_module
from bot.clock import vietnam_today
from bot.people import Person
from tests.fakebot.server import Call
from tests.fakebot.spec import ApiError
from tests.fakebot.updates import EN_USER, callback, message
from tests.telegram_harness import Harness
from tests.test_admin import ADMIN, NEW_PAGE, OTHER_ADMIN, confirm_data, sent, state, texts

ZALO = "https://zalo.me/3460461954401350861"
FANPAGE = "https://www.facebook.com/congthongtincantho"


async def say(bot: Harness, *lines: str, user: dict[str, Any] = ADMIN) -> list[Call]:
    calls: list[Call] = []
    for line in lines:
        calls = await bot.send(message(line, user=user))
    return calls


async def confirmed(bot: Harness, command: str, user: dict[str, Any] = ADMIN) -> list[Call]:
    preview = await bot.send(message(command, user=user))
    return await bot.send(callback(confirm_data(preview), user=user))


def card_part(text: str) -> list[str]:
    """The card's lines in a reply: from its title to its "as of" line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Kênh thông tin chính thức —" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("Cập nhật:") and i > start)
    return lines[start : end + 1]


# --- dates ----------------------------------------------------------------------------------------------------
NOTICE_START = ["/addnotice", "cần thơ", "Văn phòng UBND thành phố Cần Thơ", "-/VPUB-TTĐH"]
NOTICE_END = ["V/v kênh thông tin mới", "-", "-", "-", ZALO]


@pytest.mark.parametrize(("answer", "why"), [
    ("31/02/2026", "31/02/2026 không phải một ngày có thật (tháng 2/2026 có 28 ngày)"),
    ("ngày 31 tháng 2 năm 2026", "31/02/2026 không phải một ngày có thật"),
    ("30/02/2024", "30/02/2024 không phải một ngày có thật (tháng 2/2024 có 29 ngày)"),
    ("13/2026", "không có tháng 13"),
    ("1800", "năm 1800 nằm ngoài khoảng"),
    ("hôm qua", "“hôm qua” không phải một ngày"),
])
async def test_an_impossible_date_is_refused_saying_why(bot: Harness, answer: str, why: str) -> None:
    before = await state(bot)
    calls = await say(bot, *NOTICE_START, answer)
    text = texts(calls)
    assert "Ngày không hợp lệ" in text and why in text
    assert "4/9" in text  # asked again
    assert await state(bot) == before


@pytest.mark.parametrize(("answer", "shown"), [
    ("ngày 5 tháng 12 năm 2026", "05/12/2026"),
    ("Ngày 05 tháng 12 năm 2026", "05/12/2026"),
    ("tháng 12 năm 2026", "12/2026"),
    ("năm 2026", "2026"),
    ("05/12/2026", "05/12/2026"),
])
async def test_the_vietnamese_document_date_form_is_accepted(bot: Harness, answer: str, shown: str) -> None:
    calls = await say(bot, *NOTICE_START, answer, *NOTICE_END)
    assert "XEM TRƯỚC" in texts(calls) and f"Ngày: {shown}" in texts(calls)
    await bot.send(callback(confirm_data(calls), user=ADMIN))
    assert f"Ngày: {shown}" in texts(await bot.send(message("/notice cần thơ")))


# --- /undo ----------------------------------------------------------------------------------------------------
async def test_undo_previews_what_it_restores_and_writes_only_on_confirm(bot: Harness) -> None:
    original = await state(bot)
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    edited = await state(bot)
    preview = await bot.send(message("/undo", user=ADMIN))
    text = texts(preview)
    assert "XEM TRƯỚC — hoàn tác thay đổi #1 (sửa kênh" in text
    assert f"~ {ZALO}: tên Zalo mới → Cổng TTĐT Cần Thơ" in text  # the row, now → after the undo
    assert f"~ {ZALO}: cập nhật {vietnam_today():%d/%m/%Y} → 11/2025" in text  # its as-of date too
    assert await state(bot) == edited  # nothing written before Confirm
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "Đã hoàn tác thay đổi gần nhất của bạn (sửa kênh)" in texts(calls)
    assert await state(bot) == original
    assert card_part(text) == card_part(texts(calls))  # the card previewed is the card saved
    assert [e.action for e in await bot.registry.store.all_audit()] == ["edit_channel", "undo"]


async def test_undo_preview_of_an_add_shows_the_card_without_it(bot: Harness) -> None:
    await confirmed(bot, f"/addchannel cần thơ {NEW_PAGE} Trang mới")
    preview = await bot.send(message("/undo", user=ADMIN))
    [photo] = sent(preview, "sendPhoto")
    caption = photo.params["caption"]
    assert f"− {NEW_PAGE} (Trang mới, đang hoạt động)" in caption
    assert NEW_PAGE not in "\n".join(card_part(caption))
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert await bot.registry.store.channel_by_url(NEW_PAGE) is None
    assert card_part(caption) == card_part(texts(calls))


async def test_cancelling_an_undo_changes_nothing(bot: Harness) -> None:
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    edited = await state(bot)
    preview = await bot.send(message("/undo", user=ADMIN))
    assert "Đã hủy" in texts(await bot.send(callback(confirm_data(preview, "no"), user=ADMIN)))
    assert await state(bot) == edited


async def test_undo_acts_once_on_the_newest_change_and_never_walks_back(bot: Harness) -> None:
    await confirmed(bot, f"/editchannel {ZALO} name Một")
    await confirmed(bot, f"/editchannel {ZALO} name Hai")
    await bot.send(callback(confirm_data(await bot.send(message("/undo", user=ADMIN))), user=ADMIN))
    assert (await bot.registry.store.channel_by_url(ZALO)).name == "Một"
    again = await bot.send(message("/undo", user=ADMIN))
    assert "đã được hoàn tác rồi" in texts(again) and not any("yes|" in str(c.params) for c in again)
    assert (await bot.registry.store.channel_by_url(ZALO)).name == "Một"  # the older change stands
    assert [e.action for e in await bot.registry.store.all_audit()] == ["edit_channel", "edit_channel", "undo"]


async def test_undo_only_touches_your_own_change(bot: Harness) -> None:
    await bot.send(message("/grant 555", user=ADMIN))
    await confirmed(bot, f"/editchannel {ZALO} name Của Bình", user=OTHER_ADMIN)
    assert "chưa có thay đổi nào" in texts(await bot.send(message("/undo", user=ADMIN)))
    assert (await bot.registry.store.channel_by_url(ZALO)).name == "Của Bình"


async def test_an_undo_confirmed_after_the_rows_changed_is_refused(bot: Harness) -> None:
    await bot.send(message("/grant 555", user=ADMIN))
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    preview = await bot.send(message("/undo", user=ADMIN))
    await confirmed(bot, f"/editchannel {ZALO} name Bình sửa", user=OTHER_ADMIN)
    before = await state(bot)
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "Không thể hoàn tác" in texts(calls)
    assert await state(bot) == before and (await bot.registry.store.channel_by_url(ZALO)).name == "Bình sửa"


async def test_an_undo_confirmed_after_a_newer_change_of_yours_is_refused(bot: Harness) -> None:
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    preview = await bot.send(message("/undo", user=ADMIN))
    await confirmed(bot, f"/editchannel {FANPAGE} name Trang mới")
    before = await state(bot)
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "không còn là thay đổi gần nhất" in texts(calls)
    assert await state(bot) == before


async def test_undo_says_so_when_the_rows_changed_since(bot: Harness) -> None:
    await bot.send(message("/grant 555", user=ADMIN))
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    await confirmed(bot, f"/editchannel {ZALO} name Bình sửa", user=OTHER_ADMIN)
    calls = await bot.send(message("/undo", user=ADMIN))
    assert "Không thể hoàn tác" in texts(calls) and not any("yes|" in str(c.params) for c in calls)


# --- a preview is what gets saved -----------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    f"/editchannel {ZALO} name Zalo mới",
    f"/addchannel cần thơ {NEW_PAGE} Trang mới",
    f"/retirechannel {ZALO} {NEW_PAGE}",
])
async def test_the_preview_equals_the_saved_card_as_of_date_included(bot: Harness, command: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers.admin, "today", lambda: "2026-11-30")  # previewed just before midnight …
    preview = await bot.send(message(command, user=ADMIN))
    monkeypatch.setattr(changes_module, "today", lambda: "2026-12-01")  # … confirmed just after
    calls = await bot.send(callback(confirm_data(preview), user=ADMIN))
    assert "Đã lưu" in texts(calls)
    previewed, saved = card_part(texts(preview)), card_part(texts(calls))
    assert previewed == saved and saved[-1] == "Cập nhật: 30/11/2026"
    assert card_part(texts(await bot.send(message("/channels cần thơ")))) == previewed
    assert "2026-11-30" in {c.verified_on for c in await bot.registry.store.all_channels()}


# --- roles ----------------------------------------------------------------------------------------------------
async def test_the_new_admin_is_told_and_a_second_grant_says_so(bot: Harness) -> None:
    calls = await bot.send(message("/grant 555", user=ADMIN))
    [told] = [c for c in sent(calls, "sendMessage") if c.params["chat_id"] == 555]
    assert "Bạn đã được Quản trị cấp quyền quản trị" in told.params["text"]
    assert "has made you an admin" in told.params["text"] and "/addchannel" in told.params["text"]
    again = await bot.send(message("/grant 555", user=ADMIN))
    assert "555 đã là quản trị viên" in texts(again)
    assert [c for c in sent(again, "sendMessage") if c.params["chat_id"] == 555] == []  # told once


async def test_a_new_admin_who_never_started_the_bot_is_still_granted(bot: Harness,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    original = bot.api._m_sendMessage

    async def refusing(params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if int(params["chat_id"]) == 777:
            raise ApiError("Forbidden: bot can't initiate conversation with a user", 403, None)
        return await original(params, files)

    monkeypatch.setattr(bot.api, "_m_sendMessage", refusing)
    calls = await bot.send(message("/grant 777", user=ADMIN))
    assert "Đã cấp quyền quản trị cho telegram:777" in texts(calls)
    assert Person.telegram(777) in [a[0] for a in await bot.registry.store.admins()]


# --- words, not codes; Vietnam time ---------------------------------------------------------------------------
async def test_history_says_statuses_units_and_times_in_words(bot: Harness) -> None:
    await confirmed(bot, f"/retirechannel {ZALO} {NEW_PAGE}")
    await confirmed(bot, f"/editchannel {FANPAGE} unit bến tre")
    text = texts(await bot.send(message("/history cần thơ", user=ADMIN)))
    assert f"~ {ZALO}: trạng thái đang hoạt động → đã được thay thế" in text
    assert f"~ {ZALO}: thay bằng — → {NEW_PAGE}" in text
    assert "superseded" not in text and "active" not in text and "UTC " not in text
    entry = (await bot.registry.store.all_audit())[0]
    at = datetime.fromisoformat(entry.at).replace(tzinfo=UTC) + timedelta(hours=7)
    assert f"#{entry.id} {at:%d/%m/%Y %H:%M} — ngừng kênh" in text and "giờ Việt Nam (UTC+7)" in text
    vinh_long = texts(await bot.send(message("/history vĩnh long", user=ADMIN)))
    assert f"~ {FANPAGE}: đơn vị Cần Thơ → Bến Tre (cũ)" in vinh_long
    english = texts(await bot.send(message("/history cần thơ", user={**ADMIN, "language_code": "en"})))
    assert f"~ {ZALO}: status active → superseded" in english and "Vietnam time (UTC+7)" in english


async def test_history_of_an_undo_names_what_it_undid(bot: Harness) -> None:
    await confirmed(bot, f"/editchannel {ZALO} name Zalo mới")
    await bot.send(callback(confirm_data(await bot.send(message("/undo", user=ADMIN))), user=ADMIN))
    text = texts(await bot.send(message("/history cần thơ", user=ADMIN)))
    assert "— hoàn tác #1</b>" in text and f"~ {ZALO}: tên Zalo mới → Cổng TTĐT Cần Thơ" in text


async def test_notice_says_a_retired_channels_status_in_words(bot: Harness) -> None:
    await confirmed(bot, f"/retirechannel {ZALO}")
    assert f"{ZALO} (đã ngừng)" in texts(await bot.send(message("/notice cần thơ")))
    assert f"{ZALO} (retired)" in texts(await bot.send(message("/notice cần thơ", user=EN_USER)))
