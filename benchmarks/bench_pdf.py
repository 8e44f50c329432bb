"""Benchmark: PDF bombs are refused faster, and with less memory, than an honest PDF is read.

Run from the repository root: ``python benchmarks/bench_pdf.py``. Baseline, measured in the same
run: ``inspect_file`` of the public one-page PDF in ``examples/sample.pdf`` (PDFium: page sizes
and text layer). Each bomb (``tests/unit/_pdfs.py``): a page tree claiming 5,000,000 pages, a
real tree of 200,000 page references (1.2 MB), a page 10,000,000 pt wide. Prints median time
and peak traced memory per case and their ratios to the baseline. Exits 1 if a bomb is not
refused with PdfBombError or takes over 1 s.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from _pdfs import make_pdf  # noqa: E402

from openai_vision_ext import PdfBombError, inspect_file  # noqa: E402


def measure(call: Callable[[], object], runs: int = 5) -> tuple[float, int, str]:
    times, peak, outcome = [], 0, "ok"
    for _ in range(runs):
        tracemalloc.start()
        start = time.perf_counter()
        try:
            call()
        except PdfBombError:
            outcome = "PdfBombError"
        times.append(time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), peak, outcome


def main() -> int:
    honest = (ROOT / "examples" / "sample.pdf").read_bytes()
    cases = {
        "claims 5,000,000 pages": make_pdf(count=5_000_000),
        "200,000 real page refs": make_pdf(kids_repeat=200_000, count=200_000),
        "page 10,000,000 pt wide": make_pdf(box=(10_000_000, 792)),
    }
    inspect_file(honest)  # warm-up: loads PDFium and the tokenizer once
    base_t, base_m, _ = measure(lambda: inspect_file(honest))
    print(f"baseline: sample.pdf ({len(honest):,} bytes) {base_t * 1e3:.2f} ms, {base_m:,} B peak")
    failed = False
    for name, data in cases.items():
        t, m, outcome = measure(lambda data=data: inspect_file(data))  # type: ignore[misc]
        print(
            f"{name:26} {len(data):>10,} B  {outcome:13} {t * 1e3:8.2f} ms ({t / base_t:6.2f}x)"
            f"  peak {m:>11,} B ({m / base_m:6.2f}x)"
        )
        failed |= outcome != "PdfBombError" or t > 1.0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
