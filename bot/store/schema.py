"""The schema: MIGRATIONS, applied in order by the connection's migrate() (PRAGMA user_version counts them).

Invariant: a released migration's text never changes (existing databases were built by it, and the tests compare
old files migrated up against new ones): a change of schema is a new entry appended at the end.
"""

from __future__ import annotations

import sqlite3

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
    # 6: group subscriptions and change alerts. An alert is one unit's change(s) (folded within a window); the
    # outbox holds one row per chat to tell, written in the change's own transaction, and closes each row once.
    """
    CREATE TABLE subscriptions (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        unit_slug TEXT NOT NULL REFERENCES places (slug),
        lang TEXT NOT NULL,
        subscribed_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, unit_slug)
    );
    CREATE INDEX subscriptions_unit ON subscriptions (unit_slug);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        unit_slug TEXT NOT NULL REFERENCES places (slug),
        created_at TEXT NOT NULL,
        due_at REAL NOT NULL
    );
    CREATE INDEX alerts_unit ON alerts (unit_slug, id);
    CREATE TABLE alert_changes (
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        audit_id INTEGER NOT NULL REFERENCES audit (id),
        PRIMARY KEY (alert_id, audit_id)
    );
    CREATE INDEX alert_changes_audit ON alert_changes (audit_id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('alert', 'digest')),
        ref INTEGER NOT NULL,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,
        error TEXT,
        done_at TEXT,
        UNIQUE (kind, ref, platform, chat_id)
    );
    CREATE INDEX outbox_due ON outbox (state, next_at);
    CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL
    );
    """,
)


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

