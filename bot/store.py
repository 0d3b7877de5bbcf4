"""The only module that knows SQL: one SQLite file through aiosqlite, versioned migrations, transactions."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import AuditEntry, Channel, ManagingUnit, Notice
from bot.people import Person, person_from_key

# Each entry moves the schema one version up (PRAGMA user_version). Never edit a released entry: append.
MIGRATIONS: tuple[str, ...] = (
    # 1: the registry
    """
    CREATE TABLE places (
        slug TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('unit', 'former')),
        code INTEGER NOT NULL,
        name TEXT NOT NULL,
        full_name TEXT NOT NULL,
        unit_slug TEXT NOT NULL REFERENCES places (slug),
        merged_on TEXT
    );
    CREATE TABLE managing_units (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        address TEXT,
        phone TEXT,
        emails TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        key TEXT UNIQUE,
        place_slug TEXT NOT NULL REFERENCES places (slug),
        issuer TEXT NOT NULL,
        number TEXT,
        number_suffix TEXT,
        year INTEGER NOT NULL,
        month INTEGER CHECK (month BETWEEN 1 AND 12),
        day INTEGER CHECK (day BETWEEN 1 AND 31),
        location TEXT,
        subject TEXT NOT NULL,
        summary TEXT,
        signer TEXT,
        signer_title TEXT,
        recipients TEXT NOT NULL DEFAULT '[]',
        url TEXT,
        managing_unit_id INTEGER REFERENCES managing_units (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX notices_place ON notices (place_slug);
    CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        place_slug TEXT NOT NULL REFERENCES places (slug),
        platform TEXT NOT NULL,
        name TEXT NOT NULL,
        url TEXT NOT NULL UNIQUE,
        as_written TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'retired')),
        superseded_by INTEGER REFERENCES channels (id),
        notice_id INTEGER REFERENCES notices (id),
        since TEXT,
        verified_on TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX channels_place ON channels (place_slug, status);
    CREATE TABLE notice_channels (
        notice_id INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
        channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
        PRIMARY KEY (notice_id, channel_id)
    );
    CREATE TABLE admins (
        user_id INTEGER PRIMARY KEY,
        name TEXT,
        granted_by INTEGER NOT NULL,
        granted_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        actor_name TEXT,
        action TEXT NOT NULL,
        place_slug TEXT,
        entity TEXT NOT NULL,
        entity_id INTEGER,
        before TEXT,
        after TEXT,
        undoes INTEGER REFERENCES audit (id)
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TABLE media_cache (
        content_hash TEXT NOT NULL,
        platform TEXT NOT NULL,
        file_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (content_hash, platform)
    );
    """,
    # 2: admin changes wait here for their Confirm; audit reads by place and by actor
    """
    CREATE TABLE pending (
        token TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
        created_at TEXT NOT NULL
    );
    CREATE INDEX audit_place ON audit (place_slug, id);
    CREATE INDEX audit_actor ON audit (actor_id, id);
    """,
    # 3: what anyone reports (a wrong, fake or missing channel), queued for the admins
    """
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        reporter_id INTEGER NOT NULL,
        reporter_name TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
        resolved_by INTEGER,
        resolved_at TEXT
    );
    CREATE INDEX reports_open ON reports (state, id);
    """,
    # 4: people are (platform, id): Telegram ids (integers) and Zalo ids (opaque strings) side by side. Tables
    # rebuilt the way SQLite documents (create, copy, drop, rename); the audit log's rows are copied unchanged
    # (its append-only triggers come back on the new table).
    """
    CREATE TABLE admins_v4 (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT,
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
    INSERT INTO admins_v4 SELECT 'telegram', CAST(user_id AS TEXT), name, 'telegram:' || granted_by, granted_at
        FROM admins;
    DROP TABLE admins;
    ALTER TABLE admins_v4 RENAME TO admins;
    CREATE TABLE pending_v4 (
        token TEXT PRIMARY KEY,
        actor_platform TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
        created_at TEXT NOT NULL
    );
    INSERT INTO pending_v4 SELECT token, 'telegram', CAST(actor_id AS TEXT), kind, payload, state, created_at
        FROM pending;
    DROP TABLE pending;
    ALTER TABLE pending_v4 RENAME TO pending;
    CREATE TABLE reports_v4 (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        reporter_platform TEXT NOT NULL,
        reporter_id TEXT NOT NULL,
        reporter_name TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
        resolved_by TEXT,
        resolved_at TEXT
    );
    INSERT INTO reports_v4 SELECT id, at, 'telegram', CAST(reporter_id AS TEXT), reporter_name, subject, text, state,
        CASE WHEN resolved_by IS NULL THEN NULL ELSE 'telegram:' || resolved_by END, resolved_at FROM reports;
    DROP TABLE reports;
    ALTER TABLE reports_v4 RENAME TO reports;
    CREATE INDEX reports_open ON reports (state, id);
    DROP TRIGGER audit_no_update;
    DROP TRIGGER audit_no_delete;
    CREATE TABLE audit_v4 (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_platform TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT,
        action TEXT NOT NULL,
        place_slug TEXT,
        entity TEXT NOT NULL,
        entity_id INTEGER,
        before TEXT,
        after TEXT,
        undoes INTEGER REFERENCES audit (id)
    );
    INSERT INTO audit_v4 SELECT id, at, 'telegram', CAST(actor_id AS TEXT), actor_name, action, place_slug, entity,
        entity_id, before, after, undoes FROM audit;
    DROP TABLE audit;
    ALTER TABLE audit_v4 RENAME TO audit;
    CREATE INDEX audit_place ON audit (place_slug, id);
    CREATE INDEX audit_actor ON audit (actor_platform, actor_id, id);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    """,
    # 5: per-user state that survives a restart (a guided conversation, the last numbered menu, a typed
    # confirmation; the language chosen with /lang), and the updates a platform may deliver twice (Zalo)
    """
    CREATE TABLE conversations (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, chat_id)
    );
    CREATE TABLE user_prefs (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id)
    );
    CREATE TABLE seen_updates (
        platform TEXT NOT NULL,
        update_id TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (platform, update_id)
    );
    CREATE INDEX seen_updates_age ON seen_updates (seen_at);
    """,
)


# In the order of Channel's fields.
_CHANNEL_COLUMNS = (
    "id, place_slug, platform, name, url, status, notice_id, verified_on, as_written, since, superseded_by, "
    "created_at, updated_at"
)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """One connection, used by one event loop. Writes are serialised by a lock and run in one transaction."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | None = None) -> None:
        self._conn = conn
        self.path = path  # the file (None: in memory)
        self._write_lock = asyncio.Lock()
        # file_ids are asked for on every card sent and every inline result: remember the ones we have seen.
        self._media: dict[tuple[str, str], str] = {}

    @classmethod
    async def open(cls, path: Path | str, *, schema: int | None = None) -> Store:
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

    def forget_media(self) -> None:
        """Drop remembered file_ids: another process may have changed them (they are read again on demand)."""
        self._media.clear()

    async def defer_foreign_keys(self) -> None:
        """Inside a transaction: check foreign keys at COMMIT, so rows can be restored in any order."""
        await self._conn.execute("PRAGMA defer_foreign_keys = ON")

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

    # --- places ---------------------------------------------------------------------------------------
    async def upsert_place(self, slug: str, kind: str, code: int, name: str, full_name: str,
                           unit_slug: str, merged_on: str | None) -> None:
        await self._exec(
            "INSERT INTO places (slug, kind, code, name, full_name, unit_slug, merged_on) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (slug) DO UPDATE SET kind=excluded.kind, code=excluded.code, name=excluded.name, "
            "full_name=excluded.full_name, unit_slug=excluded.unit_slug, merged_on=excluded.merged_on",
            (slug, kind, code, name, full_name, unit_slug, merged_on),
        )

    async def count(self, table: str) -> int:
        if table not in {"places", "channels", "notices", "audit", "admins", "managing_units", "media_cache"}:
            raise ValueError(table)
        row = await self._one(f"SELECT COUNT(*) FROM {table}")
        return int(row[0]) if row else 0

    # --- channels -------------------------------------------------------------------------------------
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

    # --- notices --------------------------------------------------------------------------------------
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

    async def foreign_key_violations(self) -> int:
        """Rows pointing at rows that do not exist (checked before COMMIT when foreign keys are deferred)."""
        return len(await self._all("PRAGMA foreign_key_check"))

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

    # --- reports --------------------------------------------------------------------------------------
    async def add_report(self, reporter: Person, reporter_name: str | None, subject: str, text: str) -> int:
        async with self.transaction():
            return await self._exec(
                "INSERT INTO reports (at, reporter_platform, reporter_id, reporter_name, subject, text) "
                "VALUES (?,?,?,?,?,?)", (now_iso(), reporter.platform, reporter.id, reporter_name, subject, text),
            )

    async def open_reports(self, limit: int = 20) -> tuple[int, list[tuple[int, str, Person, str | None, str, str]]]:
        """(how many are open, the oldest `limit` of them as (id, at, reporter, name, subject, text))."""
        total = await self._one("SELECT COUNT(*) FROM reports WHERE state = 'open'")
        rows = await self._all("SELECT id, at, reporter_platform, reporter_id, reporter_name, subject, text "
                               "FROM reports WHERE state = 'open' ORDER BY id LIMIT ?", (limit,))
        return int(total[0]) if total else 0, [(r[0], r[1], Person(r[2], r[3]), r[4], r[5], r[6]) for r in rows]

    async def resolve_report(self, report_id: int, by: Person) -> bool:
        async with self.transaction():
            return await self._exec("UPDATE reports SET state = 'resolved', resolved_by = ?, resolved_at = ? "
                                    "WHERE id = ? AND state = 'open'", (by.key, now_iso(), report_id)) == 1

    # --- admins ---------------------------------------------------------------------------------------
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

    # --- audit ----------------------------------------------------------------------------------------
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

    # --- media cache ----------------------------------------------------------------------------------
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

    # --- pending admin changes ------------------------------------------------------------------------
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

    # --- per-user state -------------------------------------------------------------------------------
    async def conversation(self, person: Person, chat_id: str) -> dict[str, Any] | None:
        row = await self._one("SELECT state FROM conversations WHERE platform = ? AND user_id = ? AND chat_id = ?",
                              (person.platform, person.id, chat_id))
        return json.loads(row[0]) if row else None

    async def conversation_keys(self) -> list[tuple[Person, str]]:
        rows = await self._all("SELECT platform, user_id, chat_id FROM conversations")
        return [(Person(r[0], r[1]), r[2]) for r in rows]

    async def all_languages(self) -> list[tuple[Person, str]]:
        return [(Person(r[0], r[1]), r[2]) for r in await self._all("SELECT platform, user_id, lang FROM user_prefs")]

    async def save_conversation(self, person: Person, chat_id: str, state: dict[str, Any] | None) -> None:
        """Store a conversation's state (None or empty: it ended, and nothing is kept)."""
        async with self.transaction():
            if state:
                await self._exec(
                    "INSERT INTO conversations (platform, user_id, chat_id, state, updated_at) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (platform, user_id, chat_id) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (person.platform, person.id, chat_id, json.dumps(state, ensure_ascii=False), now_iso()))
            else:
                await self._exec("DELETE FROM conversations WHERE platform = ? AND user_id = ? AND chat_id = ?",
                                 (person.platform, person.id, chat_id))

    async def language(self, person: Person) -> str | None:
        row = await self._one("SELECT lang FROM user_prefs WHERE platform = ? AND user_id = ?",
                              (person.platform, person.id))
        return str(row[0]) if row else None

    async def set_language(self, person: Person, lang: str) -> None:
        async with self.transaction():
            await self._exec(
                "INSERT INTO user_prefs (platform, user_id, lang, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (platform, user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
                (person.platform, person.id, lang, now_iso()))

    async def first_delivery(self, platform: str, update_id: str, now: float, keep: float) -> bool:
        """True the first time an update id is seen (within `keep` seconds); older ids are forgotten."""
        async with self.transaction():
            await self._exec("DELETE FROM seen_updates WHERE seen_at < ?", (now - keep,))
            async with self._conn.execute(
                "INSERT INTO seen_updates (platform, update_id, seen_at) VALUES (?,?,?) "
                "ON CONFLICT (platform, update_id) DO NOTHING", (platform, update_id, now)) as cur:
                return cur.rowcount == 1



# --- whole files: checking a copy, restoring one ---------------------------------------------------------
REQUIRED_TABLES = frozenset({"places", "channels", "notices", "audit", "admins"})


def inspect_file(path: Path) -> str | None:
    """Why this file is not a sound registry database (missing, not SQLite, damaged, unknown schema), or None."""
    if not path.is_file():
        return "no such file"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"cannot open it: {exc}"
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            return "integrity check failed: " + "; ".join(problems[:3])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return f"not a sound SQLite database: {exc}"
    finally:
        conn.close()
    if not 1 <= version <= len(MIGRATIONS) or not tables >= REQUIRED_TABLES:
        return f"not a registry this bot knows (schema version {version}, latest {len(MIGRATIONS)})"
    return None


def copy_database(source: Path, target: Path) -> None:
    """Replace `target` by a copy of `source`, atomically: the backup API into a temp file beside the target,
    fsync, then os.replace. The target's -wal/-shm are removed first: an old WAL must never meet the new file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.restoring")
    for leftover in (temp, Path(f"{temp}-journal")):
        leftover.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(temp)
    try:
        src.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")  # Store.open switches it back to WAL
    finally:
        dest.close()
        src.close()
    fsync_path(temp)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        stale.unlink(missing_ok=True)
    os.replace(temp, target)
    fsync_path(target.parent)


def fsync_path(path: Path) -> None:
    """Flush a file (or a directory, after a rename in it) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (which contain ';') whole."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


def _json_or_none(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


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


def _audit(r: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=r["id"], at=r["at"], actor=Person(r["actor_platform"], r["actor_id"]), actor_name=r["actor_name"],
        action=r["action"],
        place_slug=r["place_slug"], entity=r["entity"], entity_id=r["entity_id"],
        before=json.loads(r["before"]) if r["before"] else None,
        after=json.loads(r["after"]) if r["after"] else None, undoes=r["undoes"],
    )
