"""Every change and every undo restores exactly what it touched — and nothing anyone acknowledged is lost.

The property test drives the real Changes (propose → confirm, undo) on a real SQLite file with random sequences
of operations by two admins, and checks the registry after every step against what the steps before it left.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.changes import Changes, Outcome
from bot.config import Settings
from bot.people import Person
from bot.runtime import open_registry
from bot.services import Registry
from tests.conftest import DATA_DIR

A, B = Person.telegram(101), Person.telegram(202)
PLACES = ["can_tho", "vinh_long", "old_ben_tre", "ha_noi"]
ZALO = "https://zalo.me/3460461954401350861"
FANPAGE = "https://www.facebook.com/congthongtincantho"


def page(n: int) -> str:
    return f"https://www.facebook.com/testpage{n:02d}"


async def confirmed(changes: Changes, actor: Person, kind: str, payload: dict[str, Any]) -> str:
    token = await changes.propose(actor, kind, payload)
    return (await changes.confirm(token, actor, f"admin {actor}")).outcome


async def test_undo_of_a_retire_keeps_an_existing_successor(registry: Registry) -> None:
    """The bug: /retirechannel A B with B already registered, then /undo, deleted B."""
    changes = Changes(registry)
    assert await confirmed(changes, A, "add_channel", {"place_slug": "can_tho", "platform": "facebook",
                                                        "url": page(1), "name": "Trang mới"}) == Outcome.APPLIED
    successor = await registry.store.channel_by_url(page(1))
    zalo = await registry.store.channel_by_url(ZALO)
    assert successor and zalo
    outcome = await confirmed(changes, B, "retire_channel", {"channel_id": zalo.id, "successor_url": page(1),
                                                             "successor_platform": "facebook"})
    assert outcome == Outcome.APPLIED
    assert (await registry.store.channel_by_url(ZALO)).superseded_by == successor.id
    assert (await changes.undo(B, "admin B")).outcome == Outcome.APPLIED
    assert await registry.store.channel_by_url(page(1)) == successor  # A's acknowledged channel is still there
    assert await registry.store.channel_by_url(ZALO) == zalo


async def test_a_successor_from_another_unit_is_refused(registry: Registry) -> None:
    changes = Changes(registry)
    await confirmed(changes, A, "add_channel", {"place_slug": "ha_noi", "platform": "facebook", "url": page(2),
                                                "name": "Hà Nội"})
    zalo = await registry.store.channel_by_url(ZALO)
    outcome = await confirmed(changes, A, "retire_channel", {"channel_id": zalo.id, "successor_url": page(2),
                                                             "successor_platform": "facebook"})
    assert outcome == Outcome.CONFLICT
    assert await registry.store.channel_by_url(ZALO) == zalo


async def test_undo_is_refused_when_a_later_change_points_at_what_it_would_delete(registry: Registry) -> None:
    changes = Changes(registry)
    await confirmed(changes, A, "add_channel", {"place_slug": "can_tho", "platform": "facebook", "url": page(3),
                                                "name": "Mới"})
    new = await registry.store.channel_by_url(page(3))
    zalo = await registry.store.channel_by_url(ZALO)
    # B retires the Zalo OA in favour of A's new page: undoing A's add would leave B's change pointing nowhere.
    await confirmed(changes, B, "retire_channel", {"channel_id": zalo.id, "successor_url": page(3),
                                                   "successor_platform": "facebook"})
    before = await dump(registry)
    assert (await changes.undo(A, "admin A")).outcome == Outcome.CONFLICT
    assert await dump(registry) == before and new is not None


async def test_undo_of_an_import_reverts_all_of_it(registry: Registry) -> None:
    changes = Changes(registry)
    original = await dump(registry)
    payload = {"notices": [], "channels": [
        {"place_slug": "can_tho", "platform": "facebook", "name": "Một", "url": page(4), "status": "active"},
        {"place_slug": "ha_noi", "platform": "facebook", "name": "Hai", "url": page(5), "status": "active"},
        {"place_slug": "can_tho", "platform": "zalo", "name": "Zalo đổi tên", "url": ZALO, "status": "active"}]}
    assert await confirmed(changes, A, "import", payload) == Outcome.APPLIED
    assert (await changes.undo(A, "admin A")).outcome == Outcome.APPLIED
    assert await dump(registry) == original


async def test_grant_twice_writes_one_audit_row(registry: Registry) -> None:
    changes = Changes(registry)
    assert await changes.grant(A, "a", Person.telegram(777), None) is True
    assert await changes.grant(A, "a", Person.telegram(777), None) is False
    assert [e.action for e in await registry.store.all_audit()] == ["grant"]


# --- the property test -------------------------------------------------------------------------------------
async def dump(registry: Registry) -> dict[str, Any]:
    """The registry's content (channels, notices, links), timestamps aside."""
    store = registry.store
    channels = {c.id: asdict(c) for c in await store.all_channels()}
    notices = {n.id: asdict(n) for n in await store.notices_by_ids(await store.all_notice_ids())}
    return {"channels": channels, "notices": notices}


def integrity(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for row_id, superseded_by, place in conn.execute(
                "SELECT c.id, c.superseded_by, c.place_slug FROM channels c WHERE c.superseded_by IS NOT NULL"):
            assert row_id != superseded_by
            assert place is not None


actors = st.sampled_from([A, B])
ops = st.one_of(
    st.tuples(st.just("add"), actors, st.sampled_from(PLACES), st.integers(0, 6)),
    st.tuples(st.just("rename"), actors, st.integers(0, 20), st.sampled_from(["Tên một", "Tên hai"])),
    st.tuples(st.just("reurl"), actors, st.integers(0, 20), st.integers(0, 6)),
    st.tuples(st.just("move"), actors, st.integers(0, 20), st.sampled_from(PLACES)),
    st.tuples(st.just("retire"), actors, st.integers(0, 20),
              st.one_of(st.none(), st.tuples(st.just("new"), st.integers(0, 6)),
                        st.tuples(st.just("existing"), st.integers(0, 20)))),
    st.tuples(st.just("notice"), actors, st.sampled_from(PLACES), st.lists(st.integers(0, 20), max_size=3)),
    st.tuples(st.just("undo"), actors),
    st.tuples(st.just("undo"), actors),
)


async def payload_for(registry: Registry, op: tuple) -> tuple[str, dict[str, Any]] | None:
    """The change an admin would propose for `op`, as the handlers build it (None: not expressible)."""
    channels = await registry.store.all_channels()
    pick = lambda i: channels[i % len(channels)]  # noqa: E731
    kind = op[0]
    if kind == "add":
        return "add_channel", {"place_slug": op[2], "platform": "facebook", "url": page(op[3]), "name": "Trang"}
    if kind == "rename":
        return "edit_channel", {"channel_id": pick(op[2]).id, "fields": {"name": op[3]}}
    if kind == "reurl":
        return "edit_channel", {"channel_id": pick(op[2]).id, "fields": {"url": page(op[3]), "platform": "facebook"}}
    if kind == "move":
        return "edit_channel", {"channel_id": pick(op[2]).id, "fields": {"place_slug": op[3]}}
    if kind == "retire":
        payload: dict[str, Any] = {"channel_id": pick(op[2]).id}
        if op[3] is not None:
            url = page(op[3][1]) if op[3][0] == "new" else pick(op[3][1]).url
            payload.update(successor_url=url, successor_platform="facebook" if "facebook" in url else "zalo")
        return "retire_channel", payload
    if kind == "notice":
        scope = set(registry.scope(registry.places.unit_of(registry.places.places[op[2]])))
        ids = sorted({pick(i).id for i in op[3] if pick(i).place_slug in scope})
        return "add_notice", {"place_slug": op[2], "issuer": "UBND", "number": None, "number_suffix": "UBND",
                              "year": 2026, "month": 1, "day": None, "subject": "V/v kênh", "summary": None,
                              "signer": None, "signer_title": None, "url": None, "channel_ids": ids,
                              "recipients": [], "key": None}
    return None


def restrict(state: dict[str, Any], channel_ids: set[int], notice_ids: set[int]) -> dict[str, Any]:
    return {"channels": {i: r for i, r in state["channels"].items() if i in channel_ids},
            "notices": {i: r for i, r in state["notices"].items() if i in notice_ids}}


def without(state: dict[str, Any], channel_ids: set[int], notice_ids: set[int]) -> dict[str, Any]:
    return {"channels": {i: r for i, r in state["channels"].items() if i not in channel_ids},
            "notices": {i: _unlinked(r, channel_ids) for i, r in state["notices"].items() if i not in notice_ids}}


def _unlinked(notice: dict[str, Any], channel_ids: set[int]) -> dict[str, Any]:
    return {**notice, "channel_ids": tuple(c for c in notice["channel_ids"] if c not in channel_ids)}


async def run_sequence(db: Path, sequence: list[tuple]) -> None:
    registry = await open_registry(replace(Settings(), db_path=db, data_dir=DATA_DIR))
    changes = Changes(registry)
    applied: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # audit id → (state before, state after)
    try:
        for op in sequence:
            before = await dump(registry)
            if op[0] == "undo":
                result = await changes.undo(op[1], "x")
                after = await dump(registry)
                if result.outcome != Outcome.APPLIED:
                    assert after == before, op
                    continue
                undo_entry = (await registry.store.all_audit())[-1]
                undone = next(e for e in await registry.store.all_audit() if e.id == undo_entry.undoes)
                assert undone.actor == op[1]  # only your own change
                ch = {c["id"] for c in undone.after["channels"]}
                no = {n["id"] for n in undone.after["notices"]}
                state_before_change, _ = applied[undone.id]
                # What the change touched is back as it was; everything else is as the undo found it.
                assert restrict(after, ch, no) == restrict(state_before_change, ch, no), op
                assert without(after, ch, no) == without(before, ch, no), op
            else:
                proposal = await payload_for(registry, op)
                assert proposal is not None
                outcome = await confirmed(changes, op[1], *proposal)
                after = await dump(registry)
                if outcome != Outcome.APPLIED:
                    assert outcome == Outcome.CONFLICT and after == before, op
                    continue
                entry = (await registry.store.all_audit())[-1]
                applied[entry.id] = (before, after)
                touched_channels = {c["id"] for c in entry.after["channels"]}
                touched_notices = {n["id"] for n in entry.after["notices"]}
                # The audit row names every row that changed (nothing changes behind its back) …
                assert without(after, touched_channels, touched_notices) == without(
                    before, touched_channels, touched_notices), op
                # … and its "before" is exactly how those rows were.
                assert {c["id"]: c for c in entry.before["channels"]} == restrict(
                    before, touched_channels, set())["channels"], op
            integrity(db)
            for c in after["channels"].values():  # a successor is always an existing row of the same unit
                if c["superseded_by"] is not None:
                    successor = after["channels"][c["superseded_by"]]
                    places = registry.places
                    assert places.unit_of(places.places[successor["place_slug"]]) == places.unit_of(
                        places.places[c["place_slug"]])
    finally:
        await registry.store.close()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=14))
def test_random_changes_and_undos_match_the_model(tmp_path: Path, template_db: Path, sequence: list[tuple]) -> None:
    db = tmp_path / "registry.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(template_db, db)
    asyncio.run(run_sequence(db, sequence))


def _template(tmp_path_factory: Any) -> Path:
    path = Path(tmp_path_factory.mktemp("template")) / "seeded.sqlite3"

    async def make() -> None:
        registry = await open_registry(replace(Settings(), db_path=path, data_dir=DATA_DIR))
        await registry.store.close()

    asyncio.run(make())
    return path


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: Any) -> Path:
    return _template(tmp_path_factory)
