"""Backups: verified copies on a schedule, pruning that touches only its own files, and a restore drill."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.backups import BACKUP_NAME, BackupError, BackupSchedule, backup_once, backups_in
from bot.changes import Changes, Outcome
from bot.cli import restore
from bot.config import Settings, parse_duration
from bot.people import Person
from bot.runtime import open_registry
from bot.services import Registry
from bot.store import Store, inspect_file
from tests.fakebot.server import FakeBotApi
from tests.telegram_harness import running_bot

NEW_PAGE = "https://www.facebook.com/canthobackuptest"


def ticking(start: datetime = datetime(2026, 3, 1, tzinfo=UTC)) -> Callable[[], datetime]:
    """A clock one second further on every call: each backup gets its own name."""
    seconds = itertools.count()
    return lambda: start + timedelta(seconds=next(seconds))


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")


def restore_beside_a_stale_wal(settings: Settings, backup: Path) -> list[str]:
    """Restore as after a bot killed mid-write (its -wal/-shm left behind); returns what is beside the file then.

    The old WAL must never meet the new file."""
    Path(f"{settings.db_path}-wal").write_bytes(b"stale")
    Path(f"{settings.db_path}-shm").write_bytes(b"stale")
    assert restore(settings, str(backup)) == 0
    return sorted(p.name for p in settings.db_path.parent.iterdir() if p.name.startswith((".", "bot.sqlite3")))


async def channels_of_can_tho(registry: Registry) -> list[str]:
    scope = registry.scope(registry.places.unit_of(registry.places.places["can_tho"]))
    return sorted(c.url for c in await registry.store.channels_of(scope))


def corrupt(path: Path) -> None:
    """Overwrite pages 3-5 of a SQLite file: its header still says SQLite, its b-trees are garbage."""
    data = bytearray(path.read_bytes())
    data[3 * 4096 : 6 * 4096] = b"\x5a" * (3 * 4096)
    path.write_bytes(bytes(data))


async def test_backup_once_writes_a_verified_copy_named_by_the_time(registry: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    path = await backup_once(registry.store, folder, 14, now=datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC))
    assert path == folder / "registry-20260504T030201Z.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no -wal, -shm or temp file beside it
    assert inspect_file(path) is None
    copy = await Store.open(path)
    try:
        assert await copy.all_channels() == await registry.store.all_channels()
    finally:
        await copy.close()


async def test_pruning_keeps_exactly_the_newest_and_leaves_other_files_alone(registry: Registry,
                                                                            tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    foreign = ["notes.txt", "registry-latest.sqlite3", "registry-20200101T000000Z.sqlite3.bak",
               "bot.sqlite3", "registry-2020-01-01.sqlite3"]
    for name in foreign:
        (folder / name).write_text("not mine")
    clock = ticking()
    made = [await backup_once(registry.store, folder, 3, now=clock()) for _ in range(6)]
    assert backups_in(folder) == made[-3:]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*foreign, *(p.name for p in made[-3:])])
    assert all((folder / name).read_text() == "not mine" for name in foreign)


async def test_a_corrupt_copy_is_deleted_and_never_counts_as_a_backup(registry: Registry, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "backups"
    clock = ticking()
    good = await backup_once(registry.store, folder, 1, now=clock())
    real_backup = registry.store.backup

    async def damaged_backup(target: Path | str) -> None:
        await real_backup(target)
        corrupt(Path(target))

    monkeypatch.setattr(registry.store, "backup", damaged_backup)
    with pytest.raises(BackupError, match="discarded"):
        await backup_once(registry.store, folder, 1, now=clock())
    # The bad copy is gone, and the good one was not pruned to make room for it.
    assert sorted(p.name for p in folder.iterdir()) == [good.name]
    assert inspect_file(good) is None


def test_the_corruption_used_above_is_caught_by_the_check(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 100)
    conn.close()
    corrupt(path)
    assert (inspect_file(path) or "").startswith(("integrity check failed", "not a sound SQLite database"))


async def test_the_schedule_backs_up_at_start_then_every_interval(registry: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    schedule = BackupSchedule(registry.store, folder, interval=0.05, keep=3, clock=ticking())
    schedule.start()
    try:
        await wait_for(lambda: len(backups_in(folder)) >= 1)  # at start, without waiting an interval
        await wait_for(lambda: schedule.made >= 5)  # …and again after each interval
        assert len(backups_in(folder)) == 3 and schedule.failed_count == 0
    finally:
        await schedule.stop()
    made = schedule.made
    await asyncio.sleep(0.15)
    assert schedule.made == made  # stopped means stopped
    assert all(BACKUP_NAME.fullmatch(p.name) for p in folder.iterdir())


async def test_a_failing_backup_is_logged_and_the_schedule_goes_on(registry: Registry, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    real_backup, calls = registry.store.backup, []

    async def flaky_backup(target: Path | str) -> None:
        calls.append(target)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        await real_backup(target)

    monkeypatch.setattr(registry.store, "backup", flaky_backup)
    schedule = BackupSchedule(registry.store, tmp_path / "b", interval=0.05, keep=3, clock=ticking())
    schedule.start()
    try:
        await wait_for(lambda: schedule.made >= 1)
    finally:
        await schedule.stop()
    assert schedule.failed_count == 1 and "No space left on device" in caplog.text
    assert len(backups_in(tmp_path / "b")) == schedule.made


async def test_restore_drill_the_registry_serves_the_backed_up_state(settings: Settings, tmp_path: Path) -> None:
    registry = await open_registry(settings)
    try:
        before = await channels_of_can_tho(registry)
        backup = await backup_once(registry.store, tmp_path / "backups", 14)
        changes = Changes(registry)
        token = await changes.propose(
            Person.telegram(1), "add_channel", {"place_slug": "can_tho", "platform": "facebook",
                                                         "url": NEW_PAGE, "name": "Trang mới"})
        assert (await changes.confirm(token, Person.telegram(1), "a")).outcome == Outcome.APPLIED
        assert await channels_of_can_tho(registry) == sorted([*before, NEW_PAGE])
    finally:
        await registry.store.close()
    assert await asyncio.to_thread(restore_beside_a_stale_wal, settings, backup) == [settings.db_path.name]

    restored = await open_registry(settings)
    try:
        assert await channels_of_can_tho(restored) == before
        assert await restored.store.channel_by_url(NEW_PAGE) is None
        assert await restored.store.all_audit() == []
        view = await restored.unit_view(restored.places.places["can_tho"])
        assert NEW_PAGE not in [cv.channel.url for cv in view.channels]
    finally:
        await restored.store.close()


def _sqlite_but_not_a_registry(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    conn.close()


def _corrupt_registry(path: Path) -> None:
    async def make() -> None:
        store = await Store.open(path.with_name("source.sqlite3"))
        await store.backup(path)
        await store.close()

    asyncio.run(make())
    corrupt(path)


@pytest.mark.parametrize(("make", "reason"), [
    (None, "no such file"),
    (lambda p: p.write_text("registry\n" * 1000), "not a sound SQLite database"),
    (_sqlite_but_not_a_registry, "not a registry"),
    (_corrupt_registry, ""),
])
def test_restore_refuses_bad_input_with_one_line_and_exit_code_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str],
                                                               make: Callable[[Path], None] | None,
                                                               reason: str) -> None:
    target = tmp_path / "bot.sqlite3"
    target.write_bytes(b"the current registry")
    source = tmp_path / "backup.sqlite3"
    if make is not None:
        make(source)
    monkeypatch.setenv("BOT_DB_PATH", str(target))
    assert main(["restore", str(source)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("restore refused:") and reason in err
    assert "Traceback" not in err
    assert target.read_bytes() == b"the current registry"


def test_backup_settings_from_the_environment() -> None:
    assert Settings.from_env({}).backup_dir is None
    s = Settings.from_env({"BOT_BACKUP_DIR": "/var/backups/bot", "BOT_BACKUP_INTERVAL": "6h", "BOT_BACKUP_KEEP": "3"})
    assert (s.backup_dir, s.backup_interval, s.backup_keep) == (Path("/var/backups/bot"), 21600, 3)
    assert Settings.from_env({}).backup_interval == 86400 and Settings.from_env({}).backup_keep == 14
    assert [parse_duration(x) for x in ("3600", "30m", "6h", "1d", "45s")] == [3600, 1800, 21600, 86400, 45]
    for bad in ("", "soon", "0", "-5m", "1w", "inf"):
        with pytest.raises(ValueError, match="BOT_BACKUP_INTERVAL"):
            parse_duration(bad)


async def test_the_telegram_bot_backs_up_at_start_up_and_stops_at_shutdown(settings: Settings, tmp_path: Path,
                                                                           api: FakeBotApi) -> None:
    folder = tmp_path / "backups"
    async with running_bot(settings, api, backup_dir=folder, backup_interval=3600.0) as harness:
        await wait_for(lambda: len(backups_in(folder)) == 1)
        schedule = harness.root.backups
        assert schedule is not None
    assert schedule._task is None  # cancelled and awaited when the App closes
