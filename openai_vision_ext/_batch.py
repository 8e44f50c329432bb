"""PURE: read OpenAI Batch API input lines and fold them into per-model input estimates.

One line of a Batch input file is ``{"custom_id": ..., "method": "POST", "url":
"/v1/responses" | "/v1/chat/completions", "body": {...}}``. Lines are parsed one at a time and
folded into a bounded tally (one row per model, at most ``max_problems`` problems kept), so a
caller that streams a file keeps constant memory however large the file is. The estimator and the
price lookup are passed in, which keeps this module free of rules, prices and I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._estimate import RequestEstimate
from ._exceptions import OpenAIVisionExtError
from ._types import Api

__all__ = [
    "BATCH_URLS",
    "MAX_IDS_CHECKED",
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
    max_output_tokens: int = 0
    """Sum of the requests' output maximum (``max_output_tokens``, ``max_completion_tokens``,
    ``max_tokens``)."""
    unbounded_output_requests: int = 0
    """Requests without an output maximum: their output cost has no upper bound."""
    output_usd_upper: float | None = None
    """Most the output can cost (``max_output_tokens`` at the output price); ``None`` when a
    request has no maximum or the model no price."""


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
    conflicts: tuple[BatchProblem, ...] = ()
    """Lines the Batch API would reject the whole file for (a duplicate ``custom_id``, an
    endpoint or model other than the file's first line's); they are still estimated."""
    conflict_count: int = 0

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
    max_output_tokens: int = 0
    unbounded_output_requests: int = 0


_MAX_OUTPUT_KEYS: Final[Mapping[Api, tuple[str, ...]]] = {
    "responses": ("max_output_tokens",),
    "chat.completions": ("max_completion_tokens", "max_tokens"),
}

MAX_IDS_CHECKED: Final = 1_000_000
"""``custom_id`` s remembered for the duplicate check (8 bytes of hash each; the Batch API takes
50,000 requests per file, so a real file never reaches it)."""


def _max_output(api: Api, body: Mapping[str, Any]) -> int | None:
    for key in _MAX_OUTPUT_KEYS[api]:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


class BatchTally:
    """Running per-model totals: the fold state of ``summarize_batch`` (memory is bounded)."""

    __slots__ = (
        "_conflict_count",
        "_conflicts",
        "_first",
        "_ids",
        "_lines",
        "_max_problems",
        "_models",
        "_problem_count",
        "_problems",
    )

    def __init__(self, *, max_problems: int = 100) -> None:
        self._lines = 0
        self._models: dict[str, _Counts] = {}
        self._problems: list[BatchProblem] = []
        self._problem_count = 0
        self._max_problems = max_problems
        self._conflicts: list[BatchProblem] = []
        self._conflict_count = 0
        self._ids: dict[bytes, int] = {}
        self._first: BatchRequest | None = None

    def _conflict(self, request: BatchRequest, reason: str) -> None:
        self._conflict_count += 1
        if len(self._conflicts) < self._max_problems:
            self._conflicts.append(BatchProblem(request.line_no, reason, request.custom_id))

    def _check_file_rules(self, request: BatchRequest) -> None:
        """What the Batch API rejects a whole file for: one endpoint, one model, unique ids."""
        first = self._first
        if first is None:
            self._first = first = request
        if request.api != first.api:
            self._conflict(
                request,
                f"endpoint {_url(request.api)} differs from line {first.line_no}'s "
                f"{_url(first.api)}: a Batch file takes one endpoint",
            )
        if request.model != first.model:
            self._conflict(
                request,
                f"model {request.model!r} differs from line {first.line_no}'s "
                f"{first.model!r}: a Batch file takes one model",
            )
        if request.custom_id is None:
            return
        key = hashlib.blake2b(request.custom_id.encode(), digest_size=8).digest()
        seen = self._ids.get(key)
        if seen is not None:
            self._conflict(
                request,
                f"custom_id {request.custom_id[:60]!r} repeats line {seen}'s: "
                "custom_ids must be unique in a Batch file",
            )
        elif len(self._ids) < MAX_IDS_CHECKED:
            self._ids[key] = request.line_no

    def add_estimate(self, request: BatchRequest, estimate: RequestEstimate) -> None:
        """Count one estimated request."""
        self._lines += 1
        self._check_file_rules(request)
        counts = self._models.setdefault(request.model, _Counts())
        most = _max_output(request.api, request.body)
        counts.max_output_tokens += most or 0
        counts.unbounded_output_requests += most is None
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

    def summary(self, *, price: PriceFn, output_price: PriceFn | None = None) -> BatchSummary:
        """The totals so far: input priced with ``price``, the output maximum with
        ``output_price`` (``(model, output_tokens) -> USD``), when given."""
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
                max_output_tokens=c.max_output_tokens,
                unbounded_output_requests=c.unbounded_output_requests,
                output_usd_upper=(
                    output_price(model, c.max_output_tokens)
                    if output_price is not None and not c.unbounded_output_requests
                    else None
                ),
            )
            for model, c in sorted(self._models.items())
        )
        return BatchSummary(
            self._lines,
            models,
            tuple(self._problems),
            self._problem_count,
            conflicts=tuple(self._conflicts),
            conflict_count=self._conflict_count,
        )


def summarize_batch(
    lines: Iterable[bytes | str],
    *,
    estimate: EstimateFn,
    price: PriceFn,
    output_price: PriceFn | None = None,
    max_problems: int = 100,
) -> BatchSummary:
    """Estimate every request of a Batch input file given as an iterable of lines.

    Bad lines (not JSON, wrong endpoint, no model, an image that is not an image, unknown model)
    become ``BatchProblem`` s with their line number; they never stop the run. Lines the Batch
    API would reject the file for (duplicate ``custom_id``, another endpoint or model than the
    first line's) are estimated and listed in ``conflicts``.

    >>> from openai_vision_ext._estimate import RequestEstimate
    >>> def fake(api, body):
    ...     return RequestEstimate(api, body["model"], "r", (), 0, 10, 10, True)
    >>> ok = '{"url": "/v1/responses", "body": {"model": "m", "input": "hi"}}'
    >>> s = summarize_batch([ok, ok, "oops"], estimate=fake, price=lambda m, n: n / 1e6)
    >>> (s.requests, s.input_tokens, s.problem_count, s.problems[0].line_no)
    (2, 20, 1, 3)
    >>> s = summarize_batch(['{"custom_id": "a", "url": "/v1/responses", '
    ...     '"body": {"model": "m", "input": "hi"}}'] * 2, estimate=fake, price=lambda m, n: None)
    >>> [str(c) for c in s.conflicts]
    ["line 2: custom_id 'a' repeats line 1's: custom_ids must be unique in a Batch file"]
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
    return tally.summary(price=price, output_price=output_price)


def _url(api: Api) -> str:
    return next(url for url, known in BATCH_URLS.items() if known == api)


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
