"""Scheduled backups of the registry: a verified copy now and every interval, the newest `keep` kept.

A copy is written under a temporary name, checked (PRAGMA integrity_check, schema) and only then renamed to
registry-YYYYMMDDTHHMMSSZ.sqlite3: a file with that name is always a whole, verified backup. Pruning touches
only files with that name pattern, never anything else in the folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.periodic import Periodic
from bot.store import Store, fsync_path, inspect_file

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"registry-\d{8}T\d{6}Z\.sqlite3")
PARTIAL_NAME = re.compile(r"\.registry-\d{8}T\d{6}Z\.sqlite3\.partial(-journal|-wal|-shm)?")


class BackupError(Exception):
    """The copy could not be written or did not pass its check; nothing was kept."""


def backups_in(directory: Path) -> list[Path]:
    """This module's backups in `directory`, oldest first (the names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if BACKUP_NAME.fullmatch(p.name) and p.is_file())


async def backup_once(store: Store, directory: Path, keep: int, *, now: datetime | None = None) -> Path:
    """Write one verified backup into `directory`, prune to the newest `keep`; returns the new file."""
    await asyncio.to_thread(_prepare, directory)
    name = f"registry-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}.sqlite3"
    target, partial = directory / name, directory / f".{name}.partial"
    try:
        await store.backup(partial)
        problem = await asyncio.to_thread(inspect_file, partial)
    except Exception as exc:
        await asyncio.to_thread(_remove_partials, directory)
        raise BackupError(f"backup {target} failed: {exc}") from exc
    if problem is not None:
        await asyncio.to_thread(_remove_partials, directory)
        raise BackupError(f"backup {target} discarded: {problem}")
    await asyncio.to_thread(_publish, partial, target, keep)
    return target


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    _remove_partials(directory)  # a backup cut short by a crash or a shutdown


def _publish(partial: Path, target: Path, keep: int) -> None:
    os.replace(partial, target)
    fsync_path(target.parent)
    prune(target.parent, keep)


def _remove_partials(directory: Path) -> None:
    for path in directory.iterdir():
        if PARTIAL_NAME.fullmatch(path.name):
            path.unlink(missing_ok=True)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest backups so at most `keep` remain; returns what was deleted."""
    backups = backups_in(directory)
    doomed = backups[: max(0, len(backups) - max(1, keep))]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


class BackupSchedule(Periodic):
    """A backup at start, then one every `interval` seconds. Errors are logged and counted, never raised."""

    name = "scheduled backup"

    def __init__(self, store: Store, directory: Path, interval: float, keep: int,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(interval)
        self.store, self.directory, self.keep = store, directory, keep
        self.clock = clock or (lambda: datetime.now(UTC))
        self.made = 0  # backups written since start
        self.failed_count = 0

    def start(self) -> None:
        self.start_task()

    async def tick(self) -> None:
        path = await backup_once(self.store, self.directory, self.keep, now=self.clock())
        self.made += 1
        log.info("registry backed up to %s", path)

    def failed(self, exc: Exception) -> None:
        self.failed_count += 1
        super().failed(exc)


def start_backups(settings: Settings, store: Store) -> BackupSchedule | None:
    """The schedule BOT_BACKUP_* ask for, started; None when BOT_BACKUP_DIR is unset."""
    if settings.backup_dir is None:
        return None
    schedule = BackupSchedule(store, settings.backup_dir, settings.backup_interval, settings.backup_keep)
    schedule.start()
    log.info("backups every %ss into %s, keeping %s", settings.backup_interval, settings.backup_dir,
             settings.backup_keep)
    return schedule
