"""Card rendering: cold (draw + PNG encode) and cached, median of 200."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from pathlib import Path

from bot.cards import QR_CACHE, CardCache, render_card
from bot.config import ROOT, Settings
from bot.runtime import open_registry


async def measure_images(tmp: Path, runs: int = 200) -> dict[str, float]:
    registry = await open_registry(Settings(db_path=tmp / "img.sqlite3", data_dir=ROOT / "data"))
    view = await registry.unit_view(registry.places.places["can_tho"])
    await registry.store.close()
    cold, known = [], []
    for i in range(runs):
        # A card never seen before: another "as of" date changes its content hash.
        spec = replace(view.card, footer=(*view.card.footer[:-1], f"Cập nhật / As of: {i}"))
        QR_CACHE.clear()  # fully cold: its QR codes encoded too
        t0 = time.perf_counter()
        render_card(spec)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_card(replace(spec, title=spec.title + " "))  # new content, URLs already drawn once
        known.append(time.perf_counter() - t0)
    cache = CardCache()
    cache.get(view.card)
    cached = []
    for _ in range(runs):
        t0 = time.perf_counter()
        cache.get(view.card)
        cached.append(time.perf_counter() - t0)
    return {"cold_ms": statistics.median(cold) * 1000, "known_urls_ms": statistics.median(known) * 1000,
            "cached_ms": statistics.median(cached) * 1000,
            "png_bytes": len(render_card(view.card))}
