"""Drop-in clients: real subclasses of the SDK's clients that preflight and report every request.

``VisionOpenAI`` is an ``openai.OpenAI`` whose ``responses`` and ``chat.completions`` resources
are subclasses of the SDK's, with ``create`` and ``parse`` wrapped (``responses.stream()``,
``with_raw_response`` and ``with_streaming_response`` all go through them). Each wrapped call:
``prepare()`` (preflight, estimate) before any byte is sent, the SDK call unchanged, then
``finish()`` and the report is kept beside the response (see ``vision_report``). The sync and
async shells differ only where they touch the transport; the logic is in ``_core``.

Our bookkeeping never fails the user's call: an internal error logs a warning and leaves the
report ``None``. SDK errors pass through untouched.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import typing
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Self, TypeVar, cast

import anyio.to_thread
from openai import (
    APIError,
    AsyncAzureOpenAI,
    AsyncOpenAI,
    AsyncStream,
    AzureOpenAI,
    NotGiven,
    OpenAI,
    Stream,
    not_given,
)
from openai._compat import cached_property
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse
from openai.resources.chat import AsyncChat, Chat
from openai.resources.chat.completions import AsyncCompletions, Completions
from openai.resources.responses import AsyncResponses, Responses
from typing_extensions import override

from ._audit import AuditPipeline, AuditSink, emit_report
from ._budget import Budget, OnExceed
from ._core import (
    PREFLIGHT_MODES,
    Counted,
    Plan,
    PreflightMode,
    StreamTracker,
    VisionOptions,
    billed_failure,
    count_requests,
    finish,
    prepare,
    read_counts,
)
from ._exceptions import BudgetExceededError, InvalidOptionError, PreflightError, Violation
from ._redact import escape, safe
from ._report import VisionReport, remember, vision_report
from ._types import Api

__all__ = ["AsyncVisionAzureOpenAI", "AsyncVisionOpenAI", "VisionAzureOpenAI", "VisionOpenAI"]

logger = logging.getLogger("openai_vision_ext")
if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
    logger.addHandler(logging.NullHandler())

_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------
# Shared, transport-free helpers


def _options_of(resource: object) -> VisionOptions:
    options = getattr(getattr(resource, "_client", None), "_vision_options", None)
    return options if isinstance(options, VisionOptions) else VisionOptions()


def _safe_prepare(api: Api, kwargs: Mapping[str, Any], options: VisionOptions) -> Plan | None:
    """``prepare()``, letting only ``PreflightError`` and ``BudgetExceededError`` out (refusing
    is the point of raise mode)."""
    try:
        plan = prepare(api, kwargs, options)
    except BudgetExceededError:
        raise
    except PreflightError as exc:
        # Also logged: SDK helpers that re-raise every error as their own (the tool runner's
        # "Tool run stopped before completion.") hide the refusal otherwise.
        logger.warning(
            "openai_vision_ext: PreflightError: %s request refused before sending (%s)",
            api,
            ", ".join(_where(v) for v in exc.violations),
        )
        raise
    except Exception as exc:
        logger.warning(
            "openai_vision_ext: no report for this request (%s: %s)", _name(exc), safe(str(exc))
        )
        return None
    for message in plan.warnings:
        logger.warning("openai_vision_ext: %s", escape(message))
    return plan


def _where(violation: Violation) -> str:
    """A violation's code and place, for logs (no message text: it may quote a URL)."""
    return f"{violation.code} at {violation.location}" if violation.location else violation.code


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def _request_id(obj: object) -> str | None:
    rid = getattr(obj, "_request_id", None)
    return rid if isinstance(rid, str) else None


def _stream_request_id(stream: Stream[Any] | AsyncStream[Any]) -> str | None:
    return stream.response.headers.get("x-request-id")


def _emit(options: VisionOptions, report: VisionReport, response: object = None) -> None:
    """Hand a finished report to the audit pipeline (and any ``capture_audit()``); never raises."""
    if report.rule is None and report.estimated_input_tokens is None and not report.violations:
        logger.warning(
            "openai_vision_ext: no image token rule for model %r (served %r): estimates are None",
            report.model_requested,
            report.model_served,
        )
    pipeline = options.audit
    text = _output_text(response) if pipeline is not None and pipeline.include_text else None
    emit_report(report, pipeline, request_id=report.request_id, text=text)


def _output_text(response: object) -> str | None:
    text = getattr(response, "output_text", None)  # Responses
    if isinstance(text, str):
        return text
    choices = getattr(response, "choices", None)  # Chat Completions
    content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
    return content if isinstance(content, str) else None


def _publish(options: VisionOptions, obj: object, report: VisionReport) -> VisionReport:
    remember(obj, report)
    _emit(options, report, obj)
    return report


def _count_args(
    options: VisionOptions, plan: Plan
) -> tuple[tuple[dict[str, Any], ...] | None, str | None]:
    """Arguments of each ``input_tokens.count`` call (see ``count_requests``), or why none."""
    if not options.exact_count:
        return None, None
    if plan.api != "responses":
        return (
            None,
            "exact_count: Chat Completions has no input_tokens.count; attributed by estimate",
        )
    calls = count_requests(plan.request)
    if calls is None:
        return None, "exact_count: a prompt template cannot be counted; attributed by estimate"
    return calls, None


def _count_failed(exc: Exception) -> str:
    logger.warning(
        "openai_vision_ext: input_tokens.count failed (%s); using the estimate", _name(exc)
    )
    return f"exact_count: input_tokens.count failed ({_name(exc)}); attributed by estimate"


def _guarded(what: str) -> Callable[[Callable[..., _T]], Callable[..., _T | None]]:
    """Run bookkeeping so that an internal error logs a warning instead of failing the call."""

    def decorate(func: Callable[..., _T]) -> Callable[..., _T | None]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> _T | None:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                logger.warning(
                    "openai_vision_ext: %s failed (%s: %s)", what, _name(exc), safe(str(exc))
                )
                return None

        return wrapper

    return decorate


@dataclass(slots=True)
class _StreamState:
    """One observed stream: its plan, tracker and (once ended) report."""

    plan: Plan
    options: VisionOptions
    request_id: str | None
    tracker: StreamTracker
    report: VisionReport | None = None
    extra_notes: list[str] = field(default_factory=list)
    failed: bool = False
    """Our bookkeeping broke on an event: no report for this stream (a warning was logged)."""

    @property
    def pending(self) -> bool:
        """Still to be concluded: no report yet and no bookkeeping failure."""
        return self.report is None and not self.failed

    def snapshot(self) -> VisionReport | None:
        """The final report, or an incomplete one while the stream is open or was abandoned."""
        if self.report is not None or self.failed:
            return self.report
        return finish(
            self.plan,
            None,
            status="incomplete",
            request_id=self.request_id,
            notes=("stream not finished: billed numbers unknown",),
        )

    def conclude(self, counted: Counted | None, notes: tuple[str, ...] = ()) -> VisionReport:
        tracker = self.tracker
        final = tracker.last_response
        report = finish(
            self.plan,
            final,
            status=tracker.status,
            request_id=self.request_id,
            counted=counted,
            notes=(*tracker.end_notes(), *self.extra_notes, *notes),
        )
        self.report = report
        if final is not None:  # also found from what the SDK's stream helpers rebuild from it:
            # responses.stream().get_final_response(), chat.completions.stream()'s final completion
            remember(final, report, by_response_id=True)
        _emit(self.options, report, final)
        return report


# ---------------------------------------------------------------------------------------------
# Sync shell


def _call_sync(
    resource: Any,
    api: Api,
    method: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    options = _options_of(resource)
    plan = _safe_prepare(api, kwargs, options)
    try:
        result = method(*args, **kwargs)
    except APIError as exc:
        if plan is not None:
            _report_error(options, plan, exc)
        raise
    except Exception as exc:
        if plan is not None:
            _report_billed_failure(options, plan, exc)
        raise
    if plan is not None:
        _track_sync(resource._client, options, plan, result)
    return result


@_guarded("error report")
def _report_error(options: VisionOptions, plan: Plan, exc: APIError) -> None:
    """An SDK error still leaves an audit record (status ``error``, nothing billed known)."""
    request_id = getattr(exc, "request_id", None)
    report = finish(
        plan,
        None,
        status="error",
        request_id=request_id if isinstance(request_id, str) else None,
        notes=(f"the API call failed: {_name(exc)}",),
    )
    _emit(options, report)


@_guarded("error report")
def _report_billed_failure(options: VisionOptions, plan: Plan, exc: Exception) -> None:
    """The SDK failed after the API answered (and billed): record it, with the usage if known."""
    failure = billed_failure(exc)
    if failure is None:
        return
    response, note = failure
    report = finish(plan, response, status="error", request_id=_request_id(response), notes=(note,))
    if response is not None:
        remember(response, report)
    _emit(options, report, response)


@_guarded("report")
def _track_sync(client: Any, options: VisionOptions, plan: Plan, result: object) -> None:
    if isinstance(result, LegacyAPIResponse | APIResponse):  # with_raw/streaming_response
        if _is_event_stream(result):
            stream = result.parse()  # builds the caller's Stream, reads nothing
            _track_sync(client, options, plan, stream)
            remember(result, _follow(stream))
        else:
            _defer_sync(client, _RawState(plan, options, result.request_id), result)
    elif isinstance(result, Stream):
        _observe_stream_sync(client, options, plan, result)
    else:
        counted = _count_sync(client, options, plan)
        report = finish(plan, result, request_id=_request_id(result), counted=counted)
        _publish(options, result, report)


def _follow(obj: object) -> Callable[[], VisionReport | None]:
    return lambda: vision_report(obj)


def _is_event_stream(
    raw: LegacyAPIResponse[Any] | APIResponse[Any] | AsyncAPIResponse[Any],
) -> bool:
    """``with_raw_response``/``with_streaming_response`` of ``create(stream=True)``: the body is
    server-sent events.

    Then ``parse()`` only builds the SDK's ``Stream`` (no byte is read until it is iterated) and
    caches it, so we call it first and follow that very object: the caller's own ``raw.parse()``
    returns it. (``raw.parse(to=...)`` or ``raw.iter_lines()`` bypass it: the report then stays
    incomplete, never a guessed bill.)
    """
    if isinstance(raw, LegacyAPIResponse):
        return getattr(raw, "_stream", False) is True
    return getattr(raw, "_is_sse_stream", False) is True


@dataclass(slots=True)
class _RawState:
    """A raw response whose report waits for its body to be parsed: by the caller's own
    ``parse()``, or when ``vision_report()`` asks; never before (the SDK parses lazily too)."""

    plan: Plan
    options: VisionOptions
    request_id: str | None
    report: VisionReport | None = None
    settled: bool = False
    """The report is made (or our bookkeeping failed, report ``None``)."""


_DROPPED_UNPARSED = "raw response dropped before its body was parsed: billed numbers unknown"


def _defer(raw: Any, state: _RawState, hook: Callable[..., Any]) -> None:
    """Install ``hook`` as this raw response's ``parse`` (an instance attribute with the SDK
    method's signature; the class is untouched) and write an incomplete record if the raw
    response is dropped unparsed. Nothing here keeps ``raw`` alive."""
    hook.__signature__ = inspect.signature(raw.parse)  # type: ignore[attr-defined]
    raw.parse = hook
    finalizer = weakref.finalize(raw, _raw_dropped, state)
    finalizer.atexit = False


@_guarded("raw response report")
def _raw_dropped(state: _RawState) -> None:
    if not state.settled:
        state.settled = True
        state.report = finish(
            state.plan,
            None,
            status="incomplete",
            request_id=state.request_id,
            notes=(_DROPPED_UNPARSED,),
        )
        _emit(state.options, state.report)


def _default_parse(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    """``raw.parse()`` into the response's own type (``to=`` another type is not a report)."""
    return not args and kwargs.get("to") is None


def _defer_sync(
    client: Any, state: _RawState, raw: LegacyAPIResponse[Any] | APIResponse[Any]
) -> None:
    ref: weakref.ref[Any] = weakref.ref(raw)
    sdk_parse: Callable[..., Any] = type(raw).parse

    @functools.wraps(sdk_parse, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
    def parse(*args: Any, **kwargs: Any) -> Any:
        parsed = sdk_parse(ref(), *args, **kwargs)
        if not state.settled and _default_parse(args, kwargs):
            _settle_sync(client, state, parsed)
        return parsed

    _defer(raw, state, parse)
    remember(raw, functools.partial(_report_of_raw, ref, state))


def _report_of_raw(ref: weakref.ref[Any], state: _RawState) -> VisionReport | None:
    """``vision_report(raw)``: the report once parsed. A ``with_raw_response`` body is already
    read, so it is parsed now (the caller asked for the report); a ``with_streaming_response``
    body is never read for the caller: incomplete until they parse it."""
    raw = ref()
    if not state.settled and raw is not None:
        parsed = _parsed_body(raw)
        if parsed is None and isinstance(raw, LegacyAPIResponse):
            raw.parse()  # our hook: settles the report (and fills the SDK's cache, as parse() does)
        elif parsed is not None:
            _settle_now(state, parsed)
    if not state.settled:
        return _unparsed(state.plan, state.request_id)
    return state.report


@_guarded("report")
def _settle_sync(client: Any, state: _RawState, parsed: object) -> None:
    state.settled = True
    counted = _count_sync(client, state.options, state.plan)
    report = finish(
        state.plan, parsed, request_id=_request_id(parsed) or state.request_id, counted=counted
    )
    state.report = _publish(state.options, parsed, report)


@_guarded("report")
def _settle_now(state: _RawState, parsed: object, notes: tuple[str, ...] = ()) -> None:
    """Settle without an ``input_tokens.count`` call (async clients inside a sync call)."""
    state.settled = True
    if state.options.exact_count and state.plan.api == "responses":
        notes = (*notes, _NO_ASYNC_COUNT)
    report = finish(
        state.plan, parsed, request_id=_request_id(parsed) or state.request_id, notes=notes
    )
    state.report = _publish(state.options, parsed, report)


def _parsed_body(raw: LegacyAPIResponse[Any] | APIResponse[Any] | AsyncAPIResponse[Any]) -> object:
    """What the caller's own ``raw.parse()`` returned (the SDK caches it), without ever reading
    the body ourselves; ``None`` before that, or when the body is a stream we did not see."""
    cache = getattr(raw, "_parsed_by_type", None)
    parsed = cache.get(getattr(raw, "_cast_to", None)) if isinstance(cache, dict) else None
    return None if isinstance(parsed, Stream | AsyncStream) else parsed


def _unparsed(plan: Plan, request_id: str | None) -> VisionReport:
    why = "raw response: the report is made once the body is parsed (parse())"
    return finish(plan, None, status="incomplete", request_id=request_id, notes=(why,))


def _count_sync(client: Any, options: VisionOptions, plan: Plan) -> Counted:
    calls, why_not = _count_args(options, plan)
    if calls is None:
        return Counted(notes=(why_not,) if why_not else ())
    answers: list[object] = []
    for args in calls:
        try:
            answers.append(client.responses.input_tokens.count(**args))
        except Exception as exc:  # later counts are useless without this one
            return read_counts(answers, (_count_failed(exc),))
    return read_counts(answers)


def _observe_stream_sync(
    client: Any, options: VisionOptions, plan: Plan, stream: Stream[Any]
) -> None:
    state = _StreamState(plan, options, _stream_request_id(stream), StreamTracker(plan.api))
    stream._iterator = _observed_iter(client, state, stream._iterator)
    remember(stream, state.snapshot)
    _conclude_when_dropped(stream, state)


def _conclude_when_dropped(stream: object, state: _StreamState) -> None:
    """A stream dropped before its end still gets its one audit record (incomplete), written
    when it is garbage collected, if nothing concluded it yet: a stream never iterated runs no
    ``finally`` of ours. Not at interpreter exit."""
    finalizer = weakref.finalize(stream, _abandoned, state)
    finalizer.atexit = False


@_guarded("stream report")
def _abandoned(state: _StreamState) -> None:
    if state.pending:
        state.extra_notes.append("stream dropped before its end")
        state.conclude(None)


def _observed_iter(client: Any, state: _StreamState, events: Iterator[_T]) -> Iterator[_T]:
    try:
        for event in events:
            if _feed(state, event) and state.tracker.status == "ok":
                _conclude_sync(client, state)
            yield event
        state.tracker.end()
    except BaseException as exc:
        state.extra_notes.append(f"stream ended by {_name(exc)}")
        raise
    finally:
        if state.pending:
            _conclude_sync(client, state)


def _feed(state: _StreamState, event: object) -> bool:
    """Show ``event`` to the tracker; True when it ended the stream. A failure here stops
    the bookkeeping of this stream (warning, report ``None``), never the stream itself."""
    if state.failed:
        return False
    try:
        return state.tracker.feed(event)
    except Exception as exc:
        state.failed = True
        logger.warning(
            "openai_vision_ext: stream bookkeeping failed (%s: %s); no report for this stream",
            _name(exc),
            exc,
        )
        return False


@_guarded("stream report")
def _conclude_sync(client: Any, state: _StreamState) -> VisionReport:
    counted = None
    if state.tracker.status == "ok":
        counted = _count_sync(client, state.options, state.plan)
    return state.conclude(counted)


# ---------------------------------------------------------------------------------------------
# Async shell (same steps; awaits where the transport is touched)


async def _call_async(
    resource: Any,
    api: Api,
    method: Callable[..., Coroutine[Any, Any, Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    options = _options_of(resource)
    # Preflight decodes and inspects images (CPU-bound): off the event loop.
    plan = await anyio.to_thread.run_sync(_safe_prepare, api, kwargs, options)
    try:
        result = await method(*args, **kwargs)
    except APIError as exc:
        if plan is not None:
            _report_error(options, plan, exc)
        raise
    except Exception as exc:
        if plan is not None:
            _report_billed_failure(options, plan, exc)
        raise
    if plan is not None:
        await _track_async(resource._client, options, plan, result)
    return result


async def _track_async(client: Any, options: VisionOptions, plan: Plan, result: object) -> None:
    try:
        if isinstance(result, LegacyAPIResponse | AsyncAPIResponse):
            if _is_event_stream(result):
                stream = result.parse()  # builds the caller's AsyncStream, reads nothing
                if isinstance(result, AsyncAPIResponse):
                    stream = await stream
                await _track_async(client, options, plan, stream)
                remember(result, _follow(stream))
            else:
                _defer_async(client, _RawState(plan, options, result.request_id), result)
        elif isinstance(result, AsyncStream):
            _observe_stream_async(client, options, plan, result)
        else:
            counted = await _count_async(client, options, plan)
            report = finish(plan, result, request_id=_request_id(result), counted=counted)
            # Sinks may block (a JSONL file lock held by another process): off the event loop.
            await anyio.to_thread.run_sync(_publish, options, result, report)
    except Exception as exc:
        logger.warning("openai_vision_ext: report failed (%s: %s)", _name(exc), safe(str(exc)))


def _defer_async(
    client: Any, state: _RawState, raw: LegacyAPIResponse[Any] | AsyncAPIResponse[Any]
) -> None:
    ref: weakref.ref[Any] = weakref.ref(raw)
    remember(raw, functools.partial(_report_of_raw, ref, state))
    if isinstance(raw, LegacyAPIResponse):  # its parse() is synchronous: no count awaited
        sdk_parse: Callable[..., Any] = type(raw).parse

        @functools.wraps(sdk_parse, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
        def parse(*args: Any, **kwargs: Any) -> Any:
            parsed = sdk_parse(ref(), *args, **kwargs)
            if not state.settled and _default_parse(args, kwargs):
                _settle_now(state, parsed)
            return parsed

        _defer(raw, state, parse)
        return
    async_parse: Callable[..., Any] = type(raw).parse

    @functools.wraps(async_parse, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
    async def parse_async(*args: Any, **kwargs: Any) -> Any:
        parsed = await async_parse(ref(), *args, **kwargs)
        if not state.settled and _default_parse(args, kwargs):
            await _settle_async(client, state, parsed)
        return parsed

    _defer(raw, state, parse_async)


async def _settle_async(client: Any, state: _RawState, parsed: object) -> None:
    try:
        state.settled = True
        counted = await _count_async(client, state.options, state.plan)
        report = finish(
            state.plan, parsed, request_id=_request_id(parsed) or state.request_id, counted=counted
        )
        # Sinks may block (a JSONL file lock held by another process): off the event loop.
        state.report = await anyio.to_thread.run_sync(_publish, state.options, parsed, report)
    except Exception as exc:
        logger.warning("openai_vision_ext: report failed (%s: %s)", _name(exc), safe(str(exc)))


_NO_ASYNC_COUNT = (
    "exact_count: not available when an async raw response is parsed synchronously; "
    "attributed by estimate"
)


async def _count_async(client: Any, options: VisionOptions, plan: Plan) -> Counted:
    calls, why_not = _count_args(options, plan)
    if calls is None:
        return Counted(notes=(why_not,) if why_not else ())
    answers: list[object] = []
    for args in calls:
        try:
            answers.append(await client.responses.input_tokens.count(**args))
        except Exception as exc:  # later counts are useless without this one
            return read_counts(answers, (_count_failed(exc),))
    return read_counts(answers)


def _observe_stream_async(
    client: Any, options: VisionOptions, plan: Plan, stream: AsyncStream[Any]
) -> None:
    state = _StreamState(plan, options, _stream_request_id(stream), StreamTracker(plan.api))
    stream._iterator = _observed_aiter(client, state, stream._iterator)
    remember(stream, state.snapshot)
    _conclude_when_dropped(stream, state)


async def _observed_aiter(
    client: Any, state: _StreamState, events: AsyncIterator[_T]
) -> AsyncIterator[_T]:
    try:
        async for event in events:
            if _feed(state, event) and state.tracker.status == "ok":
                await _conclude_async(client, state)
            yield event
        state.tracker.end()
    except BaseException as exc:
        state.extra_notes.append(f"stream ended by {_name(exc)}")
        raise
    finally:
        if state.pending:
            # No await here: this may run while the generator is being closed.
            _guarded("stream report")(state.conclude)(None)


async def _conclude_async(client: Any, state: _StreamState) -> None:
    try:
        state.conclude(await _count_async(client, state.options, state.plan))
    except Exception as exc:
        logger.warning("openai_vision_ext: stream report failed (%s: %s)", _name(exc), exc)


# ---------------------------------------------------------------------------------------------
# Resources: the SDK's own classes, with create/parse wrapped. Each wrapper looks the SDK method
# up when it is called (``super()``), so a patch applied later to ``Responses.create`` or
# ``Completions.create`` (OpenTelemetry instrumentors, wrapt, sentry) still sees our calls.
# ``functools.wraps`` keeps the SDK method's name, docs and signature; type checkers see the
# SDK's overloads (the wrappers are installed after class creation).

_R = TypeVar("_R", bound=type)


def _vision_methods(api: Api, *names: str, is_async: bool) -> Callable[[_R], _R]:
    """Class decorator: wrap the SDK methods ``names`` of the decorated resource."""

    def decorate(owner: _R) -> _R:
        for name in names:
            setattr(owner, name, _wrapper(owner, api, name, is_async=is_async))
        return owner

    return decorate


def _wrapper(owner: type, api: Api, name: str, *, is_async: bool) -> Callable[..., Any]:
    template = getattr(owner, name)  # for the name, docs and signature only

    if is_async:

        @functools.wraps(template)
        async def call_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            method = getattr(super(owner, self), name)  # the parent's, as it is now
            return await _call_async(self, api, method, args, kwargs)

        return call_async

    @functools.wraps(template)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = getattr(super(owner, self), name)  # the parent's, as it is now
        return _call_sync(self, api, method, args, kwargs)

    return call


@_vision_methods("responses", "create", "parse", is_async=False)
class _VisionResponses(Responses):
    """``client.responses`` with preflight and reports on ``create`` and ``parse``."""


@_vision_methods("responses", "create", "parse", is_async=True)
class _AsyncVisionResponses(AsyncResponses):
    """``client.responses`` (async) with preflight and reports on ``create`` and ``parse``."""


@_vision_methods("chat.completions", "create", "parse", is_async=False)
class _VisionCompletions(Completions):
    """``client.chat.completions`` with preflight and reports on ``create`` and ``parse``."""


@_vision_methods("chat.completions", "create", "parse", is_async=True)
class _AsyncVisionCompletions(AsyncCompletions):
    """``client.chat.completions`` (async) with preflight and reports."""


class _VisionChat(Chat):
    @cached_property
    @override
    def completions(self) -> Completions:
        return _VisionCompletions(self._client)


class _AsyncVisionChat(AsyncChat):
    @cached_property
    @override
    def completions(self) -> AsyncCompletions:
        return _AsyncVisionCompletions(self._client)


# ---------------------------------------------------------------------------------------------
# Clients

PREFLIGHT_ENV = "OPENAI_VISION_EXT_PREFLIGHT"
"""Process-wide default for ``preflight=`` (``raise``, ``warn`` or ``off``), read when a client
is built without an explicit ``preflight=``; the explicit argument always wins."""


def _preflight_mode(explicit: PreflightMode | None) -> PreflightMode:
    """``preflight=`` if given, else ``$OPENAI_VISION_EXT_PREFLIGHT``, else ``"raise"``."""
    if explicit is not None:
        return explicit  # checked by VisionOptions
    raw = os.environ.get(PREFLIGHT_ENV, "")
    mode = raw.strip().lower()
    if not mode:
        return "raise"
    if mode not in PREFLIGHT_MODES:
        raise InvalidOptionError(
            f"{PREFLIGHT_ENV}={raw!r} is not a preflight mode: set it to one of "
            f"{', '.join(PREFLIGHT_MODES)}, or unset it (default: raise)"
        )
    return mode


AuditOption = AuditPipeline | Iterable[AuditSink | Callable[[Any], None]] | None
"""``audit=``: a pipeline, or sinks to feed (wrapped in a plain ``AuditPipeline``)."""


def _as_pipeline(audit: AuditOption) -> AuditPipeline | None:
    if audit is None or isinstance(audit, AuditPipeline):
        return audit
    return AuditPipeline(sinks=audit)


def _option_kwargs(options: VisionOptions) -> dict[str, Any]:
    """Our options as ``__init__`` keywords, for ``copy()`` to rebuild the same client."""
    return {
        "preflight": options.preflight,
        "audit": options.audit,
        "exact_count": options.exact_count,
        "model_map": options.model_map,
        "budget": options.budget,
        "record_file_names": options.record_file_names,
    }


def _checked_budget(budget: object) -> Budget | None:
    if budget is None or isinstance(budget, Budget):
        return budget
    raise InvalidOptionError(f"budget must be a Budget or None, not {type(budget).__name__}")


def _given(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in changes.items() if not isinstance(value, NotGiven)}


class _VisionClientMixin:
    """Our options, ``copy()`` and the SDK's User-Agent; shared by the four clients.

    Our options are the keyword-only parameters of ``__init__`` and ``copy`` below: add one
    there (and to ``_option_kwargs``) and every client's runtime signature shows it. The
    signatures the four clients expose are built from the SDK class they stand in for plus
    these (``_install_signatures``), so they stay complete when the SDK adds a parameter.
    """

    _vision_options: VisionOptions

    def __init__(
        self,
        *,
        preflight: PreflightMode | None = None,
        audit: AuditOption = None,
        exact_count: bool = False,
        model_map: Mapping[str, str] | None = None,
        budget: Budget | None = None,
        record_file_names: bool = False,
        **kwargs: Any,
    ) -> None:
        """The SDK client's arguments, plus ours:

        ``preflight``: ``"raise"`` (refuse a bad image before sending), ``"warn"`` (log, send)
        or ``"off"``; ``None`` reads ``$OPENAI_VISION_EXT_PREFLIGHT`` (default ``"raise"``).
        ``audit``: an ``AuditPipeline`` or sinks that receive every finished report.
        ``exact_count``: also count the text with ``responses.input_tokens.count``.
        ``model_map``: deployment (or alias) name -> model name, for token rules.
        ``budget``: a ``Budget`` capping each request's estimated input (upper bound); over it,
        ``BudgetExceededError`` and nothing is sent (or a warning, ``on_exceed="warn"``).
        ``record_file_names``: put each file part's ``filename`` in reports and audit records
        (default off: files are identified by sha256 only; names can be private).
        """
        self._vision_options = VisionOptions(
            preflight=_preflight_mode(preflight),
            audit=_as_pipeline(audit),
            exact_count=bool(exact_count),
            model_map=dict(model_map or {}),
            budget=_checked_budget(budget),
            record_file_names=bool(record_file_names),
        )
        super().__init__(**kwargs)
        from ._text import warm_up  # tiktoken loads in the warm-up thread, not on import

        warm_up()  # the tokenizer builds while the caller gets ready: not on the first request

    @property
    def vision_options(self) -> VisionOptions:
        """The preflight, audit, exact-count and model-map settings of this client."""
        return self._vision_options

    @property
    def user_agent(self) -> str:
        """The SDK's User-Agent, named after the SDK class this client stands in for
        (``OpenAI/Python 3.x``, ``AsyncAzureOpenAI/Python 3.x``): a drop-in looks the same."""
        version = cast(Any, self)._version
        return f"{_stand_in_for(type(self)).__name__}/Python {version}"

    def copy(
        self,
        *,
        preflight: PreflightMode | NotGiven = not_given,
        audit: AuditOption | NotGiven = not_given,
        exact_count: bool | NotGiven = not_given,
        model_map: Mapping[str, str] | NotGiven | None = not_given,
        budget: Budget | NotGiven | None = not_given,
        record_file_names: bool | NotGiven = not_given,
        **kwargs: Any,
    ) -> Self:
        """The SDK's ``copy()``/``with_options()``; our options are kept unless given."""
        changes = _given(
            {
                "preflight": preflight,
                "exact_count": exact_count,
                "model_map": model_map,
                "budget": budget,
                "record_file_names": record_file_names,
            }
        )
        if "budget" in changes:
            changes["budget"] = _checked_budget(changes["budget"])
        if not isinstance(audit, NotGiven):
            changes["audit"] = _as_pipeline(audit)
        if "model_map" in changes:
            changes["model_map"] = dict(changes["model_map"] or {})
        if "record_file_names" in changes:
            changes["record_file_names"] = bool(changes["record_file_names"])
        options = replace(self._vision_options, **changes)
        extra = {**_option_kwargs(options), **kwargs.pop("_extra_kwargs", {})}
        return cast(Self, cast(Any, super()).copy(**kwargs, _extra_kwargs=extra))

    with_options = copy

    def with_budget(
        self,
        budget: Budget | None = None,
        *,
        max_input_tokens: int | None = None,
        max_usd: float | None = None,
        on_exceed: OnExceed = "raise",
    ) -> Self:
        """A copy of this client (as ``with_options``) whose requests are capped by a budget:
        a ``Budget``, or its fields as keywords; ``with_budget(None)`` removes the cap. Per
        call: ``client.with_budget(max_input_tokens=5_000).responses.create(...)``.

        >>> client = VisionOpenAI(api_key="sk-test")
        >>> client.with_budget(max_usd=0.01).vision_options.budget
        Budget(max_input_tokens=None, max_usd=0.01, on_exceed='raise')
        >>> client.with_budget(max_usd=0.01).with_budget(None).vision_options.budget is None
        True
        """
        limits = max_input_tokens is not None or max_usd is not None
        if budget is not None and limits:
            raise InvalidOptionError("pass a Budget or its fields, not both")
        if limits:
            budget = Budget(max_input_tokens=max_input_tokens, max_usd=max_usd, on_exceed=on_exceed)
        return self.copy(budget=budget)


def _stand_in_for(cls: type) -> type:
    """The first class in ``cls``'s MRO not defined here: the SDK client ours replace (or a
    user's own subclass, named as the SDK would name it)."""
    package = __name__.partition(".")[0]  # public classes say ``openai_vision_ext``
    return next(base for base in cls.__mro__ if base.__module__.partition(".")[0] != package)


def _install_signatures(cls: type) -> None:
    """Give ``cls.__init__``, ``copy`` and ``with_options`` the SDK class's signature and type
    hints plus our options, computed from the installed SDK (so new SDK parameters show)."""
    sdk = _stand_in_for(cls)
    init = _signed(cls, _VisionClientMixin.__init__, cast(Any, sdk).__init__)
    copy = _signed(cls, _VisionClientMixin.copy, cast(Any, sdk).copy)
    setattr(cls, "__init__", init)  # noqa: B010
    setattr(cls, "copy", copy)  # noqa: B010
    setattr(cls, "with_options", copy)  # noqa: B010


def _signed(cls: type, impl: Callable[..., Any], sdk_method: Callable[..., Any]) -> Any:
    @functools.wraps(impl, assigned=("__module__", "__name__", "__doc__"), updated=())
    def method(*args: Any, **kwargs: Any) -> Any:
        return impl(*args, **kwargs)

    method.__qualname__ = f"{cls.__qualname__}.{impl.__name__}"
    signature, hints = _merged_signature(sdk_method, impl)
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__annotations__ = hints
    return method


def _merged_signature(
    sdk_method: Callable[..., Any], own: Callable[..., Any]
) -> tuple[inspect.Signature, dict[str, Any]]:
    """The SDK method's parameters with our keyword-only ones added before its private
    (``_``-prefixed) ones; annotations resolved to objects so ``get_type_hints`` works."""
    sdk_sig, sdk_hints = inspect.signature(sdk_method), _hints(sdk_method)
    own_sig, own_hints = inspect.signature(own), _hints(own)
    ours = [
        p.replace(annotation=own_hints.get(p.name, p.annotation))
        for p in own_sig.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    names = {p.name for p in ours}
    theirs = [
        p.replace(annotation=sdk_hints.get(p.name, p.annotation))
        for p in sdk_sig.parameters.values()
        if p.name not in names
    ]
    at = next(
        (
            i
            for i, p in enumerate(theirs)
            if p.kind is inspect.Parameter.VAR_KEYWORD
            or (p.kind is inspect.Parameter.KEYWORD_ONLY and p.name.startswith("_"))
        ),
        len(theirs),
    )
    parameters = [*theirs[:at], *ours, *theirs[at:]]
    returns = sdk_hints.get("return", sdk_sig.return_annotation)
    signature = sdk_sig.replace(parameters=parameters, return_annotation=returns)
    hints = {p.name: p.annotation for p in parameters if p.annotation is not p.empty}
    if returns is not inspect.Signature.empty:
        hints["return"] = returns
    return signature, hints


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func)
    except Exception:  # an unresolvable annotation: keep the SDK's strings
        return dict(getattr(func, "__annotations__", {}))


class VisionOpenAI(_VisionClientMixin, OpenAI):
    """An ``openai.OpenAI`` that preflights every image and reports estimated vs billed tokens.

    Takes the SDK's arguments plus ``preflight="raise"|"warn"|"off"`` (default: the
    ``OPENAI_VISION_EXT_PREFLIGHT`` environment variable, else ``"raise"``), ``audit=``,
    ``exact_count=False`` and ``model_map=``.

    >>> from openai import OpenAI
    >>> from openai_vision_ext import VisionOpenAI
    >>> client = VisionOpenAI(api_key="sk-test", preflight="warn")
    >>> isinstance(client, OpenAI), client.with_options(timeout=5).vision_options.preflight
    (True, 'warn')
    >>> client.user_agent.startswith("OpenAI/Python ")
    True
    """

    @cached_property
    @override
    def responses(self) -> Responses:
        return _VisionResponses(self)

    @cached_property
    @override
    def chat(self) -> Chat:
        return _VisionChat(self)


class AsyncVisionOpenAI(_VisionClientMixin, AsyncOpenAI):
    """The async twin of ``VisionOpenAI`` (an ``openai.AsyncOpenAI``).

    >>> from openai import AsyncOpenAI
    >>> from openai_vision_ext import AsyncVisionOpenAI
    >>> client = AsyncVisionOpenAI(api_key="sk-test", exact_count=True)
    >>> isinstance(client, AsyncOpenAI), client.copy().vision_options.exact_count
    (True, True)
    """

    @cached_property
    @override
    def responses(self) -> AsyncResponses:
        return _AsyncVisionResponses(self)

    @cached_property
    @override
    def chat(self) -> AsyncChat:
        return _AsyncVisionChat(self)


class VisionAzureOpenAI(_VisionClientMixin, AzureOpenAI):
    """An ``openai.AzureOpenAI`` with preflight and reports; ``model_map`` maps deployment names
    to model names for token rules (otherwise the model the server reports is used).

    >>> from openai import AzureOpenAI
    >>> from openai_vision_ext import VisionAzureOpenAI
    >>> client = VisionAzureOpenAI(api_key="k", api_version="2025-04-01-preview",
    ...     azure_endpoint="https://example.openai.azure.com", model_map={"prod-4o": "gpt-4o"})
    >>> isinstance(client, AzureOpenAI), dict(client.copy().vision_options.model_map)
    (True, {'prod-4o': 'gpt-4o'})
    """

    @cached_property
    @override
    def responses(self) -> Responses:
        return _VisionResponses(self)

    @cached_property
    @override
    def chat(self) -> Chat:
        return _VisionChat(self)


class AsyncVisionAzureOpenAI(_VisionClientMixin, AsyncAzureOpenAI):
    """The async twin of ``VisionAzureOpenAI``.

    >>> from openai import AsyncAzureOpenAI
    >>> from openai_vision_ext import AsyncVisionAzureOpenAI
    >>> client = AsyncVisionAzureOpenAI(api_key="k", api_version="2025-04-01-preview",
    ...     azure_endpoint="https://example.openai.azure.com")
    >>> isinstance(client, AsyncAzureOpenAI)
    True
    """

    @cached_property
    @override
    def responses(self) -> AsyncResponses:
        return _AsyncVisionResponses(self)

    @cached_property
    @override
    def chat(self) -> AsyncChat:
        return _AsyncVisionChat(self)


for _cls in (VisionOpenAI, AsyncVisionOpenAI, VisionAzureOpenAI, AsyncVisionAzureOpenAI):
    _install_signatures(_cls)
del _cls
