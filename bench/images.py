"""Card rendering: cold (draw + PNG encode) and cached, median of 200."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bot.cards import CardCache, render_card
from bot.config import ROOT, Settings
from bot.runtime import open_registry


async def measure_images(tmp: Path, runs: int = 200) -> dict[str, float]:
    registry = await open_registry(Settings(db_path=tmp / "img.sqlite3", data_dir=ROOT / "data"))
    view = await registry.unit_view(registry.places.places["can_tho"])
    await registry.store.close()
    cold = []
    for _ in range(runs):
        t0 = time.perf_counter()
        render_card(view.card)
        cold.append(time.perf_counter() - t0)
    cache = CardCache()
    cache.get(view.card)
    cached = []
    for _ in range(runs):
        t0 = time.perf_counter()
        cache.get(view.card)
        cached.append(time.perf_counter() - t0)
    return {"cold_ms": statistics.median(cold) * 1000, "cached_ms": statistics.median(cached) * 1000,
            "png_bytes": len(render_card(view.card))}
