"""From a Draft to the "ingest" change bot.changes applies: every field through bot.validate, and the links
that are already someone else's (the change would be refused: a link belongs to one unit)."""

from __future__ import annotations

import secrets
from typing import Any

from bot.changes import today
from bot.ingest.draft import Draft
from bot.links import PLATFORM_LABELS
from bot.models import Channel
from bot.services import Registry
from bot.validate import Invalid, as_written, clean_text, iso_day, notice_record

REQUIRED = ("unit", "issuer", "subject", "date")  # what a notice record cannot be stored without


def default_name(platform: str, place_name: str) -> str:
    """A channel the notice names no name for is shown by its platform and unit: "Zalo OA — Tỉnh Hậu Giang"."""
    return f"{PLATFORM_LABELS.get(platform, platform)} — {place_name}"


def blocking(draft: Draft) -> list[str]:
    """The required fields the draft lacks: until they are set, there is nothing to confirm."""
    values = {"unit": draft.place_slug, "issuer": draft.issuer, "subject": draft.subject, "date": draft.year}
    return [name for name in REQUIRED if not values[name]]


def payload(draft: Draft, registry: Registry) -> dict[str, Any]:
    """The change's payload; Invalid when a field would be refused (required fields missing included)."""
    if blocking(draft) or draft.place_slug is None:
        raise Invalid("empty", ", ".join(blocking(draft)))
    place = registry.places.places[draft.place_slug]
    number, suffix = draft.number_parts()
    m = draft.managing_unit
    record = notice_record({
        "issuer": draft.issuer, "number": number, "number_suffix": suffix, "year": draft.year,
        "month": draft.month, "day": draft.day, "location": draft.place, "subject": draft.subject,
        "summary": draft.summary, "signer": draft.signer_name, "signer_title": draft.signer_title,
        "recipients": draft.recipients,
        "managing_unit": {"name": m.name, "address": m.address, "phone": m.phone, "emails": m.emails} if m else None,
    })
    channels = []
    for c in draft.channels:
        try:
            written = as_written(c.as_written, c.url)
        except Invalid:
            written = None  # a handle ("@cantho.portal") is kept in the draft, not as a link's written form
        try:
            since = iso_day(c.live_from, "since")
        except Invalid:
            since = None  # a date still in the future is not a "since"
        channels.append({
            "platform": c.platform, "url": c.url, "as_written": written, "since": since, "status": c.status,
            "superseded_by_url": c.superseded_by,
            "name": clean_text(c.name or default_name(c.platform, place.full_name), "name"),
        })
    key = "ingest-" + secrets.token_hex(6)
    return {"place_slug": place.slug, "channels": channels,
            "notice": {**record, "place_slug": place.slug, "key": key}}


async def conflicts(draft: Draft, registry: Registry) -> list[tuple[str, str]]:
    """(url, owner's name) for each link of the draft already registered to another unit."""
    if draft.place_slug is None:
        return []
    places = registry.places
    unit = places.unit_of(places.places[draft.place_slug])
    found = []
    for c in draft.channels:
        existing = await registry.store.channel_by_url(c.url)
        if existing is not None and places.unit_of(places.places[existing.place_slug]) != unit:
            found.append((c.url, places.unit_of(places.places[existing.place_slug]).full_name))
    return found


async def preview_channels(draft: Draft, registry: Registry) -> list[Channel]:
    """The unit's active channels as they will be once the draft is applied."""
    assert draft.place_slug is not None
    places = registry.places
    unit = places.unit_of(places.places[draft.place_slug])
    current = await registry.store.channels_of(registry.scope(unit))
    by_url = {c.url: c for c in current}
    shown = list(current)
    for c in draft.channels:
        if c.status != "active":
            shown = [s for s in shown if s.url != c.url]
            continue
        existing = by_url.get(c.url)
        if existing is None:
            name = c.name or default_name(c.platform, places.places[draft.place_slug].full_name)
            shown.append(Channel(id=0, place_slug=draft.place_slug, platform=c.platform, name=name, url=c.url,
                                 status="active", notice_id=None, verified_on=today(), since=c.live_from))
    return shown
