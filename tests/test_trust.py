"""Verify what staff actually receive: every kind of link, wherever it sits in a message — end to end on the
fake Telegram server and in the console."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.clock import vietnam_today
from bot.services import Registry
from tests.fakebot.server import Call
from tests.fakebot.updates import GROUP, VI_USER, inline, message, private_chat
from tests.telegram_harness import Harness

FANPAGE = "https://www.facebook.com/congthongtincantho"
ZALO = "https://zalo.me/3460461954401350861"
FAKE = "🚫 GIẢ MẠO"


def answers(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method in ("sendMessage", "sendPhoto") and c.error is None]


def text_of(calls: list[Call]) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in answers(calls))


@pytest.mark.parametrize(("url", "expected", "mentions"), [
    (FANPAGE, "✅ CHÍNH THỨC — Thành phố Cần Thơ", FANPAGE),
    ("https://www.facebook.com/congthongtincanth0", FAKE, FANPAGE),
    ("https://www.facebook.com/congthongtin-cantho", FAKE, FANPAGE),
    ("https://faceb00k.com/congthongtincantho", FAKE, FANPAGE),
    ("https://zalo.me/3460461954401350862", FAKE, ZALO),
    ("https://fb.me/congthongtincantho", "↪️ ĐƯỜNG DẪN RÚT GỌN", "mở nó"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fevil.example", "↪️ ĐƯỜNG DẪN RÚT GỌN", "Facebook"),
    ("https://chinhphu.vn", "🏛️ TÊN MIỀN CỦA CƠ QUAN NHÀ NƯỚC", "chinhphu.vn"),
    ("https://baochinhphu.vn/tin-tuc", "🏛️ TÊN MIỀN CỦA CƠ QUAN NHÀ NƯỚC", "baochinhphu.vn"),
    ("https://www.facebook.com/someone.else", "❓ CHƯA ĐĂNG KÝ", "someone.else"),
    ("https://www.facebook.com/congthongtin.cantho", "❓ CHƯA ĐĂNG KÝ", FANPAGE),  # dots: maybe the same page
    ("http://www.facebook.com/congthongtincantho", "⛔ ĐƯỜNG DẪN KHÔNG HỢP LỆ", "https://"),
])
async def test_a_verdict_for_each_kind_of_link(bot: Harness, url: str, expected: str, mentions: str) -> None:
    text = text_of(await bot.send(message(f"/verify {url}")))
    assert text.startswith(f"<b>{expected}") and mentions in text


@pytest.mark.parametrize("pasted", [
    f"{FANPAGE}.", f"{FANPAGE},", f"{FANPAGE};", f"({FANPAGE})", f"«{FANPAGE}»", f"“{FANPAGE}”", f"<{FANPAGE}>",
    f"[Cổng TTĐT]({FANPAGE})", f"'{FANPAGE}'", f"{FANPAGE}!", f"Xem tại: {FANPAGE}.",
])
async def test_trailing_punctuation_is_not_part_of_the_link(bot: Harness, pasted: str) -> None:
    text = text_of(await bot.send(message(f"/verify {pasted}")))
    assert "<b>✅ CHÍNH THỨC — Thành phố Cần Thơ" in text and "ĐƯỜNG DẪN" not in text and FAKE not in text


def forwarded(text: str, **extra: Any) -> dict[str, Any]:
    update = message(text)
    update["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Ai đó",
                                           "date": int(time.time())}
    update["message"].update(extra)
    return update


async def test_a_forwarded_message_with_two_links_gets_a_verdict_each_most_dangerous_first(bot: Harness) -> None:
    calls = await bot.send(forwarded(f"Mời theo dõi {FANPAGE} và trang mới https://faceb00k.com/congthongtincantho"))
    text = text_of(calls)
    assert "2 đường dẫn" in text
    assert text.index(FAKE) < text.index("✅ CHÍNH THỨC")
    assert "<code>https://faceb00k.com/congthongtincantho</code>" in text  # shown, but not clickable


async def test_a_text_link_to_a_lookalike_is_judged_by_its_hidden_target(bot: Harness) -> None:
    update = message("Bấm vào đây để xem trang chính thức")
    update["message"]["entities"] = [{"type": "text_link", "offset": 0, "length": 11,
                                      "url": "https://faceb00k.com/congthongtincantho"}]
    text = text_of(await bot.send(update))
    assert FAKE in text and "“Bấm vào đây”" in text and FANPAGE in text


async def test_a_photo_caption_with_a_link_is_verified(bot: Harness) -> None:
    update = message("")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "AgAD1", "file_unique_id": "u1", "width": 90, "height": 90}]
    update["message"]["caption"] = f"Trang chính thức: {FANPAGE}."
    assert text_of(await bot.send(update)).startswith("<b>✅ CHÍNH THỨC")


async def test_verify_as_a_reply_in_a_group_checks_the_replied_message_and_answers_it(bot: Harness) -> None:
    original = message("Anh em theo dõi trang https://www.facebook.com/congthongtincanth0 nhé", chat=GROUP)
    update = message("/verify", chat=GROUP)
    update["message"]["reply_to_message"] = original["message"]
    [answer] = answers(await bot.send(update))
    assert FAKE in answer.params["text"]
    assert answer.params["reply_parameters"]["message_id"] == original["message"]["message_id"]


async def test_in_a_group_the_answer_replies_to_the_asker(bot: Harness) -> None:
    update = message("/channels cần thơ", chat=GROUP)
    [answer] = answers(await bot.send(update))
    assert answer.params["reply_parameters"]["message_id"] == update["message"]["message_id"]


async def test_in_a_forum_topic_the_answer_goes_to_that_topic(bot: Harness) -> None:
    forum = {**GROUP, "is_forum": True}
    update = message("/verify " + FANPAGE, chat=forum)
    update["message"].update(message_thread_id=77, is_topic_message=True)
    [answer] = answers(await bot.send(update))
    assert answer.params["message_thread_id"] == 77


async def test_inline_mode_with_a_link_returns_the_verdict(bot: Harness) -> None:
    [answer] = [c for c in await bot.send(inline("https://faceb00k.com/congthongtincantho")) if
                c.method == "answerInlineQuery"]
    [result] = answer.params["results"]
    assert answer.error is None and FAKE in result["input_message_content"]["message_text"]


async def test_a_plain_message_without_links_is_still_a_province(bot: Harness) -> None:
    calls = await bot.send(message("cần thơ", user=VI_USER, chat=private_chat(VI_USER)))
    assert "Kênh thông tin chính thức — Thành phố Cần Thơ" in text_of(calls)


# No verdict calls a real government or platform host fake.
REAL_HOSTS = [
    "https://chinhphu.vn", "https://baochinhphu.vn", "https://vanban.chinhphu.vn/abc", "https://gov.vn",
    "https://cantho.gov.vn", "https://www.cantho.gov.vn/tin-tuc", "https://vinhlong.gov.vn", "https://bentre.gov.vn",
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "https://mic.gov.vn", "https://mof.gov.vn",
    "https://moh.gov.vn", "https://hanoi.gov.vn", "https://hochiminhcity.gov.vn", "https://danang.gov.vn",
    "https://thuvienphapluat.gov.vn", "https://xaydungchinhsach.chinhphu.vn",
    "https://fb.me/abc", "https://m.me/congthongtincantho", "https://fb.watch/abc123/", "https://l.facebook.com/l.php",
    "https://lm.facebook.com/l.php?u=x", "https://business.facebook.com/x", "https://developers.facebook.com/docs",
    "https://www.messenger.com/t/123", "https://messenger.com", "https://apps.facebook.com/x",
    "https://touch.facebook.com/x", "https://free.facebook.com/x", "https://static.xx.fbcdn.net/rsrc.php",
    "https://connect.facebook.net/en_US/sdk.js", "https://youtu.be/dQw4w9WgXcQ", "https://music.youtube.com/watch",
    "https://studio.youtube.com/channel/x", "https://www.youtube-nocookie.com/embed/x", "https://i.ytimg.com/vi/x",
    "https://www.youtube.com/watch?v=abc", "https://www.youtube.com/shorts/abc", "https://vt.tiktok.com/ZS123/",
    "https://vm.tiktok.com/ZM123/", "https://ads.tiktok.com/x", "https://www.tiktok.com/foryou",
    "https://www.tiktok.com/t/ZT123/", "https://oa.zalo.me/home", "https://chat.zalo.me", "https://id.zalo.me/account",
    "https://zalo.me/s/123456789/", "https://developers.zalo.me/docs",
    "https://zaloapp.com", "https://s120-ava-talk.zadn.vn/x", "https://www.facebook.com/login",
    "https://www.facebook.com/share/abc", "https://www.facebook.com/groups/123", "https://m.facebook.com/home.php",
    "https://web.facebook.com/watch", "https://mbasic.facebook.com/", "https://www.fb.com/", "https://zalo.me/",
    "https://www.tiktok.com/login", "https://m.youtube.com/results?search_query=x", "https://youtube.com/feed/trending",
    "fb.me/abc", "youtu.be/abc", "https://facebook.com/reel/123", "https://www.facebook.com/stories/123",
]


async def test_no_real_government_or_platform_host_is_called_fake(registry: Registry) -> None:
    assert len(REAL_HOSTS) >= 60
    for url in REAL_HOSTS:
        verdict = await registry.verify(url)
        assert verdict.status != "lookalike", (url, verdict)
        if verdict.error is not None:
            assert verdict.error.code not in ("lookalike", "punycode"), url


# --- honest coverage, reports, groups -------------------------------------------------------------------------
ADMIN = {"id": 999, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}


async def test_a_unit_without_channels_gets_text_only_saying_so(bot: Harness) -> None:
    calls = await bot.send(message("/channels hà nội"))
    assert not [c for c in calls if c.method in ("sendPhoto", "sendMediaGroup")]
    [answer] = answers(calls)
    markup = answer.params.get("reply_markup") or {}
    assert not any("switch_inline_query_chosen_chat" in b for row in markup.get("inline_keyboard", []) for b in row)
    assert "Chưa có kênh chính thức nào của Hà Nội" in answer.params["text"] and "/report" in answer.params["text"]


async def test_the_units_menu_and_the_welcome_tell_what_is_covered(bot: Harness) -> None:
    [menu] = answers(await bot.send(message("/channels")))
    labels = [b["text"] for row in menu.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "Cần Thơ · 2 kênh" in labels and "An Giang · chưa có" in labels
    welcome = text_of(await bot.send(message("/start")))
    assert "2 trên 34" in welcome  # Cần Thơ and Vĩnh Long (the former Bến Tre's page)


async def test_a_report_reaches_the_admins_queue_and_the_reporter_is_thanked(bot: Harness) -> None:
    calls = await bot.send(message("/report https://faceb00k.com/congthongtincantho trang giả mạo Cần Thơ"))
    assert "Cảm ơn" in text_of([c for c in calls if c.chat_id == VI_USER["id"]])
    assert "Báo cáo mới #1" in text_of([c for c in calls if c.chat_id == ADMIN["id"]])  # the admins are told
    await bot.send(message("/report cần thơ thiếu kênh YouTube"))
    queue = text_of(await bot.send(message("/reports", user=ADMIN)))
    assert "(2)" in queue and "https://faceb00k.com/congthongtincantho" in queue and "Thành phố Cần Thơ" in queue
    refused = text_of(await bot.send(message("/reports")))
    assert "chỉ dành cho quản trị viên" in refused
    assert "#1" in text_of(await bot.send(message("/reports done 1", user=ADMIN)))
    assert "(1)" in text_of(await bot.send(message("/reports", user=ADMIN)))
    assert "Cách dùng" in text_of(await bot.send(message("/report")))


async def test_a_refused_button_press_in_a_group_is_an_alert_not_a_group_message(bot: Harness) -> None:
    from tests.fakebot.updates import callback

    calls = await bot.send(callback("yes|sometoken", chat=GROUP))
    assert not answers(calls)
    [alert] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert alert.params.get("show_alert") is True and "quản trị viên" in alert.params["text"]


@pytest.mark.parametrize("command", ["/export", "/addnotice", "/ingest", "/import"])
async def test_file_and_conversation_commands_in_a_group_point_to_a_private_chat(bot: Harness, command: str) -> None:
    calls = await bot.send(message(command, user=ADMIN, chat=GROUP))
    assert not [c for c in calls if c.method == "sendDocument"]
    assert "trò chuyện riêng" in text_of(calls)
    assert len(bot.state) == 0  # no conversation was started for the group


# --- provenance per channel, former provinces apart -------------------------------------------------------------
def confirm_button(calls: list[Call]) -> str:
    for c in calls:
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b.get("callback_data", "").startswith("yes|"):
                    return str(b["callback_data"])
    raise AssertionError("no Confirm button")


async def test_each_channel_names_its_own_source_never_another_one(bot: Harness) -> None:

    from tests.fakebot.updates import callback

    preview = await bot.send(message("/addchannel cần thơ https://www.youtube.com/@canthotv Truyền hình Cần Thơ",
                                     user=ADMIN))
    await bot.send(callback(confirm_button(preview), user=ADMIN))
    text = text_of(await bot.send(message("/channels cần thơ")))
    youtube = text[text.index("https://www.youtube.com/@canthotv"):]
    today = f"{vietnam_today():%d/%m/%Y}"
    assert youtube.split("\n")[1] == f"<i>Do quản trị viên ghi nhận ngày {today}, chưa có văn bản</i>"
    assert text.count("Nguồn: Văn phòng UBND thành phố Cần Thơ, số …/VPUB-TTĐH, 11/2025") == 2  # its own two
    view = await bot.registry.unit_view(bot.registry.places.places["can_tho"])
    sources = {e.url: e.source for e in view.card.entries}
    assert sources["https://www.youtube.com/@canthotv"].startswith("Quản trị viên ghi nhận")
    assert sources[FANPAGE].startswith("Nguồn / Source: Văn phòng UBND thành phố Cần Thơ")


async def test_a_former_provinces_channel_is_shown_in_its_own_section_with_its_dates(bot: Harness) -> None:
    text = text_of(await bot.send(message("/channels vĩnh long")))
    header = "Kênh của Tỉnh Bến Tre (cũ), trước 01/07/2025 — chưa có văn bản của Tỉnh Vĩnh Long xác nhận"
    assert header in text and text.index(header) < text.index("https://www.facebook.com/cttdtbentre")
    assert "Hoạt động từ 01/12/2021" in text and "Kiểm tra lần cuối: 12/2021" in text
    verdict = text_of(await bot.send(message("/verify facebook.com/cttdtbentre")))
    assert header in verdict and "Hoạt động từ 01/12/2021" in verdict


async def test_a_retired_channel_says_since_when(bot: Harness) -> None:
    from tests.fakebot.updates import callback

    preview = await bot.send(message(f"/retirechannel {ZALO}", user=ADMIN))
    await bot.send(callback(confirm_button(preview), user=ADMIN))
    verdict = text_of(await bot.send(message(f"/verify {ZALO}")))
    assert "KHÔNG CÒN SỬ DỤNG" in verdict and "Ngừng sử dụng từ" in verdict


def test_the_console_shows_sources_per_channel_and_verdicts(tmp_path: Any) -> None:
    from tests.test_console import run_console

    out = run_console(tmp_path, "/channels vĩnh long\n/verify https://faceb00k.com/cttdtbentre.\n", "console")
    assert "Kênh của Tỉnh Bến Tre (cũ)" in out and "Hoạt động từ 01/12/2021" in out
    assert "🚫 GIẢ MẠO" in out and "https://www.facebook.com/cttdtbentre" in out


@pytest.mark.parametrize("command", ["/channels help", "/channels giúp", "/notice help"])
async def test_help_words_after_a_command_get_the_help(bot: Harness, command: str) -> None:
    text = text_of(await bot.send(message(command)))
    assert "Cách dùng" in text and "Không tìm thấy" not in text
