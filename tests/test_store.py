"""The SQLite store: migrations on an existing file, idempotent seeding, the seeded facts, append-only audit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.people import Person
from bot.places import Gazetteer
from bot.runtime import open_registry
from bot.seed import seed
from bot.services import Registry, notice_date, notice_number
from bot.store import MIGRATIONS, Store
from tests.conftest import DATA_DIR


async def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "old.sqlite3"
    # A file as the first release left it: schema version 1, with data in it.
    store = await Store.open(path, schema=1)
    assert await store.schema_version() == 1
    await seed(store, gazetteer, DATA_DIR)
    channels_before = await store.all_channels()
    await store.close()

    reopened = await Store.open(path)
    try:
        assert await reopened.schema_version() == len(MIGRATIONS) >= 2
        assert await reopened.all_channels() == channels_before
        await reopened.add_pending("tok", Person.telegram(1), "test", {"a": 1})  # a table migration 2 creates
        assert (await reopened.pending("tok"))[:4] == (Person.telegram(1), "test", {"a": 1}, "open")
    finally:
        await reopened.close()


async def test_a_version_3_database_keeps_its_people_as_telegram_users(tmp_path: Path) -> None:
    """Migration 4 (people are (platform, id)): every admin, audit row, pending change and report written with
    a Telegram integer id comes through as that Telegram user, and the audit log stays append-only."""
    path = tmp_path / "v3.sqlite3"
    store = await Store.open(path, schema=3)
    conn = store._conn
    await conn.execute("INSERT INTO admins VALUES (555, 'Bình', 999, '2026-01-01T00:00:00+00:00')")
    await conn.execute("INSERT INTO audit (id, at, actor_id, actor_name, action, place_slug, entity, entity_id, "
                       "before, after) VALUES (1, '2026-01-02T00:00:00+00:00', 999, 'Quản trị', 'add_channel', "
                       "'can_tho', 'channel', 7, '{}', '{}')")
    await conn.execute("INSERT INTO audit (id, at, actor_id, actor_name, action, place_slug, entity, entity_id, "
                       "before, after, undoes) VALUES (2, '2026-01-03T00:00:00+00:00', 999, 'Quản trị', 'undo', "
                       "'can_tho', 'channel', 7, '{}', '{}', 1)")
    await conn.execute("INSERT INTO pending (token, actor_id, kind, payload, created_at) "
                       "VALUES ('t1', 555, 'add_channel', '{}', '2026-01-04T00:00:00+00:00')")
    await conn.execute("INSERT INTO reports (at, reporter_id, reporter_name, subject, text, state, resolved_by) "
                       "VALUES ('2026-01-05T00:00:00+00:00', 42, 'An', 'can_tho', 'sai', 'resolved', 555)")
    await store.close()

    reopened = await Store.open(path)
    try:
        assert await reopened.schema_version() == len(MIGRATIONS) >= 4
        assert await reopened.admins() == [(Person.telegram(555), "Bình", Person.telegram(999),
                                            "2026-01-01T00:00:00+00:00")]
        assert await reopened.is_admin(Person.telegram(555))
        assert not await reopened.is_admin(Person("zalo", "555"))  # the same digits on another platform
        audit = await reopened.all_audit()
        assert [(e.id, e.actor, e.undoes) for e in audit] == [(1, Person.telegram(999), None),
                                                              (2, Person.telegram(999), 1)]
        last = await reopened.last_change(Person.telegram(999))
        assert last is not None and last[0].id == 1 and last[1] is True  # its undo still points at it
        assert (await reopened.pending("t1"))[0] == Person.telegram(555)
        assert (await reopened.open_reports())[0] == 0
        await reopened.add_report(Person("zalo", "abcXYZ"), "Lan", "can_tho", "thiếu kênh")
        assert (await reopened.open_reports())[1][0][2] == Person("zalo", "abcXYZ")
        for statement in ("UPDATE audit SET actor_name = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError):
                await reopened._conn.execute(statement)
        assert await reopened.foreign_key_violations() == 0
    finally:
        await reopened.close()


async def test_pragmas_wal_and_foreign_keys(registry: Registry) -> None:
    conn = registry.store._conn
    async with conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1


async def test_durability_is_synchronous_full_in_wal_mode(registry: Registry) -> None:
    """FULL (2) syncs the WAL at every COMMIT: a change acknowledged as saved survives a power loss too."""
    conn = registry.store._conn
    async with conn.execute("PRAGMA synchronous") as cur:
        assert (await cur.fetchone())[0] == 2
    async with conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"


async def test_seeding_twice_adds_nothing(settings: Settings, gazetteer: Gazetteer) -> None:
    first = await open_registry(settings)
    counts = [await first.store.count(t) for t in ("places", "channels", "notices", "managing_units")]
    assert await seed(first.store, gazetteer, DATA_DIR) == 0
    await first.store.close()
    second = await open_registry(settings)  # start-up seeds again
    try:
        assert [await second.store.count(t) for t in ("places", "channels", "notices", "managing_units")] == counts
        assert counts == [97, 3, 2, 2]
    finally:
        await second.store.close()


async def test_seeded_facts_are_exactly_the_notices(registry: Registry) -> None:
    store = registry.store
    ben_tre = (await store.notices_of(["old_ben_tre"]))[0]
    assert ben_tre.number is None and notice_number(ben_tre) == "…/BBT-TTTTĐT"
    assert (ben_tre.year, ben_tre.month, ben_tre.day) == (2021, 12, None) and notice_date(ben_tre) == "12/2021"
    assert ben_tre.signer == "Nguyễn Văn Mến"
    unit = ben_tre.managing_unit
    assert unit is not None
    assert unit.name == "Trung tâm Thông tin điện tử Bến Tre - Văn phòng UBND tỉnh"
    assert unit.address == "số 07 đường Cách Mạng Tháng Tám, phường An Hội, thành phố Bến Tre, tỉnh Bến Tre"
    assert unit.phone == "02753.827529"
    assert unit.emails == ("banbientap-bentre@chinhphu.vn", "banbientap@bentre.gov.vn")
    [fanpage] = await store.channels_of(["old_ben_tre"])
    assert (fanpage.url, fanpage.as_written, fanpage.place_slug) == (
        "https://www.facebook.com/cttdtbentre", "facebook.com/cttdtbentre", "old_ben_tre")
    assert fanpage.notice_id == ben_tre.id

    can_tho = (await store.notices_of(["can_tho"]))[0]
    assert (can_tho.issuer, can_tho.year, can_tho.month, can_tho.day, can_tho.number) == (
        "Văn phòng UBND thành phố Cần Thơ", 2025, 11, None, None)
    assert notice_number(can_tho) == "…/VPUB-TTĐH" and can_tho.signer == "Lê Xuân Hoa"
    channels = {c.platform: (c.name, c.url) for c in await store.channels_of(["can_tho"])}
    assert channels == {
        "facebook": ("Cổng Thông tin điện tử Cần Thơ", "https://www.facebook.com/congthongtincantho"),
        "zalo": ("Cổng TTĐT Cần Thơ", "https://zalo.me/3460461954401350861"),
    }
    assert set(can_tho.channel_ids) == {c.id for c in await store.channels_of(["can_tho"])}


async def test_audit_is_append_only(registry: Registry) -> None:
    store = registry.store
    async with store.transaction():
        await store.add_audit(actor=Person.telegram(1),
                              actor_name="a", action="test", place_slug="can_tho", entity="channel",
                              entity_id=1, before=None, after={"x": 1})
    with pytest.raises(sqlite3.IntegrityError):
        async with store.transaction():
            await store._exec("UPDATE audit SET action = 'forged'")
    with pytest.raises(sqlite3.IntegrityError):
        async with store.transaction():
            await store._exec("DELETE FROM audit")
    assert [e.action for e in await store.all_audit()] == ["test"]


async def test_a_failed_transaction_leaves_nothing(registry: Registry) -> None:
    before = await registry.store.count("channels")
    with pytest.raises(RuntimeError):
        async with registry.store.transaction():
            await registry.store.insert_channel(place_slug="ha_noi", platform="facebook", name="x",
                                                url="https://www.facebook.com/x", verified_on="2026-01")
            raise RuntimeError("boom")
    assert await registry.store.count("channels") == before


async def test_backup_is_a_consistent_copy(registry: Registry, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    await registry.store.backup(target)
    copy = await Store.open(target)
    try:
        assert await copy.all_channels() == await registry.store.all_channels()
    finally:
        await copy.close()
