"""Run every benchmark in one go and write BENCHMARKS.md.

Usage: make bench     (or: python -m bench [--quick])
"""

from __future__ import annotations

import asyncio
import collections
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.harness import ROOT, BotProcess, FakeServer, burst
from bench.images import measure_images
from bench.own_cost import measure_own_cost
from bench.scale import measure_scale

SCENARIOS = ("channels", "notice", "inline", "verify")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    packages = ("python-telegram-bot", "aiohttp", "aiosqlite", "Pillow", "qrcode", "httpx")
    libs = ", ".join(f"{p} {version(p)}" for p in packages)
    return f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; {libs}"


FLOORS = {  # name → (module, args, what it answers): see bench/floors.py
    "a": ("bench.floors", ("echo_default",), "echo"),
    "b": ("bench.floors", ("echo_project",), "echo"),
    "c": ("bench.floors", ("payload_project",), "channels"),
    "d": ("bench.floors", ("payload_aiogram",), "channels"),
}
FLOOR_NAMES = {"a": "(a) PTB default echo bot", "b": "(b) echo bot, project transport + concurrency",
               "c": "(c) minimal PTB bot, project's exact payload, same transport",
               "d": "(d) aiogram 3 bot, the same payload"}
BIG_UNIT, BIG_CHANNELS = "lai_chau", 400


async def seed_big_unit(db: Path) -> None:
    """400 channels on one unit in the bot's registry: the card the p99 and scale sections send."""
    from bot.config import Settings
    from bot.runtime import open_registry

    registry = await open_registry(Settings(db_path=db, data_dir=ROOT / "data"))
    async with registry.store.transaction():
        for i in range(BIG_CHANNELS):
            await registry.store.insert_channel(place_slug=BIG_UNIT, platform="facebook", name=f"Trang {i}",
                                                url=f"https://www.facebook.com/kenh.chinh.thuc.{i}",
                                                verified_on="2026-11")
    await registry.store.close()


def start(tmp: Path, name: str, concurrency: int) -> tuple[FakeServer, BotProcess]:
    fake = FakeServer()
    module, args, _ = FLOORS.get(name, ("bot", (), ""))
    return fake, BotProcess(fake, module, tmp / f"{name}.sqlite3", concurrency, args)


def end_to_end(tmp: Path, n: int, concurrency: int, rounds: int, floors: list[str]) -> dict:
    """Every bot alive at once, each on its own fake; bursts in alternating (shuffled) rounds, so that the ratios
    compare bots measured seconds apart, not minutes."""
    import random

    asyncio.run(seed_big_unit(tmp / "bot.sqlite3"))
    procs = {name: start(tmp, name, concurrency) for name in ["bot", *floors]}
    out: dict = {"bursts": collections.defaultdict(list), "startup_s": procs["bot"][1].startup}
    rng = random.Random(12)
    try:
        out.update(upload_bytes(procs["bot"][0]))
        for name, (_, proc) in procs.items():  # start-up's own work (views warmed, the card worker spawned) done
            out[f"settle_{name}"] = proc.settle(timeout=60)
        # The comparison with a target — the project's /channels against (c) and (d), the same payload — runs as
        # one block of adjacent bursts (in a shuffled order), so that its ratios compare bursts seconds apart.
        trio = [("bot", "channels"), *((f, "channels") for f in floors if FLOORS[f][2] == "channels")]
        others = [("bot", k) for k in SCENARIOS if k != "channels"] + [(f, FLOORS[f][2]) for f in floors
                                                                        if FLOORS[f][2] != "channels"]
        for r in range(rounds):
            rng.shuffle(trio)
            rng.shuffle(others)
            at = rng.randrange(len(others) + 1)
            for name, kind in [*others[:at], *trio, *others[at:]]:
                fake, bot = procs[name]
                result = burst(bot, kind, latency_ms=0, n=n)
                out["bursts"][(name, kind)].append(result)
                print(f"  round {r + 1} {name:4} {kind:9}: {result.per_second:7.0f}/s "
                      f"{result.cpu_seconds / result.updates * 1000:.2f} CPU ms/update", flush=True)
        for name in ["bot", *floors]:
            out[f"idle_{name}"] = idle_latency(procs[name][1], FLOORS.get(name, ("", (), "channels"))[2])
        fake, bot = procs["bot"]
        out["during_render"] = during_big_render(fake)
        out["scale_cards"] = send_big_card(fake)
        out["rss"] = rss_growth(bot, n_users=10_000 if n < 1000 else 100_000)
        out["rss_mb_peak"] = bot.peak_rss_mb()
        out["rss_mb_children"] = bot.children_peak_rss_mb()
    finally:
        for fake, bot in procs.values():
            bot.stop()
            fake.stop()
    return out


def idle_latency(bot: BotProcess, kind: str, samples: int = 60) -> tuple[float, float]:
    """One user, one update at a time: p50 / p90 in ms."""
    from bench.harness import make_updates, wait_for

    fake = bot.fake
    values = []
    for i in range(samples):
        fake.control("/_control/reset", {"latency": 0})
        fake.control("/_control/inject", make_updates(kind, 1, 1, first_user=7_000_000 + i % 3))
        values.append(wait_for(fake, 1)["latencies"][0] * 1000)
    values.sort()
    return values[len(values) // 2], values[int(0.9 * (len(values) - 1))]


def during_big_render(fake: FakeServer) -> dict[str, float]:
    """Cached `/channels cần thơ` from other users, 50 a second, while the 400-channel card renders for one."""
    from bench.harness import make_updates, wait_for

    fake.control("/_control/reset", {"latency": 0})
    fake.control("/_control/inject", make_updates("big", 1, 1, first_user=9_000_000))
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < 3.0:
        fake.control("/_control/inject", make_updates("channels", 1, 1, first_user=8_000_000 + sent))
        sent += 1
        time.sleep(0.02)
    stats = wait_for(fake, sent + 1, timeout=120)
    others = sorted(v * 1000 for v, c in zip(stats["latencies"], stats["latency_chats"], strict=True)
                    if c != 9_000_000)
    big = [v for v, c in zip(stats["latencies"], stats["latency_chats"], strict=True) if c == 9_000_000]
    return {"n": len(others), "p50": others[len(others) // 2], "p99": others[int(0.99 * (len(others) - 1))],
            "max": others[-1], "big_first_reply_s": big[0] if big else float("nan")}


def send_big_card(fake: FakeServer) -> dict[str, float]:
    """Every page of the 400-channel card through the Bot API: calls refused (PHOTO_INVALID_DIMENSIONS…)."""
    from bench.harness import make_updates, wait_for

    fake.control("/_control/reset", {"latency": 0})
    pages = -(-BIG_CHANNELS // 80)
    started = time.monotonic()
    for page in range(1, pages + 1):
        update = make_updates("big", 1, 1, first_user=9_100_000 + page)[0]
        update["message"]["text"] += f" {page}"
        fake.control("/_control/inject", [update])
    stats = wait_for(fake, pages, timeout=120)
    return {"pages": pages, "uploaded_bytes": sum(stats["upload_bytes"]), "refused": stats["refused"],
            "seconds": time.monotonic() - started}


def rss_growth(bot: BotProcess, n_users: int) -> dict[str, float]:
    """RSS at start, after 20,000 mixed updates, after 1,000 and after `n_users` distinct users."""
    from bench.harness import make_updates, wait_for

    fake = bot.fake
    out = {"start": bot.rss_mb()}
    fake.control("/_control/reset", {"latency": 0})
    mixed = [u for kind in SCENARIOS for u in make_updates(kind, 5000, 50)]
    for i in range(0, len(mixed), 2000):
        fake.control("/_control/inject", mixed[i : i + 2000])
        wait_for(fake, min(i + 2000, len(mixed)), timeout=300)
    out["after_mixed"] = bot.rss_mb()
    done = 0
    for target in (1_000, n_users):
        fake.control("/_control/reset", {"latency": 0})
        todo = target - done
        for i in range(0, todo, 2000):
            chunk = min(2000, todo - i)
            fake.control("/_control/inject", make_updates("channels", chunk, chunk, first_user=20_000_000 + done + i))
            wait_for(fake, i + chunk, timeout=300)
        done = target
        out[f"users_{target}"] = bot.rss_mb()
    out["n_users"] = n_users
    return out


def upload_bytes(fake: FakeServer) -> dict[str, float]:
    """Bytes uploaded by a first /channels for a unit and by a repeat: file_id reuse makes the repeat 0."""
    from bench.harness import make_updates, wait_for

    sizes = []
    for _ in range(2):
        fake.control("/_control/reset", {"latency": 0})
        fake.control("/_control/inject", make_updates("channels", 1, 1))
        sizes.append(sum(wait_for(fake, 1)["upload_bytes"]))
    return {"first_upload_bytes": sizes[0], "repeat_upload_bytes": sizes[1]}


def row(name: str, value: str, target: str, met: bool | None) -> str:
    mark = "—" if met is None else ("✅ met" if met else "❌ missed")
    return f"| {name} | {value} | {target} | {mark} |"


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} (range {min(values):.2f}–{max(values):.2f})"


def main() -> int:
    quick = "--quick" in sys.argv
    n = 300 if quick else 2000
    rounds = 1 if quick else 5
    concurrency = int(os.environ.get("BOT_CONCURRENCY", "32"))
    floors = [f for f in FLOORS if f != "d" or importlib.util.find_spec("aiogram") is not None]
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("end to end …", flush=True)
        e2e = end_to_end(tmp, n, concurrency, rounds, floors)
        print("images …", flush=True)
        images = asyncio.run(measure_images(tmp))
        cards = card_sizes()
        print("own cost …", flush=True)
        own = asyncio.run(measure_own_cost(tmp))
        print("scale …", flush=True)
        scale = asyncio.run(measure_scale(tmp, 1_000 if quick else 10_000, 10_000 if quick else 100_000))

    bursts = e2e["bursts"]
    lines = ["| benchmark | result | target | |", "|---|---|---|---|"]

    def rate(name: str, kind: str) -> list[float]:
        return [b.per_second for b in bursts[(name, kind)]]

    def cpu_ms(name: str, kind: str) -> list[float]:
        return [b.cpu_seconds / b.updates * 1000 for b in bursts[(name, kind)]]

    for f in floors:
        kind = FLOORS[f][2]
        lines.append(row(f"floor {FLOOR_NAMES[f]}", (
            f"{statistics.median(rate(f, kind)):.0f} updates/s, {statistics.median(cpu_ms(f, kind)):.2f} CPU ms/update"
        ), "", None))
    for kind in SCENARIOS:
        label = f"`{'/' if kind != 'inline' else '@'}{kind}`"
        ours = rate("bot", kind)
        parts = [f"{statistics.median(ours):.0f} updates/s, {statistics.median(cpu_ms('bot', kind)):.2f} CPU ms/update"]
        for f in floors:
            theirs = rate(f, FLOORS[f][2])
            ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
            parts.append(f"{spread(ratios)}× {f}")
        target, met = "", None
        if kind == "channels":
            ratios_c = [a / b for a, b in zip(ours, rate("c", "channels"), strict=True)]
            extras = [a - b for a, b in zip(cpu_ms("bot", "channels"), cpu_ms("c", "channels"), strict=True)]
            extra_ms = statistics.median(extras)
            parts.append(f"CPU {extra_ms:+.2f} ms/update vs (c) (range {min(extras):+.2f} to {max(extras):+.2f})")
            target = "≥ 0.9× (c), ≤ (c) + 0.2 CPU ms" + (", ≥ 1.0× (d)" if "d" in floors else "")
            met = statistics.median(ratios_c) >= 0.9 and extra_ms <= 0.2
            if "d" in floors:
                met = met and statistics.median([a / b for a, b in zip(ours, rate("d", "channels"),
                                                                         strict=True)]) >= 1.0
        lines.append(row(f"{label} burst, +0 ms, {rounds} rounds", "; ".join(parts), target, met))
    lines.append(row(
        f"the project's own CPU per cached `/channels` update, in one process over a stub transport (no network, "
        f"no fake): project vs (c), {own['pairs']} alternating blocks of {own['block']}",
        (f"{own['project_us']:.0f} vs {own['floor_us']:.0f} µs; +{own['diff_us']:.0f} µs (range "
         f"{own['diff_min']:+.0f} to {own['diff_max']:+.0f}); (c)/project {own['ratio']:.2f}. Same way: `/notice` "
         f"{own['notice_us']:.0f} µs, `/verify` {own['verify_us']:.0f} µs, inline {own['inline_us']:.0f} µs"),
        "≤ (c) + 200 µs", own["diff_us"] <= 200))
    idle = "; ".join(f"{name} {e2e[f'idle_{name}'][0]:.1f} / {e2e[f'idle_{name}'][1]:.1f}"
                     for name in ["bot", *floors])
    lines.append(row("single-user latency at idle, p50 / p90 ms (`/channels` or the floor's reply)", idle, "", None))
    during = e2e["during_render"]
    lines.append(row(f"cached `/channels` of other users (50/s) while a {BIG_CHANNELS}-channel card renders, "
                     "p50 / p99 / max", (f"{during['p50']:.1f} / {during['p99']:.1f} / {during['max']:.1f} ms over "
                                         f"{during['n']:.0f} replies; the big card's first reply after "
                                         f"{during['big_first_reply_s']:.1f} s"), "p99 < 50 ms",
                     during["p99"] < 50))
    big = e2e["scale_cards"]
    lines.append(row(f"scale: all {big['pages']:.0f} pages of the {BIG_CHANNELS}-channel card sent "
                     "(`/channels lai_chau 1…5`)", (f"{big['refused']:.0f} refused calls, "
                                                   f"{big['uploaded_bytes'] / 1e6:.1f} MB uploaded, "
                                                   f"{big['seconds']:.1f} s"), "0 refused", big["refused"] == 0))
    rss = e2e["rss"]
    users = int(rss["n_users"])
    growth = rss[f"users_{users}"] - rss["users_1000"]
    lines.append(row("RSS: start / after 20,000 mixed updates / after 1,000 / after "
                     f"{users:,} distinct users", (f"{rss['start']:.0f} / {rss['after_mixed']:.0f} / "
                                                   f"{rss['users_1000']:.0f} / {rss[f'users_{users}']:.0f} MB "
                                                   f"({growth:+.1f} MB)"), "≤ +10 MB from 1,000 users",
                     growth <= 10))
    for size, c in cards.items():
        lines.append(row(f"card of {size} channels", (
            f"{c['images']} image(s) in {c['albums']} album(s), largest {c['w']}×{c['h']} px, "
            f"{c['bytes'] / 1024:.0f} KiB in all, rendered in {c['ms']:.0f} ms"), "each ≤ 10,000 px w+h",
            c["w"] + c["h"] <= 10_000))
    lines.append(row("card render, cold: draw + PNG encode of a card never seen (QR matrices cached per URL), "
                     "median of 200", f"{images['known_urls_ms']:.1f} ms ({images['png_bytes'] / 1024:.0f} KiB)",
                     "≤ 30 ms", images["known_urls_ms"] <= 30))
    lines.append(row("card render with URLs never seen: QR encoding (best mask) + draw + PNG, median of 200",
                     f"{images['cold_ms']:.1f} ms", "", None))
    lines.append(row("card render, cached, median of 200", f"{images['cached_ms'] * 1000:.0f} µs", "≤ 1 ms",
                     images["cached_ms"] <= 1))
    lines.append(row("bytes uploaded: first `/channels` / repeat", (
        f"{e2e['first_upload_bytes']:.0f} / {e2e['repeat_upload_bytes']:.0f}"), "repeat 0",
        e2e["repeat_upload_bytes"] == 0))
    lines.append(row("start-up to first getUpdates", f"{e2e['startup_s']:.2f} s", "≤ 1.5 s", e2e["startup_s"] <= 1.5))
    lines.append(row("… then the bot busy in the background (views warmed, card worker spawned and laying out the "
                     f"{BIG_CHANNELS}-channel card) until idle, measured after the first replies",
                     f"≤ {e2e['settle_bot']:.1f} s more", "", None))
    children = e2e.get("rss_mb_children", 0.0)
    lines.append(row("peak RSS of the bot over the whole run (and, beside it, of its card worker process)",
                     f"{e2e['rss_mb_peak']:.0f} MB (card worker: {children:.0f} MB)", "≤ 120 MB",
                     e2e["rss_mb_peak"] <= 120))
    resolve = f"{scale['resolve_p50_ms']:.3f} / {scale['resolve_p99_ms']:.3f} ms"
    lines.append(row("resolver at scale (uncached), p50 / p99", resolve, "≤ 2 ms", scale["resolve_p99_ms"] <= 2))
    # No target: the 2 ms this row once had was set when a lookup was the DB read alone. A unit's view is now its
    # channels and notices read, and its card laid out (~300 channels a unit here): what the first `/channels`
    # after a write to that unit waits for, off the event loop; every other reply is the cached row below.
    lines.append(row(f"`/channels` view of a unit rebuilt at scale (DB read of ~{scale['per_unit']:.0f} channels and "
                     "their notices + card layout, uncached), p50 / p99",
                     f"{scale['lookup_cold_p50_ms']:.2f} / {scale['lookup_cold_p99_ms']:.2f} ms", "", None))
    lines.append(row("`/channels` lookup at scale (cached), p50 / p99",
                     f"{scale['lookup_warm_p50_ms'] * 1000:.0f} / {scale['lookup_warm_p99_ms'] * 1000:.0f} µs",
                     "≤ 2 ms", scale["lookup_warm_p99_ms"] <= 2))
    lines.append(row("`/verify` at scale, p50 / p99", f"{scale['verify_p50_ms']:.2f} / {scale['verify_p99_ms']:.2f} ms",
                     "", None))
    lines.append(row("database size at scale", f"{scale['db_mb']:.1f} MB", "", None))

    table = "\n".join(lines)
    print(table)
    missing = "" if "d" in floors else " Floor (d) was skipped: aiogram is not installed (`make bench` installs it)."
    header = (
        f"# Benchmarks\n\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `make bench` "
        f"(`python -m bench{' --quick' if quick else ''}`), in {time.time() - started:.0f} s.\n\n"
        f"Machine: {machine()}.\n\n"
        f"Setup: one fake Bot API process per bot on 127.0.0.1 (spec checks off; photo limits on); every bot — the "
        f"project (`python -m bot`) and its floors (`python -m bench.floors …`) — runs as its own process, all "
        f"alive at once, long polling, {concurrency} updates in flight where the bot has a setting for it, rate "
        f"limiter off. A burst is {n} updates from 50 chats, injected at once; throughput is updates / (last reply "
        f"− injection); CPU is the bot process's own user+system time (/proc) over the burst. Each burst starts "
        f"once the bot and its card worker are idle. The bursts run in {rounds} rounds, in a shuffled order each "
        f"round, the project's `/channels` and the floors that send its "
        f"payload ((c), (d)) as one block of adjacent bursts; a ratio (or a CPU difference) is the project's burst "
        f"against the floor's in the same round, reported as the median over rounds with its range. Floors: "
        + "; ".join(FLOOR_NAMES[f] for f in floors) + f".{missing} Compare ratios within one run, not absolute "
        f"rates across runs: these machines are noisy (±10–20 % run to run).\n\n"
    )
    path = ROOT / "BENCHMARKS.md"
    # The sections below the main table (the other benchmarks', the mutation score) are kept: each benchmark
    # that owns one replaces only its own.
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = current[current.index("\n## "):] if "\n## " in current else ""
    path.write_text(header + table + "\n" + kept, encoding="utf-8")
    return 0


def card_sizes() -> dict[int, dict[str, float]]:
    """Cards of 1 … 400 channels on one unit: images, albums, the largest image, bytes, render time (all pages)."""
    import io

    from PIL import Image

    from bot.cards import ALBUM_SIZE, CardEntry, CardSpec, paginate, render_card

    out: dict[int, dict[str, float]] = {}
    for size in (1, 2, 27, 28, 60, 400):
        spec = CardSpec("Tỉnh Lai Châu", "Kênh thông tin chính thức · Official channels", tuple(
            CardEntry("Facebook", f"Trang {i}", f"https://www.facebook.com/kenh.chinh.thuc.{i}") for i in range(size)),
            ("Cập nhật / As of: 11/2026",))
        t0 = time.perf_counter()
        pngs = [render_card(p) for p in paginate(spec)]
        ms = (time.perf_counter() - t0) * 1000
        dims = [Image.open(io.BytesIO(p)).size for p in pngs]
        w, h = max(dims, key=lambda d: d[0] + d[1])
        out[size] = {"images": len(pngs), "albums": -(-len(pngs) // ALBUM_SIZE), "w": w, "h": h,
                     "bytes": sum(map(len, pngs)), "ms": ms}
    return out


if __name__ == "__main__":
    sys.exit(main())
