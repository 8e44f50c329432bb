"""Sans-I/O orchestration shared by the sync and async clients.

``prepare()`` turns a request into a ``Plan`` (preflight + estimate) before anything is sent;
``finish()`` turns a plan and what came back into a ``VisionReport``. When nothing before sending
needs the estimate (no budget: preflight needs no token count), a caller that would rather not
wait for it (the tokenizer is still being built) gets a plan whose estimate is made later, by
``estimated()`` or ``finish()``: the same estimate. ``StreamTracker`` follows a
stream's events to the terminal one. Nothing here does I/O, reads the clock or logs: the client
shells log the ``Plan.warnings`` and run the optional ``input_tokens.count`` call themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from ._audit import AuditPipeline
from ._budget import Budget, over_budget
from ._estimate import ImageEstimate, RequestEstimate, estimate_with_infos
from ._exceptions import (
    InvalidOptionError,
    OpenAIVisionExtError,
    PreflightError,
    UnknownModelError,
    Violation,
)
from ._file_rules import FileEstimate
from ._files import FileInfo
from ._image.originals import with_originals
from ._preflight import check_request
from ._prices import DEFAULT_PRICES, PriceTable, price_usage
from ._records import maker
from ._redact import escape, safe
from ._report import ReportStatus, VisionReport, billed_fields
from ._rules import text_rule
from ._types import Api, ImageInfo
from ._usage import ABSURD_TOKENS, BilledUsage, billed_usage
from ._walk import RequestParts, is_light, walk_request

if TYPE_CHECKING:
    from ._text import EncodingName

__all__ = [
    "COUNT_PARAMS",
    "Counted",
    "NOT_COUNTED",
    "Plan",
    "PreflightMode",
    "StreamTracker",
    "VisionOptions",
    "billed_failure",
    "count_requests",
    "counted_tokens",
    "estimate_needed_before_sending",
    "estimated",
    "finish",
    "given",
    "prepare",
    "as_sent",
    "prepares_inline",
    "read_counts",
    "stream_failure_note",
    "text_only_request",
    "unknown_model_note",
]

PreflightMode: TypeAlias = Literal["raise", "warn", "off"]

PREFLIGHT_MODES: tuple[PreflightMode, ...] = ("raise", "warn", "off")

COUNT_PARAMS: tuple[str, ...] = (
    "conversation",
    "input",
    "instructions",
    "model",
    "parallel_tool_calls",
    "previous_response_id",
    "reasoning",
    "text",
    "tool_choice",
    "tools",
    "truncation",
)
"""``create()`` parameters that ``responses.input_tokens.count`` also accepts."""

_TERMINAL_STATUS: Mapping[str, ReportStatus] = {
    "response.completed": "ok",
    "response.incomplete": "incomplete",
    "response.failed": "incomplete",
    "error": "incomplete",
}
"""Responses stream event type -> report status, for the events that end a stream."""


@dataclass(frozen=True, slots=True)
class VisionOptions:
    """What a ``Vision*`` client adds to the SDK client (carried across ``copy()``)."""

    preflight: PreflightMode = "raise"
    """``raise``: a bad request raises ``PreflightError`` and is not sent; ``warn``: log and
    send; ``off``: send without checking (estimates are still made)."""
    audit: AuditPipeline | None = None
    """Where finished reports go (``None``: only to ``capture_audit()`` in tests)."""
    exact_count: bool = False
    """Also call ``responses.input_tokens.count`` on the request without its images (and, when it
    has file parts, once more without its images and files)."""
    model_map: Mapping[str, str] = field(default_factory=dict)
    """Azure deployment name -> model name, for token rules."""
    budget: Budget | None = None
    """Cap on each request's estimated input (upper bound), checked before sending."""
    record_file_names: bool = False
    """Put each file part's ``filename`` into reports and audit records (off: names can be
    private, so by default a file is identified by its sha256 only)."""

    def __post_init__(self) -> None:
        if self.preflight not in PREFLIGHT_MODES:
            raise InvalidOptionError(
                f"preflight must be one of {PREFLIGHT_MODES}, not {self.preflight!r}"
            )


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything known about a request before it is sent."""

    api: Api
    model_requested: str
    model: str
    """Model used for token rules (``model_map`` applied)."""
    stream: bool
    request: Mapping[str, Any]
    """The caller's keyword arguments (read only, never mutated)."""
    infos: tuple[ImageInfo | None, ...]
    estimate: RequestEstimate | None
    parts: RequestParts | None = None
    """The request's parts from its one walk (``None``: walk again when needed)."""
    violations: tuple[Violation, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """Messages the client logs as warnings (``%s``-free, no request content)."""
    estimate_error: str | None = None
    """Why there is no estimate when the model is known (an invalid request sent anyway)."""
    prices: PriceTable = DEFAULT_PRICES
    """Price table for the estimate's and the report's cost (the audit pipeline's, if set)."""
    file_infos: tuple[FileInfo | None, ...] | None = None
    """Each file part's info from preflight (``None`` for ids and URLs), so files are read once."""
    record_file_names: bool = False
    """``VisionOptions.record_file_names``: the report names its files."""
    pending: Callable[[], _Estimated] | None = None
    """The estimate, deferred (``prepare(defer_estimate=True)``): ``estimated()`` makes it
    (once); ``None`` when it was made before sending."""


_Estimated: TypeAlias = tuple[RequestEstimate | None, str | None]
"""An estimate, or ``None`` and why (``Plan.estimate``, ``Plan.estimate_error``)."""


def estimate_needed_before_sending(options: VisionOptions) -> bool:
    """Whether a request must wait for its estimate before it is sent: only a ``budget`` needs
    it (its upper bound decides whether to send); preflight checks need no token count.

    >>> estimate_needed_before_sending(VisionOptions())
    False
    """
    return options.budget is not None


_new_plan: Final = maker(Plan)
_new_report: Final = maker(VisionReport)
"""Per-request constructors of frozen records (see ``_records``)."""


def prepare(
    api: Api, request: Mapping[str, Any], options: VisionOptions, *, defer_estimate: bool = False
) -> Plan:
    """Check and estimate ``request`` before it is sent; raise ``PreflightError`` in raise mode,
    and ``BudgetExceededError`` when a ``budget`` with ``on_exceed="raise"`` is exceeded.

    ``defer_estimate``: the caller would rather not wait for the estimate (its tokenizer is
    still being built); unless it is needed before sending (a budget), the plan leaves it to
    ``estimated()`` (``Plan.pending``), which makes the same estimate later.

    >>> plan = prepare("responses", {"model": "gpt-4o", "input": "Hi"}, VisionOptions())
    >>> (plan.model, plan.estimate.image_tokens, plan.violations)
    ('gpt-4o', 0, ())
    """
    request, parse_notes = _with_parse_schema(api, given(request))
    defer = defer_estimate and not estimate_needed_before_sending(options)
    if defer:  # counted after sending: a copy, so later edits of the caller's lists don't count
        request = as_sent(request)
    model_requested = str(request.get("model", ""))
    model = options.model_map.get(model_requested, model_requested)
    parts = walk_request(api, request)  # the one walk: preflight and the estimate share it
    outcome = check_request(api, model, request, parts=parts)
    violations = tuple(outcome.violations)
    if violations and options.preflight == "raise":
        raise PreflightError(violations)
    infos = tuple([info for _, info in outcome.images]) if outcome.images else ()
    warnings: list[str] = []
    if violations and options.preflight == "warn":
        warnings.append(
            f"request sent despite {len(violations)} preflight problem(s): "
            + "; ".join(escape(str(v)) for v in violations)
        )
    if options.preflight != "off":
        warnings.extend(outcome.warnings)
    prices = (options.audit.prices if options.audit is not None else None) or DEFAULT_PRICES
    file_infos = tuple([info for _, info in outcome.files]) if outcome.files else ()
    make = functools.partial(
        _estimate, api, model, request, infos, prices, parts, file_infos, bool(parse_notes)
    )
    pending = None
    if defer:
        estimate, estimate_error, pending = None, None, functools.cache(make)
    else:
        estimate, estimate_error = _made(make)
    if options.budget is not None:
        exceeded = over_budget(
            options.budget, estimate, model=model, request=request, prices=prices
        )
        if exceeded is not None and options.budget.on_exceed == "raise":
            raise exceeded
        if exceeded is not None:
            warnings.append(f"request sent over its budget: {exceeded}")
    return _new_plan(
        api=api,
        model_requested=model_requested,
        model=model,
        stream=request.get("stream") is True,
        request=request,
        infos=infos,
        parts=parts,
        estimate=estimate,
        violations=violations if options.preflight != "off" else (),
        notes=(*outcome.notes, *parse_notes),
        estimate_error=estimate_error,
        warnings=tuple(warnings),
        prices=prices,
        file_infos=file_infos,
        record_file_names=options.record_file_names,
        pending=pending,
    )


def estimated(plan: Plan) -> Plan:
    """``plan`` with its deferred estimate made (``plan`` itself when none is pending). The
    estimate is the one ``prepare`` would have made before sending; a failure becomes the
    plan's ``estimate_error`` (a note in its report), never an exception.

    >>> request = {"model": "gpt-4o", "input": "Hi"}
    >>> plan = prepare("responses", request, VisionOptions(), defer_estimate=True)
    >>> plan.estimate is None, estimated(plan).estimate.text_tokens
    (True, 8)
    """
    if plan.pending is None:
        return plan
    estimate, error = _made(plan.pending)
    return replace(plan, estimate=estimate, estimate_error=error, pending=None)


def as_sent(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """``request`` as it is when sent: its dicts, lists and tuples copied (strings, bytes and
    other objects shared; a container met twice copied once), for an estimate made after
    sending while other code may still edit the caller's conversation. A structure too deep to
    copy is returned as it is (the walk refuses it anyway).

    >>> history = [{"role": "user", "content": "Hi"}]
    >>> sent = as_sent({"model": "gpt-4o", "messages": history})
    >>> history.append({"role": "assistant", "content": "Hello"})
    >>> len(sent["messages"])
    1
    """
    memo: dict[int, Any] = {}

    def copy(value: Any) -> Any:
        if not isinstance(value, dict | list | tuple):
            return value
        done = memo.get(id(value))
        if done is not None:
            return done
        if isinstance(value, dict):
            mapping: dict[Any, Any] = {}
            memo[id(value)] = mapping
            for key, item in value.items():
                mapping[key] = copy(item)
            return mapping
        if isinstance(value, list):
            items: list[Any] = []
            memo[id(value)] = items
            items.extend([copy(item) for item in value])
            return items
        return memo.setdefault(id(value), tuple([copy(item) for item in value]))

    try:
        copied: Mapping[str, Any] = copy(dict(request))
    except RecursionError:
        return request
    return copied


def _made(make: Callable[[], _Estimated]) -> _Estimated:
    """``make()``; a failure becomes the reason there is no estimate (a note in the report),
    never an exception: our bookkeeping never breaks the request, and the report is still made."""
    try:
        return make()
    except Exception as exc:
        return None, f"no estimate: {type(exc).__name__}: {safe(str(exc))}"


def given(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """``request`` without the SDK's "not given" placeholders (``openai.omit``,
    ``openai.NOT_GIVEN``), which ``responses.stream()`` passes for every option left out: they
    are not values, and must not read as a stored prompt, a ``previous_response_id``...

    >>> class Omit: ...
    >>> Omit.__module__ = "openai._types"
    >>> sorted(given({"model": "gpt-4o", "prompt": Omit(), "input": "Hi"}))
    ['input', 'model']
    """
    for value in request.values():  # a loop over plain types first: runs on every request
        if type(value) not in _PLAIN_TYPES and _is_placeholder(value):
            return {k: v for k, v in request.items() if not _is_placeholder(v)}
    return request


_PLAIN_TYPES: Final = frozenset({str, list, dict, int, float, bool, tuple, type(None)})
"""Types of the values a request is mostly made of: never the SDK's placeholders."""


def _with_parse_schema(
    api: Api, request: Mapping[str, Any]
) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """``parse(text_format=Model)`` / ``chat.completions.parse(response_format=Model)``: the SDK
    sends ``Model``'s JSON schema, billed as input like any response format. The request with
    the schema in place, rendered by the SDK's own helper (loaded on first use), so it is counted
    as ``create()`` with the same schema would be; or, if it cannot be rendered, a note saying
    it is not counted."""
    key, fmt = _schema_class(api, request)
    if fmt is None:
        return request, ()
    try:
        if api == "responses":
            from openai.lib._parsing._responses import type_to_text_format_param

            text = request.get("text")
            merged = {**(text if isinstance(text, Mapping) else {})}
            merged["format"] = type_to_text_format_param(fmt)
            out = {k: v for k, v in request.items() if k != key}
            return {**out, "text": merged}, ()
        from openai.lib._parsing._completions import type_to_response_format_param

        return {**request, key: type_to_response_format_param(fmt)}, ()
    except Exception as exc:
        name = getattr(fmt, "__name__", "?")
        return request, (
            f"{key}={name}: its JSON schema could not be rendered ({type(exc).__name__}); "
            "it is billed as input but not counted in the estimate",
        )


def _schema_class(api: Api, request: Mapping[str, Any]) -> tuple[str, type | None]:
    """The ``parse()`` keyword naming a model class, and the class given (``None``: none)."""
    key = "text_format" if api == "responses" else "response_format"
    fmt = request.get(key)
    return key, fmt if isinstance(fmt, type) else None


INLINE_MAX_CHARS: Final = 4096
"""Most characters of strings a request prepared on the caller's event loop may hold: counting
them costs at most about 0.5 ms (tiktoken reads about 8 characters a microsecond)."""
INLINE_MAX_NODES: Final = 512
"""Most values (strings, numbers, items, keys) such a request may hold."""


def prepares_inline(api: Api, request: Mapping[str, Any], options: VisionOptions) -> bool:
    """Whether ``prepare(api, request, options)`` is short, bounded work that waits for nothing,
    so an async client runs it on the event loop instead of hopping to a worker thread (the hop
    alone costs more than preparing such a request).

    Exact, not a guess: with no image or file part, nothing is decoded or parsed from bytes;
    with the model's tokenizer already built, counting reads no file and waits for no lock
    (``_text.get_encoding``); with no ``parse()`` model class, no JSON schema is generated; what
    remains is pure Python over at most ``INLINE_MAX_CHARS`` characters in at most
    ``INLINE_MAX_NODES`` values (``_walk.is_light`` stops as soon as either is passed).

    >>> prepares_inline("responses", {"model": "gpt-4o", "input": "Hi"}, VisionOptions())
    True
    """
    if _schema_class(api, request)[1] is not None:
        return False
    model = str(request.get("model", ""))
    try:
        encoding = text_rule(options.model_map.get(model, model)).encoding
    except UnknownModelError:
        encoding = None  # nothing is counted before the response names a model
    if encoding is not None and not _is_built(encoding):
        return False
    return is_light(request, max_chars=INLINE_MAX_CHARS, max_nodes=INLINE_MAX_NODES)


def _is_built(encoding: EncodingName) -> bool:
    """``_text.is_built``, imported on first use (tiktoken loads with the first client, not
    with this module) and then called without an import statement per request."""
    global _built_check
    if _built_check is None:
        from ._text import is_built

        _built_check = is_built
    return _built_check(encoding)


_built_check: Callable[[EncodingName], bool] | None = None


def counted_tokens(answer: object) -> tuple[int | None, tuple[str, ...]]:
    """The ``input_tokens`` of an ``input_tokens.count`` answer; for a malformed answer
    (``null``, negative, not an int) ``None`` and a note: the report falls back to the estimate
    instead of being lost.

    >>> from types import SimpleNamespace
    >>> counted_tokens(SimpleNamespace(input_tokens=18))
    (18, ())
    >>> counted_tokens(SimpleNamespace(input_tokens=None))[0] is None
    True
    """
    value = getattr(answer, "input_tokens", None)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= ABSURD_TOKENS:
        return value, ()
    return None, (
        f"exact_count: input_tokens.count answered {str(value)[:20]!r}, not a token count; "
        "attributed by estimate",
    )


@dataclass(frozen=True, slots=True)
class Counted:
    """What the ``input_tokens.count`` calls of one request answered (``exact_count=True``)."""

    without_images: int | None = None
    """Count of the request without its images (it still holds the files)."""
    without_files: int | None = None
    """Count of the request without its images and its file parts (``None``: no file parts, or
    not counted)."""
    notes: tuple[str, ...] = ()


NOT_COUNTED: Final = Counted()
"""No count call made (immutable: shared by every report without one)."""


def count_requests(request: Mapping[str, Any]) -> tuple[dict[str, Any], ...] | None:
    """The ``input_tokens.count`` calls ``exact_count`` makes, in order: the request without its
    images, then (only when it has file parts) without its images and files; ``None`` when it
    cannot be counted (a ``prompt`` template).

    >>> f = {"type": "input_file", "file_id": "file-1"}
    >>> calls = count_requests({"model": "gpt-4o", "input": [{"role": "user", "content": [
    ...     {"type": "input_text", "text": "Hi"}, f]}]})
    >>> [c["input"][0]["content"] for c in calls]
    [[{'type': 'input_text', 'text': 'Hi'}, {'type': 'input_file', 'file_id': 'file-1'}], \
[{'type': 'input_text', 'text': 'Hi'}]]
    """
    without_images = text_only_request(request)
    if without_images is None:
        return None
    if "input" not in without_images:
        return (without_images,)
    without_files = _drop_parts(without_images["input"], frozenset({"input_file"}))
    if without_files == without_images["input"]:
        return (without_images,)
    return without_images, {**without_images, "input": without_files}


def read_counts(answers: Sequence[object], failures: Sequence[str] = ()) -> Counted:
    """``Counted`` from the answers to ``count_requests``'s calls, in order (fewer when a call
    failed: ``failures`` says why). A malformed answer is noted and not used.

    >>> from types import SimpleNamespace as A
    >>> read_counts([A(input_tokens=300), A(input_tokens=14)])
    Counted(without_images=300, without_files=14, notes=())
    """
    values: list[int | None] = []
    notes: list[str] = list(failures)
    for answer in answers:
        value, why = counted_tokens(answer)
        values.append(value)
        notes.extend(why)
    values.extend([None] * (2 - len(values)))
    return Counted(values[0], values[1], tuple(notes))


_BILLED_FAILURES = frozenset(
    {"LengthFinishReasonError", "ContentFilterFinishReasonError", "ValidationError"}
)


def billed_failure(exc: BaseException) -> tuple[object, str] | None:
    """For an exception the SDK raises *after* the API answered, so the call was billed
    (``LengthFinishReasonError``, ``ContentFilterFinishReasonError``, a pydantic
    ``ValidationError`` while parsing the output): the response it carries (``None`` if none)
    and a note for the report. ``None`` for any other exception.

    >>> billed_failure(ValueError("x")) is None
    True
    """
    if not _is_billed_failure(exc):
        return None
    kind = type(exc)
    response = getattr(exc, "completion", None)
    known = getattr(response, "usage", None) is not None
    billed = "billed usage recorded" if known else "it was billed, but the usage is unknown"
    return response, f"the SDK raised {kind.__name__} after the API answered: {billed}"


def stream_failure_note(exc: BaseException) -> str | None:
    """For a billed failure raised by the SDK's stream helper (``responses.stream()``,
    ``chat.completions.stream()``), the report's note; ``None`` for any other exception.

    >>> stream_failure_note(ValueError("x")) is None
    True
    """
    if not _is_billed_failure(exc):
        return None
    return (
        f"the SDK's stream helper raised {type(exc).__name__} after the API answered: billed "
        "usage recorded from the stream"
    )


def _is_billed_failure(exc: BaseException) -> bool:
    kind = type(exc)
    return kind.__name__ in _BILLED_FAILURES and kind.__module__.startswith(("openai", "pydantic"))


def _is_placeholder(value: object) -> bool:
    kind = type(value)
    return kind.__name__ in ("Omit", "NotGiven") and kind.__module__.startswith("openai")


def _estimate(
    api: Api,
    model: str,
    request: Mapping[str, Any],
    infos: Sequence[ImageInfo | None],
    prices: PriceTable,
    parts: RequestParts | None = None,
    file_infos: Sequence[FileInfo | None] | None = None,
    schema_uncounted: bool = False,
) -> _Estimated:
    """The estimate, or ``None`` and why (``None`` reason: no rule for ``model``). Images that
    ``prepare_image`` changed in this process get their original facts (``_image.originals``).
    ``schema_uncounted``: a ``parse()`` schema that could not be rendered is billed but not
    counted, so the estimate has no upper bound."""
    try:
        estimate = estimate_with_infos(
            api, model, request, infos, prices=prices, parts=parts, file_infos=file_infos
        )
        if schema_uncounted:
            estimate = replace(estimate, exact=False, upper=None, cost_upper_usd=None)
        urls = {p.ref.index: p.ref.url for p in parts.images} if parts is not None else None
        return with_originals(estimate, urls=urls), None
    except UnknownModelError:
        return None, None
    except OpenAIVisionExtError as exc:  # a request preflight let through (warn/off mode)
        return None, f"no estimate: {exc}"


def finish(
    plan: Plan,
    response: object,
    *,
    status: ReportStatus = "ok",
    request_id: str | None = None,
    counted: Counted | None = None,
    notes: Sequence[str] = (),
) -> VisionReport:
    """Build the report of ``plan`` from what came back (a response, a final event's response,
    or ``None`` when a stream ended without one).

    >>> plan = prepare("responses", {"model": "gpt-4o", "input": "Hi"}, VisionOptions())
    >>> finish(plan, None, status="incomplete").billed_input_tokens is None
    True
    """
    plan = estimated(plan)  # a deferred estimate is made here at the latest
    usage = billed_usage(plan.api, response) if response is not None else None
    served = getattr(response, "model", None)
    model_served = served if isinstance(served, str) else None
    estimate, more_notes = _estimate_after(plan, model_served)
    billed = usage or BilledUsage(None, None, None, None)
    cost, cost_notes = price_usage(
        billed, (model_served, plan.model_requested, plan.model), plan.prices
    )
    counts = counted or NOT_COUNTED
    counted_text_tokens = counts.without_images
    text_basis = counted_text_tokens
    attribution: Literal["estimate", "input_tokens.count", "none"] = "input_tokens.count"
    if text_basis is None:
        text_basis = estimate.text_tokens if estimate is not None else None
        attribution = "estimate" if text_basis is not None else "none"
    has_images = bool(plan.infos) or bool(estimate is not None and estimate.images)
    files = estimate.files if estimate is not None else ()
    if files and plan.record_file_names:
        files = _with_names(files, plan)
    file_basis = estimate.file_tokens if estimate is not None and files else None
    if files and counted_text_tokens is None and text_basis is not None:
        text_basis += estimate.file_tokens if estimate is not None else 0
    if billed.input_tokens is None or not has_images:
        attribution = "none"
    response_id = getattr(response, "id", None)
    return _new_report(
        api=plan.api,
        model_requested=plan.model_requested,
        model_served=model_served,
        request_id=request_id,
        response_id=response_id if isinstance(response_id, str) else None,
        images=_with_digests(estimate.images, plan.infos) if estimate is not None else (),
        estimated_image_tokens=estimate.image_tokens if estimate is not None else None,
        estimated_text_tokens=estimate.text_tokens if estimate is not None else None,
        estimated_input_tokens=estimate.input_tokens if estimate is not None else None,
        billed_image_tokens=_minus(billed.input_tokens, text_basis) if has_images else None,
        delta_input_tokens=_minus(
            estimate.input_tokens if estimate is not None else None, billed.input_tokens
        ),
        attribution=attribution,
        stream=plan.stream,
        status=status if billed.input_tokens is not None or status != "ok" else "incomplete",
        notes=(*plan.notes, *more_notes, *notes, *counts.notes, *cost_notes),
        rule=estimate.rule if estimate is not None else None,
        counted_text_tokens=counted_text_tokens,
        violations=plan.violations,
        estimate_exact=estimate.exact if estimate is not None else None,
        estimated_input_lower=estimate.lower if estimate is not None else None,
        estimated_input_upper=estimate.upper if estimate is not None else None,
        cost=cost,
        files=files,
        estimated_file_tokens=file_basis,
        **billed_fields(billed),
        **_billed_files(billed.input_tokens, estimate, counts),
    )


def _billed_files(
    billed: int | None, estimate: RequestEstimate | None, counts: Counted
) -> dict[str, Any]:
    """``billed_file_tokens``, ``file_attribution`` and ``counted_without_files_tokens`` of the
    report (see ``VisionReport``)."""
    out: dict[str, Any] = {"counted_without_files_tokens": counts.without_files}
    if billed is None or estimate is None or not estimate.files:
        return out
    with_files, without_files = counts.without_images, counts.without_files
    if with_files is not None and without_files is not None:  # both counted: exact
        return {
            **out,
            "billed_file_tokens": with_files - without_files,
            "file_attribution": "input_tokens.count",
        }
    if with_files is not None:  # the count without images holds the files; the text estimated
        tokens = with_files - estimate.text_tokens
    else:
        tokens = billed - estimate.text_tokens - estimate.image_tokens
    return {**out, "billed_file_tokens": tokens, "file_attribution": "estimate"}


def _with_names(files: Sequence[FileEstimate], plan: Plan) -> tuple[FileEstimate, ...]:
    """``files`` with each part's ``filename`` (made safe to log), for ``record_file_names``."""
    refs = (plan.parts or walk_request(plan.api, plan.request)).files
    named = []
    for file in files:
        name = refs[file.index].filename if file.index < len(refs) else None
        named.append(replace(file, filename=safe(name) if isinstance(name, str) else None))
    return tuple(named)


def _estimate_after(
    plan: Plan, model_served: str | None
) -> tuple[RequestEstimate | None, tuple[str, ...]]:
    """The plan's estimate (and its caveats); when the requested name had no rule (an Azure
    deployment), one made with the model the server says it used."""
    if plan.estimate_error is not None:
        return None, (plan.estimate_error,)
    estimate, notes = plan.estimate, []
    if estimate is None and model_served is not None:
        estimate, error = _estimate(
            plan.api,
            model_served,
            plan.request,
            plan.infos,
            plan.prices,
            plan.parts,
            plan.file_infos,
        )
        if error is not None:
            return None, (error,)
        if estimate is not None:
            notes.append(f"estimated with the served model {model_served!r}")
    if estimate is None:
        return None, (unknown_model_note(plan.model, model_served),)
    notes.extend(estimate.notes)
    if plan.request.get("image") is not None:
        notes.append("request-level 'image' option set: its token effect is undocumented")
    return estimate, tuple(notes)


def _with_digests(
    images: Sequence[ImageEstimate], infos: Sequence[ImageInfo | None]
) -> tuple[ImageEstimate, ...]:
    """The report's images with their sha256: the estimate leaves it ``None`` when computing it
    means decoding a data URL, and the report (an audit record's source) is where it is needed.
    """
    out = []
    for image in images:
        info = infos[image.index] if image.index < len(infos) else None
        if image.sha256 is None and info is not None:
            image = replace(image, sha256=info.sha256)
        out.append(image)
    return tuple(out)


def unknown_model_note(model: str, model_served: str | None) -> str:
    """Why a report has no estimates."""
    served = f" (served as {model_served!r})" if model_served and model_served != model else ""
    return f"no image token rule for model {model!r}{served}: estimates are None"


def _minus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def text_only_request(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``input_tokens.count`` arguments for ``request`` without its images, or ``None`` when
    the request cannot be counted that way (e.g. a ``prompt`` template).

    >>> part = {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"}
    >>> args = text_only_request({"model": "gpt-4o", "input": [{"role": "user", "content": [
    ...     {"type": "input_text", "text": "Hi"}, part]}], "stream": True})
    >>> sorted(args), args["input"]
    (['input', 'model'], [{'role': 'user', 'content': [{'type': 'input_text', 'text': 'Hi'}]}])
    """
    if request.get("prompt") is not None:
        return None
    kept = {k: request[k] for k in COUNT_PARAMS if k in request and _is_plain(request[k])}
    if "input" in kept:
        kept["input"] = _drop_parts(kept["input"], frozenset({"input_image"}))
    return kept


def _is_plain(value: object) -> bool:
    if isinstance(value, Mapping):
        return all(_is_plain(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _drop_parts(node: Any, types: frozenset[str]) -> Any:
    """``node`` (a copy) without the content parts whose ``type`` is in ``types``."""
    if isinstance(node, Mapping):
        return {k: _drop_parts(v, types) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [
            _drop_parts(item, types)
            for item in node
            if not (isinstance(item, Mapping) and item.get("type") in types)
        ]
    return node


class StreamTracker:
    """Follows one stream's events; knows when it ended and how.

    Sans-I/O: ``feed()`` each event; ``terminal`` is set on the event that ends a Responses
    stream (``response.completed``/``failed``/``incomplete``/``error``); for Chat Completions the
    chunk carrying ``usage`` is remembered and ``end()`` is called when the stream runs out.
    """

    __slots__ = ("api", "last_response", "status", "terminal")

    def __init__(self, api: Api) -> None:
        self.api: Api = api
        self.terminal = False
        self.status: ReportStatus = "incomplete"
        self.last_response: object = None
        """The response (Responses) or usage chunk (Chat) to take billed numbers from."""

    def feed(self, event: object) -> bool:
        """Take one event; return True when it ended the stream."""
        if self.terminal:
            return False
        if self.api == "chat.completions":
            if getattr(event, "usage", None) is not None:
                self.last_response = event
            return False
        status = _TERMINAL_STATUS.get(str(getattr(event, "type", "")))
        if status is None:
            return False
        self.terminal, self.status = True, status
        self.last_response = getattr(event, "response", None)
        return True

    def end(self) -> None:
        """The stream ran out normally (Chat: ``[DONE]``)."""
        if not self.terminal and self.api == "chat.completions" and self.last_response is not None:
            self.status = "ok"
        self.terminal = True

    def end_notes(self) -> tuple[str, ...]:
        """Why the report is incomplete, for the report's notes."""
        if self.status == "ok":
            return ()
        if self.api == "chat.completions" and self.last_response is None:
            return (
                "stream had no usage chunk: pass stream_options={'include_usage': True} "
                "to get billed numbers",
            )
        return ("stream did not complete: billed numbers are not final",)
