"""Notices: the official documents that announced channels (table notices), the units that manage them
(managing_units) and which channels each notice announced (notice_channels).

Invariants: a notice's key, when it has one, is unique (seeding is idempotent by it); deleting a notice
deletes its links (ON DELETE CASCADE) but fails the foreign-key check while a channel still cites it;
set_notice_channels makes the links exactly the given set.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from bot.models import ManagingUnit, Notice
from bot.store.connection import StoreBase, _marks, now_iso


class NoticesStore(StoreBase):
    """The notices, managing_units and notice_channels tables; rows come back as Notice."""

    async def notice_id_by_key(self, key: str) -> int | None:
        row = await self._one("SELECT id FROM notices WHERE key = ?", (key,))
        return int(row[0]) if row else None

    async def insert_managing_unit(self, unit: ManagingUnit) -> int:
        return await self._exec(
            "INSERT INTO managing_units (name, address, phone, emails) VALUES (?,?,?,?)",
            (unit.name, unit.address, unit.phone, json.dumps(list(unit.emails), ensure_ascii=False)),
        )

    async def insert_notice(self, n: Notice, managing_unit_id: int | None) -> int:
        return await self._exec(
            "INSERT INTO notices (id, key, place_slug, issuer, number, number_suffix, year, month, day, location, "
            "subject, summary, signer, signer_title, recipients, url, managing_unit_id, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (n.id or None, n.key, n.place_slug, n.issuer, n.number, n.number_suffix, n.year, n.month, n.day,
             n.location, n.subject, n.summary, n.signer, n.signer_title,
             json.dumps(list(n.recipients), ensure_ascii=False), n.url, managing_unit_id, now_iso()),
        )

    async def link_notice_channel(self, notice_id: int, channel_id: int) -> None:
        await self._exec("INSERT OR IGNORE INTO notice_channels (notice_id, channel_id) VALUES (?,?)",
                         (notice_id, channel_id))

    async def delete_notice(self, notice_id: int) -> int:
        """Delete a notice and its links; a channel still citing it fails the foreign-key check (undo's guard)."""
        return await self._exec("DELETE FROM notices WHERE id = ?", (notice_id,))

    async def set_notice_channels(self, notice_id: int, channel_ids: Iterable[int]) -> None:
        """Make the channels a notice announced exactly these."""
        await self._exec("DELETE FROM notice_channels WHERE notice_id = ?", (notice_id,))
        for channel_id in channel_ids:
            await self.link_notice_channel(notice_id, channel_id)

    async def notices_of(self, place_slugs: Iterable[str], limit: int = -1, offset: int = 0) -> list[Notice]:
        """Notices of these places, newest first (by date as known), `limit` at a time."""
        slugs = list(place_slugs)
        return await self._notices(f"n.place_slug IN ({_marks(slugs)})", slugs, limit, offset)

    async def count_notices_of(self, place_slugs: Iterable[str]) -> int:
        slugs = list(place_slugs)
        row = await self._one(f"SELECT COUNT(*) FROM notices WHERE place_slug IN ({_marks(slugs)})", slugs)
        return int(row[0]) if row else 0

    async def notices_by_ids(self, ids: Iterable[int], limit: int = -1) -> list[Notice]:
        """These notices, newest first; with `limit`, only the newest few."""
        wanted = list(ids)
        return await self._notices(f"n.id IN ({_marks(wanted)})", wanted, limit, 0)

    async def _notices(self, where: str, params: list[Any], limit: int, offset: int) -> list[Notice]:
        # Page first, then join: the announced-channel list is gathered for the returned rows only.
        newest = "n.year DESC, COALESCE(n.month, 0) DESC, COALESCE(n.day, 0) DESC, n.id DESC"
        rows = await self._all(
            "SELECT n.*, m.name AS m_name, m.address AS m_address, m.phone AS m_phone, m.emails AS m_emails, "
            "(SELECT group_concat(channel_id) FROM notice_channels nc WHERE nc.notice_id = n.id) AS channel_ids "
            f"FROM (SELECT n.id FROM notices n WHERE {where} ORDER BY {newest} LIMIT ? OFFSET ?) AS page "
            f"JOIN notices n ON n.id = page.id LEFT JOIN managing_units m ON m.id = n.managing_unit_id "
            f"ORDER BY {newest}",
            [*params, limit, offset],
        )
        return [_notice(r) for r in rows]

    async def all_notice_ids(self) -> list[int]:
        return [int(r[0]) for r in await self._all("SELECT id FROM notices ORDER BY id")]


def _notice(r: sqlite3.Row) -> Notice:
    unit = None
    if r["m_name"]:
        unit = ManagingUnit(r["m_name"], r["m_address"], r["m_phone"], tuple(json.loads(r["m_emails"])))
    ids = tuple(sorted(int(x) for x in r["channel_ids"].split(","))) if r["channel_ids"] else ()
    return Notice(
        id=r["id"], place_slug=r["place_slug"], issuer=r["issuer"], number=r["number"],
        number_suffix=r["number_suffix"], year=r["year"], month=r["month"], day=r["day"], location=r["location"],
        subject=r["subject"], summary=r["summary"], signer=r["signer"], signer_title=r["signer_title"],
        recipients=tuple(json.loads(r["recipients"])), url=r["url"], managing_unit=unit, key=r["key"],
        channel_ids=ids,
    )
