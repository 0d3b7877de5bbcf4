"""Admins: who may change the registry (table admins), as (platform, id) people.

Invariant: one row per person (granting twice writes nothing); each row records who granted it and when.
"""

from __future__ import annotations

from bot.people import Person, person_from_key
from bot.store.connection import StoreBase, now_iso


class AdminsStore(StoreBase):
    """The admins table."""

    async def admins(self) -> list[tuple[Person, str | None, Person, str]]:
        """(who, their name, who granted it, when), oldest grant first."""
        rows = await self._all("SELECT platform, user_id, name, granted_by, granted_at FROM admins "
                               "ORDER BY granted_at")
        return [(Person(r[0], r[1]), r[2], person_from_key(r[3]), r[4]) for r in rows]

    async def is_admin(self, person: Person) -> bool:
        return await self._one("SELECT 1 FROM admins WHERE platform = ? AND user_id = ?",
                               (person.platform, person.id)) is not None

    async def add_admin(self, person: Person, name: str | None, granted_by: Person) -> bool:
        """True if `person` became an admin; False if they already were (nothing written)."""
        async with self._conn.execute(
            "INSERT INTO admins (platform, user_id, name, granted_by, granted_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (platform, user_id) DO NOTHING",
            (person.platform, person.id, name, granted_by.key, now_iso()),
        ) as cur:
            return cur.rowcount == 1

    async def remove_admin(self, person: Person) -> int:
        return await self._exec("DELETE FROM admins WHERE platform = ? AND user_id = ?", (person.platform, person.id))
