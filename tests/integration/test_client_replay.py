"""Replayed real requests: the report carries the real bill and the estimate matches it.

Each cassette reproduces one observation of ``/work/shared/real-usage`` (same text, detail,
image size and format) and answers with the usage OpenAI really billed for it (recorded against
a local fake server: see ``cassettes/README.md``). Expected numbers come from
``cassettes/observations.json`` (the observations verbatim), never from our own code.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from _helpers import Side
from _scenarios import (
    AZURE_API_VERSION,
    AZURE_DEPLOYMENT,
    ESTIMATE_TOLERANCE,
    LOWER_BOUND,
    REAL_STREAM_IDS,
    Scenario,
    azure_endpoint,
    azure_key,
    observations,
    openai_key,
    scenarios,
)
from _vcr_setup import CASSETTES

from openai_vision_ext import VisionReport, vision_report

SCENARIOS = scenarios()


@pytest.fixture(params=SCENARIOS, ids=[s.name for s in SCENARIOS])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def default_cassette_name(scenario: Scenario) -> str:
    """The sync and async sides replay the same cassette, named after the scenario."""
    return scenario.name


def _client(side: Side, scenario: Scenario) -> Any:
    if scenario.azure:
        return side.azure_class(
            api_key=azure_key(),
            azure_endpoint=azure_endpoint(),
            api_version=AZURE_API_VERSION,
            max_retries=0,
        )
    return side.client_class(api_key=openai_key(), max_retries=0)


def _resource(client: Any, scenario: Scenario) -> Any:
    return client.responses if scenario.api == "responses" else client.chat.completions


async def _run(side: Side, scenario: Scenario) -> VisionReport | None:
    result = await side.run(
        _resource(_client(side, scenario), scenario).create(**scenario.request())
    )
    if scenario.stream:
        await side.drain(result)
    return vision_report(result)


def _check_billed(report: VisionReport | None, scenario: Scenario) -> VisionReport:
    assert report is not None
    usage = scenario.obs["usage"]
    prefix = "input" if scenario.api == "responses" else "prompt"
    out = "output" if scenario.api == "responses" else "completion"
    assert report.status == "ok"
    assert report.stream is scenario.stream
    assert report.model_served == scenario.obs["response_model"]
    assert report.response_id == scenario.obs["response_id"]
    assert report.billed_input_tokens == usage[f"{prefix}_tokens"]
    assert report.billed_output_tokens == usage[f"{out}_tokens"]
    assert report.billed_cached_tokens == usage[f"{prefix}_tokens_details"]["cached_tokens"]
    reasoning = usage[f"{out}_tokens_details"]["reasoning_tokens"]
    assert report.billed_reasoning_tokens == reasoning
    return report


def _check_estimate(report: VisionReport, scenario: Scenario) -> None:
    assert report.attribution == "estimate"
    assert report.estimated_text_tokens is not None
    assert report.billed_image_tokens == scenario.billed_input - report.estimated_text_tokens
    if scenario.obs_id in LOWER_BOUND:
        assert [image.tokens for image in report.images] == [None]
        assert report.estimated_input_tokens is not None
        assert report.estimated_input_tokens < scenario.billed_input
        return
    tolerance, _why = ESTIMATE_TOLERANCE.get(scenario.obs_id, (0, ""))
    assert report.delta_input_tokens is not None
    assert abs(report.delta_input_tokens) <= tolerance
    observed = [(i["width"], i["height"]) for i in scenario.obs["images"]]
    assert [(image.width, image.height) for image in report.images] == observed


@pytest.mark.vcr
@pytest.mark.anyio
async def test_report_carries_the_real_bill(side: Side, scenario: Scenario) -> None:
    """The report of a replayed request has exactly the usage OpenAI billed for it."""
    _check_billed(await _run(side, scenario), scenario)


@pytest.mark.vcr
@pytest.mark.anyio
async def test_estimate_matches_the_bill(side: Side, scenario: Scenario) -> None:
    """The offline estimate equals the billed input tokens wherever the calibration says it is
    exact; billed image tokens are the bill minus the text estimate."""
    _check_estimate(_check_billed(await _run(side, scenario), scenario), scenario)


STREAMS = [s for s in SCENARIOS if s.stream]


@pytest.mark.vcr
@pytest.mark.anyio
@pytest.mark.parametrize("scenario", STREAMS, ids=[s.name for s in STREAMS])
async def test_streaming_response_replay_carries_the_real_bill(
    side: Side, scenario: Scenario
) -> None:
    """``with_streaming_response.create(stream=True)`` on the same cassette: the stream the
    caller parses is followed to its end and the raw response's report has the real bill."""
    raw_api = _resource(_client(side, scenario), scenario).with_streaming_response
    async with side.enter(raw_api.create(**scenario.request())) as raw:
        await side.drain(await side.run(raw.parse()))
    _check_billed(vision_report(raw), scenario)


FAMILIES = frozenset(
    {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o4-mini"}
    | {"gpt-5", "gpt-5-mini", "gpt-5-nano"}
)
"""The model families issue 3 asks cassettes for."""

NOT_ON_RESPONSES_IN_THE_DATA = frozenset({"gpt-5", "gpt-4.1-mini"})
"""Families the real-usage data has no Responses API call for (checked in _scenarios.py)."""


def _family(model: str) -> str:
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)


def test_every_model_family_is_replayed_on_each_api() -> None:
    """Each family is replayed on Chat Completions and (where the data has it) on Responses,
    each both streaming and not."""
    replayed = {(s.api, _family(s.obs["response_model"]), s.stream) for s in SCENARIOS}
    wanted = {("chat.completions", f) for f in FAMILIES} | {
        ("responses", f) for f in FAMILIES - NOT_ON_RESPONSES_IN_THE_DATA
    }
    for stream in (False, True):
        assert wanted <= {(api, family) for api, family, s in replayed if s is stream}


def test_azure_scenario_uses_a_deployment_name() -> None:
    """The Azure replay sends a deployment name, so its rule comes from the served model."""
    azure = [s for s in SCENARIOS if s.azure]
    assert azure
    assert {s.request()["model"] for s in azure} == {AZURE_DEPLOYMENT}


def test_every_real_stream_of_a_current_family_is_replayed_streaming() -> None:
    """Each snapshotted observation that was streamed for real (a current family) is replayed
    as a stream, and only as one; every other observation was not streamed."""
    real = {s.obs_id for s in SCENARIOS if s.observed_streaming}
    assert real == set(REAL_STREAM_IDS.values())
    assert {s.stream for s in SCENARIOS if s.obs_id in real} == {True}
    for obs_id in real:
        obs = observations()[obs_id]
        assert _family(obs["response_model"]) in FAMILIES
        assert obs["request_skeleton"]["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("azure", [False, True], ids=["openai", "azure"])
def test_replay_clients_never_retry(azure: bool) -> None:
    """Replay clients use ``max_retries=0``: a missing cassette fails once, not after retries."""
    scenario = next(s for s in SCENARIOS if s.azure is azure)
    assert _client(Side("sync"), scenario).max_retries == 0
    assert _client(Side("async"), scenario).max_retries == 0


REAL_USAGE = CASSETTES.parents[1] / "shared" / "real-usage" / "observations.jsonl"
"""The full real-usage data (beside the repository; absent in a bare checkout)."""


@pytest.mark.skipif(not REAL_USAGE.exists(), reason="../shared/real-usage is not beside the repo")
def test_real_usage_has_no_other_streamed_request_of_a_current_family() -> None:
    """The data's streamed image requests of a current family are exactly the ones replayed."""
    streamed = set()
    for line in REAL_USAGE.read_text().splitlines():
        row = json.loads(line)
        if row["request_skeleton"].get("stream") and _family(row["response_model"]) in FAMILIES:
            streamed.add(row["id"])
    assert streamed == set(REAL_STREAM_IDS.values())
