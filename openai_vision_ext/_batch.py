"""PURE: read OpenAI Batch API input lines and fold them into per-model input estimates.

One line of a Batch input file is ``{"custom_id": ..., "method": "POST", "url":
"/v1/responses" | "/v1/chat/completions", "body": {...}}``. Lines are parsed one at a time and
folded into a bounded tally (one row per model, at most ``max_problems`` problems kept), so a
caller that streams a file keeps constant memory however large the file is. The estimator and the
price lookup are passed in, which keeps this module free of rules, prices and I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._estimate import RequestEstimate
from ._exceptions import OpenAIVisionExtError
from ._types import Api

__all__ = [
    "BATCH_URLS",
    "BatchProblem",
    "BatchRequest",
    "BatchSummary",
    "BatchTally",
    "EstimateFn",
    "ModelTotals",
    "PriceFn",
    "error_reason",
    "json_object_line",
    "parse_batch_line",
    "summarize_batch",
]

BATCH_URLS: Final[Mapping[str, Api]] = {
    "/v1/responses": "responses",
    "/v1/chat/completions": "chat.completions",
}
"""Batch endpoints whose bodies carry images, and the API each one is."""

EstimateFn = Callable[[Api, Mapping[str, Any]], RequestEstimate]
"""``(api, body) -> RequestEstimate``; raises an ``OpenAIVisionExtError`` for a bad body."""

PriceFn = Callable[[str, int], float | None]
"""``(model, input_tokens) -> USD``, or ``None`` when the model has no known price."""


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One well-formed request line of a Batch input file."""

    line_no: int
    """1-based line number in the file."""
    custom_id: str | None
    api: Api
    body: Mapping[str, Any]
    model: str


@dataclass(frozen=True, slots=True)
class BatchProblem:
    """A line that could not be estimated, and why."""

    line_no: int
    reason: str
    custom_id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ModelTotals:
    """Estimated input of every request of one model."""

    model: str
    requests: int
    images: int
    image_tokens: int
    text_tokens: int
    input_tokens: int
    incomplete_requests: int
    """Requests with an image of unknown size (URL or file id): their tokens are a lower bound."""
    usd: float | None
    """Input cost at the price the caller chose (batch prices in the CLI); ``None`` if unknown."""


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """Everything a Batch input file would send, per model, plus the lines that failed."""

    lines: int
    """Non-blank lines read."""
    models: tuple[ModelTotals, ...]
    """One row per model, sorted by name."""
    problems: tuple[BatchProblem, ...]
    """The first problems found (see ``problem_count`` for all of them)."""
    problem_count: int

    @property
    def requests(self) -> int:
        """Requests estimated (lines without problems)."""
        return sum(m.requests for m in self.models)

    @property
    def input_tokens(self) -> int:
        """Estimated input tokens of the whole file."""
        return sum(m.input_tokens for m in self.models)

    @property
    def usd(self) -> float | None:
        """Total input cost; ``None`` if any model with requests lacks a price."""
        costs = [m.usd for m in self.models]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def parse_batch_line(raw: bytes | str, *, line_no: int) -> BatchRequest | BatchProblem | None:
    """Parse one line; ``None`` for a blank line, a ``BatchProblem`` saying what is wrong.

    >>> line = '{"custom_id": "a", "method": "POST", "url": "/v1/responses", '
    >>> line += '"body": {"model": "gpt-4o", "input": "hi"}}'
    >>> parse_batch_line(line, line_no=1).api
    'responses'
    >>> str(parse_batch_line('{"url": "/v1/embeddings"}', line_no=7))
    "line 7: url '/v1/embeddings' is not /v1/chat/completions or /v1/responses"
    """
    obj = json_object_line(raw)
    if obj is None:
        return None
    if isinstance(obj, str):
        return BatchProblem(line_no, obj)
    custom_id = obj.get("custom_id") if isinstance(obj.get("custom_id"), str) else None
    reason = _line_shape_problem(obj)
    if reason is not None:
        return BatchProblem(line_no, reason, custom_id)
    body: dict[str, Any] = obj["body"]
    return BatchRequest(line_no, custom_id, BATCH_URLS[obj["url"]], body, body["model"])


def json_object_line(raw: bytes | str) -> dict[str, Any] | str | None:
    """One JSONL line as a dict; ``None`` if blank; else a one-line reason it is not an object.

    >>> json_object_line(b'{"a": 1}\\n'), json_object_line("  "), json_object_line(b"\\xff")
    ({'a': 1}, None, 'not UTF-8 text')
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "not UTF-8 text"
    raw = raw.removeprefix("\ufeff")
    if not raw.strip():
        return None
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    return obj


def _line_shape_problem(obj: Mapping[str, Any]) -> str | None:
    url, method, body = obj.get("url"), obj.get("method", "POST"), obj.get("body")
    if url not in BATCH_URLS:
        return f"url {url!r} is not {' or '.join(sorted(BATCH_URLS))}"
    if method != "POST":
        return f"method {method!r} is not POST"
    if not isinstance(body, dict):
        return "body is missing or not a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "body has no model"
    return None


@dataclass(slots=True)
class _Counts:
    requests: int = 0
    images: int = 0
    image_tokens: int = 0
    text_tokens: int = 0
    input_tokens: int = 0
    incomplete_requests: int = 0


class BatchTally:
    """Running per-model totals: the fold state of ``summarize_batch`` (memory is bounded)."""

    __slots__ = ("_lines", "_max_problems", "_models", "_problem_count", "_problems")

    def __init__(self, *, max_problems: int = 100) -> None:
        self._lines = 0
        self._models: dict[str, _Counts] = {}
        self._problems: list[BatchProblem] = []
        self._problem_count = 0
        self._max_problems = max_problems

    def add_estimate(self, request: BatchRequest, estimate: RequestEstimate) -> None:
        """Count one estimated request."""
        self._lines += 1
        counts = self._models.setdefault(request.model, _Counts())
        counts.requests += 1
        counts.images += len(estimate.images)
        counts.image_tokens += estimate.image_tokens
        counts.text_tokens += estimate.text_tokens
        counts.input_tokens += estimate.input_tokens
        counts.incomplete_requests += 0 if estimate.complete else 1

    def add_problem(self, problem: BatchProblem) -> None:
        """Count one bad line; only the first ``max_problems`` are kept."""
        self._lines += 1
        self._problem_count += 1
        if len(self._problems) < self._max_problems:
            self._problems.append(problem)

    def summary(self, *, price: PriceFn) -> BatchSummary:
        """The totals so far, priced with ``price``."""
        models = tuple(
            ModelTotals(
                model=model,
                requests=c.requests,
                images=c.images,
                image_tokens=c.image_tokens,
                text_tokens=c.text_tokens,
                input_tokens=c.input_tokens,
                incomplete_requests=c.incomplete_requests,
                usd=price(model, c.input_tokens),
            )
            for model, c in sorted(self._models.items())
        )
        return BatchSummary(self._lines, models, tuple(self._problems), self._problem_count)


def summarize_batch(
    lines: Iterable[bytes | str],
    *,
    estimate: EstimateFn,
    price: PriceFn,
    max_problems: int = 100,
) -> BatchSummary:
    """Estimate every request of a Batch input file given as an iterable of lines.

    Bad lines (not JSON, wrong endpoint, no model, an image that is not an image, unknown model)
    become ``BatchProblem`` s with their line number; they never stop the run.

    >>> from openai_vision_ext._estimate import RequestEstimate
    >>> def fake(api, body):
    ...     return RequestEstimate(api, body["model"], "r", (), 0, 10, 10, True)
    >>> ok = '{"url": "/v1/responses", "body": {"model": "m", "input": "hi"}}'
    >>> s = summarize_batch([ok, ok, "oops"], estimate=fake, price=lambda m, n: n / 1e6)
    >>> (s.requests, s.input_tokens, s.problem_count, s.problems[0].line_no)
    (2, 20, 1, 3)
    """
    tally = BatchTally(max_problems=max_problems)
    for line_no, raw in enumerate(lines, start=1):
        parsed = parse_batch_line(raw, line_no=line_no)
        if parsed is None:
            continue
        if isinstance(parsed, BatchProblem):
            tally.add_problem(parsed)
            continue
        result = _estimate_line(parsed, estimate)
        if isinstance(result, BatchProblem):
            tally.add_problem(result)
        else:
            tally.add_estimate(parsed, result)
    return tally.summary(price=price)


def _estimate_line(request: BatchRequest, estimate: EstimateFn) -> RequestEstimate | BatchProblem:
    try:
        return estimate(request.api, request.body)
    except OpenAIVisionExtError as exc:
        return BatchProblem(request.line_no, error_reason(exc), request.custom_id)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # A body shape the estimator did not foresee: report the line, keep going.
        reason = f"cannot estimate this body ({type(exc).__name__}: {exc})"
        return BatchProblem(request.line_no, reason, request.custom_id)


def error_reason(exc: BaseException) -> str:
    """One line saying what went wrong: a preflight error's violations joined, else the message.

    >>> from openai_vision_ext._exceptions import PreflightError, Violation
    >>> error_reason(PreflightError([Violation("a", "too big", 0, "input[0]")]))
    'image 0 at input[0]: too big'
    """
    violations = getattr(exc, "violations", None)
    if violations:
        return "; ".join(str(v) for v in violations)
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
