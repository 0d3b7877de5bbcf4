"""Subscriptions and change alerts below the front-ends: the commands through the dispatcher, the alerts a
confirmed change writes in its own transaction (folding, undo), the delivery worker against a courier that
records what it was handed (real store, real worker, real composer), and the pacing arithmetic."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import alerts
from bot.changes import Changes, Outcome
from bot.outbox import CRASH_NOTE, ChatGone, ChatMoved, OutboxWorker, Rejected, RetryLater, Traffic
from bot.pacing import Pace, fan_out_seconds, telegram_pace
from bot.people import CONSOLE_USER, TELEGRAM, ZALO, Person
from bot.replies import Reply, to_plain
from bot.services import Registry
from handlers import Context, Dispatcher
from handlers.alerts import AlertComposer
from handlers.dispatch import ChatEnded, CommandInput
from handlers.dispatch import ChatMoved as ChatMovedNews

ADMIN = Person(TELEGRAM, "999")
MEMBER = Person(TELEGRAM, "555")
FANPAGE = "https://www.facebook.com/congthongtincantho"
NEW_PAGE = "https://www.facebook.com/cantho.gov.vn"


def group_ctx(registry: Registry, who: Person, *, admin: bool | None, chat: str = "-100") -> Context:
    async def chat_admin() -> bool:
        return bool(admin)

    return Context(registry, "vi", who, "N", chat=chat, private=False, super_admins=frozenset({ADMIN}),
                   chat_admin=None if admin is None else chat_admin)


def private_ctx(registry: Registry, who: Person, lang: str = "vi") -> Context:
    return Context(registry, lang, who, "N", chat=who.id, super_admins=frozenset({ADMIN}))


async def say(dispatcher: Dispatcher, ctx: Context, name: str, args: str = "") -> str:
    replies = await dispatcher.dispatch(ctx, CommandInput(name, args))
    return "\n".join(to_plain(r.lines) for r in replies)


async def retire_fanpage(registry: Registry, successor: str = NEW_PAGE) -> None:
    channel = await registry.store.channel_by_url(FANPAGE)
    assert channel is not None
    changes = Changes(registry)
    token = await changes.propose(ADMIN, "retire_channel", {"channel_id": channel.id, "successor_url": successor,
                                                           "successor_platform": "facebook"})
    assert (await changes.confirm(token, ADMIN, "Admin")).outcome == Outcome.APPLIED


async def outbox_rows(registry: Registry) -> list[tuple[Any, ...]]:
    rows = await registry.store._all("SELECT kind, ref, platform, chat_id, lang, state FROM outbox ORDER BY id")
    return [tuple(r) for r in rows]


# --- the commands ---------------------------------------------------------------------------------------------
async def test_a_group_subscribes_only_through_its_own_administrators(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    refused = await say(dispatcher, group_ctx(registry, MEMBER, admin=False), "subscribe", "cần thơ")
    assert "quản trị viên của nhóm" in refused and "Không có gì thay đổi" in refused
    unsupported = await say(dispatcher, group_ctx(registry, MEMBER, admin=None), "subscribe", "cần thơ")
    assert "nhắn riêng" in unsupported
    assert await registry.store.subscriptions_of(TELEGRAM, "-100") == []
    done = await say(dispatcher, group_ctx(registry, MEMBER, admin=True), "subscribe", "cần thơ")
    assert "Đã đăng ký theo dõi: Cần Thơ" in done and "nhóm này" in done
    [sub] = await registry.store.subscriptions_of(TELEGRAM, "-100")
    assert (sub.unit_slug, sub.lang, sub.subscribed_by) == ("can_tho", "vi", "telegram:555")
    # A plain member may still see what the group follows, but not end it.
    assert "Cần Thơ" in await say(dispatcher, group_ctx(registry, MEMBER, admin=False), "subscriptions")
    assert "quản trị viên" in await say(dispatcher, group_ctx(registry, MEMBER, admin=False), "unsubscribe", "all")
    assert len(await registry.store.subscriptions_of(TELEGRAM, "-100")) == 1


async def test_a_former_province_subscribes_its_unit_and_says_so(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    me = Person(ZALO, "u1")
    text = await say(dispatcher, private_ctx(registry, me), "subscribe", "bến tre, cần thơ; vinh long")
    assert "Bến Tre" in text and "nay thuộc Vĩnh Long" in text
    assert "Đã đăng ký theo dõi: Vĩnh Long, Cần Thơ." in text
    assert sorted(s.unit_slug for s in await registry.store.subscriptions_of(ZALO, "u1")) == ["can_tho", "vinh_long"]


async def test_unknown_names_and_empty_commands_get_an_answer_and_change_nothing(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    me = Person(ZALO, "u2")
    assert "/subscribe" in await say(dispatcher, private_ctx(registry, me), "subscribe", "")
    unknown = await say(dispatcher, private_ctx(registry, me), "subscribe", "xyzzy")
    assert "xyzzy" in unknown
    assert "chưa theo dõi" in await say(dispatcher, private_ctx(registry, me), "subscriptions")
    partly = await say(dispatcher, private_ctx(registry, me), "subscribe", "cần thơ, xyzzy")
    assert "Cần Thơ" in partly and "xyzzy" in partly
    assert [s.unit_slug for s in await registry.store.subscriptions_of(ZALO, "u2")] == ["can_tho"]
    assert "không theo dõi: Hà Nội" in await say(dispatcher, private_ctx(registry, me), "unsubscribe", "hà nội")
    assert "Đã thôi theo dõi: Cần Thơ" in await say(dispatcher, private_ctx(registry, me), "unsubscribe", "tất cả")
    assert await registry.store.subscriptions_of(ZALO, "u2") == []
    assert "chưa theo dõi" in await say(dispatcher, private_ctx(registry, me), "unsubscribe", "all")


async def test_english_and_stats_for_admins_only(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    me = Person(TELEGRAM, "77")
    assert "Subscribed to: Cần Thơ" in await say(dispatcher, private_ctx(registry, me, "en"), "subscribe",
                                                  "can tho")
    assert "quản trị viên" in await say(dispatcher, private_ctx(registry, me), "stats")
    stats = await say(dispatcher, private_ctx(registry, ADMIN), "stats")
    assert "1 đăng ký trên 1 đơn vị" in stats and "Cần Thơ: 1" in stats


async def test_the_platforms_news_ends_or_moves_a_chats_subscriptions(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    for chat in ("-1", "-2"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await dispatcher.chat_news(group_ctx(registry, MEMBER, admin=None, chat="-1"), ChatEnded("kicked"))
    await dispatcher.chat_news(group_ctx(registry, MEMBER, admin=None, chat="-2"), ChatMovedNews("-1002"))
    assert await registry.store.subscriptions_of(TELEGRAM, "-1") == []
    assert await registry.store.subscriptions_of(TELEGRAM, "-2") == []
    assert [s.unit_slug for s in await registry.store.subscriptions_of(TELEGRAM, "-1002")] == ["can_tho"]


# --- alerts written with the change ------------------------------------------------------------------------------
async def test_a_confirmed_change_writes_one_alert_row_per_subscribed_chat(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    store = registry.store
    await store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    await store.subscribe(ZALO, "z1", "can_tho", "en", "zalo:z1")
    await store.subscribe(TELEGRAM, "-11", "ha_noi", "vi", "telegram:1")  # another unit: not told
    await retire_fanpage(registry)
    rows = await outbox_rows(registry)
    assert sorted((r[2], r[3], r[4], r[5]) for r in rows) == [("telegram", "-10", "vi", "pending"),
                                                              ("zalo", "z1", "en", "pending")]
    found = await store.alert(rows[0][1])
    assert found is not None and found[0] == "can_tho" and len(found[1]) == 1


async def test_changes_in_a_row_fold_into_one_follow_up_and_undo_sends_a_correction(
        setup: tuple[Registry, Dispatcher], monkeypatch: pytest.MonkeyPatch) -> None:
    registry, _ = setup
    store = registry.store
    await store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)  # the first alert: due at once
    [(first, due_first)] = [(a, d) for a, d in [await store.newest_alert("can_tho") or (0, 0.0)]]
    changes = Changes(registry)
    zalo = await store.channel_by_url("https://zalo.me/3460461954401350861")
    assert zalo is not None
    token = await changes.propose(ADMIN, "edit_channel", {"channel_id": zalo.id, "fields": {"name": "Zalo OA mới"}})
    assert (await changes.confirm(token, ADMIN, "Admin")).outcome == Outcome.APPLIED
    assert (await changes.undo(ADMIN, "Admin")).outcome == Outcome.APPLIED
    newest = await store.newest_alert("can_tho")
    assert newest is not None
    follow_up, due = newest
    assert follow_up != first and due == pytest.approx(due_first + alerts.FOLD_SECONDS)
    _unit, audit_ids = await store.alert(follow_up) or ("", [])
    assert len(audit_ids) == 2  # the edit and its undo, told together
    assert [r[1] for r in await outbox_rows(registry)] == [first, follow_up]  # one row per alert for the chat
    # The follow-up's text: the rename, then the correction.
    ctx = Context(registry, "vi", CONSOLE_USER)
    from handlers.alerts import alert_reply

    text = to_plain((await alert_reply(ctx, follow_up) or Reply()).lines)
    assert "Đổi tên" in text and "Đính chính" in text


async def test_an_alert_names_the_old_and_new_links_then_the_new_card(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    [row] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    reply = await AlertComposer(registry)(row)
    assert reply is not None
    text = to_plain(reply.lines)
    assert "Ngừng sử dụng: " in text and f"{FANPAGE} → thay bằng {NEW_PAGE}" in text
    card = text.split("Danh sách hiện hành:")[1]
    assert NEW_PAGE in card and FANPAGE not in card and "/unsubscribe can_tho" in text
    assert reply.image is not None


async def test_an_alert_is_made_once_for_every_chat_until_its_unit_changes(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    for chat in ("-10", "-11"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    first, second = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    compose = AlertComposer(registry)
    made = await compose(first)
    assert made is not None and await compose(second) is made  # one Reply, rendered once, for both chats
    registry.changed("can_tho")  # a write: the card may have changed
    again = await compose(second)
    assert again is not made and again is not None and to_plain(again.lines) == to_plain(made.lines)


async def test_a_change_to_a_former_province_alerts_its_unit(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    async with registry.store.transaction():
        audit_id = await registry.store.add_audit(actor=ADMIN, actor_name=None, action="test", place_slug=None,
                                                  entity="channel", entity_id=None, before=None, after=None)
        await alerts.queue_alerts(registry.store, registry.places, audit_id, ["old_ben_tre"], now=0.0)
    assert await registry.store.newest_alert("vinh_long") is not None  # a former province's unit is told
    assert await registry.store.newest_alert("old_ben_tre") is None  # not the former province itself


async def test_five_changes_20_seconds_apart_make_two_alerts(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    store = registry.store
    await store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    made = []
    for i in range(5):
        async with store.transaction():
            audit_id = await store.add_audit(actor=ADMIN, actor_name=None, action="edit_channel",
                                             place_slug="can_tho", entity="channel", entity_id=None, before=None,
                                             after=None)
            made += await alerts.queue_alerts(store, registry.places, audit_id, ["can_tho"], now=1000.0 + 20 * i)
    assert made == [made[0], made[1], made[1], made[1], made[1]] and made[0] != made[1]
    rows = await store.due_outbox(10**12, [TELEGRAM], 10)
    assert [(r.ref, r.next_at) for r in rows] == [(made[0], 1000.0), (made[1], 1000.0 + alerts.FOLD_SECONDS)]
    async with store.transaction():  # long after: at once again
        audit_id = await store.add_audit(actor=ADMIN, actor_name=None, action="edit_channel", place_slug="can_tho",
                                         entity="channel", entity_id=None, before=None, after=None)
        [late] = await alerts.queue_alerts(store, registry.places, audit_id, ["can_tho"], now=5000.0)
    assert (await store.due_outbox(10**12, [TELEGRAM], 10))[-1].next_at == 5000.0 and late not in made


async def test_a_reverify_stamp_tells_nobody_but_is_audited(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    stamped = await say(dispatcher, private_ctx(registry, ADMIN), "reverify", FANPAGE)
    assert FANPAGE in stamped
    assert (await registry.store.all_audit())[-1].action == "reverify"
    assert await outbox_rows(registry) == [] and await registry.store.newest_alert("can_tho") is None


# --- the delivery worker ------------------------------------------------------------------------------------------
class RecordingCourier:
    """A courier that keeps what it was handed, and answers as told (per chat: an exception to raise once)."""

    def __init__(self, platform: str = TELEGRAM, pace: Pace | None = None) -> None:
        self.platform = platform
        self.pace = pace or Pace(per_second=1000.0)
        self.sent: list[tuple[str, str]] = []
        self.fail: dict[str, list[Exception]] = {}

    def cost(self, reply: Reply, lang: str) -> int:
        return 1

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        failures = self.fail.get(chat_id)
        if failures:
            raise failures.pop(0)
        self.sent.append((chat_id, to_plain(reply.lines[:1])))


async def deliver_all(registry: Registry, courier: RecordingCourier, clock: list[float] | None = None) -> None:
    now = clock or [10**10]
    worker = OutboxWorker(registry.store, {courier.platform: courier}, AlertComposer(registry), Traffic(),
                          clock=lambda: now[0])
    await worker.drain()


async def test_each_chat_is_told_once_and_failures_are_handled_per_kind(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    store = registry.store
    for chat in ("-1", "-2", "-3", "-4", "-5"):
        await store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    courier = RecordingCourier()
    courier.fail = {"-2": [RetryLater("429", 30.0)], "-3": [ChatGone("kicked")], "-4": [ChatMoved("-1004")],
                    "-5": [Rejected("message is too long")]}
    await retire_fanpage(registry)
    clock = [10.0**10]
    await deliver_all(registry, courier, clock)
    assert sorted(chat for chat, _ in courier.sent) == ["-1", "-1004"]
    assert all("Cần Thơ" in first for _, first in courier.sent)
    states = {r[3]: r[5] for r in await outbox_rows(registry)}
    assert states == {"-1": "sent", "-2": "pending", "-3": "dropped", "-1004": "sent", "-5": "failed"}
    assert await store.subscriptions_of(TELEGRAM, "-3") == []  # the bot was removed: it ended there
    assert [s.chat_id for s in await store.subscriptions_of(TELEGRAM, "-1004")] == ["-1004"]
    [waiting] = [r for r in await store.due_outbox(10**12, [TELEGRAM], 10)]
    assert waiting.next_at == clock[0] + 30.0  # the retry_after asked for
    await deliver_all(registry, courier, clock)  # not yet due
    assert len(courier.sent) == 2
    clock[0] += 31
    await deliver_all(registry, courier, clock)
    assert sorted(chat for chat, _ in courier.sent) == ["-1", "-1004", "-2"]
    await deliver_all(registry, courier, [10.0**12])
    assert len(courier.sent) == 3  # nothing is ever sent twice
    tally = await store.outbox_tally()
    assert (tally.sent, tally.pending, tally.failed, tally.dropped) == (3, 0, 1, 1)


async def test_transient_failures_back_off_and_give_up_in_the_end(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    courier = RecordingCourier()
    courier.fail = {"-1": [RetryLater("502") for _ in range(20)]}
    clock = [10.0**10]
    waits = []
    for _ in range(12):
        await deliver_all(registry, courier, clock)
        rows = await registry.store.due_outbox(10**13, [TELEGRAM], 10)
        if not rows:
            break
        waits.append(rows[0].next_at - clock[0])
        clock[0] = rows[0].next_at
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0] and max(waits) <= 600
    assert [r[5] for r in await outbox_rows(registry)] == ["failed"]


async def test_a_row_in_flight_at_a_crash_is_counted_as_sent_never_sent_again(
        setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    store = registry.store
    await store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await store.subscribe(TELEGRAM, "-2", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    [first, _second] = await store.due_outbox(10**12, [TELEGRAM], 10)
    assert await store.claim(first.id) and not await store.claim(first.id)  # a claim is taken once
    courier = RecordingCourier()
    worker = OutboxWorker(store, {TELEGRAM: courier}, AlertComposer(registry), Traffic())
    await worker.start()  # the restart: the claimed row was in flight when the process died
    try:
        for _ in range(100):
            if courier.sent:
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()
    assert [chat for chat, _ in courier.sent] == ["-2"]
    rows = await store._all("SELECT chat_id, state, error FROM outbox ORDER BY chat_id")
    assert [tuple(r) for r in rows] == [("-1", "sent", CRASH_NOTE), ("-2", "sent", None)]


async def test_unsubscribing_drops_what_was_still_waiting(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    me = Person(TELEGRAM, "88")
    await say(dispatcher, private_ctx(registry, me), "subscribe", "cần thơ")
    await retire_fanpage(registry)
    await say(dispatcher, private_ctx(registry, me), "unsubscribe", "cần thơ")
    courier = RecordingCourier()
    await deliver_all(registry, courier)
    assert courier.sent == [] and [r[5] for r in await outbox_rows(registry)] == ["dropped"]


async def test_replies_go_first(setup: tuple[Registry, Dispatcher]) -> None:
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    traffic = Traffic()
    courier = RecordingCourier()
    worker = OutboxWorker(registry.store, {TELEGRAM: courier}, AlertComposer(registry), traffic)
    with traffic.answering():
        sending = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.3)
        assert courier.sent == []  # a user is being answered: the alert waits
    await sending
    assert [chat for chat, _ in courier.sent] == ["-1"]


async def test_history_counts_the_alerts_of_each_change(setup: tuple[Registry, Dispatcher]) -> None:
    registry, dispatcher = setup
    for chat in ("-1", "-2"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    courier = RecordingCourier()
    courier.fail = {"-2": [Rejected("no")]}
    await deliver_all(registry, courier)
    history = await say(dispatcher, private_ctx(registry, ADMIN), "history", "cần thơ")
    assert "Thông báo tới 2 cuộc trò chuyện: 1 đã gửi, 0 đang chờ, 1 lỗi" in history


# --- pacing ---------------------------------------------------------------------------------------------------
def test_the_pace_spaces_messages_and_keeps_each_groups_minute() -> None:
    pace = telegram_pace()
    starts = [pace.reserve(f"-{i}", 1, 0.0) for i in range(50)]
    assert starts[:3] == [0.0, 0.04, 0.08] and max(sum(1 for s in starts if t <= s < t + 1) for t in starts) <= 25
    group = Pace(per_second=1000.0, per_chat=20, chat_window=60.0, limited=lambda chat: chat.startswith("-"))
    for _ in range(20):
        assert group.chat_wait("-1", 1, 5.0) == 0.0
        group.reserve("-1", 1, 5.0)
    assert group.chat_wait("-1", 1, 6.0) == pytest.approx(59.0)  # full until the first send leaves the window
    assert group.chat_wait("-1", 1, 65.0) == 0.0
    assert group.chat_wait("42", 5, 6.0) == 0.0  # a private chat is not limited per minute here


def test_a_fan_out_to_ten_thousand_chats_takes_what_the_arithmetic_says() -> None:
    assert fan_out_seconds(10_000, 1, telegram_pace()) == pytest.approx(400.0)
    assert fan_out_seconds(10_000, 2, telegram_pace()) == pytest.approx(800.0)
