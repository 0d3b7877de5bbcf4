"""The floors the project is measured against, each a bot process on the same fake Bot API:

- `echo_default`: PTB's default echo bot (ApplicationBuilder defaults: httpx, one update at a time);
- `echo_project`: an echo bot on the project's transport (AiohttpRequest) and concurrency (ChatOrderedProcessor);
- `payload_project`: a minimal PTB bot on that same transport sending the project's exact `/channels cần thơ`
  payload (the same cached photo file_id, caption and keyboard) to every message: what PTB itself costs for it;
- `payload_aiogram`: an aiogram 3 bot sending the same payload (aiogram is installed for the benchmark only).

Usage: TELEGRAM_BOT_TOKEN=… TELEGRAM_BASE_URL=… BOT_DB_PATH=… python -m bench.floors MODE
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any

from telegram import InputFile, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.frontends.telegram import Transport

TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
BASE = os.environ.get("TELEGRAM_BASE_URL", "")
CONCURRENCY = int(os.environ.get("BOT_CONCURRENCY", "32"))


async def payload_parts(settings: Settings | None = None) -> tuple[bytes, str, dict[str, Any]]:
    """The project's reply to `/channels cần thơ`: card PNG, caption (HTML) and keyboard, built by its own code
    (from the environment's settings unless given)."""
    from bot.config import Settings
    from bot.frontends.telegram import keyboard
    from bot.frontends.telegram_text import to_html
    from bot.replies import images_of
    from bot.runtime import open_registry
    from handlers import COMMANDS, Context

    registry = await open_registry(settings or Settings.from_env())
    ctx = Context(registry, "vi", 1)
    reply = await COMMANDS["channels"](ctx, "cần thơ")
    [image] = images_of(reply.image)
    markup = keyboard(reply, "vi")
    await registry.store.close()
    return image.png, to_html(reply.lines), markup.to_dict() if markup else {}


def project_builder(transport: Transport | None = None, token: str = TOKEN) -> ApplicationBuilder:
    """PTB on the project's transport (or another: bench/own_cost.py's in-process one) and concurrency."""
    from bot.frontends.telegram import ChatOrderedProcessor, aiohttp_transport

    carry = transport or aiohttp_transport
    return (ApplicationBuilder().token(token).base_url(BASE)
            .request(carry(CONCURRENCY + 4, 5.0)).get_updates_request(carry(2, 5.0))
            .concurrent_updates(ChatOrderedProcessor(CONCURRENCY)))


def add_payload(app: Application, caption: str, markup_dict: dict[str, Any], file_id: dict[str, str]) -> None:
    """Floor (c)'s one handler: the project's `/channels cần thơ` payload (photo by file_id, caption, keyboard)
    to every message."""
    from telegram import InlineKeyboardMarkup
    from telegram.constants import ParseMode

    markup = InlineKeyboardMarkup.de_json(markup_dict, None)

    async def payload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await context.bot.send_photo(update.effective_chat.id, file_id["file_id"], caption=caption,
                                         parse_mode=ParseMode.HTML, reply_markup=markup)

    app.add_handler(MessageHandler(filters.ALL, payload))


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def run_ptb(mode: str) -> None:
    if mode == "echo_default":
        app = ApplicationBuilder().token(TOKEN).base_url(BASE).build()
        app.add_handler(MessageHandler(filters.ALL, echo))
        app.run_polling()
        return
    app = project_builder().build()
    if mode == "echo_project":
        app.add_handler(MessageHandler(filters.ALL, echo))
        app.run_polling()
        return
    png, caption, markup_dict = asyncio.run(payload_parts())
    state: dict[str, str] = {}

    async def post_init(application: Any) -> None:
        sent = await application.bot.send_photo(1, InputFile(png, filename="can_tho.png"))
        state["file_id"] = sent.photo[-1].file_id

    app.post_init = post_init
    add_payload(app, caption, markup_dict, state)
    app.run_polling()


def run_aiogram() -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

    png, caption, markup_dict = asyncio.run(payload_parts())

    async def main() -> None:
        server = TelegramAPIServer.from_base(BASE.removesuffix("/bot"))
        bot = Bot(TOKEN, session=AiohttpSession(api=server))
        sent = await bot.send_photo(1, BufferedInputFile(png, filename="can_tho.png"))
        file_id = sent.photo[-1].file_id if sent.photo else ""
        markup = InlineKeyboardMarkup.model_validate(markup_dict)
        dp = Dispatcher()

        @dp.message()
        async def payload(message: Message) -> None:
            await bot.send_photo(message.chat.id, file_id, caption=caption, parse_mode="HTML", reply_markup=markup)

        await dp.start_polling(bot, handle_signals=True)

    asyncio.run(main())


if __name__ == "__main__":
    mode = sys.argv[1]
    run_aiogram() if mode == "payload_aiogram" else run_ptb(mode)
