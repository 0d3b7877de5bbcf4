"""Issue 11, item 6, where the user sees it: the bot asks when several places match, answers greetings with the
help text, and suggests nothing for nonsense — end to end on the fake Bot API and in the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakebot.server import Call
from tests.fakebot.updates import EN_USER, message
from tests.telegram_harness import Harness
from tests.test_console import run_console


def sent(calls: list[Call], *methods: str) -> list[Call]:
    return [c for c in calls if c.method in methods and c.error is None]


def buttons(call: Call) -> list[dict[str, Any]]:
    return [b for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def texts(calls: list[Call]) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in sent(
        calls, "sendMessage", "sendPhoto"))


async def test_long_offers_vinh_long_and_long_an(bot: Harness) -> None:
    calls = await bot.send(message("long"))
    assert not sent(calls, "sendPhoto")  # no card: it asks
    [reply] = sent(calls, "sendMessage")
    assert "nhiều nơi" in reply.params["text"]
    assert [(b["text"], b["callback_data"]) for b in buttons(reply)] == [
        ("Vĩnh Long", "channels|vinh_long"), ("Long An (cũ) → Tây Ninh", "channels|old_long_an")]


async def test_ninh_offers_every_place_with_ninh(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("/channels ninh")), "sendMessage")
    assert {b["callback_data"] for b in buttons(reply)} == {
        "channels|bac_ninh", "channels|ninh_binh", "channels|quang_ninh", "channels|tay_ninh",
        "channels|old_ninh_thuan"}


@pytest.mark.parametrize("greeting", ["help", "xin chào", "giúp", "hướng dẫn", "hi"])
async def test_greetings_and_help_get_the_help_text(bot: Harness, greeting: str) -> None:
    [reply] = sent(await bot.send(message(greeting)), "sendMessage")
    text = reply.params["text"]
    assert "Cách dùng" in text and "/channels" in text
    assert "Không tìm thấy" not in text and "Có phải" not in text


async def test_help_in_english(bot: Harness) -> None:
    [reply] = sent(await bot.send(message("hello", user=EN_USER)), "sendMessage")
    assert "How to use" in reply.params["text"]


@pytest.mark.parametrize("nonsense", ["123", "zz", "thủ đô", "asdf"])
async def test_nonsense_gets_no_suggestion(bot: Harness, nonsense: str) -> None:
    [reply] = sent(await bot.send(message(nonsense)), "sendMessage")
    assert "Không tìm thấy" in reply.params["text"] and "Có phải" not in reply.params["text"]
    assert not [b for b in buttons(reply) if b.get("callback_data", "").startswith("channels|")]


@pytest.mark.parametrize(("query", "name"), [("fanpage cần thơ", "Thành phố Cần Thơ"),
                                             ("cho tôi kênh của Đồng Tháp", "Tỉnh Đồng Tháp"),
                                             ("cổng thông tin cần thơ", "Thành phố Cần Thơ"),
                                             ("thủ đô hà nội", "Thành phố Hà Nội")])
async def test_queries_with_filler_words_get_the_card(bot: Harness, query: str, name: str) -> None:
    calls = await bot.send(message(query))
    assert f"Kênh thông tin chính thức — {name}" in texts(calls)


async def test_hoi_an_is_part_of_da_nang(bot: Harness) -> None:
    text = texts(await bot.send(message("/channels Hội An")))
    assert "Kênh thông tin chính thức — Thành phố Đà Nẵng" in text and "Quảng Nam (cũ)" in text


async def test_the_units_menu_is_in_vietnamese_order(bot: Harness) -> None:
    [menu] = sent(await bot.send(message("/channels")), "sendMessage")
    labels = [b["text"].split(" · ")[0] for b in buttons(menu) if b["callback_data"].startswith("channels|")]
    assert labels.index("Cà Mau") < labels.index("Cao Bằng") < labels.index("Cần Thơ")


def test_console_asks_back_and_helps(tmp_path: Path) -> None:
    out = run_console(tmp_path, "long\nxin chào\nthủ đô\n")
    first, rest = out.split("Cách dùng", 1)
    assert "Vĩnh Long" in first and "Long An (cũ) → Tây Ninh" in first
    assert "/channels" in rest and "Không tìm thấy" in rest and "Có phải" not in rest
