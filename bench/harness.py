"""Processes for the end-to-end benchmark: the fake Bot API, the bot under test, and the bursts between them."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.fakebot.updates import inline, message

TOKEN = "123456:BENCH-token_abcdefghijklmnopqrstuvwxyz"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Burst:
    name: str
    latency_ms: int
    updates: int
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_seconds: float


class FakeServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.fake_server", str(self.port)], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30, trust_env=False)

    def control(self, path: str, body: object | None = None) -> dict:
        response = self.http.post(path, json=body) if body is not None else self.http.get(path)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


class BotProcess:
    """A bot as a separate process (`python -m bot` or the echo bot), pointed at the fake."""

    def __init__(self, fake: FakeServer, module: str, db: Path, concurrency: int, args: tuple[str, ...] = ()) -> None:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": f"http://127.0.0.1:{fake.port}/bot",
               "TELEGRAM_BASE_FILE_URL": f"http://127.0.0.1:{fake.port}/file/bot", "BOT_RATE_LIMIT": "0",
               "BOT_DB_PATH": str(db), "BOT_LOG_LEVEL": "WARNING", "BOT_CONCURRENCY": str(concurrency),
               "NO_PROXY": "127.0.0.1,localhost"}
        self.fake = fake
        self.spawned = time.time()
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while (first := fake.control("/_control/stats")["first_get_updates"]) is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.005)
        self.startup = first - self.spawned

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def family_cpu_seconds(self) -> float:
        """CPU of the bot and of its child processes (its card worker), as far as /proc still shows them."""
        total = 0.0
        for pid in (self.proc.pid, *self._children()):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def settle(self, window: float = 0.3, busy: float = 0.05, timeout: float = 30.0) -> float:
        """Wait until the bot and its card worker are idle (under `busy` of a core over `window` s): what it
        does after start-up (views warmed, the worker spawned, cards laid out) is not charged to a burst. Returns
        the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            before = self.family_cpu_seconds()
            time.sleep(window)
            if self.family_cpu_seconds() - before < busy * window:
                break
        return time.monotonic() - started

    def _children(self) -> list[int]:
        found: list[int] = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                found += [int(c) for c in (task / "children").read_text().split()]
        return found

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM:")

    def rss_mb(self) -> float:
        return self._status("VmRSS:")

    def children_peak_rss_mb(self) -> float:
        """The peak RSS of the bot's own child processes (its card worker), summed: memory the bot uses too."""
        total = 0.0
        for child in self._children():
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        return total

    def _status(self, field: str) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


def make_updates(kind: str, n: int, chats: int, first_user: int = 100_000) -> list[dict]:
    updates = []
    for i in range(n):
        user = {"id": first_user + i % chats, "is_bot": False, "first_name": "U", "language_code": "vi"}
        if kind == "inline":
            update = inline("cần thơ", user=user)
            update["inline_query"]["id"] = f"q{i}-{time.monotonic_ns()}"
        else:
            text = {"channels": "/channels cần thơ", "notice": "/notice cần thơ", "echo": "xin chào",
                    "big": "/channels lai_chau",
                    "verify": "/verify https://zalo.me/3460461954401350861"}[kind]
            update = message(text, user=user)
        updates.append(update)
    return updates


def burst(bot: BotProcess, kind: str, *, latency_ms: int, n: int = 2000, chats: int = 50) -> Burst:
    fake = bot.fake
    # Warm up (first upload, caches, connections), then measure from a clean slate.
    fake.control("/_control/reset", {"latency": latency_ms / 1000})
    fake.control("/_control/inject", make_updates(kind, chats, chats))
    wait_for(fake, chats)
    fake.control("/_control/reset", {"latency": latency_ms / 1000})
    updates = make_updates(kind, n, chats)
    bot.settle()
    cpu_before = bot.cpu_seconds()
    fake.control("/_control/inject", updates)
    stats = wait_for(fake, n)
    cpu = bot.cpu_seconds() - cpu_before
    latencies = sorted(stats["latencies"])
    elapsed = stats["last_reply"] - stats["first_inject"]
    return Burst(kind, latency_ms, n, n / elapsed, statistics.median(latencies) * 1000,
                 latencies[int(0.99 * (len(latencies) - 1))] * 1000, cpu)


def wait_for(fake: FakeServer, replies: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stats = fake.control("/_control/stats")
        if stats["replies"] >= replies:
            return stats
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stats['replies']}/{replies} replies")
        time.sleep(0.02)
