"""A writer for tests/test_crash.py: streams confirmed admin changes until it is killed.

    python -m tests.crash_writer DB_PATH ROUND SEED

At start it opens the registry exactly as the bot does (recovering whatever WAL a killed predecessor left) and
prints one line, ``STATE <integrity_check> <json list of the live crash-test URLs, oldest first>``. Then, for
n = 1, 2, …, it either adds https://www.facebook.com/crashtestpage<ROUND>n<n> (propose + confirm) or undoes its
own last change, and prints ``ACK <n> add <url>`` or ``ACK <n> undo <url>`` — flushed only after the change was
confirmed as applied, i.e. exactly when the bot would answer "✅ Đã lưu".
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path

from bot.changes import Changes, Outcome
from bot.config import ROOT, Settings
from bot.people import Person
from bot.runtime import open_registry

ACTOR = Person.telegram(42)
URL_PREFIX = "https://www.facebook.com/crashtestpage"


async def main(db_path: str, round_: int, seed: int) -> int:
    settings = Settings(db_path=Path(db_path), data_dir=ROOT / "data",
                        media_dir=Path(tempfile.gettempdir()) / "crash-writer-media")
    registry = await open_registry(settings)
    store = registry.store
    async with store._conn.execute("PRAGMA integrity_check") as cur:
        integrity = (await cur.fetchone())[0]
    live = [c.url for c in await store.all_channels() if c.url.startswith(URL_PREFIX)]
    _say(f"STATE {integrity} {json.dumps(live)}")
    changes = Changes(registry)
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        newest = await store.last_change(ACTOR)  # /undo acts on the newest change only, once
        last = newest[0] if newest is not None and not newest[1] else None
        if last is not None and last.action == "add_channel" and rng.random() < 0.25:
            url = last.after["channels"][0]["url"] if last.after else "?"
            result = await changes.undo(ACTOR, "crash writer")
            verb = "undo"
        else:
            url = f"{URL_PREFIX}{round_}n{n}"
            token = await changes.propose(ACTOR, "add_channel", {
                "place_slug": "can_tho", "platform": "facebook", "url": url, "name": f"Crash test {n}"})
            result = await changes.confirm(token, ACTOR, "crash writer")
            verb = "add"
        if result.outcome != Outcome.APPLIED:
            _say(f"ERR {n} {verb} {url} {result.outcome}")
            return 1
        _say(f"ACK {n} {verb} {url}")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
