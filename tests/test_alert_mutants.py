"""Behaviours of group subscriptions and change alerts that a mutation run (mutmut, see README "Mutation testing")
showed no test would notice if they broke.

Each test names the surviving mutants it kills; each was checked to pass on the code and fail on its mutant.
They assert on what a user or an admin reads, what the store holds and when a row is due — never on mocks: a real
SQLite store, the real dispatcher, the real delivery worker and composer (the couriers record what they were
handed, as in tests/test_subscriptions.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot import alerts
from bot.changes import Changes, Outcome
from bot.digest import JOB, WeeklyDigest, week_start
from bot.i18n import EN, VI
from bot.models import AuditEntry
from bot.outbox import CRASH_NOTE, MAX_ATTEMPTS, ChatGone, ChatMoved, OutboxWorker, Rejected, RetryLater, Traffic
from bot.pacing import Pace, telegram_pace, zalo_pace
from bot.people import CONSOLE_USER, TELEGRAM, ZALO, Person
from bot.replies import Reply, to_plain
from bot.services import Registry
from bot.store import DIGEST, OutboxRow
from bot.upkeep import DIGEST_ENTRY_BUDGET, Due, digest_reply, due_channels, verified_date
from handlers import Dispatcher
from handlers.alerts import AlertComposer, alert_reply, change_lines
from handlers.context import Context
from handlers.dispatch import ChatEnded, CommandInput, PickInput
from tests.test_subscriptions import (
    ADMIN,
    FANPAGE,
    NEW_PAGE,
    RecordingCourier,
    group_ctx,
    private_ctx,
    retire_fanpage,
    say,
)
from tests.test_upkeep import add, fake_due, seeded_fresh

ZALO_ADMIN = Person(ZALO, "za1")
TELEGRAM_ADMIN = Person(TELEGRAM, "42")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plain(reply: Reply | None) -> str:
    assert reply is not None
    return to_plain(reply.lines)


async def state_of(registry: Registry, chat_id: str) -> list[tuple[Any, ...]]:
    rows = await registry.store._all("SELECT state, error FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,))
    return [tuple(r) for r in rows]


async def audit(registry: Registry, action: str = "edit_channel") -> int:
    return await registry.store.add_audit(actor=ADMIN, actor_name=None, action=action, place_slug="can_tho",
                                          entity="channel", entity_id=None, before=None, after=None)


async def queue(registry: Registry, units: list[str], now: float) -> list[int]:
    async with registry.store.transaction():
        return await alerts.queue_alerts(registry.store, registry.places, await audit(registry), units, now=now)


# --- bot/alerts.py: folding -------------------------------------------------------------------------------------
async def test_a_change_at_the_very_moment_its_alert_falls_due_gets_a_follow_up(setup: tuple[Registry, Any]) -> None:
    """queue_alerts__mutmut_15 (`due > now` → `>=`): an alert due now may be going out this instant; a change
    made then must not join it (it could be composed already) but make the follow-up."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    [first] = await queue(registry, ["can_tho"], 1000.0)
    [second] = await queue(registry, ["can_tho"], 1000.0)
    assert second != first
    rows = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    assert [(r.ref, r.next_at) for r in rows] == [(first, 1000.0), (second, 1000.0 + alerts.FOLD_SECONDS)]


# --- bot/digest.py ----------------------------------------------------------------------------------------------
def test_the_week_starts_on_the_whole_second() -> None:
    """week_start__mutmut_11 (microsecond not reset): a clock with a fraction of a second still gives 08:00:00."""
    assert week_start(utc("2026-12-02T03:04:05.678901")) == utc("2026-11-30T01:00:00")


async def test_the_digest_scheduler_runs_again_on_its_own(registry: Registry) -> None:
    """WeeklyDigest.__init__ mutmut_2 (`Periodic.__init__(None)`): the job must tick again after its first tick,
    or the first start is all it ever does."""
    now = [utc("2026-12-01T10:00:00")]
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({ADMIN}), interval=0.05,
                          clock=lambda: now[0])
    digest.start_task()
    try:
        for _ in range(100):
            if await registry.store.job_last_run(JOB) is not None:
                break
            await asyncio.sleep(0.02)
        now[0] = utc("2026-12-07T01:05:00")  # next Monday 08:05 in Vietnam
        for _ in range(150):
            if await registry.store.due_outbox(10**12, [TELEGRAM], 10):
                break
            await asyncio.sleep(0.02)
    finally:
        await digest.stop()
    assert [(r.kind, r.chat_id) for r in await registry.store.due_outbox(10**12, [TELEGRAM], 10)] == [
        ("digest", ADMIN.id)]


async def test_an_admin_on_a_platform_not_running_here_does_not_stop_the_others(registry: Registry) -> None:
    """run_once__mutmut_36 (`continue` → `break`): admins are gone through in key order; a Telegram admin (first)
    on a bot that runs only Zalo must not end the loop before the Zalo admin."""
    await registry.store.add_admin(ZALO_ADMIN, "Z", ADMIN)
    now = [utc("2026-12-01T10:00:00")]
    digest = WeeklyDigest(registry, {ZALO}, super_admins=frozenset({ADMIN}), clock=lambda: now[0])
    await digest.run_once()
    now[0] = utc("2026-12-07T01:05:00")
    assert await digest.run_once() == 1
    assert [(r.platform, r.chat_id) for r in await registry.store.due_outbox(10**12, [TELEGRAM, ZALO], 10)] == [
        (ZALO, "za1")]


async def test_a_run_at_exactly_monday_eight_counts_for_that_week(registry: Registry) -> None:
    """run_once__mutmut_12 (`week_start(now) <= last` → `<`): a run at 08:00:00 sharp (here the first start)
    covers that week; the next hourly look must not queue the digest again."""
    now = [utc("2026-12-07T01:00:00")]  # Monday 08:00:00 in Vietnam
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({ADMIN}), clock=lambda: now[0])
    assert await digest.run_once() == 0  # the first start notes the time
    now[0] = utc("2026-12-07T02:00:00")
    assert await digest.run_once() == 0
    assert await registry.store.due_outbox(10**12, [TELEGRAM], 10) == []


async def test_what_is_due_is_counted_on_the_schedulers_own_clock(registry: Registry) -> None:
    """run_once__mutmut_22 (`vietnam_today(now)` → `vietnam_today(None)`, the machine's today): in January 2019
    no seeded channel (verified 2021 and later) is due, so there is no digest."""
    now = [utc("2019-01-01T10:00:00")]
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({ADMIN}), clock=lambda: now[0])
    await digest.run_once()
    now[0] = utc("2019-01-07T01:05:00")
    assert await digest.run_once() == 0
    assert await registry.store.due_outbox(10**12, [TELEGRAM], 10) == []


async def test_an_admin_added_after_this_weeks_digest_waits_for_next_week(registry: Registry) -> None:
    """run_once__mutmut_56 (`job_ran(None, …)`: the week's run not recorded): an hour later the job must not run
    the week again (here: queue a digest for an admin added on Monday morning)."""
    now = [utc("2026-12-01T10:00:00")]
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({ADMIN}), clock=lambda: now[0])
    await digest.run_once()
    now[0] = utc("2026-12-07T01:05:00")
    assert await digest.run_once() == 1
    await registry.store.add_admin(TELEGRAM_ADMIN, "T", ADMIN)
    now[0] = utc("2026-12-07T02:05:00")
    assert await digest.run_once() == 0
    assert [r.chat_id for r in await registry.store.due_outbox(10**12, [TELEGRAM], 10)] == [ADMIN.id]


async def test_the_digest_run_logs_how_many_channels_and_admins(registry: Registry,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """run_once__mutmut_60..67: the operator's log line of a week's digest (its text and both counts)."""
    await registry.store.add_admin(TELEGRAM_ADMIN, "T", ADMIN)
    now = [utc("2026-12-01T10:00:00")]
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({ADMIN}), clock=lambda: now[0])
    await digest.run_once()
    now[0] = utc("2026-12-07T01:05:00")
    due = await due_channels(registry, months=registry.review_months, today=date(2026, 12, 7))
    assert due
    with caplog.at_level(logging.INFO, logger="bot.digest"):
        assert await digest.run_once() == 2
    assert [r.getMessage() for r in caplog.records if r.name == "bot.digest"] == [
        f"weekly digest: {len(due)} channel(s) due for review, 2 admin(s) told"]


# --- handlers/subscriptions.py ------------------------------------------------------------------------------------
async def test_the_listing_says_you_in_a_private_chat_and_this_group_in_a_group(
        setup: tuple[Registry, Dispatcher]) -> None:
    """_listing__mutmut_16..19: the title of /subscriptions, private and group."""
    registry, dispatcher = setup
    me = Person(TELEGRAM, "77")
    await say(dispatcher, private_ctx(registry, me), "subscribe", "cần thơ")
    mine = await say(dispatcher, private_ctx(registry, me), "subscriptions")
    assert "Bạn đang theo dõi:" in mine and "• Thành phố Cần Thơ" in mine
    await say(dispatcher, group_ctx(registry, me, admin=True), "subscribe", "cần thơ")
    theirs = await say(dispatcher, group_ctx(registry, me, admin=False), "subscriptions")
    assert "Nhóm này đang theo dõi:" in theirs and "Bạn đang theo dõi" not in theirs


async def test_a_unit_the_gazetteer_no_longer_knows_is_listed_and_ended_by_its_slug(
        setup: tuple[Registry, Dispatcher], monkeypatch: pytest.MonkeyPatch) -> None:
    """_listing__mutmut_26 and _names__mutmut_5: a subscription whose unit is not in the gazetteer (data/ changed
    since) is shown by its slug, not a crash."""
    registry, dispatcher = setup
    me = Person(TELEGRAM, "78")
    await registry.store.subscribe(TELEGRAM, me.id, "ha_noi", "vi", me.key)
    monkeypatch.delitem(registry.places.places, "ha_noi")
    assert "• ha_noi" in await say(dispatcher, private_ctx(registry, me), "subscriptions")
    assert "Đã thôi theo dõi: ha_noi." in await say(dispatcher, private_ctx(registry, me), "unsubscribe", "all")


async def test_unsubscribing_from_two_units_names_both(setup: tuple[Registry, Dispatcher]) -> None:
    """_names__mutmut_3 (the separator): "Cần Thơ, Hà Nội"."""
    registry, dispatcher = setup
    me = Person(ZALO, "u9")
    await say(dispatcher, private_ctx(registry, me), "subscribe", "cần thơ, hà nội")
    ended = await say(dispatcher, private_ctx(registry, me), "unsubscribe", "all")
    assert "Đã thôi theo dõi: Cần Thơ, Hà Nội." in ended or "Đã thôi theo dõi: Hà Nội, Cần Thơ." in ended


async def test_a_blank_name_between_separators_is_skipped_not_the_end(setup: tuple[Registry, Dispatcher]) -> None:
    """_units__mutmut_6 (`continue` → `break`): "cần thơ, , hà nội" subscribes both."""
    registry, dispatcher = setup
    me = Person(ZALO, "u8")
    text = await say(dispatcher, private_ctx(registry, me), "subscribe", "cần thơ, , hà nội")
    assert "Cần Thơ, Hà Nội" in text
    assert sorted(s.unit_slug for s in await registry.store.subscriptions_of(ZALO, "u8")) == ["can_tho", "ha_noi"]


async def test_an_ambiguous_name_offers_units_whose_button_subscribes(setup: tuple[Registry, Dispatcher]) -> None:
    """_units__mutmut_17 (the choices lose their command): pressing "Quảng Ninh" after "/subscribe qn" subscribes
    the chat to it."""
    registry, dispatcher = setup
    me = Person(ZALO, "u7")
    [asked] = await dispatcher.dispatch(private_ctx(registry, me), CommandInput("subscribe", "qn"))
    [pick] = [c for c in asked.choices if c.arg == "quang_ninh"]
    [done] = await dispatcher.dispatch(private_ctx(registry, me), PickInput(pick.command, pick.arg))
    assert "Đã đăng ký theo dõi: Quảng Ninh" in plain(done)
    assert [s.unit_slug for s in await registry.store.subscriptions_of(ZALO, "u7")] == ["quang_ninh"]


async def test_several_names_none_of_them_one_unit_are_each_answered(setup: tuple[Registry, Dispatcher]) -> None:
    """_joined__mutmut_1..4 (no test reached it): each name is answered, a blank line apart, with the choices of
    each (an ambiguous "qn" offers its units)."""
    registry, dispatcher = setup
    me = Person(ZALO, "u6")
    [reply] = await dispatcher.dispatch(private_ctx(registry, me), CommandInput("subscribe", "xyzzy; qn"))
    text = plain(reply)
    assert "“xyzzy”" in text and "“qn” có thể là nhiều nơi" in text
    assert text.index("“xyzzy”") < text.index("\n\n") < text.index("“qn”")
    assert "quang_ninh" in [c.arg for c in reply.choices]
    assert await registry.store.subscriptions_of(ZALO, "u6") == []


async def test_a_chat_the_bot_left_keeps_the_platforms_reason_on_what_was_waiting(
        setup: tuple[Registry, Dispatcher]) -> None:
    """chat_ended__mutmut_3 (the reason dropped): an admin who blocked the bot: the digest that was waiting for
    their chat is dropped with the platform's reason."""
    registry, dispatcher = setup
    assert await registry.store.add_direct(DIGEST, 202650, TELEGRAM, ADMIN.id, "vi", 0.0)
    await dispatcher.chat_news(private_ctx(registry, ADMIN), ChatEnded("blocked by the user"))
    assert await state_of(registry, ADMIN.id) == [("dropped", "blocked by the user")]


async def test_a_group_that_removed_the_bot_keeps_the_platforms_reason_on_its_waiting_alert(
        setup: tuple[Registry, Dispatcher]) -> None:
    """Found while killing chat_ended__mutmut_3 (and fixed): for an alert (not a digest) the reason was recorded
    as "unsubscribed" whatever the platform said."""
    registry, dispatcher = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    await dispatcher.chat_news(group_ctx(registry, ADMIN, admin=None, chat="-1"), ChatEnded("kicked"))
    assert await state_of(registry, "-1") == [("dropped", "kicked")]


# --- bot/upkeep.py: the digest ----------------------------------------------------------------------------------
def entry(n: int, url_length: int, *, platform: str = "facebook", place_slug: str = "can_tho") -> Due:
    base = f"https://www.facebook.com/p{n:02d}."
    due = fake_due(n, base + "x" * (url_length - len(base)), place_slug)
    return Due(replace(due.channel, platform=platform), due.unit_name, due.verified)


def listed(reply: Reply | None) -> int:
    """How many channels the digest names (each a "• …" line then its URL)."""
    return sum(1 for line in plain(reply).splitlines() if line.startswith("• "))


async def test_an_english_digest_is_english_throughout(registry: Registry) -> None:
    """digest_reply__mutmut_16 and _82 (the "oldest first" and "… and N more" lines lose the language)."""
    text = plain(digest_reply(registry, [fake_due(n, f"https://www.facebook.com/en.digest{n:02d}")
                                         for n in range(20)], EN))
    assert "Oldest first:" in text and "… and 5 more." in text


async def test_the_digest_entries_fill_the_budget_exactly_and_not_a_character_more(registry: Registry) -> None:
    """digest_reply__mutmut_22, _59.._63, _73, _75: the entries (each "• " + its line, then its URL) may use
    exactly DIGEST_ENTRY_BUDGET characters; one more and the last goes to "… và N kênh khác"."""
    probe = digest_reply(registry, [entry(0, 100)], VI)
    bullet = next(line for line in plain(probe).splitlines() if line.startswith("• "))
    per_line = len(bullet)  # "• " and the entry's line: the same length for each entry below
    cost = DIGEST_ENTRY_BUDGET // 6
    assert cost * 6 == DIGEST_ENTRY_BUDGET
    exact = [entry(n, cost - per_line) for n in range(1, 8)]  # six fill the budget, the seventh does not fit
    assert listed(digest_reply(registry, exact, VI)) == 6
    over = [*exact[:5], entry(6, cost - per_line + 1), exact[6]]  # one character over on the sixth
    reply = digest_reply(registry, over, VI)
    assert listed(reply) == 5 and "… và 2 kênh khác." in plain(reply)


async def test_a_retired_channel_does_not_end_the_list_of_due_ones(registry: Registry) -> None:
    """due_channels__mutmut_11 (`continue` → `break` on a channel that is not active)."""
    await seeded_fresh(registry)
    await add(registry, "ha_noi", "upkeep.retired.first", "2001", status="retired")
    due = await add(registry, "ha_noi", "upkeep.due.after", "2002")
    assert [d.channel.url for d in await due_channels(registry, months=12, today=date(2025, 6, 15))] == [due]


async def test_a_former_province_that_kept_its_units_name_is_not_named_twice(registry: Registry) -> None:
    """former_name__mutmut_7 (`and` → `or`): a channel of former Hà Nội (old_ha_noi, now part of Hà Nội) is the
    unit's own: no "của Hà Nội (cũ)"."""
    text = plain(digest_reply(registry, [fake_due(3, "https://www.facebook.com/hanoi.old", "old_ha_noi")], VI))
    assert "(cũ)" not in text and "Facebook · kiểm tra lần cuối" in text


async def test_a_platform_without_a_label_is_named_as_stored(registry: Registry) -> None:
    """platform_label__mutmut_2..4: a channel of a platform that has no label is shown by its platform's name,
    not "None"."""
    text = plain(digest_reply(registry, [entry(4, 60, platform="website")], VI))
    assert " · website · " in text and "None" not in text


def test_a_stamp_with_a_time_reads_as_its_day() -> None:
    """verified_date__mutmut_5 ([:10] → [:11]): "2024-03-15 08:30" was verified on 2024-03-15."""
    assert verified_date("2024-03-15 08:30") == date(2024, 3, 15)


# --- bot/outbox.py: the delivery worker ---------------------------------------------------------------------------
class SlowCourier(RecordingCourier):
    """Records like RecordingCourier, each send taking `seconds` (a round trip to the platform)."""

    def __init__(self, seconds: float, pace: Pace | None = None) -> None:
        super().__init__(pace=pace)
        self.seconds = seconds

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        await asyncio.sleep(self.seconds)
        await super().deliver(chat_id, reply, lang)


async def drain(worker: OutboxWorker, within: float = 10.0) -> None:
    async with asyncio.timeout(within):  # a mutant that loops for ever fails here, not at pytest's timeout
        await worker.drain()


async def wait_until(check: Callable[[], Awaitable[bool] | bool], within: float) -> float:
    """Seconds until `check()` held (polled every 10 ms); `within` + 1 if it never did."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        found = check()
        if (await found) if not isinstance(found, bool) else found:
            return time.monotonic() - start
        await asyncio.sleep(0.01)
    return within + 1


def worker_for(registry: Registry, courier: RecordingCourier, clock: list[float] | None = None, *,
               traffic: Traffic | None = None, compose: Any = None, poll: float = 1.0) -> OutboxWorker:
    now = clock or [10.0**10]
    return OutboxWorker(registry.store, {courier.platform: courier}, compose or AlertComposer(registry),
                        traffic or Traffic(), poll=poll, clock=lambda: now[0])


async def two_alerts_for_one_chat(registry: Registry, chat: str = "-1") -> None:
    for unit in ("can_tho", "ha_noi"):
        await registry.store.subscribe(TELEGRAM, chat, unit, "vi", "telegram:1")
    await queue(registry, ["can_tho", "ha_noi"], 0.0)


async def test_a_group_whose_own_window_is_full_waits_and_others_go_first(setup: tuple[Registry, Any]) -> None:
    """_start__mutmut_20/21/22 (the chat's window asked of the wrong chat, count or time), _27 (`wait > 0` →
    `> 1`), _28.._32 (the deferral lost, or set in the past), _34 (the send counted for no chat): with one message
    a 0.5 s window, the second alert to the same group is deferred by the window's rest, and goes out after it."""
    registry, _ = setup
    await two_alerts_for_one_chat(registry)
    courier = RecordingCourier(pace=Pace(per_second=1000.0, per_chat=1, chat_window=0.5))
    clock = [10.0**10]
    await drain(worker_for(registry, courier, clock))
    assert len(courier.sent) == 1
    [waiting] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    assert clock[0] + 0.3 < waiting.next_at <= clock[0] + 0.5  # the rest of the window, on the worker's clock
    await asyncio.sleep(0.55)
    clock[0] += 0.6
    await drain(worker_for(registry, courier, clock))
    assert [r[0] for r in await state_of(registry, "-1")] == ["sent", "sent"] and len(courier.sent) == 2


async def test_alerts_spaced_by_the_platforms_rate_and_no_more(setup: tuple[Registry, Any]) -> None:
    """_start__mutmut_45 (`max(0.0, …)` → `max(1.0, …)`: a second's wait before every send): three alerts at
    1000 a second all go out at once, and three at 5 a second take their 0.4 s."""
    registry, _ = setup
    for chat in ("-1", "-2", "-3"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await queue(registry, ["can_tho"], 0.0)
    fast = RecordingCourier()
    start = time.monotonic()
    await drain(worker_for(registry, fast))
    assert len(fast.sent) == 3 and time.monotonic() - start < 2.5  # the mutant: 3 s
    await queue(registry, ["can_tho"], 10**9)
    slow = RecordingCourier(pace=Pace(per_second=5.0))
    start = time.monotonic()
    await drain(worker_for(registry, slow))
    assert len(slow.sent) == 3 and time.monotonic() - start >= 0.39


async def test_a_reply_that_says_nothing_any_more_is_dropped_not_sent(registry: Registry) -> None:
    """_start__mutmut_5.._13: a digest queued, then every channel re-verified before it went out: nothing to
    tell, so the row is dropped ("nothing to tell any more"), once, and nothing is sent."""
    await seeded_fresh(registry)
    assert await registry.store.add_direct(DIGEST, 202650, TELEGRAM, ADMIN.id, "vi", 0.0)
    courier = RecordingCourier()
    await drain(worker_for(registry, courier))
    assert courier.sent == [] and await state_of(registry, ADMIN.id) == [("dropped", "nothing to tell any more")]


async def test_an_idle_worker_wakes_when_the_next_row_falls_due(setup: tuple[Registry, Any]) -> None:
    """_idle__mutmut_1.._16, _18: with nothing due now, the worker sleeps until the next row's time (here
    0.2 s), not a whole poll (10 s) — nor for ever."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    due_at = time.time() + 0.2
    await queue(registry, ["can_tho"], due_at)
    courier = RecordingCourier()
    worker = OutboxWorker(registry.store, {TELEGRAM: courier}, AlertComposer(registry), Traffic(), poll=10.0)
    await worker.start()
    try:
        took = await wait_until(lambda: bool(courier.sent), within=6.0)
    finally:
        await worker.stop()
    assert took < 6.0 and time.time() >= due_at  # the mutants: the 10 s poll, or never


async def test_a_failing_round_is_logged_and_the_worker_goes_on(setup: tuple[Registry, Any],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """_run__mutmut_3.._6: a round that fails (here the composer, once) is logged, and after a poll the worker
    sends the alert all the same."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    composer = AlertComposer(registry)
    failures = [RuntimeError("database is locked")]

    async def compose(row: OutboxRow) -> Reply | None:
        if failures:
            raise failures.pop()
        return await composer(row)

    courier = RecordingCourier()
    worker = worker_for(registry, courier, compose=compose, poll=0.05)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await worker.start()
        try:
            await wait_until(lambda: bool(courier.sent), within=3.0)
        finally:
            await worker.stop()
    assert [chat for chat, _ in courier.sent] == ["-1"]
    assert [r.getMessage() for r in caplog.records if r.name == "bot.outbox"] == [
        "the outbox worker failed; retrying"]


async def test_an_idle_worker_does_not_spin(setup: tuple[Registry, Any]) -> None:
    """_run__mutmut_2 (`if not await self.round()` → `if await …`): with nothing due the worker waits for its
    poll, it does not query the store in a loop (measured: the process's CPU time while it idles)."""
    registry, _ = setup
    worker = worker_for(registry, RecordingCourier(), poll=5.0)
    await worker.start()
    try:
        await asyncio.sleep(0.05)
        cpu = time.process_time()
        await asyncio.sleep(0.5)
        used = time.process_time() - cpu
    finally:
        await worker.stop()
    assert used < 0.15


async def test_a_restart_logs_how_many_rows_were_in_flight(setup: tuple[Registry, Any],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """start__mutmut_5.._7: the operator is told how many rows were counted as sent at a crash."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    [row] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    assert await registry.store.claim(row.id)
    worker = worker_for(registry, RecordingCourier())
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        await worker.start()
        await worker.stop()
    assert [r.getMessage() for r in caplog.records if r.name == "bot.outbox"] == [
        "1 alert(s) were in flight when the bot last stopped: counted as sent, not sent again"]
    assert await state_of(registry, "-1") == [("sent", CRASH_NOTE)]


async def test_a_stopped_worker_sends_nothing_more_and_stops_twice_quietly(setup: tuple[Registry, Any]) -> None:
    """stop__mutmut_1 (the loop not cancelled) and _3 (a second stop fails)."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    courier = RecordingCourier()
    worker = worker_for(registry, courier, poll=0.02)
    await worker.start()
    await asyncio.sleep(0.05)
    await worker.stop()
    await worker.stop()
    await retire_fanpage(registry)
    worker.wake()
    await asyncio.sleep(0.3)
    assert courier.sent == [] and [r[0] for r in await state_of(registry, "-1")] == ["pending"]


async def test_stop_waits_for_the_sends_in_flight_and_settles_them(setup: tuple[Registry, Any]) -> None:
    """stop__mutmut_5 (`gather()` of nothing): stop returns only once the send in flight is settled."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    courier = SlowCourier(0.3)
    worker = worker_for(registry, courier, clock=[time.time() + 10], poll=0.02)
    await worker.start()
    await wait_until(lambda: state_of_is(registry, "-1", "sending"), within=3.0)
    await worker.stop()
    assert [r[0] for r in await state_of(registry, "-1")] == ["sent"] and len(courier.sent) == 1


async def state_of_is(registry: Registry, chat_id: str, state: str) -> bool:
    return [r[0] for r in await state_of(registry, chat_id)] == [state]


async def test_a_retry_keeps_the_platforms_words_and_its_wait(setup: tuple[Registry, Any]) -> None:
    """RetryLater.__init__ mutmut_1 (the reason lost), _2 and _send__mutmut_30 (the retry_after lost), _send_36/41
    (the reason not stored): the row waits the 30 s asked for and keeps the platform's reason. (The existing
    test_each_chat_is_told_once… checks the 30 s with pytest.approx on a clock of 1e10, whose relative tolerance
    is 10,000 s: it cannot tell 30 s from 1 s.)"""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    courier = RecordingCourier()
    courier.fail = {"-1": [RetryLater("429 Too Many Requests", 30.0)]}
    clock = [10.0**10]
    await drain(worker_for(registry, courier, clock))
    [row] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    assert row.next_at == clock[0] + 30.0  # exactly: pytest.approx at 1e10 would take 1 s for 30
    assert await state_of(registry, "-1") == [("pending", "429 Too Many Requests")]


async def test_replies_go_first_but_not_for_longer_than_a_second(setup: tuple[Registry, Any]) -> None:
    """Traffic.quiet__mutmut_1.._3: while a user is being answered the alert waits — at most about a second
    (not for ever, and without failing)."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    traffic = Traffic()
    courier = RecordingCourier()
    worker = worker_for(registry, courier, traffic=traffic)
    with traffic.answering():
        sending = asyncio.create_task(drain(worker))
        took = await wait_until(lambda: bool(courier.sent), within=4.0)
        assert 0.8 <= took <= 4.0  # waited for the reply, then went (the mutants: at once, or never)
    await sending
    assert [r[0] for r in await state_of(registry, "-1")] == ["sent"]


# --- bot/pacing.py ----------------------------------------------------------------------------------------------
def test_telegram_keeps_each_groups_twenty_a_minute_counted_as_61_seconds() -> None:
    """telegram_pace__mutmut_2/3/6/7/10/11 (the per-group limit or its window changed) and _12/_14 (groups not
    told from private chats)."""
    pace = telegram_pace()
    for _ in range(20):
        assert pace.chat_wait("-1001", 1, 0.0) == 0.0
        pace.reserve("-1001", 1, 0.0)
    assert pace.chat_wait("-1001", 1, 1.0) == pytest.approx(60.0)  # the 21st: once the first is 61 s old
    assert pace.chat_wait("-1001", 1, 61.0) == 0.0


def test_telegram_does_not_limit_a_private_chat_per_minute() -> None:
    """telegram_pace__mutmut_8 (the per-chat limit applied to every chat)."""
    pace = telegram_pace()
    for _ in range(25):
        pace.reserve("42", 1, 0.0)
    assert pace.chat_wait("42", 1, 1.0) == 0.0


def test_zalo_is_sent_five_a_second() -> None:
    """zalo_pace__mutmut_2 (5 → 6 a second)."""
    pace = zalo_pace()
    assert [pace.reserve("u", 1, 0.0) for _ in range(3)] == pytest.approx([0.0, 0.2, 0.4])


class LangCourier(RecordingCourier):
    """Records like RecordingCourier, and the language each reply was handed over in."""

    def __init__(self) -> None:
        super().__init__()
        self.langs: list[str] = []
        self.cost_langs: list[str] = []

    def cost(self, reply: Reply, lang: str) -> int:
        self.cost_langs.append(lang)
        return super().cost(reply, lang)

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        self.langs.append(lang)
        await super().deliver(chat_id, reply, lang)


async def test_the_courier_is_handed_the_subscribers_language(setup: tuple[Registry, Any]) -> None:
    """_send__mutmut_3 (`deliver(…, None)`), _start__mutmut_16 (`cost(…, None)`) and AlertComposer.__call__
    mutmut_3 (composed without the row's language): an English subscription's alert is composed, counted and
    rendered in English."""
    registry, _ = setup
    await registry.store.subscribe(ZALO, "z1", "can_tho", "en", "zalo:z1")
    await retire_fanpage(registry)
    courier = LangCourier()
    courier.platform = ZALO
    await drain(worker_for(registry, courier))
    assert courier.langs == ["en"] and courier.cost_langs == ["en"]
    assert courier.sent[0][1].startswith("🔔 Official channels changed")


class KeyErrorCourier(RecordingCourier):
    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        if chat_id == "-4":
            raise KeyError("a courier's own bug")
        await super().deliver(chat_id, reply, lang)


LONG = "Forbidden: " + "the platform says much " * 20  # 471 characters: stored cut at 200


async def test_each_failure_is_stored_with_the_platforms_words_cut_at_200_and_logged(
        setup: tuple[Registry, Any], caplog: pytest.LogCaptureFixture) -> None:
    """_send__mutmut_42 (a retry's reason cut at 201), _51/55/56 (a moved row's note), _60/64/65 (a gone chat's
    reason), _66.._77 (its log line), _80.._85 (a refusal's reason), _86.._93 (its log line), _94.._100 (a
    courier's own bug: failed with the exception's type), _101.._106 (its log line). One round, then stop (which
    waits for the sends): each row as its failure left it."""
    registry, _ = setup
    for chat in ("-1", "-2", "-3", "-4", "-5"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    ids = {r.chat_id: r.id for r in await registry.store.due_outbox(10**12, [TELEGRAM], 10)}
    courier = KeyErrorCourier()
    courier.fail = {"-1": [RetryLater(LONG)], "-2": [ChatGone(LONG)], "-3": [Rejected(LONG)],
                    "-5": [ChatMoved("-1005")]}
    clock = [10.0**10]
    worker = worker_for(registry, courier, clock)
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        assert await worker.round() == 5
        await worker.stop()
    cut = LONG[:200]
    assert await state_of(registry, "-1") == [("pending", cut)]
    assert await state_of(registry, "-2") == [("dropped", cut)]
    assert await state_of(registry, "-3") == [("failed", cut)]
    assert await state_of(registry, "-4") == [("failed", "KeyError")]
    assert await state_of(registry, "-1005") == [("pending", "moved")]
    [retry] = [r for r in await registry.store.due_outbox(10**12, [TELEGRAM], 10) if r.chat_id == "-1"]
    assert retry.next_at == clock[0] + 1.0  # no retry_after: the first back-off, 1 s
    logged = sorted(r.getMessage() for r in caplog.records if r.name == "bot.outbox")
    assert logged == sorted([f"telegram chat -2 is gone ({LONG}): 1 subscription(s) ended",
                             f"outbox row {ids['-3']} refused for good: {LONG}",
                             f"sending outbox row {ids['-4']} failed"])


async def test_giving_up_keeps_the_last_reason_and_says_so(setup: tuple[Registry, Any],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    """_send__mutmut_13/16/17/18 (the reason of the last failure) and _19.._28 (the log line): after
    MAX_ATTEMPTS failures the row is failed with the platform's words (cut at 200), and the operator told."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    [row] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    courier = RecordingCourier()
    courier.fail = {"-1": [RetryLater(LONG) for _ in range(MAX_ATTEMPTS)]}
    clock = [10.0**10]
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        for _ in range(MAX_ATTEMPTS):
            await drain(worker_for(registry, courier, clock))
            clock[0] += 3600
    assert await state_of(registry, "-1") == [("failed", LONG[:200])]
    assert [r.getMessage() for r in caplog.records if r.name == "bot.outbox"] == [
        f"gave up on outbox row {row.id} after {MAX_ATTEMPTS} attempts: {LONG}"]


# --- handlers/alerts.py: what an alert says -----------------------------------------------------------------------
async def alert_text(registry: Registry, alert_id: int, lang: str = "vi") -> str:
    return plain(await alert_reply(Context(registry, lang, CONSOLE_USER), alert_id))


async def test_an_added_channel_is_told_as_new_and_its_undo_as_a_correction(setup: tuple[Registry, Any]) -> None:
    """alert_reply__mutmut_16 (the title's bell) and change_lines__mutmut_33/37 (the "Đính chính" line on every
    change, or on all but an undo): the addition's alert has no correction; its undo's has exactly one."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    changes = Changes(registry)
    url = "https://www.facebook.com/alertmutant01"
    token = await changes.propose(ADMIN, "add_channel", {"place_slug": "can_tho", "platform": "facebook",
                                                         "url": url, "name": "Trang mới"})
    assert (await changes.confirm(token, ADMIN, "Admin")).outcome == Outcome.APPLIED
    [(added, _)] = [await registry.store.newest_alert("can_tho") or (0, 0.0)]
    assert (await changes.undo(ADMIN, "Admin")).outcome == Outcome.APPLIED
    undone, _ = await registry.store.newest_alert("can_tho") or (0, 0.0)
    assert undone != added
    first = (await alert_text(registry, added)).splitlines()
    assert first[:2] == ["🔔 Kênh chính thức thay đổi — Thành phố Cần Thơ", f"🆕 Mới: Trang mới — {url}"]
    second = (await alert_text(registry, undone)).splitlines()
    assert second[:3] == ["🔔 Kênh chính thức thay đổi — Thành phố Cần Thơ",
                          "↩️ Đính chính: thay đổi trước đó đã được hủy.", f"➖ Bỏ khỏi danh sách: Trang mới — {url}"]
    assert sum("Đính chính" in line for line in second) == 1


def moved_entry(*destinations: str) -> AuditEntry:
    before = [{"id": i, "place_slug": "can_tho", "status": "active", "name": f"Trang {i}",
               "url": f"https://www.facebook.com/moved{i}", "superseded_by": None} for i in range(len(destinations))]
    after = [{**c, "place_slug": place} for c, place in zip(before, destinations, strict=True)]
    return AuditEntry(1, "2026-12-01T00:00:00+00:00", ADMIN, None, "edit_channel", "can_tho", "channel", None,
                      {"channels": before, "notices": []}, {"channels": after, "notices": []}, None)


async def test_a_channel_moved_to_another_unit_is_told_as_gone_there(setup: tuple[Registry, Any]) -> None:
    """change_lines__mutmut_49.._65 and _unit_name__mutmut_1.._5 (no test reached it): Cần Thơ's subscribers are
    told that a channel now belongs to another unit, named as today's unit (former Bến Tre → Vĩnh Long), or by
    its slug if the gazetteer does not know it."""
    registry, _ = setup
    scope = set(registry.scope(registry.places.places["can_tho"]))
    ctx = Context(registry, "vi", CONSOLE_USER)
    assert change_lines(ctx, moved_entry("old_ben_tre", "no_such_place"), scope) == [
        "➡️ Chuyển sang Vĩnh Long: Trang 0 — https://www.facebook.com/moved0",
        "➡️ Chuyển sang no_such_place: Trang 1 — https://www.facebook.com/moved1"]


async def test_the_alerts_card_links_to_the_units_page_on_the_public_directory(
        setup: tuple[Registry, Any]) -> None:
    """AlertComposer.__call__ mutmut_6/11 and __init__ mutmut_3 (the public URL not passed on), __init__ mutmut_1
    (a default that is not empty): the card under the alert has the button to the unit's page when the public
    directory is configured, and none when it is not."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    [row] = await registry.store.due_outbox(10**12, [TELEGRAM], 10)
    reply = await AlertComposer(registry, public_url="https://kenh.example.vn")(row)
    assert reply is not None
    assert "https://kenh.example.vn/don-vi/can_tho/" in [getattr(b, "url", None) for b in reply.buttons]
    without = await AlertComposer(registry)(row)  # no public directory configured: no such button
    assert without is not None and not [b for b in without.buttons if "/don-vi/" in str(getattr(b, "url", ""))]


def told(text: str) -> list[str]:
    """The change lines of an alert: after its title, before the blank line and the card."""
    lines = text.splitlines()
    return lines[1:lines.index("")]


async def confirm(registry: Registry, kind: str, payload: dict[str, Any]) -> int:
    """Confirm a change as the admin; the id of the unit's newest alert (the one the change is told in)."""
    changes = Changes(registry)
    token = await changes.propose(ADMIN, kind, payload)
    assert (await changes.confirm(token, ADMIN, "Admin")).outcome == Outcome.APPLIED
    alert_id, _ = await registry.store.newest_alert("can_tho") or (0, 0.0)
    return alert_id


async def test_a_new_address_and_a_new_name_are_each_told_once(setup: tuple[Registry, Any]) -> None:
    """_channel_lines__mutmut_61/64 (the address line on every change, or only when it did not change), _67.._79
    (its words), _80 (the rename line on every change), _88.._90 (its words)."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    channel = await registry.store.channel_by_url(FANPAGE)
    assert channel is not None
    moved_to = "https://www.facebook.com/cantho.moi"
    moved = await confirm(registry, "edit_channel", {"channel_id": channel.id, "fields": {"url": moved_to}})
    assert told(await alert_text(registry, moved)) == [f"✏️ Đổi địa chỉ: {FANPAGE} → {moved_to}"]
    renamed = await confirm(registry, "edit_channel", {"channel_id": channel.id, "fields": {"name": "Tên mới"}})
    assert renamed != moved
    assert told(await alert_text(registry, renamed)) == [f"✏️ Đổi tên: {moved_to}: {channel.name} → Tên mới"]


async def test_undoing_a_replacement_tells_the_old_page_is_back_and_the_new_one_gone(
        setup: tuple[Registry, Any]) -> None:
    """_channel_lines__mutmut_53.._59 ("↩️ Dùng lại: …")."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-10", "can_tho", "vi", "telegram:1")
    channel = await registry.store.channel_by_url(FANPAGE)
    assert channel is not None
    await retire_fanpage(registry)
    assert (await Changes(registry).undo(ADMIN, "Admin")).outcome == Outcome.APPLIED
    undone, _ = await registry.store.newest_alert("can_tho") or (0, 0.0)
    assert told(await alert_text(registry, undone)) == [
        "↩️ Đính chính: thay đổi trước đó đã được hủy.", f"↩️ Dùng lại: {channel.name} — {FANPAGE}",
        f"➖ Bỏ khỏi danh sách: {channel.name} — {NEW_PAGE}"]  # the successor kept the name


def channel_row(n: int, status: str = "active", place_slug: str = "can_tho") -> dict[str, Any]:
    return {"id": n, "place_slug": place_slug, "status": status, "name": f"Trang {n}",
            "url": f"https://www.facebook.com/trang{n}", "superseded_by": None}


def entry_of(before: dict[str, Any], after: dict[str, Any]) -> AuditEntry:
    return AuditEntry(9, "2026-12-01T00:00:00+00:00", ADMIN, None, "import", "can_tho", "channel", None, before,
                      after, None)


async def test_a_channel_retired_without_successor_is_told_so_and_a_retired_newcomer_not_at_all(
        setup: tuple[Registry, Any]) -> None:
    """_channel_lines__mutmut_31 (no successor read as channel 1), _44.._50 ("⛔ Ngừng sử dụng: …" without a
    successor) and _9 (a channel that arrives already retired told as new)."""
    registry, _ = setup
    scope = set(registry.scope(registry.places.places["can_tho"]))
    before = {"channels": [channel_row(1), channel_row(2)], "notices": []}
    after = {"channels": [channel_row(1), channel_row(2, "retired"), channel_row(3, "retired")], "notices": []}
    lines = change_lines(Context(registry, "vi", CONSOLE_USER), entry_of(before, after), scope)
    assert lines == ["⛔ Ngừng sử dụng: Trang 2 — https://www.facebook.com/trang2"]


def notice(n: int, place_slug: str = "can_tho", subject: str = "Về việc công bố kênh") -> dict[str, Any]:
    return {"id": n, "place_slug": place_slug, "issuer": f"UBND số {n}", "subject": subject}


async def test_a_new_notice_of_the_unit_is_told_with_its_subject_cut_at_120(setup: tuple[Registry, Any]) -> None:
    """change_lines__mutmut_95.._98, _102.._104, _108.._132: only a notice that is new (not in `before`) and of
    the unit's own places is told, as "📄 Văn bản mới: issuer: subject", the subject cut at 120 characters."""
    registry, _ = setup
    scope = set(registry.scope(registry.places.places["can_tho"]))
    long_subject = "Về việc công bố danh sách kênh thông tin chính thức " * 4
    before = {"channels": [], "notices": [notice(1)]}
    after = {"channels": [], "notices": [notice(1), notice(2, "old_soc_trang", long_subject), notice(3, "ha_noi")]}
    lines = change_lines(Context(registry, "vi", CONSOLE_USER), entry_of(before, after), scope)
    assert lines == [f"📄 Văn bản mới: UBND số 2: {long_subject[:120]}"]


async def test_after_a_user_was_answered_alerts_go_out_without_waiting(setup: tuple[Registry, Any]) -> None:
    """Traffic.__init__ mutmut_2 (`_busy = 1`: never quiet again after the first answer, so every send waited
    its full second)."""
    registry, _ = setup
    for chat in ("-1", "-2", "-3"):
        await registry.store.subscribe(TELEGRAM, chat, "can_tho", "vi", "telegram:1")
    await retire_fanpage(registry)
    traffic = Traffic()
    with traffic.answering():
        pass
    courier = RecordingCourier()
    start = time.monotonic()
    await drain(worker_for(registry, courier, traffic=traffic))
    assert len(courier.sent) == 3 and time.monotonic() - start < 2.0  # the mutant: a second before each


async def test_a_row_written_by_another_process_is_found_within_the_seconds_poll(
        setup: tuple[Registry, Any]) -> None:
    """OutboxWorker.__init__ mutmut_1 (the default poll 1 s → 2 s): nothing wakes the worker for a row another
    process wrote (the CLI's import): it is found at the next poll, within about a second."""
    registry, _ = setup
    await registry.store.subscribe(TELEGRAM, "-1", "can_tho", "vi", "telegram:1")
    courier = RecordingCourier()
    worker = OutboxWorker(registry.store, {TELEGRAM: courier}, AlertComposer(registry), Traffic())
    await worker.start()
    try:
        await asyncio.sleep(0.1)  # the worker looked, found nothing, and waits for its poll
        await queue(registry, ["can_tho"], time.time())  # no wake(): as if written by another process
        took = await wait_until(lambda: bool(courier.sent), within=3.0)
    finally:
        await worker.stop()
    assert took < 1.9  # the mutant: the next poll 2 s later


async def test_an_alert_for_a_change_without_snapshots_is_its_title_and_the_card(
        setup: tuple[Registry, Any]) -> None:
    """change_lines__mutmut_8/10/14/16/23/25/41/43/99/101/105/107 (`.get("channels"/"notices", None)`): an audit
    row with no before/after (bot.alerts accepts any audit id; change_lines reads it as empty) tells no change
    line, not a crash. Real changes always carry both snapshots, so this guards that contract only."""
    registry, _ = setup
    [alert_id] = await queue(registry, ["can_tho"], 0.0)
    text = await alert_text(registry, alert_id)
    assert told(text) == [] and text.startswith("🔔 Kênh chính thức thay đổi — Thành phố Cần Thơ\n\nDanh sách")
