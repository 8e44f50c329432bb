"""Benchmark: bytes sent with optimize=True vs as-is, for a 12 MP photo and a 4000x3000 screenshot.

Run: ``python benchmarks/bench_prepare.py``. Images are made procedurally (no downloads):

- photo: colour gradients, multi-scale (1/f) texture and fine sensor-like grain, saved as JPEG
  quality 92 (about 2.7 MB; a 12 MP phone photo is typically 2.5-5 MB);
- screenshot: flat UI panels, buttons and lines of text, saved as PNG.

For a tile model (gpt-4o) and patch models (gpt-4.1-mini, gpt-5-mini) at ``detail="high"`` it
prints the bytes sent with ``optimize=True`` as a ratio of the original bytes (the baseline: what
``optimize=False`` sends), the time to prepare as a ratio of a plain full decode of the same file
(the baseline measured in the same run), and checks that the token estimate of what is sent equals
that of the original. Exits 1 if a target is missed:

- every estimate identical;
- photo: sent bytes <= 10% of the original, for every model (the issue's target; the patch
  models keep the most pixels server-side: 1408x1056 of 4000x3000 at high on a 1,536-patch
  budget, 2048x1536 on gpt-4.1-mini's 6,144-patch row since guide V4);
- screenshot: sent bytes <= 50% of the original;
- preparing takes <= 10x a plain decode.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw

from openai_vision_ext._estimate import estimate_image_tokens
from openai_vision_ext._image.prepare import prepare_image

MODELS = ("gpt-4o", "gpt-4.1-mini", "gpt-5-mini")
DETAIL: Final = "high"
SIZE = (4000, 3000)
TARGETS = {
    ("photo", "gpt-4o"): 0.10,
    ("photo", "gpt-4.1-mini"): 0.10,
    ("photo", "gpt-5-mini"): 0.10,
    ("screenshot", "gpt-4o"): 0.50,
    ("screenshot", "gpt-4.1-mini"): 0.50,
    ("screenshot", "gpt-5-mini"): 0.50,
}
MAX_TIME_RATIO = 10.0
REPEATS = 3


def make_photo(size: tuple[int, int]) -> bytes:
    """A photo-like JPEG (quality 92): colour gradients, texture with a natural-image 1/f
    spectrum (noise octaves, coarser ones stronger) and fine sensor grain."""
    base = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ),
    )
    texture = _noise(size, 32)
    for divisor, amplitude in ((16, 0.5), (8, 0.25), (4, 0.125), (2, 0.0625)):
        texture = Image.blend(texture, _noise(size, divisor), amplitude / (1 + amplitude))
    grain = Image.merge("RGB", [Image.effect_noise(size, 30) for _ in range(3)])
    photo = Image.blend(Image.blend(base, texture, 0.6), grain, 0.12)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _noise(size: tuple[int, int], divisor: int) -> Image.Image:
    """RGB noise generated at 1/divisor of ``size`` and smoothly upscaled."""
    small = (max(1, size[0] // divisor), max(1, size[1] // divisor))
    return Image.merge(
        "RGB",
        [Image.effect_noise(small, 60).resize(size, Image.Resampling.BICUBIC) for _ in range(3)],
    )


def make_screenshot(size: tuple[int, int]) -> bytes:
    """A screenshot-like PNG: title bar, sidebar, cards, buttons and lines of text."""
    w, h = size
    im = Image.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, w, 120), fill=(32, 48, 96))
    draw.rectangle((0, 120, 600, h), fill=(230, 233, 238))
    for row in range(6):
        for col in range(3):
            x0, y0 = 700 + col * 1100, 200 + row * 460
            draw.rounded_rectangle(
                (x0, y0, x0 + 1000, y0 + 400), 24, fill="white", outline=(210, 214, 220)
            )
            draw.rounded_rectangle((x0 + 40, y0 + 320, x0 + 260, y0 + 370), 12, fill=(37, 99, 235))
            for line in range(8):
                draw.text(
                    (x0 + 40, y0 + 40 + line * 32),
                    f"Invoice #{row}{col}{line}  paid  $1,2{line}0.00",
                    fill=(30, 30, 30),
                )
    for line in range(60):
        draw.text((40, 160 + line * 44), f"Menu item {line}", fill=(60, 60, 60))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Row:
    image: str
    model: str
    original: tuple[int, int, int]
    sent: tuple[int, int, int]
    mime: str
    byte_ratio: float
    time_ratio: float
    seconds: float
    same_tokens: bool
    tokens: int


def best_of(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as im:
        im.load()


def measure(name: str, data: bytes, model: str) -> Row:
    baseline = prepare_image(data, model=model, detail=DETAIL, optimize=False)
    assert baseline.info is not None
    assert baseline.data == data  # optimize=False sends the file as is
    prepared = prepare_image(data, model=model, detail=DETAIL)
    assert prepared.info is not None
    w, h = baseline.info.width, baseline.info.height
    with Image.open(io.BytesIO(prepared.data)) as sent:  # the dims of what is really sent
        sw, sh = sent.size
    tokens = estimate_image_tokens(w, h, model=model, detail=DETAIL)
    seconds = best_of(lambda: prepare_image(data, model=model, detail=DETAIL))
    return Row(
        image=name,
        model=model,
        original=(w, h, len(data)),
        sent=(sw, sh, len(prepared.data)),
        mime=prepared.info.mime,
        byte_ratio=len(prepared.data) / len(data),
        time_ratio=seconds / best_of(lambda: decode(data)),
        seconds=seconds,
        same_tokens=estimate_image_tokens(sw, sh, model=model, detail=DETAIL) == tokens,
        tokens=tokens,
    )


def main() -> int:
    images = {"photo": make_photo(SIZE), "screenshot": make_screenshot(SIZE)}
    rows = [measure(name, data, model) for name, data in images.items() for model in MODELS]
    print(f"detail={DETAIL}; bytes ratio = optimized / original; time ratio = prepare / decode")
    header = f"{'image':<11}{'model':<14}{'original':>22}{'sent':>22}  {'mime':<11}"
    print(header + f"{'bytes':>8}{'time':>7}{'prep s':>8}{'tokens':>8}  same")
    failures = []
    for r in rows:
        orig = f"{r.original[0]}x{r.original[1]} {r.original[2] / 1e6:.2f}MB"
        sent = f"{r.sent[0]}x{r.sent[1]} {r.sent[2] / 1e6:.3f}MB"
        print(
            f"{r.image:<11}{r.model:<14}{orig:>22}{sent:>22}  {r.mime:<11}"
            f"{r.byte_ratio:>7.1%}{r.time_ratio:>6.1f}x{r.seconds:>8.2f}{r.tokens:>8}"
            f"  {r.same_tokens}"
        )
        if not r.same_tokens:
            failures.append(f"{r.image}/{r.model}: estimate changed")
        target = TARGETS[r.image, r.model]
        if r.byte_ratio > target:
            failures.append(f"{r.image}/{r.model}: {r.byte_ratio:.1%} > {target:.0%}")
        if r.time_ratio > MAX_TIME_RATIO:
            failures.append(f"{r.image}/{r.model}: prepare {r.time_ratio:.1f}x decode")
    for failure in failures:
        print("TARGET MISSED:", failure)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
