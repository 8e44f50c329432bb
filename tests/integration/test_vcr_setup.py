"""The VCR settings keep cassettes replay-only, secret-free and exactly matched, and every
cassette is documented with its provenance in ``cassettes/README.md``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from _mock import IMAGE
from _scenarios import REPLAYED_IDS, Scenario, observations
from _vcr_setup import CASSETTES, scrub_data_urls

REQUIRED_FILTERS = {"authorization", "api-key", "openai-organization", "openai-project", "cookie"}


def _cassettes() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_vcr_config_never_sets_a_record_mode(vcr_config: dict[str, Any]) -> None:
    """The record mode comes from the command line only (CI: ``--record-mode=none``)."""
    assert "record_mode" not in vcr_config


def test_vcr_config_filters_credentials_and_matches_exactly(vcr_config: dict[str, Any]) -> None:
    """Auth, org, project and cookie headers are filtered; requests match on method, path and
    body."""
    assert {h.lower() for h in vcr_config["filter_headers"]} >= REQUIRED_FILTERS
    assert vcr_config["match_on"] == ["method", "path", "body"]


def test_before_record_request_replaces_data_urls_by_their_sha256(
    vcr_config: dict[str, Any],
) -> None:
    """A recorded request body names each image by the sha256 of its bytes, not the bytes."""

    class Request:
        body = json.dumps(
            {"image_url": "data:image/png;base64," + base64.b64encode(IMAGE).decode()}
        ).encode()

    recorded = vcr_config["before_record_request"](Request())
    url = json.loads(recorded.body)["image_url"]
    assert url == "data:image/png;sha256," + hashlib.sha256(IMAGE).hexdigest()


def test_scrubbing_is_idempotent() -> None:
    """Replay scrubs the live request the same way, so a scrubbed body matches itself."""
    body = b'{"u": "data:image/png;base64,' + base64.b64encode(IMAGE) + b'"}'
    assert scrub_data_urls(scrub_data_urls(body)) == scrub_data_urls(body)


def test_before_record_response_keeps_only_harmless_headers(vcr_config: dict[str, Any]) -> None:
    """Response headers are scrubbed down to content-type and the request id."""
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "x-request-id": ["req_1"],
            "openai-organization": ["org-abcdefghijklmnopqrstu"],
            "openai-project": ["proj_abcdefghijklmnopqrstu"],
            "set-cookie": ["__cf_bm=abc; path=/"],
            "openai-processing-ms": ["812"],
        },
        "body": {"string": "{}"},
    }
    kept = vcr_config["before_record_response"](response)["headers"]
    assert set(kept) == {"Content-Type", "x-request-id"}


@pytest.mark.parametrize("path", _cassettes(), ids=lambda p: str(p.relative_to(CASSETTES)))
def test_recorded_headers_are_scrubbed(path: Path) -> None:
    """No recorded request carries a filtered header; responses carry only the kept ones."""
    for interaction in yaml.safe_load(path.read_text())["interactions"]:
        sent = {h.lower() for h in interaction["request"]["headers"]}
        assert not sent & (REQUIRED_FILTERS | {"set-cookie", "host"})
        received = {h.lower() for h in interaction["response"]["headers"]}
        assert received <= {"content-type", "x-request-id"}


def test_cassettes_live_in_one_folder_per_test_module() -> None:
    """Each cassette folder is named after an existing test module."""
    modules = {p.stem for p in Path(__file__).parent.glob("test_*.py")}
    folders = {p.parent.name for p in _cassettes()}
    assert folders
    assert folders <= modules


def test_readme_documents_each_replayed_observation() -> None:
    """``cassettes/README.md`` names every replayed observation with its source and date."""
    readme = (CASSETTES / "README.md").read_text()
    for obs_id in REPLAYED_IDS:
        obs = observations()[obs_id]
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{obs_id}` "))
        assert obs["source"].split(":", 1)[1] in row
        assert (obs["source_commit_date"] or "not recorded") in row


def test_readme_says_which_stream_cassettes_are_synthesised() -> None:
    """Each observation's row says whether its ``-stream`` cassette replays a real stream or
    a non-streamed bill synthesised into one."""
    readme = (CASSETTES / "README.md").read_text()
    for obs_id in REPLAYED_IDS:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{obs_id}` "))
        last = row.rstrip(" |").rsplit("|", 1)[1].strip()
        real = Scenario(obs_id, stream=True).observed_streaming
        assert last.startswith("real stream" if real else "synthesised from the non-streamed")


def test_readme_names_each_cassette_folder_and_the_build_script() -> None:
    """Every cassette folder, and how to rebuild and re-record, is in the README."""
    readme = (CASSETTES / "README.md").read_text()
    for folder in {p.parent.name for p in _cassettes()}:
        assert f"{folder}/" in readme
    assert "tests/integration/_build_cassettes.py" in readme
    assert "--record-mode=rewrite" in readme
