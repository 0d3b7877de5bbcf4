"""Behaviours a review found the suite would not notice if they broke (one-line mutants that survived): each
test here fails when its behaviour is switched off."""

from __future__ import annotations

import asyncio
import json

from telegram import Update

from bot.frontends.telegram import ChatOrderedProcessor
from bot.transfer import export_registry
from tests.fakebot.server import Call
from tests.fakebot.updates import callback, message, private_chat
from tests.telegram_harness import SUPER_ADMIN, Harness

ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Quản trị", "language_code": "vi"}
ZALO = "https://zalo.me/3460461954401350861"
NEW_PAGE = "https://www.facebook.com/canthotv.official"


def texts(calls: list[Call]) -> str:
    return "\n".join(c.params.get("text") or c.params.get("caption") or "" for c in calls if c.error is None)


def button(calls: list[Call], word: str) -> str:
    for c in calls:
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b.get("callback_data", "").startswith(word + "|"):
                    return str(b["callback_data"])
    raise AssertionError(f"no {word} button")


async def test_an_import_updates_an_existing_channel(bot: Harness) -> None:
    data = await export_registry(bot.registry.store)
    for c in data["channels"]:
        if c["url"] == ZALO:
            c["name"] = "Zalo OA Cần Thơ (tên mới)"
    update = message("", user=ADMIN)
    del update["message"]["text"]
    update["message"]["caption"] = "/import"
    update["message"]["document"] = {"file_id": "doc-1", "file_unique_id": "d1", "file_name": "registry.json",
                                     "file_size": 100}
    bot.api.files["doc-1"] = json.dumps(data, ensure_ascii=False).encode()
    preview = await bot.send(update)
    assert "sửa 1" in texts(preview)
    await bot.send(callback(button(preview, "yes"), user=ADMIN))
    channel = await bot.registry.store.channel_by_url(ZALO)
    assert channel is not None and channel.name == "Zalo OA Cần Thơ (tên mới)"


async def test_cancel_cancels_and_a_later_confirm_changes_nothing(bot: Harness) -> None:
    preview = await bot.send(message(f"/editchannel {ZALO} name Tên khác", user=ADMIN))
    cancelled = await bot.send(callback(button(preview, "no"), user=ADMIN))
    assert "Đã hủy. Không có gì thay đổi." in texts(cancelled)
    confirmed = await bot.send(callback(button(preview, "yes"), user=ADMIN))
    assert "đã được xử lý trước đó" in texts(confirmed) and "Đã lưu" not in texts(confirmed)
    channel = await bot.registry.store.channel_by_url(ZALO)
    assert channel is not None and channel.name == "Cổng TTĐT Cần Thơ"


async def test_the_retire_preview_names_the_successor(bot: Harness) -> None:
    preview = texts(await bot.send(message(f"/retirechannel {ZALO} {NEW_PAGE}", user=ADMIN)))
    assert "XEM TRƯỚC" in preview and NEW_PAGE in preview and ZALO not in preview.split("XEM TRƯỚC", 1)[1].split(
        "\n", 2)[2]


async def test_updates_of_one_chat_run_one_at_a_time_in_order_while_other_chats_go_on(bot: Harness) -> None:
    processor = ChatOrderedProcessor(8)
    order: list[str] = []

    def update_of(chat_id: int) -> Update:
        user = {"id": chat_id, "is_bot": False, "first_name": "U"}
        return Update.de_json({"update_id": chat_id, **message("x", user=user, chat=private_chat(user))},
                              bot.app.bot)

    async def work(name: str, seconds: float) -> None:
        order.append(f"{name} start")
        await asyncio.sleep(seconds)
        order.append(f"{name} end")

    await asyncio.gather(
        processor.do_process_update(update_of(1), work("a1", 0.05)),
        processor.do_process_update(update_of(1), work("a2", 0.0)),
        processor.do_process_update(update_of(2), work("b1", 0.0)),
    )
    assert order.index("a1 end") < order.index("a2 start")  # the same chat: in turn
    assert order.index("b1 end") < order.index("a1 end")  # another chat: not held up
    assert processor._locks == {}  # nothing kept per chat afterwards
