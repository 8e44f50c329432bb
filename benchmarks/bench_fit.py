"""Benchmark: fitting a 12 MP photo to a budget vs a plain Pillow resize to the chosen size.

Run: ``python benchmarks/bench_fit.py``. The photo is made procedurally (``bench_prepare``'s
``make_photo``: 4032x3024 JPEG, quality 92).

For each (model, budget) it times, in the same run (median of ``REPEATS`` interleaved rounds):

- fit: ``prepare_image(photo, model=..., max_tokens=...)`` (read the header, search the sizes on
  dimensions with the estimate's own code, decode, resize once, encode, inspect what is sent);
- plain: Pillow alone doing the same pixel work to the size the fit chose: ``Image.open``,
  ``draft`` (the JPEG decoder's own downscale, as ``Image.thumbnail`` uses), one LANCZOS
  ``resize``, save as JPEG quality 85 with ``optimize=True`` (how ``prepare_image`` encodes a
  photo);
- naive: the same without ``draft`` (for context only);
- search: ``fit_size`` alone (dimensions only, no pixels).

Target (the issue's): fit <= 1.2x plain for every row; exits 1 if missed. It also checks that
the bytes sent decode to the chosen size and that their estimate is the fit's tokens.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # this checkout's package, not an install
from bench_prepare import make_photo

from openai_vision_ext import estimate_image_tokens, fit_size, prepare_image

SIZE = (4032, 3024)
CASES = (("gpt-4o", 500), ("gpt-4o", 1000), ("gpt-4.1-mini", 800), ("gpt-5.4", 1500))
MAX_RATIO = 1.2
REPEATS = 15


def median_of(*fns: Callable[[], object]) -> list[float]:
    """Median time of each function over ``REPEATS`` rounds, run interleaved so that load from
    other processes falls on all of them alike (the minimum is too noisy on a shared machine)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def pillow_resize(data: bytes, size: tuple[int, int], *, draft: bool) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        if draft:
            im.draft("RGB", size)
        small = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=85, optimize=True)
    return buf.getvalue()


def main() -> int:
    photo = make_photo(SIZE)
    print(f"photo {SIZE[0]}x{SIZE[1]} JPEG {len(photo) / 1e6:.2f} MB; medians of {REPEATS}")
    print(
        f"{'model':<14}{'budget':>7}  {'chosen':<18}{'tokens':>7}"
        f"{'fit ms':>8}{'plain ms':>9}{'ratio':>7}{'naive ms':>9}{'search ms':>10}"
    )
    failures = []
    for model, budget in CASES:
        prepared = prepare_image(photo, model=model, max_tokens=budget)
        fit = prepared.fit
        assert fit is not None
        assert prepared.info is not None
        size = (fit.width, fit.height)
        with Image.open(io.BytesIO(prepared.data)) as sent:
            if sent.size != size:
                failures.append(f"{model}/{budget}: sent {sent.size}, chosen {size}")
        if estimate_image_tokens(*size, model=model, detail=fit.detail) != fit.tokens:
            failures.append(f"{model}/{budget}: estimate of the sent size differs")
        t_fit, t_plain, t_search = median_of(
            lambda m=model, b=budget: prepare_image(photo, model=m, max_tokens=b),
            lambda s=size: pillow_resize(photo, s, draft=True),
            lambda m=model, b=budget: fit_size(*SIZE, model=m, max_tokens=b),
        )
        # apart: its full-size decode would leave the allocator in another state for the others
        (t_naive,) = median_of(lambda s=size: pillow_resize(photo, s, draft=False))
        ratio = t_fit / t_plain
        chosen = f"{fit.width}x{fit.height} {fit.detail}"
        print(
            f"{model:<14}{budget:>7}  {chosen:<18}{fit.tokens:>7}{t_fit * 1e3:>8.1f}"
            f"{t_plain * 1e3:>9.1f}{ratio:>6.2f}x{t_naive * 1e3:>9.1f}{t_search * 1e3:>10.2f}"
        )
        if ratio > MAX_RATIO:
            failures.append(f"{model}/{budget}: fit {ratio:.2f}x plain > {MAX_RATIO}x")
    for failure in failures:
        print("TARGET MISSED:", failure)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
