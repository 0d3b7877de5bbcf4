"""The weekly digest: once a week (Monday 08:00, Vietnam time) every admin is sent what is due for review
(bot.upkeep), through the outbox like an alert — so it survives a restart, goes behind the answers to users,
and reaches each admin once per week (the outbox row's key is the ISO week), even with two processes.

One scheduler for every front-end: it runs in the App, and an admin is written to on their own platform
(a Telegram admin in their private chat with the bot, a Zalo admin in theirs) when that platform runs here.
The first start only records the time: the first digest comes on the next Monday morning, not at start-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.clock import VIETNAM, vietnam_today
from bot.people import Person
from bot.periodic import Periodic
from bot.services import Registry
from bot.store import DIGEST
from bot.upkeep import due_channels

log = logging.getLogger(__name__)

JOB = "weekly_digest"
SEND_AT = (0, 8)  # Monday, 08:00


def week_start(moment: datetime) -> datetime:
    """The Monday 08:00 (Vietnam time) at or before `moment`."""
    local = moment.astimezone(VIETNAM)
    monday = (local - timedelta(days=local.weekday())).replace(hour=SEND_AT[1], minute=0, second=0, microsecond=0)
    return monday if monday <= local else monday - timedelta(days=7)


def week_ref(moment: datetime) -> int:
    """The ISO week a digest belongs to, as 202649: one digest per admin per week."""
    year, week, _ = week_start(moment).isocalendar()
    return year * 100 + week


class WeeklyDigest(Periodic):
    name = "weekly digest"

    def __init__(self, registry: Registry, platforms: set[str], *, super_admins: frozenset[Person] = frozenset(),
                 interval: float = 3600.0, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(interval)
        self.registry = registry
        self.platforms = platforms
        self.super_admins = super_admins
        self.clock = clock
        self.wake: Callable[[], None] = lambda: None  # the outbox worker, told when digests were queued

    async def tick(self) -> None:
        await self.run_once()

    async def run_once(self) -> int:
        """Queue this week's digests if their time has come and they were not queued yet; how many."""
        store = self.registry.store
        now = self.clock()
        last = await store.job_last_run(JOB)
        if last is None:  # the first start: nothing now, the first digest next Monday
            await store.job_ran(JOB, now.isoformat())
            return 0
        if week_start(now) <= datetime.fromisoformat(last):
            return 0
        due = await due_channels(self.registry, months=self.registry.review_months, today=vietnam_today(now))
        queued = 0
        if due:
            admins = {person for person, *_ in await store.admins()} | set(self.super_admins)
            ref = week_ref(now)
            for person in sorted(admins, key=lambda p: p.key):
                if person.platform not in self.platforms:
                    continue
                lang = await store.language(person) or "vi"
                queued += await store.add_direct(DIGEST, ref, person.platform, person.id, lang, time.time())
        await store.job_ran(JOB, now.isoformat())
        if queued:
            log.info("weekly digest: %d channel(s) due for review, %d admin(s) told", len(due), queued)
            self.wake()
        return queued
