"""How long the notice reader takes: the two seed notices (about two printed pages each) as text, and the Cần
Thơ notice as a PDF (text layer extraction included). Budget: < 50 ms for a two-page text.

Usage: python -m bench.ingest [--write]     (`make bench` runs it with --write: its section of BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.ingest import read_file, read_notice
from bot.places import load_gazetteer

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "tests" / "data" / "notices"
BUDGET_MS = 50.0
MARKER = "## Notice reader (`python -m bench.ingest`)"


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="put the lines into BENCHMARKS.md")
    args = parser.parse_args()
    lines = measure_ingest()
    print("\n".join(lines))
    if args.write:  # BENCHMARKS.md: this section replaced (it is the last one), the rest kept
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        before, _, after = text.partition(MARKER)
        rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
        body = "\n".join(f"- {line}" for line in lines)
        text = f"{before.rstrip()}\n\n{MARKER}\n\n{body}\n" + (f"\n## {rest}" if rest else "")
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
