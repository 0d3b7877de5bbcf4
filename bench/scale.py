"""The registry at scale: 10,000 channels and 100,000 notices, generated into a temporary SQLite file."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from pathlib import Path

from bot.config import ROOT, Settings
from bot.models import Notice
from bot.runtime import open_registry

QUERIES = ["cần thơ", "Can Tho", "TP.HCM", "ha noi", "bến tre", "Thừa Thiên Huế", "dak lak", "QN", "vinh logn",
           "ba ria vung tau", "Sài Gòn", "hau giang", "kien gian", "tinh soc trang", "xyzzy"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


async def measure_scale(tmp: Path, channels: int = 10_000, notices: int = 100_000) -> dict[str, float]:
    settings = Settings(db_path=tmp / "scale.sqlite3", data_dir=ROOT / "data", media_dir=tmp / "media")
    registry = await open_registry(settings)
    store = registry.store
    rng = random.Random(7)
    slugs = sorted(registry.places.places)
    started = time.perf_counter()
    async with store.transaction():
        for i in range(notices):
            await store.insert_notice(Notice(
                id=0, place_slug=rng.choice(slugs), issuer=f"Văn phòng UBND {i}", number=str(i), number_suffix="VP",
                year=2000 + i % 26, month=1 + i % 12, day=None, location=None, subject=f"V/v kênh {i}",
                summary=None, signer=None, signer_title=None, key=f"gen-{i}"), None)
        for i in range(channels):
            await store.insert_channel(place_slug=rng.choice(slugs), platform="facebook", name=f"Trang {i}",
                                       url=f"https://www.facebook.com/generated.page.{i}", verified_on="2026-11",
                                       notice_id=rng.randint(1, notices))
    generate_s = time.perf_counter() - started

    resolve = []
    for _ in range(20):
        for q in QUERIES:
            t0 = time.perf_counter()
            registry.places.resolve_uncached(q)
            resolve.append(time.perf_counter() - t0)
    cold, warm = [], []
    for _ in range(300):
        place = registry.places.places[rng.choice(slugs)]
        registry.changed()  # the DB path: channels of the unit and their notices
        t0 = time.perf_counter()
        await registry.unit_view(place)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await registry.unit_view(place)
        warm.append(time.perf_counter() - t0)
    verify = []
    for _ in range(300):
        t0 = time.perf_counter()
        await registry.verify(f"https://www.facebook.com/generated.page.{rng.randint(0, channels - 1)}")
        verify.append(time.perf_counter() - t0)
    await store.close()
    size = sum(p.stat().st_size for p in await asyncio.to_thread(lambda: list(tmp.glob("scale.sqlite3*"))))
    ms = 1000
    return {
        "generate_s": generate_s,
        "resolve_p50_ms": statistics.median(resolve) * ms, "resolve_p99_ms": pct(resolve, 0.99) * ms,
        "lookup_cold_p50_ms": statistics.median(cold) * ms, "lookup_cold_p99_ms": pct(cold, 0.99) * ms,
        "lookup_warm_p50_ms": statistics.median(warm) * ms, "lookup_warm_p99_ms": pct(warm, 0.99) * ms,
        "verify_p50_ms": statistics.median(verify) * ms, "verify_p99_ms": pct(verify, 0.99) * ms,
        "db_mb": size / 1e6, "per_unit": channels / len(registry.places.units()),
    }
