"""Change alerts: which units a confirmed change touches, and the alert each is told of in — written inside the
change's own transaction (bot.changes), so that an acknowledged change and the alerts it owes stand or fall
together.

Folding: the first change to a unit makes an alert due at once. A change while the unit's newest alert has not
gone out yet joins it; a change within FOLD_SECONDS after it went out makes one follow-up alert, due
FOLD_SECONDS after that one — so a unit's subscribers get at most one alert per window, however many changes an
admin makes in a row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from bot.places import Gazetteer
from bot.store import Store

FOLD_SECONDS = 120.0
SILENT_KINDS = frozenset({"reverify"})  # a stamp that a channel was checked: nothing a group needs to hear


def units_of(places: Gazetteer, place_slugs: Iterable[str]) -> list[str]:
    """The units (of today) whose card a change to these places changes: a former province's is its unit's."""
    return sorted({places.unit_of(places.places[s]).slug for s in place_slugs if s in places.places})


async def queue_alerts(store: Store, places: Gazetteer, audit_id: int, place_slugs: Iterable[str],
                       now: float | None = None) -> list[int]:
    """Inside the change's transaction: the change joins (or starts) an alert for each unit it touches; a new
    alert gets one outbox row per chat subscribed to its unit. Returns the alerts' ids."""
    now = time.time() if now is None else now
    alert_ids = []
    for unit_slug in units_of(places, place_slugs):
        newest = await store.newest_alert(unit_slug)
        if newest is not None and newest[1] > now:  # not gone out yet: this change is told in it too
            alert_id = newest[0]
        else:
            follows = newest is not None and newest[1] + FOLD_SECONDS > now
            alert_id = await store.add_alert(unit_slug, newest[1] + FOLD_SECONDS if follows and newest else now)
        await store.add_alert_change(alert_id, audit_id)
        alert_ids.append(alert_id)
    return alert_ids
