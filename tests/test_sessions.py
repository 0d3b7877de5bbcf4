"""No per-user memory without state (issue 12): a user who only asks leaves nothing behind; a guided
conversation keeps a session while it is open and drops it when it ends."""

from __future__ import annotations

from bot.sessions import Sessions
from tests.fakebot.updates import message
from tests.telegram_harness import SUPER_ADMIN, Harness

ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Admin", "language_code": "vi"}


async def test_users_without_state_leave_nothing_in_memory(bot: Harness) -> None:
    for uid in range(1, 201):
        user = {"id": 50_000 + uid, "is_bot": False, "first_name": "U", "language_code": "vi"}
        await bot.send(message("/channels cần thơ" if uid % 2 else "cần thơ", user=user))
    assert len(bot.app.user_data) == 0 and len(bot.app.chat_data) == 0
    assert len(bot.app.bot_data["sessions"]) == 0


async def test_a_conversation_keeps_a_session_only_while_it_is_open(bot: Harness) -> None:
    sessions: Sessions = bot.app.bot_data["sessions"]
    await bot.send(message("/addnotice", user=ADMIN))
    assert len(sessions) == 1
    await bot.send(message("cần thơ", user=ADMIN))  # the next answer goes to the conversation
    assert len(sessions) == 1 and "addnotice" in sessions.of(SUPER_ADMIN, SUPER_ADMIN)
    await bot.send(message("/cancel", user=ADMIN))
    assert len(sessions) == 0 and len(bot.app.user_data) == 0


def test_sessions_are_bounded_and_the_oldest_goes_first() -> None:
    sessions = Sessions(capacity=3)
    for i in range(5):
        sessions.of(i, i)["x"] = i
    assert len(sessions) == 3 and "x" not in sessions.of(0, 0) and sessions.of(4, 4)["x"] == 4
    untouched = sessions.of(99, 99)
    assert "x" not in untouched and len(sessions) == 3  # reading stores nothing


async def test_distinct_users_through_the_update_processor_leave_no_per_user_entries(bot: Harness) -> None:
    """The path of a real update (the per-chat ordering, the rate limiter, PTB's per-chat/user dicts): nothing
    is left per user once their updates are answered."""
    from telegram import Update

    from bot.frontends.telegram import ChatOrderedProcessor

    app = bot.app
    processor = app.update_processor
    assert isinstance(processor, ChatOrderedProcessor)
    for uid in range(1, 151):
        user = {"id": 70_000 + uid, "is_bot": False, "first_name": "U", "language_code": "en" if uid % 3 else "vi"}
        text = ("/channels cần thơ", "/verify https://zalo.me/3460461954401350861", "/notice cần thơ")[uid % 3]
        update = Update.de_json({"update_id": 90_000 + uid, **message(text, user=user)}, app.bot)
        await processor.process_update(update, app.process_update(update))
    assert processor._locks == {}
    assert len(app.user_data) == 0 and len(app.chat_data) == 0
    assert len(app.bot_data["sessions"]) == 0
    limiter = getattr(app.bot, "rate_limiter", None)
    assert limiter is None or not getattr(limiter, "_group_limiters", {})  # private chats: no per-chat limiter
