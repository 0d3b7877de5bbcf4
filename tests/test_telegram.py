"""The Telegram front-end end to end: the real Application, real HTTP, a fake Bot API that refuses what
Telegram refuses. Assertions are on what the user would see: texts, captions, buttons, decoded QR codes."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import Settings
from tests.conftest import decode_qr
from tests.fakebot.server import Call, FakeBotApi
from tests.fakebot.updates import EN_USER, GROUP, callback, inline, message
from tests.telegram_harness import Harness, running_bot

CAN_THO = ["https://www.facebook.com/congthongtincantho", "https://zalo.me/3460461954401350861"]


def sent(calls: list[Call], *methods: str) -> list[Call]:
    return [c for c in calls if c.method in methods and c.error is None]


def visible(call: Call) -> str:
    return call.params.get("text") or call.params.get("caption") or ""


def buttons(call: Call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_up_sets_menus_and_descriptions_in_both_languages(bot: Harness) -> None:
    commands = bot.api.calls_to("setMyCommands")
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    vi = next(c for c in commands if "language_code" not in c.params)
    assert [cmd["command"] for cmd in vi.params["commands"]] == ["channels", "notice", "verify", "report", "subscribe",
                                                            "subscriptions", "unsubscribe", "help"]
    assert len(bot.api.calls_to("setMyDescription")) == 2 and len(bot.api.calls_to("setMyShortDescription")) == 2


async def test_channels_sends_one_photo_whose_caption_and_qr_carry_the_urls(bot: Harness) -> None:
    calls = await bot.send(message("/channels cần thơ"))
    [photo] = sent(calls, "sendPhoto")
    assert not sent(calls, "sendMessage")
    caption = photo.params["caption"]
    assert caption.startswith("<b>Kênh thông tin chính thức — Thành phố Cần Thơ</b>")
    for url in CAN_THO:
        assert url in caption
    assert "Văn phòng UBND thành phố Cần Thơ" in caption and "11/2025" in caption and "Cập nhật" in caption
    assert decode_qr(photo.files["photo"]) == CAN_THO
    assert decode_qr(photo.files["photo"], as_telegram=True) == CAN_THO
    urls = [b["url"] for b in buttons(photo) if "url" in b]
    assert urls == CAN_THO
    share = [b for b in buttons(photo) if "switch_inline_query_chosen_chat" in b]
    assert share and share[0]["switch_inline_query_chosen_chat"]["query"] == "Cần Thơ"


async def test_the_second_request_reuses_the_file_id(bot: Harness) -> None:
    first = sent(await bot.send(message("/channels can tho")), "sendPhoto")[0]
    second = sent(await bot.send(message("/channels CT", user=EN_USER)), "sendPhoto")[0]
    assert "photo" in first.files
    assert "photo" not in second.files and second.params["photo"].startswith("AgAD")


async def test_english_user_gets_english(bot: Harness) -> None:
    [photo] = sent(await bot.send(message("/channels can tho", user=EN_USER)), "sendPhoto")
    assert photo.params["caption"].startswith("<b>Official channels — Thành phố Cần Thơ</b>")
    assert "As of: 11/2025" in photo.params["caption"]


async def test_in_a_group_the_command_works_with_the_bots_name(bot: Harness) -> None:
    calls = await bot.send(message("/channels@KenhChinhThucBot ben tre", chat=GROUP))
    [photo] = sent(calls, "sendPhoto")
    assert photo.chat_id == GROUP["id"]
    assert "Bến Tre (cũ) đã hợp nhất vào Vĩnh Long từ ngày 01/07/2025." in photo.params["caption"]
    assert "https://www.facebook.com/cttdtbentre" in photo.params["caption"]
    assert decode_qr(photo.files["photo"]) == ["https://www.facebook.com/cttdtbentre"]


async def test_a_command_for_another_bot_in_a_group_is_ignored(bot: Harness) -> None:
    assert not sent(await bot.send(message("/channels@OtherBot can tho", chat=GROUP)), "sendPhoto", "sendMessage")


async def test_channels_without_a_query_pages_through_the_34_units(bot: Harness) -> None:
    [menu] = sent(await bot.send(message("/channels")), "sendMessage")
    data = [b["callback_data"] for b in buttons(menu)]
    assert "channels|an_giang" in data and "units|2" in data
    # The menu message is edited to page 2, then 3.
    seen = {d for d in data if d.startswith("channels|")}
    for page in (2, 3):
        calls = await bot.send(callback(f"units|{page}", message_id=_msg_id(bot, menu)))
        [edit] = sent(calls, "editMessageText")
        seen |= {b["callback_data"] for b in buttons(edit) if b["callback_data"].startswith("channels|")}
    assert len(seen) == 34


def _msg_id(bot: Harness, call: Call) -> int:
    return max(mid for (chat, mid) in bot.api._messages if chat == call.chat_id)


async def test_a_unit_button_answers_the_callback_and_sends_the_card(bot: Harness) -> None:
    calls = await bot.send(callback("channels|can_tho"))
    assert sent(calls, "answerCallbackQuery")
    [photo] = sent(calls, "sendPhoto")
    assert all(url in photo.params["caption"] for url in CAN_THO)


async def test_ambiguous_query_offers_choices_as_buttons(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("/channels QN")), "sendMessage")
    assert "QN" in reply.params["text"]
    data = {b["callback_data"] for b in buttons(reply)}
    assert data == {"channels|quang_ninh", "channels|quang_ngai", "channels|old_quang_nam"}


async def test_unknown_query_says_so_with_suggestions(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("/channels haiphonxyz", user=EN_USER)), "sendMessage")
    assert "No province or city matches “haiphonxyz”" in reply.params["text"]
    assert "channels|hai_phong" in {b["callback_data"] for b in buttons(reply)}


async def test_notice_shows_the_full_reference(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("/notice bến tre")), "sendMessage")
    text = reply.params["text"]
    assert text.startswith("<b>Văn bản về kênh thông tin — Tỉnh Vĩnh Long</b>")
    for fact in ("…/BBT-TTTTĐT", "12/2021", "Nguyễn Văn Mến", "02753.827529", "banbientap@bentre.gov.vn",
                 "số 07 đường Cách Mạng Tháng Tám", "V/v vận hành chính thức", "https://www.facebook.com/cttdtbentre",
                 "Văn phòng Đoàn ĐBQH&amp;HĐND tỉnh"):  # stored text is HTML-escaped
        assert fact in text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://zalo.me/3460461954401350861", "✅ CHÍNH THỨC — Thành phố Cần Thơ"),
        ("https://m.facebook.com/CTTDTBENTRE/", "✅ CHÍNH THỨC — Tỉnh Vĩnh Long"),
        ("https://www.facebook.com/someone.else", "❓ CHƯA ĐĂNG KÝ"),
        ("https://faceb00k.com/congthongtincantho", "🚫 GIẢ MẠO"),
        ("http://facebook.com/x", "⛔ ĐƯỜNG DẪN KHÔNG HỢP LỆ"),
    ],
)
async def test_verify(bot: Harness, url: str, expected: str) -> None:
    [reply] = sent(await bot.send(message(f"/verify {url}")), "sendMessage")
    assert reply.params["text"].startswith(f"<b>{expected}")


async def test_a_bare_url_in_private_is_verified(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("https://www.facebook.com/congthongtincantho")), "sendMessage")
    assert "✅" in reply.params["text"] and "Văn phòng UBND thành phố Cần Thơ" in reply.params["text"]


async def test_a_province_name_in_private_gets_its_card(bot: Harness) -> None:
    assert sent(await bot.send(message("Cần Thơ")), "sendPhoto")


async def test_plain_chatter_in_a_group_is_left_alone(bot: Harness) -> None:
    assert not (await bot.send(message("https://zalo.me/3460461954401350861", chat=GROUP)))


async def test_start_with_a_deep_link_answers_with_the_card(bot: Harness) -> None:
    [photo] = sent(await bot.send(message("/start can_tho")), "sendPhoto")
    assert all(url in photo.params["caption"] for url in CAN_THO)
    [welcome] = sent(await bot.send(message("/start", user=EN_USER)), "sendMessage")
    assert welcome.params["text"].startswith("<b>Hello!")
    [odd] = sent(await bot.send(message("/start <script>")), "sendMessage")
    assert "<script>" not in odd.params["text"]


@pytest.mark.parametrize("text", ["/verify", "/notice", "/frobnicate now", "/channels " + "x" * 3000,
                                  "/verify <b>not a url</b>", "/channels <i>&amp;"])
async def test_malformed_commands_get_a_helpful_answer(bot: Harness, text: str) -> None:
    calls = await bot.send(message(text))
    replies = sent(calls, "sendMessage")
    assert replies and not [c for c in calls if c.error]
    assert "Traceback" not in visible(replies[0])


async def test_inline_empty_query_lists_only_places_with_channels(bot: Harness) -> None:
    [answer] = sent(await bot.send(inline("")), "answerInlineQuery")
    ids = [r["id"] for r in answer.params["results"]]
    # Cần Thơ and Vĩnh Long, then the former provinces now inside them: no empty cards on offer.
    assert ids[:2] == ["can_tho", "vinh_long"] and set(ids[2:]) == {"old_hau_giang", "old_soc_trang", "old_ben_tre",
                                                                     "old_tra_vinh"}
    assert "next_offset" not in answer.params
    can_tho = next(r for r in answer.params["results"] if r["id"] == "can_tho")
    assert can_tho["type"] == "article"
    assert all(url in can_tho["input_message_content"]["message_text"] for url in CAN_THO)


async def test_inline_empty_query_pages_when_every_unit_has_channels(bot: Harness) -> None:
    store = bot.registry.store
    async with store.transaction():
        for i, unit in enumerate(bot.registry.places.units()):
            await store.insert_channel(place_slug=unit.slug, platform="zalo", name="Zalo",
                                       url=f"https://zalo.me/{1000000 + i}", verified_on="2026-01")
    bot.registry.changed()
    [answer] = sent(await bot.send(inline("")), "answerInlineQuery")
    first = answer.params["results"]
    assert len(first) == 50 and answer.params["next_offset"] == "50"
    [answer2] = sent(await bot.send(inline("", offset="50")), "answerInlineQuery")
    ids = [r["id"] for r in first + answer2.params["results"]]
    renamed = sum(bot.registry.places.is_renamed(p) for p in bot.registry.places.places.values())
    assert len(ids) == 34 + renamed == len(set(ids)) > 50 and "next_offset" not in answer2.params


async def test_inline_uses_the_uploaded_card_once_it_exists(bot: Harness) -> None:
    await bot.send(message("/channels can tho"))
    [answer] = sent(await bot.send(inline("cần thơ", user=EN_USER)), "answerInlineQuery")
    [result] = answer.params["results"]
    assert result["type"] == "photo" and result["photo_file_id"].startswith("AgAD")
    assert all(url in result["caption"] for url in CAN_THO)


async def test_inline_with_no_match_still_answers(bot: Harness) -> None:
    [answer] = sent(await bot.send(inline("zzzzqqq")), "answerInlineQuery")
    assert answer.params["results"] == [] and answer.params["button"]["start_parameter"] == "help"


async def test_a_429_is_retried(bot: Harness) -> None:
    bot.api.fail_next("sendPhoto", 429, retry_after=0.05)
    calls = await bot.send(message("/channels can tho"))
    assert [c.error is not None for c in calls if c.method == "sendPhoto"] == [True, False]


async def test_an_error_reaches_the_user_as_a_short_apology(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    bot.api.fail_next("sendPhoto", 400, description="Bad Request: something unexpected")
    caplog.set_level(logging.ERROR)
    calls = await bot.send(message("/channels can tho"))
    [apology] = sent(calls, "sendMessage")
    assert apology.params["text"].startswith("Xin lỗi") and "Traceback" not in apology.params["text"]
    assert bot.api.token not in caplog.text


async def test_a_caption_that_would_not_fit_becomes_photo_then_text(bot: Harness) -> None:
    await _add_long_hanoi_channels(bot)
    calls = await bot.send(message("/channels hà nội"))
    # 12+ channels with long names: more than one image holds (issue 12), so an album, then the text.
    [album] = sent(calls, "sendMediaGroup")
    [text] = sent(calls, "sendMessage")
    assert len(album.params["media"][0]["caption"]) < 200
    assert "https://www.facebook.com/hanoi.page.number11" in text.params["text"]
    decoded = [u for k, png in album.files.items() for u in decode_qr(png, as_telegram=True)]
    assert {f"https://www.facebook.com/hanoi.page.number{i}" for i in range(12)} <= set(decoded)


async def _add_long_hanoi_channels(bot: Harness) -> None:
    """12 channels with long names on Hà Nội: more than one image holds them, so its card is an album."""
    registry = bot.registry
    async with registry.store.transaction():
        for i in range(12):
            await registry.store.insert_channel(
                place_slug="ha_noi", platform="facebook", name=f"Trang thông tin số {i} " + "rất dài " * 8,
                url=f"https://www.facebook.com/hanoi.page.number{i}", verified_on="2026-11")
    registry.changed()


async def test_end_to_end_over_long_polling(settings: Settings, api: FakeBotApi) -> None:
    async with running_bot(settings, api, polling=True):
        api.push_update(message("/channels cần thơ", user=EN_USER))
        api.push_update(inline("ben tre"))
        await api.wait_for(lambda calls: any(c.method == "sendPhoto" for c in calls)
                           and any(c.method == "answerInlineQuery" for c in calls))
    [photo] = api.calls_to("sendPhoto")
    assert decode_qr(photo.files["photo"]) == CAN_THO
    [answer] = api.calls_to("answerInlineQuery")
    assert [r["id"] for r in answer.params["results"]] == ["old_ben_tre"]
    assert not [c for c in api.calls if c.error]


def test_an_action_that_cannot_fit_64_bytes_is_refused_where_it_is_made() -> None:
    from bot.frontends.telegram import keyboard
    from bot.replies import ActionTooLong, Choice, Reply

    with pytest.raises(ActionTooLong):
        Choice("x", "channels", "a" * 80)
    with pytest.raises(ActionTooLong):
        Choice("x", "channels", "ả" * 28)  # 56 characters of UTF-8: 2 bytes each
    reply = Reply()
    reply.choices = [Choice("y", "channels", "can_tho"), Choice("z", "notice", "b" * 56)]
    markup = keyboard(reply, "vi")
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == ["channels|can_tho", "notice|" + "b" * 56] and all(len(d.encode()) <= 64 for d in data)


def test_the_fake_refuses_what_telegram_refuses() -> None:
    from tests.fakebot.spec import ApiError, check_call

    bad_calls = [
        ("sendMessagee", {"chat_id": 1, "text": "x"}),
        ("sendMessage", {"chat_id": 1}),
        ("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}),
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}),
        ("sendMessage", {"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}),
        ("sendMessage", {"chat_id": 1, "text": "a < b", "parse_mode": "HTML"}),
        ("sendMessage", {"chat_id": 1, "text": "<script>x</script>", "parse_mode": "HTML"}),
        ("sendMessage", {"chat_id": "x", "text": "x", "disable_notification": "yes"}),
        ("sendPhoto", {"chat_id": 1, "photo": "id", "caption": "x" * 1025}),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[
            {"text": "b", "callback_data": "x" * 65}]]}}),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b"}]]}}),
        ("answerInlineQuery", {"inline_query_id": "1", "results": [
            {"type": "article", "id": str(i), "title": "t", "input_message_content": {"message_text": "m"}}
            for i in range(51)]}),
        ("answerInlineQuery", {"inline_query_id": "1", "results": [{"type": "article", "id": "1", "title": "t"}]}),
        ("setMyCommands", {"commands": [{"command": "Bad-Name", "description": "d"}]}),
    ]
    for method, params in bad_calls:
        with pytest.raises(ApiError):
            check_call(method, json.loads(json.dumps(params)))


async def test_webhook_mode_accepts_only_posts_with_the_secret(settings: Settings, api: FakeBotApi) -> None:
    import aiohttp

    async with running_bot(settings, api, webhook_url="https://bot.example.gov.vn/telegram",
                           webhook_secret="s3cret-Token_1") as bot:
        assert bot.app.updater is None  # PTB under our web server: no updater, no server of its own
        assert bot.root.web is not None
        [hook] = api.calls_to("setWebhook")
        assert hook.params["url"] == "https://bot.example.gov.vn/telegram"
        assert hook.params["secret_token"] == "s3cret-Token_1"
        update = {"update_id": 1, **message("/channels cần thơ")}
        url = f"{bot.root.web.url}telegram"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as refused:
                assert refused.status == 403
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_"}) \
                    as wrong:
                assert wrong.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            async with http.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        await api.wait_for(lambda calls: any(c.method == "sendPhoto" for c in calls))
        assert len(api.calls_to("sendPhoto")) == 1  # the refused post did nothing


async def test_notices_are_paged_newest_first(bot: Harness) -> None:
    from bot.models import Notice

    async with bot.registry.store.transaction():
        for year in range(2020, 2024):
            await bot.registry.store.insert_notice(Notice(
                id=0, place_slug="old_soc_trang", issuer=f"UBND tỉnh Sóc Trăng {year}", number=None,
                number_suffix=None, year=year, month=None, day=None, location=None, subject=f"V/v kênh {year}",
                summary=None, signer=None, signer_title=None), None)
    [first] = sent(await bot.send(message("/notice cần thơ")), "sendMessage")
    text = first.params["text"]
    assert "Trang 1/2" in text and text.index("11/2025") < text.index("UBND tỉnh Sóc Trăng 2023")
    assert "notice|can_tho 2" in [b.get("callback_data") for b in buttons(first)]
    [second] = sent(await bot.send(callback("notice|can_tho 2")), "sendMessage")
    assert "Trang 2/2" in second.params["text"] and "UBND tỉnh Sóc Trăng 2020" in second.params["text"]


async def test_paging_a_menu_that_can_no_longer_be_edited_sends_the_page_anew(bot: Harness) -> None:
    calls = await bot.send(callback("units|3", message_id=424242))
    [page] = sent(calls, "sendMessage")
    assert "Trang 3/3" in page.params["text"] and sent(calls, "answerCallbackQuery")


async def test_a_rejected_token_is_reported_without_the_token(settings: Settings, api: FakeBotApi) -> None:
    import asyncio
    import os
    import sys

    from bot.config import ROOT

    wrong = "999999:WRONG-token_zyxwvutsrqponmlkjihgfedcba"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_BASE_URL": api.base_url,
           "BOT_DB_PATH": str(settings.db_path), "NO_PROXY": "127.0.0.1,localhost"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    logs = (out + err).decode()
    assert "rejected TELEGRAM_BOT_TOKEN" in logs and wrong not in logs and "WRONG-token" not in logs


async def test_a_sticker_in_private_gets_a_hint_not_silence(bot: Harness) -> None:
    update = message("", user=EN_USER)
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "CAAC", "file_unique_id": "u", "type": "regular", "width": 512,
                                    "height": 512, "is_animated": False, "is_video": False}
    [hint] = sent(await bot.send(update), "sendMessage")
    assert hint.params["text"].startswith("I read text only")


async def test_a_lang_choice_holds_in_inline_mode_too(bot: Harness) -> None:
    vi_user = {"id": 31337, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    [before] = [c for c in await bot.send(inline("cần thơ", user=vi_user)) if c.method == "answerInlineQuery"]
    assert "Kênh thông tin chính thức" in json.dumps(before.params["results"], ensure_ascii=False)
    await bot.send(message("/lang en", user=vi_user))
    [after] = [c for c in await bot.send(inline("cần thơ", user=vi_user)) if c.method == "answerInlineQuery"]
    text = json.dumps(after.params["results"], ensure_ascii=False)
    assert "Official channels" in text and "Kênh thông tin chính thức" not in text


async def test_a_page_button_sent_before_the_upgrade_still_turns_the_page(bot: Harness) -> None:
    [menu] = sent(await bot.send(message("/channels")), "sendMessage")
    calls = await bot.send(callback("page|units|2", message_id=_msg_id(bot, menu)))
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert edit.error is None and "Trang 2/3" in edit.params["text"]


async def test_every_text_the_bot_sends_is_html_without_link_previews(bot: Harness) -> None:
    """Each call says how its text is formatted (no PTB Defaults fill it in): a caption, a message, an edited
    page, an album's caption and both kinds of inline result. Without parse_mode the user would see "<b>"."""
    await _add_long_hanoi_channels(bot)
    calls = [*await bot.send(message("/channels cần thơ")), *await bot.send(message("/channels hà nội"))]
    [menu] = sent(await bot.send(message("/channels")), "sendMessage")
    calls += [menu, *await bot.send(callback("units|2", message_id=_msg_id(bot, menu)))]
    calls += [*await bot.send(inline("cần thơ")), *await bot.send(inline("vĩnh long")),  # a card not sent yet
              *await bot.send(inline("https://zalo.me/3460461954401350861"))]
    texts = sent(calls, "sendMessage", "editMessageText")
    captions = sent(calls, "sendPhoto")
    [album] = sent(calls, "sendMediaGroup")
    results = [r for c in sent(calls, "answerInlineQuery") for r in c.params["results"]]
    assert texts and captions and [r["type"] for r in results] == ["photo", "article", "article"]
    for call in texts:
        assert call.params["parse_mode"] == "HTML" and call.params["link_preview_options"] == {"is_disabled": True}
    for call in captions:
        assert call.params["parse_mode"] == "HTML" and call.params["caption"].startswith("<b>")
    assert album.params["media"][0]["parse_mode"] == "HTML"
    for result in results:
        content = result.get("input_message_content") or result
        assert content["parse_mode"] == "HTML"
