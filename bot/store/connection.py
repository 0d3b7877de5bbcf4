"""The one aiosqlite connection every aggregate of the store shares, and what is not any aggregate's own:
opening (pragmas), migrating, transactions, data_version, foreign-key checks, the online backup, row counts and
the low-level _one/_all/_exec helpers.

Invariants: one connection, used by one event loop; every write runs inside transaction() (the per-user, media,
report and pending-add methods open their own; the registry's writes are called inside the caller's, so that one
change is one transaction), which holds a lock (writes are serialised) and is one BEGIN IMMEDIATE … COMMIT,
rolled back whole on any exception. Foreign keys are on outside migrations.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.store.files import fsync_path
from bot.store.schema import MIGRATIONS, _split_sql

# What callers outside the store catch, so that only the store imports sqlite3.
IntegrityError = sqlite3.IntegrityError  # a constraint refused the write (UNIQUE url, foreign key, CHECK)
StoreError = sqlite3.Error  # any SQLite error


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class StoreBase:
    """One connection, used by one event loop. Writes are serialised by a lock and run in one transaction."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | None = None) -> None:
        self._conn = conn
        self.path = path  # the file (None: in memory)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, schema: int | None = None) -> Self:
        """Open (creating if needed) and migrate to the latest schema, or to `schema` (tests of old files)."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = FULL")  # an acknowledged change survives power loss
        await conn.execute("PRAGMA busy_timeout = 5000")
        store = cls(conn, None if str(path) == ":memory:" else Path(path))
        await store.migrate(schema)
        return store

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self._one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> int:
        """Apply the migrations past the file's user_version, each in its own transaction."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[: target or len(MIGRATIONS)], start=1):
            if number <= version:
                continue
            # Foreign keys off while tables are rebuilt (SQLite's documented procedure: dropping the old table
            # would count its rows' references as violations), checked as a whole before COMMIT instead.
            await self._conn.execute("PRAGMA foreign_keys = OFF")
            try:
                async with self.transaction():
                    for statement in _split_sql(script):
                        await self._conn.execute(statement)
                    if await self.foreign_key_violations():
                        raise sqlite3.IntegrityError(f"migration {number} would break a foreign key")
                    await self._conn.execute(f"PRAGMA user_version = {number}")
            finally:
                await self._conn.execute("PRAGMA foreign_keys = ON")
            version = number
        return version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def data_version(self) -> int:
        """Moves whenever another connection (another process) commits to the file; not for our own commits."""
        row = await self._one("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def defer_foreign_keys(self) -> None:
        """Inside a transaction: check foreign keys at COMMIT, so rows can be restored in any order."""
        await self._conn.execute("PRAGMA defer_foreign_keys = ON")

    async def foreign_key_violations(self) -> int:
        """Rows pointing at rows that do not exist (checked before COMMIT when foreign keys are deferred)."""
        return len(await self._all("PRAGMA foreign_key_check"))

    async def backup(self, target: Path | str) -> None:
        """A consistent copy through SQLite's online backup API, safe while the bot runs; on disk when it returns."""
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        dest = await aiosqlite.connect(str(target))
        try:
            await self._conn.backup(dest)
            await dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            await dest.close()
        await asyncio.to_thread(fsync_path, Path(target))

    async def count(self, table: str) -> int:
        if table not in {"places", "channels", "notices", "audit", "admins", "managing_units", "media_cache"}:
            raise ValueError(table)
        row = await self._one(f"SELECT COUNT(*) FROM {table}")
        return int(row[0]) if row else 0

    # --- low level ------------------------------------------------------------------------------------
    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a write (inside a transaction()); returns lastrowid, or rowcount for UPDATE/DELETE."""
        async with self._conn.execute(sql, params) as cur:
            return (cur.lastrowid or 0) if sql.lstrip().upper().startswith("INSERT") else cur.rowcount

    async def _rows_changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a write (inside a transaction()); how many rows it wrote (0 for an INSERT OR IGNORE ignored)."""
        async with self._conn.execute(sql, params) as cur:
            return cur.rowcount


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"
