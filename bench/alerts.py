"""The alerts benchmark: how long one change to a unit takes to reach N subscribed chats, and what it costs.

1. Simulated (bot.pacing, the worker's own arithmetic; no sleeping): the fan-out to 1,000 / 10,000 / 100,000
   Telegram groups at the worker's pace (25 messages a second, 20 a minute per group), for an alert of one
   message (the card with the text as its caption) and of two (a card whose text passes the 1,024-character
   caption); and a run of five changes in a row to one unit, folded (bot.alerts) vs one alert each.
2. Measured, on a real SQLite file: the confirmed change's own transaction writing the outbox rows for N
   subscribers (what an admin waits for at Confirm), and the delivery worker's cost per chat (compose, claim,
   settle: two committed transactions) through a courier that sends nothing, at an unlimited pace — the
   worker's own overhead, in CPU ms per chat, from the process's counters. Median and spread of `--rounds`.

Usage: python -m bench.alerts [--rounds 3] [--chats 10000] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.changes import Changes, Outcome
from bot.config import ROOT, Settings
from bot.outbox import OutboxWorker, Traffic
from bot.pacing import Pace, fan_out_seconds, telegram_pace
from bot.people import Person
from bot.replies import Reply
from bot.runtime import open_registry
from handlers.alerts import AlertComposer

MARKER = "## Alerts fan-out (bench/alerts.py)"
FANPAGE = "https://www.facebook.com/congthongtincantho"
ADMIN = Person("telegram", "999")


class NullCourier:
    platform = "telegram"

    def __init__(self) -> None:
        self.pace = Pace(per_second=1e9)
        self.sent = 0

    def cost(self, reply: Reply, lang: str) -> int:
        return 1

    async def deliver(self, chat_id: str, reply: Reply, lang: str) -> None:
        self.sent += 1


def simulated() -> list[str]:
    lines = ["| chats | messages per alert | fan-out (simulated) | arithmetic |", "|---:|---:|---:|---|"]
    for chats in (1_000, 10_000, 100_000):
        for cost in (1, 2):
            seconds = fan_out_seconds(chats, cost, telegram_pace())
            lines.append(f"| {chats:,} | {cost} | {seconds:,.0f} s ({seconds / 60:.1f} min) | "
                         f"{chats:,} × {cost} ÷ 25/s |")
    return lines


async def measured(chats: int, rounds: int) -> list[str]:
    writes, per_chat_cpu, per_chat_wall = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(db_path=Path(tmp) / "bench.sqlite3", data_dir=ROOT / "data")
            registry = await open_registry(settings)
            store = registry.store
            async with store.transaction():
                for i in range(chats):
                    await store._exec("INSERT INTO subscriptions (platform, chat_id, unit_slug, lang, subscribed_by, "
                                      "created_at) VALUES ('telegram', ?, 'can_tho', 'vi', 'telegram:1', '')",
                                      (str(-1_000_000 - i),))
            channel = await store.channel_by_url(FANPAGE)
            assert channel is not None
            changes = Changes(registry)
            token = await changes.propose(ADMIN, "retire_channel", {"channel_id": channel.id})
            start = time.perf_counter()
            assert (await changes.confirm(token, ADMIN, "bench")).outcome == Outcome.APPLIED
            writes.append(time.perf_counter() - start)
            courier = NullCourier()
            worker = OutboxWorker(store, {"telegram": courier}, AlertComposer(registry), Traffic(), in_flight=8)
            cpu, wall = time.process_time(), time.perf_counter()
            await worker.drain()
            per_chat_cpu.append((time.process_time() - cpu) / chats * 1000)
            per_chat_wall.append((time.perf_counter() - wall) / chats * 1000)
            assert courier.sent == chats
            await store.close()
    return [
        "| measured (real SQLite file, synchronous=FULL) | median | spread |", "|---|---:|---:|",
        f"| Confirm of a change to a unit with {chats:,} subscribers (its transaction writes {chats:,} outbox rows) "
        f"| {statistics.median(writes) * 1000:.0f} ms | {min(writes) * 1000:.0f}–{max(writes) * 1000:.0f} ms |",
        f"| delivery worker, CPU per chat (compose + claim + settle, nothing sent) | "
        f"{statistics.median(per_chat_cpu):.2f} ms | {min(per_chat_cpu):.2f}–{max(per_chat_cpu):.2f} ms |",
        f"| delivery worker, wall time per chat (two fsynced commits) | {statistics.median(per_chat_wall):.2f} ms | "
        f"{min(per_chat_wall):.2f}–{max(per_chat_wall):.2f} ms |",
    ]


def section(sim: list[str], real: list[str], chats: int, rounds: int) -> str:
    return "\n".join([
        MARKER, "",
        "One change to a unit, told to every chat subscribed to it. The worker's pace is Telegram's limits with "
        "room for replies: 25 messages a second overall (replies keep the other 5, and go first), 20 a minute per "
        "group (counted over 61 s). An alert is one message when its text fits the card's caption (1,024 "
        "characters), else two. Simulated with the worker's own arithmetic (bot.pacing), no sleeping:", "",
        *sim, "",
        "Folding: five changes to one unit 20 s apart reach a group as 2 alerts (the first at once, one follow-up "
        "120 s after it with the other four), not 5 (tests/test_subscriptions.py). The limiter, not the worker, "
        "is what takes the time: the "
        f"worker's own cost below is a small fraction of the 40 ms each message waits for its slot ({rounds} "
        f"rounds, {chats:,} chats):", "",
        *real, "",
    ])


def write(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if MARKER in current:
        before, _, after = current.partition(MARKER)
        rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
        current = before.rstrip() + "\n\n" + text + (f"\n## {rest}" if rest else "")
    else:
        current = current.rstrip() + "\n\n" + text
    path.write_text(current.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = section(simulated(), asyncio.run(measured(args.chats, args.rounds)), args.chats, args.rounds)
    print(text)
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
