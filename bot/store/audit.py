"""The audit log: one row per applied change, with the before/after of every row it touched (table audit).

Invariants: append-only (triggers abort any UPDATE or DELETE of it, so this module only inserts and reads);
an undo is a row of its own naming the row it undoes (undoes), never an edit of that row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from bot.models import AuditEntry
from bot.people import Person
from bot.store.connection import StoreBase, _marks, now_iso


class AuditStore(StoreBase):
    """The audit table; rows come back as AuditEntry."""

    async def add_audit(self, *, actor: Person, actor_name: str | None, action: str, place_slug: str | None,
                        entity: str, entity_id: int | None, before: dict | None, after: dict | None,
                        undoes: int | None = None) -> int:
        return await self._exec(
            "INSERT INTO audit (at, actor_platform, actor_id, actor_name, action, place_slug, entity, entity_id, "
            "before, after, undoes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (now_iso(), actor.platform, actor.id, actor_name, action, place_slug, entity, entity_id,
             _json_or_none(before), _json_or_none(after), undoes),
        )

    async def audit_of_places(self, place_slugs: Iterable[str], limit: int, offset: int) -> list[AuditEntry]:
        slugs = list(place_slugs)
        rows = await self._all(
            f"SELECT * FROM audit WHERE place_slug IN ({_marks(slugs)}) ORDER BY id DESC LIMIT ? OFFSET ?",
            [*slugs, limit, offset],
        )
        return [_audit(r) for r in rows]

    async def count_audit_of_places(self, place_slugs: Iterable[str]) -> int:
        slugs = list(place_slugs)
        row = await self._one(f"SELECT COUNT(*) FROM audit WHERE place_slug IN ({_marks(slugs)})", slugs)
        return int(row[0]) if row else 0

    async def last_change(self, actor: Person) -> tuple[AuditEntry, bool] | None:
        """The actor's newest change to channels or notices (an undo is not a change of its own), and whether
        it has been undone already. /undo acts on this one only: it never walks back to older changes."""
        row = await self._one(
            "SELECT a.*, EXISTS (SELECT 1 FROM audit u WHERE u.undoes = a.id) AS undone FROM audit a "
            "WHERE actor_platform = ? AND actor_id = ? AND undoes IS NULL AND entity IN ('channel', 'notice') "
            "ORDER BY id DESC LIMIT 1", (actor.platform, actor.id),
        )
        return (_audit(row), bool(row["undone"])) if row else None

    async def audit_entry(self, audit_id: int) -> AuditEntry | None:
        row = await self._one("SELECT * FROM audit WHERE id = ?", (audit_id,))
        return _audit(row) if row else None

    async def all_audit(self) -> list[AuditEntry]:
        return [_audit(r) for r in await self._all("SELECT * FROM audit ORDER BY id")]


def _json_or_none(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)



def _audit(r: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=r["id"], at=r["at"], actor=Person(r["actor_platform"], r["actor_id"]), actor_name=r["actor_name"],
        action=r["action"],
        place_slug=r["place_slug"], entity=r["entity"], entity_id=r["entity_id"],
        before=json.loads(r["before"]) if r["before"] else None,
        after=json.loads(r["after"]) if r["after"] else None, undoes=r["undoes"],
    )
