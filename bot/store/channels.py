"""Channels: the official pages of each place (table channels).

Invariants: a URL is registered once (UNIQUE url: registering it again fails with IntegrityError); status is
active, superseded or retired, and a superseded channel may name its successor; updated_at moves with every
change unless the caller gives it (an undo puts the old one back).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.models import Channel
from bot.store.connection import StoreBase, _marks, now_iso

# In the order of Channel's fields.
_CHANNEL_COLUMNS = (
    "id, place_slug, platform, name, url, status, notice_id, verified_on, as_written, since, superseded_by, "
    "created_at, updated_at"
)


class ChannelsStore(StoreBase):
    """The channels table; rows come back as Channel, in id order."""

    async def channels_of(self, place_slugs: Iterable[str], statuses: Sequence[str] = ("active",)) -> list[Channel]:
        slugs = list(place_slugs)
        return await self._channels(f"place_slug IN ({_marks(slugs)}) AND status IN ({_marks(statuses)})",
                                    [*slugs, *statuses])

    async def all_channels(self) -> list[Channel]:
        return await self._channels("1", [])

    async def channel_by_url(self, url: str) -> Channel | None:
        found = await self._channels("url = ?", [url])
        return found[0] if found else None

    async def channel_by_id(self, channel_id: int) -> Channel | None:
        found = await self._channels("id = ?", [channel_id])
        return found[0] if found else None

    async def _channels(self, where: str, params: list[Any]) -> list[Channel]:
        async with self._conn.execute(f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE {where} ORDER BY id",
                                      params) as cur:
            cur.row_factory = None  # plain tuples in Channel's field order: the hot path at scale
            return [Channel(*row) for row in await cur.fetchall()]

    async def insert_channel(self, *, place_slug: str, platform: str, name: str, url: str, verified_on: str,
                             notice_id: int | None = None, as_written: str | None = None,
                             since: str | None = None, status: str = "active",
                             superseded_by: int | None = None, channel_id: int | None = None) -> int:
        ts = now_iso()
        return await self._exec(
            "INSERT INTO channels (id, place_slug, platform, name, url, as_written, status, superseded_by, "
            "notice_id, since, verified_on, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (channel_id, place_slug, platform, name, url, as_written, status, superseded_by, notice_id, since,
             verified_on, ts, ts),
        )

    async def update_channel(self, channel_id: int, **fields: Any) -> int:
        """Change a channel's fields; `updated_at` is now unless given (an undo puts the old one back)."""
        allowed = {"place_slug", "platform", "name", "url", "status", "superseded_by", "notice_id",
                   "verified_on", "as_written", "since", "updated_at"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"bad channel fields: {sorted(fields)}")
        fields.setdefault("updated_at", now_iso())
        assignments = ", ".join(f"{k} = ?" for k in fields)
        return await self._exec(
            f"UPDATE channels SET {assignments} WHERE id = ?",
            [*fields.values(), channel_id],
        )

    async def delete_channel(self, channel_id: int) -> int:
        return await self._exec("DELETE FROM channels WHERE id = ?", (channel_id,))
