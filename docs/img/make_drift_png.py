"""Regenerate ``docs/img/drift.png`` (the README's drift chart) from a synthetic audit log.

The log is written by the real audit path: ``VisionReport`` -> ``AuditRecord.from_report`` ->
``JsonlSink``; the chart by the real command, ``openai-vision-ext audit summarize --png``.
Estimates come from ``estimate_request`` on generated images; the "billed" side is synthetic:
the estimate plus a little noise, and, for gpt-5-mini from 2026-11-10 on, a bill about 3 %
above the estimate (the kind of billing change the drift flag exists to catch).

    python docs/img/make_drift_png.py [--log audit.jsonl]

``--log`` keeps the generated audit log (by default it lives in a temporary directory), so the
README's ``audit summarize`` output can be reproduced from the same file.
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from openai_vision_ext._audit import AuditRecord
from openai_vision_ext._estimate import estimate_request
from openai_vision_ext._report import VisionReport
from openai_vision_ext._sinks import JsonlSink

OUT = Path(__file__).with_name("drift.png")
MODELS = ("gpt-4o", "gpt-4.1-mini", "gpt-5-mini")
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAYS = 14
PER_DAY = 12
SIZES = ((640, 480), (1024, 768), (1920, 1080), (800, 800), (3024, 4032))


def _data_url(width: int, height: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buf, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _report(model: str, size: tuple[int, int], billed_factor: float, n: int) -> VisionReport:
    request = {
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "List the products in this photo."},
                    {"type": "input_image", "image_url": _data_url(*size), "detail": "high"},
                ],
            }
        ]
    }
    est = estimate_request(api="responses", model=model, **request)
    billed = round(est.input_tokens * billed_factor)
    return VisionReport(
        api="responses",
        model_requested=model,
        model_served=None,
        request_id=f"req_{n:06d}",
        response_id=f"resp_{n:06d}",
        images=est.images,
        estimated_image_tokens=est.image_tokens,
        estimated_text_tokens=est.text_tokens,
        estimated_input_tokens=est.input_tokens,
        billed_input_tokens=billed,
        billed_cached_tokens=0,
        billed_output_tokens=40,
        billed_reasoning_tokens=0,
        billed_image_tokens=billed - est.text_tokens,
        delta_input_tokens=est.input_tokens - billed,
        attribution="estimate",
        stream=False,
        status="ok",
    )


def write_log(path: Path, *, seed: int = 7) -> None:
    """Write the synthetic audit log: MODELS x DAYS x PER_DAY records."""
    rng = random.Random(seed)
    sink = JsonlSink(path)
    n = 0
    for day in range(DAYS):
        for model in MODELS:
            drift = -0.03 if model == "gpt-5-mini" and day >= 9 else 0.0
            for i in range(PER_DAY):
                n += 1
                factor = 1 - drift + rng.gauss(0, 0.004)
                report = _report(model, rng.choice(SIZES), factor, n)
                now = START + timedelta(days=day, minutes=37 * i)
                sink.emit(AuditRecord.from_report(report, now=now))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, help="keep the audit log at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = args.log or Path(tmp) / "audit.jsonl"
        log.unlink(missing_ok=True)  # JsonlSink appends
        write_log(log)
        # The real command, as users run it; exit code 1 = drift flagged, which is the point.
        cmd = [sys.executable, "-m", "openai_vision_ext", "audit", "summarize", str(log)]
        proc = subprocess.run([*cmd, "--png", str(OUT)], check=False)
    if proc.returncode not in (0, 1):
        return proc.returncode
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
