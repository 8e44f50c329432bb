"""``exact_count=True``: billed image tokens = billed input - ``input_tokens.count`` of the request
without its images (one extra request, made after the response; recorded in the cassette)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from _helpers import Side
from _scenarios import Scenario, openai_key
from _vcr_setup import CASSETTES

from openai_vision_ext import VisionReport, vision_report

OBS_ID = "mirascope-002"


def _counted_in_cassette(name: str) -> int:
    """The ``input_tokens`` the recorded count endpoint answered (read from the cassette)."""
    data = yaml.safe_load((CASSETTES / "test_client_exact_count" / f"{name}.yaml").read_text())
    for interaction in data["interactions"]:
        if interaction["request"]["uri"].endswith("/responses/input_tokens"):
            return int(json.loads(interaction["response"]["body"]["string"])["input_tokens"])
    raise AssertionError("no input_tokens.count interaction in the cassette")


@pytest.fixture(params=[False, True], ids=["plain", "stream"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return Scenario(OBS_ID, bool(request.param))


@pytest.fixture
def default_cassette_name(scenario: Scenario) -> str:
    return scenario.name


def _check(report: VisionReport | None, scenario: Scenario, vcr: Any) -> None:
    counted = _counted_in_cassette(scenario.name)
    assert report is not None
    assert report.attribution == "input_tokens.count"
    assert report.counted_text_tokens == counted
    assert report.billed_image_tokens == scenario.billed_input - counted
    if vcr.record_mode == "none":  # replay (CI); nothing is played while re-recording
        assert vcr.play_count == 2  # the response and the text-only count (matched on its body)


@pytest.mark.vcr
@pytest.mark.anyio
async def test_exact_count_attributes_image_tokens_from_the_count(
    side: Side, scenario: Scenario, vcr: Any
) -> None:
    """The count of the image-free request replaces the text estimate in the attribution; it
    is made (awaited, on the async side) after the response or the stream's last event."""
    client = side.client_class(api_key=openai_key(), max_retries=0, exact_count=True)
    result: Any = await side.run(client.responses.create(**scenario.request()))
    if scenario.stream:
        await side.drain(result)
    _check(vision_report(result), scenario, vcr)
