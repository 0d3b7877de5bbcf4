"""data/ → store, idempotently: running it twice adds nothing, and it never overwrites an admin's change."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.links import parse_link
from bot.models import ManagingUnit, Notice
from bot.places import Gazetteer
from bot.store import Store
from bot.validate import as_written, clean_text, iso_day, notice_record


async def seed(store: Store, gazetteer: Gazetteer, data_dir: Path) -> int:
    """Load places and the seed notices; returns how many notices were added (0 on every later run)."""
    added = 0
    notices = tomllib.loads((data_dir / "notices.toml").read_text(encoding="utf-8"))["notices"]
    async with store.transaction():
        # Units before former provinces: a former one points at its unit.
        for p in sorted(gazetteer.places.values(), key=lambda p: p.is_former):
            await store.upsert_place(p.slug, p.kind, p.code, p.name, p.full_name, p.unit_slug,
                                     p.merged_on.isoformat() if p.merged_on else None)
        for raw in notices:
            if await store.notice_id_by_key(raw["key"]) is not None:
                continue
            await _add_notice(store, gazetteer, raw)
            added += 1
    return added


async def _add_notice(store: Store, gazetteer: Gazetteer, raw: dict) -> None:
    if raw["place"] not in gazetteer.places:
        raise ValueError(f"seed notice {raw['key']}: unknown place {raw['place']}")
    r = notice_record(raw)  # the seed goes through the same checks as an admin's or an import's notice
    unit_id = None
    if r["managing_unit"]:
        m = r["managing_unit"]
        unit_id = await store.insert_managing_unit(ManagingUnit(m["name"], m["address"], m["phone"],
                                                                tuple(m["emails"])))
    notice = Notice(
        id=0, key=raw["key"], place_slug=raw["place"], issuer=r["issuer"], number=r["number"],
        number_suffix=r["number_suffix"], year=r["year"], month=r["month"], day=r["day"], location=r["location"],
        subject=r["subject"], summary=r["summary"], signer=r["signer"], signer_title=r["signer_title"],
        recipients=tuple(r["recipients"]), url=r["url"],
    )
    notice_id = await store.insert_notice(notice, unit_id)
    # "As of" for a seeded link is the notice's own date as far as it is known: that is what vouches for it.
    as_of = f"{raw['year']:04d}-{raw['month']:02d}" if raw.get("month") else f"{raw['year']:04d}"
    for ch in raw.get("channels", ()):
        link = parse_link(ch["url"])  # the seed goes through the same rules as an admin's input
        if link.url != ch["url"] or link.platform != ch["platform"]:
            raise ValueError(f"seed channel {ch['url']} is not canonical ({link.url}, {link.platform})")
        existing = await store.channel_by_url(link.url)
        channel_id = existing.id if existing else await store.insert_channel(
            place_slug=raw["place"], platform=link.platform, name=clean_text(ch["name"], "name"), url=link.url,
            verified_on=as_of, notice_id=notice_id, as_written=as_written(ch.get("as_written"), link.url),
            since=iso_day(ch.get("since"), "since"),
        )
        await store.link_notice_channel(notice_id, channel_id)
