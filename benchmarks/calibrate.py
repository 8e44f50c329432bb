"""Check exact offline estimates against real billed usage; print the markdown table.

    python benchmarks/calibrate.py [REAL_USAGE_DIR]

REAL_USAGE_DIR defaults to ``../shared/real-usage`` beside the repository. Every request in
``observations.jsonl`` goes through ``estimate_with_infos`` (the code path the clients use) with
the recorded image sizes, with ``tools_and_formats.jsonl`` and ``text_only_responses.jsonl``
beside it (and ``file_inputs.jsonl``'s tool round trips, estimated with their files' recorded
facts, in the error bands' measured spread only). Prints a table per request shape (simple,
multi-message, tools, formats, reasoning replays, URL images). Exits 1 when a target is
missed: every shape with at least 10 counted requests exact to the token on at least 97% of
them, and the image part (tiles/patches) right for every image configuration. Exits 2
when the data is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from openai_vision_ext._calibrate import (
    Outcome,
    check_images,
    evaluate_all,
    failed_targets,
    observation_from_record,
    render_markdown,
)
from openai_vision_ext._file_calibrate import round_trip_outcomes

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "real-usage"


def records(path: Path) -> list[dict[str, object]]:
    """The JSON records of a JSON-lines file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load(path: Path) -> list[Outcome]:
    """Evaluate every record of a JSON-lines file."""
    return evaluate_all([observation_from_record(record) for record in records(path)])


def main(argv: list[str]) -> int:
    """Print the calibration report; return the exit status."""
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    observations = data / "observations.jsonl"
    if not observations.is_file():
        print(f"no {observations}: pass the real-usage directory as the first argument")
        return 2
    outcomes = load(observations)
    tools_path = data / "tools_and_formats.jsonl"
    outcomes += load(tools_path) if tools_path.is_file() else []
    text_path = data / "text_only_responses.jsonl"
    text_only = load(text_path) if text_path.is_file() else []
    files_path = data / "file_inputs.jsonl"
    round_trips = round_trip_outcomes(records(files_path)) if files_path.is_file() else []
    checks = check_images(outcomes)
    print(render_markdown(outcomes, checks, text_only=text_only, band_only=round_trips), end="")
    failures = failed_targets([*outcomes, *text_only], checks)
    for failure in failures:
        print(f"TARGET MISSED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
