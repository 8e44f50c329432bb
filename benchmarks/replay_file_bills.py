"""Replay the real file bills' cassettes through ``VisionOpenAI``; print one calibration row per
API and file rule.

    PYTHONPATH=. python benchmarks/replay_file_bills.py

Every cassette of ``cassettes/test_file_replay/`` (one real bill of ``file_inputs.jsonl`` each,
see ``cassettes/README.md``) is replayed offline (vcrpy, ``record_mode="none"``) through the real
client, which estimates with today's file rules. Columns: bills replayed; billed numbers the
report carries verbatim; bills counted (not excluded by the dated calibration: tools or a
response format); counted bills within today's bounds; those in the era of today's rule row
(its ``since`` on or before the bill's date, the UTC day of its response as the rows use), within
bounds and equal to the estimate. Older
bills are the dated calibration's job (``benchmarks/calibrate_files.py``), so only a miss in
its era, or a billed number not carried verbatim, exits 1.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "integration"), str(ROOT / "tests")]

import vcr  # noqa: E402
from _file_scenarios import FILE_REPLAY_DIR, FileScenario, file_scenarios  # noqa: E402
from _vcr_setup import vcr_settings  # noqa: E402

from openai_vision_ext import VisionOpenAI, VisionReport, vision_report  # noqa: E402
from openai_vision_ext._file_calibrate import file_bill  # noqa: E402


def replay(scenario: FileScenario) -> VisionReport:
    recorder = vcr.VCR(record_mode="none", **vcr_settings())
    with recorder.use_cassette(str(FILE_REPLAY_DIR / f"{scenario.name}.yaml")):
        client = VisionOpenAI(api_key="sk-replay", max_retries=0)
        resource: Any = client.responses if scenario.api == "responses" else client.chat.completions
        report = vision_report(resource.create(**scenario.request()))
    assert report is not None
    return report


def main() -> int:
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    for scenario in file_scenarios():
        report = replay(scenario)
        rule = ", ".join(sorted({f.rule for f in report.files}))
        tally = rows[(scenario.api, rule)]
        tally["bills"] += 1
        tally["carried"] += report.billed_input_tokens == scenario.billed_input
        if file_bill(scenario.row).excluded is not None:
            continue
        tally["counted"] += 1
        low, high = report.estimated_input_lower, report.estimated_input_upper
        within = (
            low is not None
            and low <= scenario.billed_input
            and (high is None or scenario.billed_input <= high)
        )
        tally["within"] += within
        if not all(f.rule.rpartition("@")[2] <= scenario.date for f in report.files):
            continue
        tally["era"] += 1
        tally["era_within"] += within
        tally["era_equal"] += report.estimated_input_tokens == scenario.billed_input
        if not within:
            misses.append(f"MISS {scenario.name}: billed {scenario.billed_input} [{low}, {high}]")
    print(
        "| API | today's file rule | bills replayed | billed carried | counted | within today's "
        "bounds | in the rule's era | within (era) | estimate = bill (era) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (api, rule), t in sorted(rows.items()):
        print(
            f"| {api} | {rule} | {t['bills']} | {t['carried']} | {t['counted']} | {t['within']} "
            f"| {t['era']} | {t['era_within']} | {t['era_equal']} |"
        )
    for line in misses:
        print(line)
    carried = all(t["carried"] == t["bills"] for t in rows.values())
    return 0 if carried and not misses else 1


if __name__ == "__main__":
    sys.exit(main())
