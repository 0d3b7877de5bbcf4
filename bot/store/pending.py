"""Pending changes: admin changes proposed and waiting for their author's Confirm (table pending).

Invariants: a pending change closes once: open → done or cancelled, only by its own author, inside the
transaction that applies it (close_pending is False for a second Confirm, a Confirm after Cancel, or
someone else's); the payload is never edited.
"""

from __future__ import annotations

import json

from bot.people import Person
from bot.store.connection import StoreBase, now_iso


class PendingStore(StoreBase):
    """The pending table."""

    async def add_pending(self, token: str, actor: Person, kind: str, payload: dict) -> None:
        async with self.transaction():
            await self._exec(
                "INSERT INTO pending (token, actor_platform, actor_id, kind, payload, created_at) VALUES (?,?,?,?,?,?)",
                (token, actor.platform, actor.id, kind, json.dumps(payload, ensure_ascii=False), now_iso()),
            )

    async def pending(self, token: str) -> tuple[Person, str, dict, str, str] | None:
        """(actor, kind, payload, state, created_at) of a proposed change."""
        row = await self._one("SELECT actor_platform, actor_id, kind, payload, state, created_at FROM pending "
                              "WHERE token = ?", (token,))
        return (Person(row[0], row[1]), row[2], json.loads(row[3]), row[4], row[5]) if row else None

    async def close_pending(self, token: str, actor: Person, state: str) -> bool:
        """Move an open change to done/cancelled (inside a transaction).

        False if it was not open or is not this actor's: a second Confirm, or someone else's, changes nothing.
        """
        changed = await self._exec(
            "UPDATE pending SET state = ? WHERE token = ? AND actor_platform = ? AND actor_id = ? AND state = 'open'",
            (state, token, actor.platform, actor.id),
        )
        return changed == 1
