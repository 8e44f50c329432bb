"""DATA: how far the bill can be from the estimate for each approximated text rule.

Each rule the estimator applies without knowing it to be exact (tool rendering, ``json_schema``
rendering, tool-call framing, replayed reasoning, ...) adds its band to the estimate's
``lower``/``upper`` once per request, however often the request uses it. A band is the
spread of *billed minus estimated* input tokens over every request of the shared real bills
(``real-usage/observations.jsonl``, ``tools_and_formats.jsonl``, ``text_only_responses.jsonl``,
the rows ``benchmarks/calibrate.py`` scores, and ``file_inputs.jsonl``'s tool round trips
with their files' recorded facts) whose estimate used the rule, widened to include 0. It is
the whole request's residual, so every such bill lies within each band its request uses, and
the sum of the distinct bands' ends (each low <= 0 <= high) contains it too.
``benchmarks/calibrate.py`` prints the measured spread beside each row and the share of bills
inside ``lower..upper``; re-measure when a rule changes.

A rule with no row here has no measured spread: its estimate gets no upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

__all__ = ["ERROR_BANDS", "BandKey", "ErrorBand"]

BandKey: TypeAlias = Literal[
    "tools",
    "json_schema",
    "tool_call",
    "tool_output",
    "image_in_tool_output",
    "reasoning_replay",
    "reasoning_image_on_responses",
]


@dataclass(frozen=True, slots=True)
class ErrorBand:
    """Billed minus estimated tokens seen on whole requests using one approximated rule."""

    low: int
    """Least billed minus estimated (<= 0): the bill can be this many tokens below."""
    high: int
    """Most billed minus estimated (>= 0): the bill can be this many tokens above."""
    bills: int
    """Scored bills whose estimate used the rule."""
    source: str
    as_of: date
    """Date the spread was measured."""


_SHARED = "real-usage/{observations,tools_and_formats,text_only_responses}.jsonl"
_ROUND_TRIPS = (
    "file_inputs.jsonl's tool round trips (pydantic-ai, ruby_llm: 36 requests, 2025-08 to 2026-08)"
)
_MEASURED = date(2026, 12, 1)

ERROR_BANDS: Mapping[BandKey, ErrorBand] = {
    "tools": ErrorBand(
        -17,
        215,
        145,
        f"{_SHARED} and {_ROUND_TRIPS}: requests with function tools, 2024-02 to 2026-08, "
        "with the dialect "
        "rendering of 2026-12-01; +215 is gpt-4o Responses in its launch week (dd-trace-py, "
        "2025-03-20), -17 a round trip whose result holds an image (ruby_llm); used alone: "
        "-3..+215",
        _MEASURED,
    ),
    "json_schema": ErrorBand(
        -21,
        1,
        25,
        f"{_SHARED}: json_schema response formats on Chat (crewAI, ruby_llm) and Responses, "
        "2025-05 to 2026-03; -21 is a schema with $defs (gpt-4o-mini, 2026-02-13)",
        _MEASURED,
    ),
    "tool_call": ErrorBand(
        -17,
        1,
        57,
        f"{_SHARED} and {_ROUND_TRIPS}: assistant tool calls and function_call items, "
        "2025-07 to 2026-08, harmony channels on the gpt-5 family; -17/-15 are Chat tool "
        "messages holding an image (gpt-4.1-nano, gpt-5-nano); an image inside a "
        "function_call_output beside a replayed reasoning item (gpt-5-nano Responses) is -3; "
        "+1 is pydantic-ai on gpt-5-mini (file-pydai-011/012 Chat, 026/033 Responses, "
        "2026-01); its +3/+15/+17 bills (file-pydai-041..044, 2026-03) have no upper bound",
        _MEASURED,
    ),
    "tool_output": ErrorBand(
        -17,
        1,
        57,
        f"{_SHARED} and {_ROUND_TRIPS}: tool messages and function_call_output items, as "
        "for tool_call",
        _MEASURED,
    ),
    "image_in_tool_output": ErrorBand(
        -17,
        0,
        18,
        f"{_SHARED}: tool results holding an image (ruby_llm's content_returning, a 128x128 "
        "PNG beside a text part): Chat gpt-4.1-nano -17 (9 bills, 2025-08 to 2026-01) and "
        "gpt-5-nano -15 (8 bills, 2026-01 to 2026-06), one gpt-5-nano Responses bill -3 "
        "(beside a replayed reasoning item); the framing is unverified (Chat documents "
        "text-only tool messages; no rendering found explains both Chat models)",
        _MEASURED,
    ),
    "reasoning_replay": ErrorBand(
        -3,
        3,
        10,
        "REASONING_REPLAY's residuals over the 10 gpt-5-mini bills it is fitted on, -2..+1 "
        "(real-usage/file_inputs.jsonl, pydantic-ai, 2026-01/02), widened by the up to 15 "
        "bytes of block padding its length cannot see (about 3 tokens); a gpt-5-nano bill "
        "(ruby_llm, 2026-07) is -3; unverified on other models",
        date(2026, 2, 9),
    ),
    "reasoning_image_on_responses": ErrorBand(
        -1,
        1,
        6,
        "the only bills of a reasoning model's Responses request with an image beside "
        "instructions (o4-mini, crewAI, 2026-01/02, real-usage/observations.jsonl: 6 bills, 3 "
        "requests, 1 project) bill 1 above the framing of its text and PDF requests; "
        "Framing.image_beside_instructions adds that 1 (0..0 on all 6), widened by the 1 no "
        "bill settles: other reasoning models may not bill it (-1) or bill more (+1)",
        _MEASURED,
    ),
}
"""The band of each approximated rule (see the module docstring for how each is measured)."""
