"""Replay real file bills through the estimate; print one calibration table per API.

    python benchmarks/calibrate_files.py [REAL_USAGE_DIR]

Every record of ``file_inputs.jsonl`` is estimated with its files' recorded facts and the file
rule rows of the bill's date (``_file_calibrate.file_bill``). Exits 1 when a bill falls outside
its bounds, or when an estimate that claims ``exact`` differs from its bill; 2 when the data is
missing.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from openai_vision_ext._file_calibrate import file_bill, file_calibration_table

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "real-usage"


def main(argv: list[str]) -> int:
    path = (Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR) / "file_inputs.jsonl"
    if not path.is_file():
        print(f"no {path}", file=sys.stderr)
        return 2
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    bills = [file_bill(r) for r in records]
    print(file_calibration_table(bills))
    print()
    for reason, n in sorted(Counter(b.excluded for b in bills if b.excluded).items()):
        print(f"- excluded, {reason}: {n}")
    bad = [
        b for b in bills if b.excluded is None and (not b.within or (b.exact_claimed and not b.hit))
    ]
    for b in bad:
        print(
            f"MISS {b.id} {b.api} {b.model} {b.date}: billed {b.billed}, estimate "
            f"{b.estimate} [{b.lower}, {b.upper}]"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
