"""How long the notice reader takes: the two seed notices (about two printed pages each) as text, and the Cần
Thơ notice as a PDF (text layer extraction included). Budget: < 50 ms for a two-page text.

Usage: python -m bench.ingest     (not part of `make bench`'s end-to-end runs; prints one line per case)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot.ingest import read_file, read_notice
from bot.places import load_gazetteer

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "tests" / "data" / "notices"
BUDGET_MS = 50.0


def timed(work: Callable[[], object], runs: int = 50) -> tuple[float, float]:
    """(median, max) wall time in ms over `runs`, after one warm-up run."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def measure_ingest() -> list[str]:
    places = load_gazetteer(ROOT / "data")
    lines = []
    for name in ("ben_tre_2021.txt", "can_tho_2025.txt"):
        text = (NOTICES / name).read_text(encoding="utf-8")
        median, worst = timed(lambda text=text: read_notice(text, places))
        lines.append(f"read_notice {name} ({len(text)} chars): median {median:.1f} ms, max {worst:.1f} ms "
                     f"(budget {BUDGET_MS:.0f} ms)")
    try:
        from tests.test_ingest import as_pdf

        pdf = as_pdf((NOTICES / "can_tho_2025.txt").read_text(encoding="utf-8"))
        median, worst = timed(lambda: read_file("can_tho.pdf", pdf, places), runs=10)
        lines.append(f"read_file can_tho_2025 as PDF ({len(pdf)} bytes): median {median:.1f} ms, max {worst:.1f} ms")
    except ImportError:  # fpdf2 (the test extra) not installed
        pass
    return lines


if __name__ == "__main__":
    print("\n".join(measure_ingest()))
