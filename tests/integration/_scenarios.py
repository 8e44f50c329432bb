"""Replay scenarios: real observations (``cassettes/observations.json``) turned into requests.

Shared by the replay tests and ``_build_cassettes.py`` so that both build byte-identical request
bodies (the cassettes match on the body). Each scenario reproduces one real request from
``/work/shared/real-usage`` (same text, detail, image dimensions and format) and carries the usage
the API really billed for it.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from _vcr_setup import CASSETTES

__all__ = [
    "AZURE_API_VERSION",
    "azure_endpoint",
    "azure_key",
    "openai_key",
    "AZURE_DEPLOYMENT",
    "AZURE_ENDPOINT",
    "OBSERVATION_IDS",
    "REAL_STREAM_IDS",
    "REPLAYED_IDS",
    "Scenario",
    "image_path",
    "observations",
    "scenarios",
]

OBSERVATION_IDS: Mapping[tuple[str, str], str] = {
    ("responses", "gpt-4o"): "mirascope-002",
    ("responses", "gpt-4o-mini"): "crewai-055",
    ("responses", "gpt-4.1"): "crewai-097",
    ("responses", "gpt-4.1-nano"): "rubyllm-005",
    ("responses", "gpt-5-mini"): "mirascope-024",
    ("responses", "gpt-5-nano"): "rubyllm-036",
    ("responses", "o4-mini"): "crewai-025",
    ("chat.completions", "gpt-4o"): "mirascope-015",
    ("chat.completions", "gpt-4o large"): "ddtracepy-001",
    ("chat.completions", "gpt-4o azure"): "crewai-046",
    ("chat.completions", "gpt-4o-mini"): "crewai-047",
    ("chat.completions", "gpt-4.1"): "rubyllm-119",
    ("chat.completions", "gpt-4.1-mini"): "crewai-050",
    ("chat.completions", "gpt-4.1-nano"): "rubyllm-012",
    ("chat.completions", "gpt-5"): "crewai-052",
    ("chat.completions", "gpt-5-mini"): "crewai-051",
    ("chat.completions", "gpt-5-nano"): "rubyllm-015",
    ("chat.completions", "o4-mini"): "crewai-054",
}
"""(api, model family) -> the observation replayed for it: each current family (gpt-4o, gpt-4o-mini,
gpt-4.1, gpt-4.1-mini/nano, o4-mini, gpt-5, gpt-5-mini/nano) on each API where the real-usage
data has a single-turn image request for it. The data has no gpt-5 and no gpt-4.1-mini call on
the Responses API, so those two are replayed on Chat only; the retired
gpt-4-1106-vision-preview is not replayed."""

REAL_STREAM_IDS: Mapping[str, str] = {
    "gpt-4o": "magentic-001",
    "gpt-4o two messages": "magentic-002",
}
"""(Chat Completions family) -> an observation that was STREAMED for real (``stream=True`` with
``stream_options={"include_usage": True}``), replayed streaming only. They are the only streamed
image requests of a current family in the real-usage data (its third, magentic-003, is the
retired gpt-4-vision-preview); every other ``-stream`` cassette replays a non-streamed
observation's bill as a stream (see cassettes/README.md)."""

REPLAYED_IDS: tuple[str, ...] = (*OBSERVATION_IDS.values(), *REAL_STREAM_IDS.values())
"""Every observation a cassette replays."""

ESTIMATE_TOLERANCE: Mapping[str, tuple[int, str]] = {
    "crewai-025": (
        1,
        "o4-mini Responses with instructions (2026-02): billed 1 above the rule (named in the "
        "README's known misses)",
    ),
}
"""Observations whose estimate the calibration does not claim to be exact, and by how much."""

LOWER_BOUND = frozenset({"crewai-097"})
"""Observations with a URL image whose size was never recorded: the estimate is a lower bound."""

AZURE_ENDPOINT = "https://example-resource.openai.azure.com"
AZURE_DEPLOYMENT = "vision-prod"
AZURE_API_VERSION = "2025-04-01-preview"


def openai_key() -> str:
    """The tests' API key: ``OPENAI_API_KEY`` when set (re-recording, see cassettes/README.md),
    else a dummy (replay never sends it: the authorization header is neither recorded nor
    matched)."""
    return os.environ.get("OPENAI_API_KEY") or "sk-test"


def azure_key() -> str:
    """``AZURE_OPENAI_API_KEY`` when re-recording the Azure cassette, else a dummy."""
    return os.environ.get("AZURE_OPENAI_API_KEY") or "test-key"


def azure_endpoint() -> str:
    """``AZURE_OPENAI_ENDPOINT`` when re-recording, else the placeholder the cassettes name
    (cassettes match on method, path and body, so the host never matters in replay)."""
    return os.environ.get("AZURE_OPENAI_ENDPOINT") or AZURE_ENDPOINT


OBSERVATIONS_FILE = CASSETTES / "observations.json"
IMAGES = CASSETTES / "images"

_EXT = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@cache
def observations() -> dict[str, dict[str, Any]]:
    """The snapshot of the replayed observations, by id."""
    data: list[dict[str, Any]] = json.loads(OBSERVATIONS_FILE.read_text())
    return {o["id"]: o for o in data}


def image_path(obs: Mapping[str, Any], index: int) -> Path | None:
    """Where the stand-in for image ``index`` of ``obs`` is kept (``None``: size unknown, the
    request keeps its URL)."""
    image = obs["images"][index]
    if not image.get("width") or not image.get("format"):
        return None
    if image.get("file"):  # a real image kept by the observation (shared by several)
        return IMAGES / Path(image["file"]).name
    return IMAGES / f"{obs['id']}_img{index}.{_EXT[image['format']]}"


def _data_url(obs: Mapping[str, Any], index: int) -> str | None:
    path = image_path(obs, index)
    if path is None:
        return None
    image = obs["images"][index]
    mime = image.get("mime") or _MIME[image["format"]]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@dataclass(frozen=True)
class Scenario:
    """One observation, sent streaming or not."""

    obs_id: str
    stream: bool

    @property
    def obs(self) -> dict[str, Any]:
        return observations()[self.obs_id]

    @property
    def api(self) -> str:
        return str(self.obs["api"])

    @property
    def azure(self) -> bool:
        return str(self.obs["model"]).startswith("azure-deployment:")

    @property
    def name(self) -> str:
        return f"{self.obs_id}-{'stream' if self.stream else 'plain'}"

    def request(self) -> dict[str, Any]:
        """``create()`` keyword arguments reproducing the observed request."""
        body = copy.deepcopy(self.obs["request_skeleton"])
        body.pop("stream", None)
        body.pop("stream_options", None)
        if self.azure:
            body["model"] = AZURE_DEPLOYMENT
        images = iter(range(len(self.obs["images"])))
        _replace_images(body, lambda: _data_url(self.obs, next(images)))
        if self.stream:
            body["stream"] = True
            if self.api == "chat.completions":
                body["stream_options"] = {"include_usage": True}
        return body

    @property
    def observed_streaming(self) -> bool:
        """The observed request itself was streamed (its bill came from a real stream)."""
        return self.obs["request_skeleton"].get("stream") is True

    @property
    def billed_input(self) -> int:
        usage = self.obs["usage"]
        return int(usage.get("input_tokens", usage.get("prompt_tokens")))


def _replace_images(node: Any, next_url: Any) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "input_image":
            url = next_url()
            if url is not None:
                node["image_url"] = url
            return
        if kind == "image_url":
            url = next_url()
            if url is not None:
                node["image_url"]["url"] = url
            return
        for value in node.values():
            _replace_images(value, next_url)
    elif isinstance(node, list):
        for item in node:
            _replace_images(item, next_url)


def scenarios() -> list[Scenario]:
    """Every replayed observation: one per API and family plain and streaming, then the
    observations streamed for real, streaming."""
    ids = OBSERVATION_IDS.values()
    both = [Scenario(obs_id, stream) for obs_id in ids for stream in (False, True)]
    return both + [Scenario(obs_id, True) for obs_id in REAL_STREAM_IDS.values()]
