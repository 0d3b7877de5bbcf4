"""Whole database files, outside any open Store: checking a copy (inspect_file), replacing the database by one
(copy_database), flushing a file or directory to the disk (fsync_path).

Invariants: inspect_file only reads (the file is opened read-only); copy_database leaves either the old target or
the whole new copy, never a mix, and never lets an old -wal meet the new file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot.store.schema import MIGRATIONS

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
