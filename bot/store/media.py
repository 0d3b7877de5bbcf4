"""The media cache: a platform's file_id for each rendered image (table media_cache), and the in-memory memo
of the file_ids already read.

Invariants: one file_id per (content hash, platform), replaced when the platform gives a new one; the memo
only holds what the table holds (written after the commit) and is dropped by forget_media when another
process may have changed the table.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.store.connection import StoreBase, now_iso


class MediaStore(StoreBase):
    """The media_cache table and its memo."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | None = None) -> None:
        super().__init__(conn, path)
        # file_ids are asked for on every card sent and every inline result: remember the ones we have seen.
        self._media: dict[tuple[str, str], str] = {}

    def forget_media(self) -> None:
        """Drop remembered file_ids: another process may have changed them (they are read again on demand)."""
        self._media.clear()

    async def media_file_id(self, content_hash: str, platform: str) -> str | None:
        known = self._media.get((content_hash, platform))
        if known is not None:
            return known
        row = await self._one("SELECT file_id FROM media_cache WHERE content_hash = ? AND platform = ?",
                              (content_hash, platform))
        if row is None:
            return None
        self._media[(content_hash, platform)] = str(row[0])
        return str(row[0])

    async def remember_media(self, content_hash: str, platform: str, file_id: str) -> None:
        async with self.transaction():
            await self._exec(
                "INSERT INTO media_cache (content_hash, platform, file_id, created_at) VALUES (?,?,?,?) "
                "ON CONFLICT (content_hash, platform) DO UPDATE SET file_id = excluded.file_id",
                (content_hash, platform, file_id, now_iso()),
            )
        self._media[(content_hash, platform)] = file_id
