"""The weekly digest: when it is due (Monday 08:00, Vietnam time), who gets it (every admin on a platform that
runs here, once per ISO week), and that it goes out through the outbox like an alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.digest import WeeklyDigest, week_ref, week_start
from bot.outbox import OutboxWorker, Traffic
from bot.people import TELEGRAM, ZALO, Person
from bot.runtime import open_registry
from bot.services import Registry
from handlers.alerts import AlertComposer
from tests.test_subscriptions import RecordingCourier

SUPER = Person(TELEGRAM, "999")
ZALO_ADMIN = Person(ZALO, "za1")
TELEGRAM_ADMIN = Person(TELEGRAM, "42")


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    reg = await open_registry(settings)
    try:
        yield reg
    finally:
        await reg.store.close()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_week_starts_on_monday_at_eight_in_vietnam() -> None:
    # Monday 2026-11-30 08:00 in Vietnam is 01:00 UTC.
    assert week_start(utc("2026-11-30T01:00:00")) == utc("2026-11-30T01:00:00")
    assert week_start(utc("2026-11-30T00:59:59")) == utc("2026-11-23T01:00:00")  # still last week's
    assert week_start(utc("2026-12-06T16:59:00")) == utc("2026-11-30T01:00:00")  # Sunday 23:59 in Vietnam
    assert week_ref(utc("2026-12-01T10:00:00")) == 202649


async def test_each_admin_on_a_running_platform_gets_one_digest_a_week(registry: Registry) -> None:
    store = registry.store
    await store.add_admin(ZALO_ADMIN, "Z", SUPER)
    await store.add_admin(TELEGRAM_ADMIN, "T", SUPER)
    await store.set_language(TELEGRAM_ADMIN, "en")
    now = [utc("2026-12-01T10:00:00")]  # a Tuesday
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({SUPER}), clock=lambda: now[0])
    assert await digest.run_once() == 0  # the first start only notes the time
    assert await digest.run_once() == 0
    now[0] = utc("2026-12-07T00:30:00")  # Monday 07:30 in Vietnam: not yet
    assert await digest.run_once() == 0
    now[0] = utc("2026-12-07T01:05:00")  # Monday 08:05
    assert await digest.run_once() == 2  # the Telegram admins; the Zalo admin's platform is not running here
    assert await digest.run_once() == 0  # once a week
    rows = await store.due_outbox(10**12, [TELEGRAM, ZALO], 10)
    assert sorted((r.kind, r.ref, r.chat_id, r.lang) for r in rows) == [("digest", 202650, "42", "en"),
                                                                      ("digest", 202650, "999", "vi")]
    courier = RecordingCourier()
    await OutboxWorker(store, {TELEGRAM: courier}, AlertComposer(registry), Traffic()).drain()
    assert sorted(chat for chat, _ in courier.sent) == ["42", "999"]
    # The seeded Bến Tre channels (2021) are long due: the digest says how many, in the admin's language.
    first_lines = dict(courier.sent)
    assert first_lines["999"].startswith("🔔 Rà soát sổ kênh: ") and "kênh đã lâu" in first_lines["999"]
    assert first_lines["42"].startswith("🔔 ") and "Rà soát" not in first_lines["42"]


async def test_no_digest_when_nothing_is_due(registry: Registry) -> None:
    registry.review_months = 1200  # nothing is a century old
    now = [utc("2026-12-01T10:00:00")]
    digest = WeeklyDigest(registry, {TELEGRAM}, super_admins=frozenset({SUPER}), clock=lambda: now[0])
    await digest.run_once()
    now[0] = utc("2026-12-08T10:00:00")
    assert await digest.run_once() == 0
    assert await registry.store.due_outbox(10**12, [TELEGRAM], 10) == []
