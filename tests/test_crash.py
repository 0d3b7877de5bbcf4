"""kill -9 in the middle of confirmed admin changes: every acknowledged change survives, nothing is half-written.

A real writer process (tests/crash_writer.py: the real Changes on the real registry file) prints "ACK …" only
after a change was confirmed as applied. It is killed with SIGKILL at a random moment, restarted on the same
file (recovering the WAL the kill left), killed again…; its acknowledgements are the model the file must match.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ROOT
from bot.people import Person
from bot.store import Store
from tests.crash_writer import URL_PREFIX

ROUNDS = 5
WATCHDOG = 20.0  # seconds; a round normally takes well under one


@dataclass
class Round:
    number: int
    state_line: str = ""
    acks: list[tuple[int, str, str]] = field(default_factory=list)  # (n, "add" | "undo", url)
    tail: list[str] = field(default_factory=list)  # anything else the writer printed


def run_round(db: Path, number: int, seed: int, acks_before_kill: int, delay: float) -> Round:
    """Start the writer, let it acknowledge `acks_before_kill` changes, wait `delay`, SIGKILL it."""
    log = db.with_name(f"writer-{number}.log")
    result = Round(number)
    with log.open("w") as stderr, subprocess.Popen(
            [sys.executable, "-m", "tests.crash_writer", str(db), str(number), str(seed)], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}) as proc:
        watchdog = threading.Timer(WATCHDOG, proc.kill)
        watchdog.start()
        try:
            assert proc.stdout is not None
            result.state_line = proc.stdout.readline()
            seen = 0
            while seen < acks_before_kill:
                line = proc.stdout.readline()
                if not line:
                    break
                _take(result, line)
                seen += 1
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            for line in proc.stdout:  # flushed before the kill, not read yet
                _take(result, line)
        finally:
            watchdog.cancel()
    errors = log.read_text()[-2000:]
    assert proc.returncode == -signal.SIGKILL, f"the writer ended by itself ({proc.returncode}): {errors}"
    assert result.state_line.startswith("STATE "), f"the writer did not start: {result.state_line!r} {errors}"
    return result


def _take(result: Round, line: str) -> None:
    if not line.endswith("\n"):  # cut by the kill mid-write: never an acknowledgement
        return
    parts = line.split()
    if len(parts) == 4 and parts[0] == "ACK":
        result.acks.append((int(parts[1]), parts[2], parts[3]))
    else:
        result.tail.append(line)


def check_in_flight(model: list[str], actual: list[str], round_: Round) -> None:
    """`actual` is `model` (every acknowledged change), give or take the one change that was in flight."""
    if actual == model:
        return
    next_n = (round_.acks[-1][0] if round_.acks else 0) + 1
    if actual == [*model, f"{URL_PREFIX}{round_.number}n{next_n}"]:
        return  # the add was committed, the kill came before its ACK
    if model and actual == model[:-1]:
        return  # the undo of the newest add was committed, the kill came before its ACK
    raise AssertionError(f"round {round_.number}: the file is not the acknowledged state\n"
                         f"acknowledged: {model}\nin the file:  {actual}\nacks: {round_.acks}")


def apply_acks(model: list[str], round_: Round) -> list[str]:
    model = list(model)
    for _n, verb, url in round_.acks:
        if verb == "add":
            model.append(url)
        else:  # an undo reverts the writer's newest change that is not undone yet
            assert model and model[-1] == url, f"undo of {url}, but the newest add is {model[-1:]}"
            model.pop()
    return model


def test_kill_9_loses_no_acknowledged_change_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    db = tmp_path / "registry.sqlite3"
    model: list[str] = []  # the live crash-test URLs, oldest first, as the writer's ACKs say
    previous: Round | None = None
    acknowledged = 0
    for number in range(1, ROUNDS + 1):
        r = run_round(db, number, rng.randrange(1 << 30), acks_before_kill=rng.randint(3, 25),
                      delay=rng.uniform(0, 0.03))
        assert not r.tail, f"seed {seed}: the writer reported {r.tail}"
        _, integrity, live = r.state_line.split(" ", 2)
        # What the restarted writer recovered from the killed one's file and WAL.
        assert integrity == "ok", f"seed {seed}: {r.state_line}"
        if previous is None:
            assert json.loads(live) == []
        else:
            check_in_flight(model, json.loads(live), previous)
        model = apply_acks(json.loads(live), r)
        acknowledged += len(r.acks)
        assert Path(f"{db}-wal").exists()  # killed with its WAL open: the next start must recover it
        previous = r
    assert acknowledged >= 3 * ROUNDS, f"seed {seed}"
    asyncio.run(_check_file(db, model, previous, seed))


async def _check_file(db: Path, model: list[str], last: Round | None, seed: int) -> None:
    store = await Store.open(db)
    try:
        assert [tuple(r) for r in await store._all("PRAGMA integrity_check")] == [("ok",)]
        assert await store._all("PRAGMA foreign_key_check") == []
        live = {c.id: c.url for c in await store.all_channels() if c.url.startswith(URL_PREFIX)}
        assert last is not None
        check_in_flight(model, list(live.values()), last)

        audit = [e for e in await store.all_audit() if e.actor == Person.telegram(42)]
        adds = {e.id: e for e in audit if e.action == "add_channel"}
        undone = {e.undoes for e in audit if e.action == "undo"}
        assert undone <= set(adds), f"seed {seed}: an undo of something that is not an add"
        assert len(undone) == len(audit) - len(adds), f"seed {seed}: an add undone twice"
        # Each change is whole: its audit row is there iff its channel is (or its undo's audit row, iff it is gone).
        not_undone = {(e.entity_id, e.after["channels"][0]["url"]) for e in adds.values()
                      if e.id not in undone and e.after}
        assert not_undone == set(live.items()), f"seed {seed}"
        # …and the pending row was closed in the same transaction that applied it.
        [[done]] = await store._all("SELECT COUNT(*) FROM pending WHERE kind = 'add_channel' AND state = 'done'")
        assert done == len(adds), f"seed {seed}"
    finally:
        await store.close()
