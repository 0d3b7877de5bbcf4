"""Upkeep: a registry that does not decay. Which active channels nobody has verified for a while, oldest first,
and the digest that tells an admin so.

Every channel carries `verified_on`: the date of the notice that announced it (a seeded channel), or the day an
admin last changed or re-verified it. A notice that leaves its day or month blank gives a partial date ("2024-03",
"2024"); it is read as the first day of that month or year, the cautious reading: a channel comes due sooner,
never later. What /review lists and /reverify stamps is in handlers/upkeep.py.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from bot.i18n import t
from bot.links import PLATFORM_LABELS
from bot.models import Channel
from bot.replies import Reply, bold, italic
from bot.services import Registry, format_date
from bot.text import vi_sort_key

DIGEST_MAX_ENTRIES = 15  # the oldest ones named in the digest; the rest are a /review away
# The digest's entries stop before this many characters (URLs go up to 512): one Telegram message (4096) with
# room left for the title, the hint and HTML escaping, whatever the URLs.
DIGEST_ENTRY_BUDGET = 3000

_ISO_PREFIX = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
@dataclass(frozen=True)
class Due:
    """An active channel due for another look: the channel, its unit's display name, and the date it was last
    verified as this module reads it (a partial date's first day; `date.min` for a stamp it cannot read)."""

    channel: Channel
    unit_name: str
    verified: date


def verified_date(text: str | None) -> date:
    """"2024-03-15" → 2024-03-15; "2024-03" → 2024-03-01; "2024" → 2024-01-01. A stamp that is not a date at all
    (a row edited by hand, an old import) reads as `date.min`: never verified, as far as anyone can tell."""
    found = _ISO_PREFIX.fullmatch((text or "").strip()[:10])
    if found is None:
        return date.min
    year, month, day = found.groups()
    try:
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return date.min


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier; the month's last day where it is shorter (31/03 − 1 → 28 or 29/02)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def due_channels(registry: Registry, *, months: int, today: date) -> list[Due]:
    """The active channels last verified before `months` months before `today` (a channel verified exactly on
    that day is not due yet), oldest first; ties by unit name in Vietnamese order, then by URL."""
    cutoff = months_before(today, months)
    places = registry.places
    due = []
    for channel in await registry.store.all_channels():
        if channel.status != "active":
            continue
        verified = verified_date(channel.verified_on)
        if verified < cutoff:
            unit = places.unit_of(places.places[channel.place_slug])
            due.append((verified, vi_sort_key(unit.name), channel.url, Due(channel, unit.full_name, verified)))
    due.sort(key=lambda row: row[:3])
    return [row[3] for row in due]


def platform_label(channel: Channel) -> str:
    return PLATFORM_LABELS.get(channel.platform, channel.platform)


def former_name(registry: Registry, channel: Channel) -> str | None:
    """The former province a channel belongs to, when it is not its unit under another name (Bến Tre's page in
    Vĩnh Long), as the cards say it; None for the unit's own channels."""
    places = registry.places
    place = places.places[channel.place_slug]
    unit = places.unit_of(place)
    return place.name if place.slug != unit.slug and place.name != unit.name else None


def digest_reply(registry: Registry, due: list[Due], lang: str) -> Reply | None:
    """A message for an admin, sent on its own (not an answer): how many channels are due, the oldest ones with
    their full URL and last verified date, and /review to see them all. None when nothing is due.

    It stays one Telegram message (≤ 4096 characters) and short lines for Zalo's 2000-character split; it offers
    no numbered choice, since a number typed back to a message the dispatcher did not send picks nothing.
    """
    if not due:
        return None
    reply = Reply().add(bold(t("digest_title", lang, count=len(due))))
    reply.add(italic(t("digest_oldest", lang)))
    used = 0
    shown = 0
    for entry in due[:DIGEST_MAX_ENTRIES]:
        channel = entry.channel
        unit = entry.unit_name
        former = former_name(registry, channel)
        if former is not None:
            unit += f" — {t('channel_of_former', lang, old=former)}"
        line = t("digest_entry", lang, unit=unit, platform=platform_label(channel),
                 date=format_date(channel.verified_on))
        if shown and used + len(line) + len(channel.url) + 2 > DIGEST_ENTRY_BUDGET:
            break
        reply.add("• ", line).add(channel.url)
        used += len(line) + len(channel.url) + 2
        shown += 1
    if shown < len(due):
        reply.add(t("digest_more", lang, count=len(due) - shown))
    reply.blank().add(t("digest_hint", lang))
    return reply
