"""Real file bills replayed through the real clients from VCR cassettes.

Each cassette (``cassettes/test_file_replay/<id>.yaml``) reproduces one row of
``shared/real-usage/file_inputs.jsonl`` whose files are the public PDFs in ``tests/data/files/``
(sent as the same bytes; the cassette holds their sha256, not the bytes) and answers with the
usage OpenAI really billed, verbatim (``_build_cassettes.py --files-only``). Expected numbers come
from ``cassettes/file_bills.json`` (the rows verbatim, payloads replaced by their sha256), never
from our code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _file_scenarios import FILE_REPLAY_DIR, FileScenario, file_scenarios
from _helpers import Side
from _private import file_bill
from _scenarios import openai_key

from openai_vision_ext import VisionReport, vision_report

SCENARIOS = file_scenarios()


@pytest.fixture(params=SCENARIOS, ids=[s.name for s in SCENARIOS])
def scenario(request: pytest.FixtureRequest) -> FileScenario:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def default_cassette_name(scenario: FileScenario) -> str:
    return scenario.name


def in_rule_era(scenario: FileScenario, report: VisionReport) -> bool:
    """Whether today's file rules describe the bill's date: every file's rule row (the newest,
    as the client estimates today) started on or before it. Older bills are judged by the
    dated calibration (``benchmarks/calibrate_files.py``), not by today's rows."""
    return all(f.rule.rpartition("@")[2] <= scenario.date for f in report.files)


def check(scenario: FileScenario, report: VisionReport | None, vcr: Any) -> None:
    row = scenario.row
    assert report is not None
    assert report.billed_input_tokens == scenario.billed_input
    assert report.model_served == row["response_model"]
    assert report.response_id == row["response_id"]
    assert len(report.files) == len(row["files"])
    for estimate, recorded in zip(report.files, row["files"], strict=True):
        assert estimate.source == recorded["source"]
        if recorded["source"] == "file_data":
            assert estimate.sha256 == recorded["sha256"]
            assert estimate.n_bytes == recorded["bytes_len"]
            assert estimate.pages == recorded["pdf"]["pages"]
            assert estimate.text_tokens == recorded["pdf"]["text_tokens_o200k"]
        else:  # a URL: neither fetched nor bounded above
            assert estimate.upper is None
    assert report.billed_file_tokens is not None
    if file_bill(row).excluded is None and in_rule_era(scenario, report):
        assert report.estimated_input_lower is not None
        assert report.estimated_input_lower <= scenario.billed_input
        upper = report.estimated_input_upper
        assert upper is None or scenario.billed_input <= upper
    if vcr.record_mode == "none":  # replay (CI): the one recorded request matched on its body
        assert vcr.play_count == 1


@pytest.mark.vcr
@pytest.mark.anyio
async def test_the_client_reports_the_real_file_bill(
    side: Side, scenario: FileScenario, vcr: Any
) -> None:
    """Each real file bill, replayed through the sync and the async client."""
    client = side.client_class(api_key=openai_key(), max_retries=0)
    resource: Any = client.responses if scenario.api == "responses" else client.chat.completions
    check(scenario, vision_report(await side.run(resource.create(**scenario.request()))), vcr)


def test_every_replayable_bill_has_a_cassette_without_file_bytes() -> None:
    names = {path.stem for path in FILE_REPLAY_DIR.glob("*.yaml")}
    assert names == {s.name for s in SCENARIOS}
    assert len(names) >= 80
    apis = {s.api for s in SCENARIOS}
    assert apis == {"responses", "chat.completions"}
    for path in FILE_REPLAY_DIR.glob("*.yaml"):
        text = path.read_text()
        assert "JVBER" not in text  # base64 of "%PDF"
        assert ";base64," not in text
        assert "authorization" not in text.lower()


def test_the_requests_send_the_real_files_bytes() -> None:
    """The rebuilt request carries the stored PDF whose sha256 the row recorded."""
    import base64
    import hashlib

    for scenario in SCENARIOS:
        body = json.dumps(scenario.request())
        sent = [f for f in scenario.row["files"] if f["source"] == "file_data"]
        urls = [part for part in body.split('"') if part.startswith("data:")]
        assert len(urls) == len(sent)
        for url, recorded in zip(urls, sent, strict=True):
            data = base64.b64decode(url.partition(",")[2])
            assert hashlib.sha256(data).hexdigest() == recorded["sha256"]
