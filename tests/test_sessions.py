"""Per-user state (issues 9 and 12): a user who only asks leaves nothing behind, in memory or on disk; a guided
conversation is kept while it is open, survives a restart, and is dropped when it ends; the cache is bounded."""

from __future__ import annotations

from bot.config import Settings
from bot.people import Person
from bot.runtime import open_registry
from bot.userstate import UserState
from tests.fakebot.server import FakeBotApi
from tests.fakebot.updates import message
from tests.telegram_harness import SUPER_ADMIN, Harness, running_bot

ADMIN = {"id": SUPER_ADMIN, "is_bot": False, "first_name": "Admin", "language_code": "vi"}


async def conversation_rows(bot: Harness) -> int:
    return len(await bot.registry.store.conversation_keys())


async def test_users_without_state_leave_nothing_in_memory_or_on_disk(bot: Harness) -> None:
    for uid in range(1, 201):
        user = {"id": 50_000 + uid, "is_bot": False, "first_name": "U", "language_code": "vi"}
        await bot.send(message("/channels cần thơ" if uid % 2 else "cần thơ", user=user))
    assert len(bot.app.user_data) == 0 and len(bot.app.chat_data) == 0
    assert len(bot.state) == 0 and len(bot.state._cache) == 0 and await conversation_rows(bot) == 0


async def test_a_conversation_is_kept_while_it_is_open_and_survives_a_restart(
        settings: Settings, api: FakeBotApi) -> None:
    async with running_bot(settings, api) as bot:
        await bot.send(message("/addnotice", user=ADMIN))
        assert len(bot.state) == 1 and await conversation_rows(bot) == 1
    async with running_bot(settings, api) as bot:  # a restart: the next answer still goes to the conversation
        calls = await bot.send(message("cần thơ", user=ADMIN))
        text = " ".join(str(c.params.get("text", "")) for c in calls)
        assert "2/9 Cơ quan ban hành?" in text
        await bot.send(message("/cancel", user=ADMIN))
        assert len(bot.state) == 0 and await conversation_rows(bot) == 0 and len(bot.app.user_data) == 0


async def test_the_cache_is_bounded_and_what_falls_out_is_read_back(settings: Settings) -> None:
    registry = await open_registry(settings)
    try:
        state = UserState(registry.store, capacity=3)
        await state.load()
        for i in range(1, 6):
            await state.save(Person.telegram(i), "c", {"x": i})
        assert len(state._cache) == 3 and len(state) == 5
        assert await state.conversation(Person.telegram(1), "c") == {"x": 1}  # read back from the store
        assert await state.conversation(Person.telegram(99), "c") == {}  # no state: nothing looked up or kept
        assert len(state._cache) == 3
        again = UserState(registry.store)
        await again.load()
        assert await again.conversation(Person.telegram(5), "c") == {"x": 5}
        await again.save(Person.telegram(5), "c", {})
        assert await again.conversation(Person.telegram(5), "c") == {} and len(again) == 4
    finally:
        await registry.store.close()


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
    assert len(bot.state) == 0
    # PTB, without a persistence, would still keep every user's and chat's id for a persistence update
    # (bot.frontends.telegram._Application): ~0.2 KB per user, +10 MB at 100,000 users.
    assert app._user_ids_to_be_updated_in_persistence == set()
    assert app._chat_ids_to_be_updated_in_persistence == set()
    limiter = getattr(app.bot, "rate_limiter", None)
    assert limiter is None or not getattr(limiter, "_group_limiters", {})  # private chats: no per-chat limiter
