"""Vietnam's time: the day admins and notices live in (UTC+7 all year: no summer time, no tz database needed).

Between 00:00 and 07:00 in Vietnam the UTC date is still yesterday: every date a person reads or a change is
stamped with (verified_on, "due for review", the weekly digest's Monday) comes from here, not from UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vietnam_today(now: datetime | None = None) -> date:
    """The date in Vietnam now (or at `now`)."""
    return (now or datetime.now(UTC)).astimezone(VIETNAM).date()
