"""The floor: a bare python-telegram-bot echo bot on the same harness (same concurrency, no rate limiter).

Usage: TELEGRAM_BOT_TOKEN=… TELEGRAM_BASE_URL=… python -m bench.echo_bot
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(os.environ["TELEGRAM_BASE_URL"])
           .concurrent_updates(int(os.environ.get("BOT_CONCURRENCY", "16")))
           .connection_pool_size(int(os.environ.get("BOT_CONCURRENCY", "16")) + 4).build())
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling()


if __name__ == "__main__":
    main()
