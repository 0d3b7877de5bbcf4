"""Places: the 34 units and the 63 former provinces (table places), seeded from data/provinces.json.

Invariant: a place is upserted by its slug (seeding twice changes nothing); every place's unit_slug names a
place, and channels and notices point at places (foreign keys).
"""

from __future__ import annotations

from bot.store.connection import StoreBase


class PlacesStore(StoreBase):
    """The places table."""

    async def upsert_place(self, slug: str, kind: str, code: int, name: str, full_name: str,
                           unit_slug: str, merged_on: str | None) -> None:
        await self._exec(
            "INSERT INTO places (slug, kind, code, name, full_name, unit_slug, merged_on) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (slug) DO UPDATE SET kind=excluded.kind, code=excluded.code, name=excluded.name, "
            "full_name=excluded.full_name, unit_slug=excluded.unit_slug, merged_on=excluded.merged_on",
            (slug, kind, code, name, full_name, unit_slug, merged_on),
        )
