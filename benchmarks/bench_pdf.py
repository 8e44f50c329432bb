"""Benchmark: PDF and Office-document bombs are refused in well under a second, most of them
faster than an honest PDF is read (not all: 10,001 real page objects, a 1 MB file, take about
1.5-2.5 times the honest one-page PDF, counted by the scan before PDFium sees them).

Run from the repository root: ``python benchmarks/bench_pdf.py``. Baseline, measured in the same
run: ``inspect_file`` of the public one-page PDF in ``examples/sample.pdf`` (PDFium: page sizes
and text layer). Each PDF bomb (``tests/unit/_pdfs.py``): a page tree claiming 5,000,000 pages,
a real tree of 200,000 page references (1.2 MB), 10,001 real page objects under a ``/Count 1``
tree, a page 10,000,000 pt wide, a Letter page with ``/UserUnit 100``. Each document bomb: a zip
listing 10,001 entries, a docx part inflating to 257 MiB of XML (about 0.3 MB packed), an XML
entity-expansion bomb. Prints median time and peak traced memory per case and their ratios to
the baseline. Exits 1 if a bomb is not refused with PdfBombError/DocumentBombError or takes over
1 s.
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

import io  # noqa: E402
import zipfile  # noqa: E402

from _pdfs import W, make_ooxml, make_pdf  # noqa: E402

from openai_vision_ext import DocumentBombError, PdfBombError, inspect_file  # noqa: E402

BOMBS = (PdfBombError, DocumentBombError)


def many_entries(n: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/document.xml", "<doc/>")
        for i in range(n):
            archive.writestr(f"x/{i}", b"")
    return out.getvalue()


def inflating(n_bytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<w:document xmlns:w="{W}"><w:body>'.encode())
            block = b"<w:p/>" * ((1 << 20) // 6)
            for _ in range(n_bytes // len(block) + 1):
                part.write(block)
    return out.getvalue()


def entity_bomb() -> bytes:
    entities = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    ]
    xml = f'<!DOCTYPE d [{"".join(entities)}]><w:document xmlns:w="{W}">&a9;</w:document>'
    return make_ooxml("word/document.xml", xml)


def measure(call: Callable[[], object], runs: int = 5) -> tuple[float, int, str]:
    times, peak, outcome = [], 0, "ok"
    for _ in range(runs):
        tracemalloc.start()
        start = time.perf_counter()
        try:
            call()
        except BOMBS as exc:
            outcome = type(exc).__name__
        times.append(time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), peak, outcome


def main() -> int:
    honest = (ROOT / "examples" / "sample.pdf").read_bytes()
    cases = {
        "claims 5,000,000 pages": make_pdf(count=5_000_000),
        "200,000 real page refs": make_pdf(kids_repeat=200_000, count=200_000),
        "10,001 pages, /Count 1": make_pdf(pages=10_001, count=1),
        "page 10,000,000 pt wide": make_pdf(box=(10_000_000, 792)),
        "/UserUnit 100": make_pdf().replace(
            b"/MediaBox[0 0 612 792]", b"/MediaBox[0 0 612 792]/UserUnit 100"
        ),
        "zip of 10,001 entries": many_entries(10_001),
        "docx inflating to 257 MiB": inflating(257 << 20),
        "XML entity bomb": entity_bomb(),
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
        failed |= outcome not in {cls.__name__ for cls in BOMBS} or t > 1.0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
