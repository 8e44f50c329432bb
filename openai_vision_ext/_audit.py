"""Audit records: one JSON-ready line per response, a pipeline of tiny processors, then sinks.

``AuditRecord.from_report`` is pure (the clock is passed in). ``emit_report`` is the only entry
the clients call: it builds the record, runs the processors, feeds the sinks and any active
``capture_audit()`` blocks, and never raises: a failing processor or sink logs one warning line
and is counted in ``AuditPipeline.failures``. Records identify images by sha256, MIME, size and
dimensions; they never hold image bytes, base64 or (unless opted in, truncated) text.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeAlias, runtime_checkable

from ._estimate import ImageEstimate
from ._exceptions import AuditConfigError, Violation
from ._file_rules import FileEstimate
from ._prices import DEFAULT_PRICES, Cost, PriceTable, load_prices, price_usage
from ._redact import safe
from ._report import VisionReport, billed_usage_of

__all__ = [
    "SCHEMA_VERSION",
    "AuditConfigError",
    "AuditFile",
    "AuditImage",
    "AuditPipeline",
    "AuditRecord",
    "AuditSink",
    "Processor",
    "add_context",
    "emit_report",
    "only_status",
    "strip_text",
]

SCHEMA_VERSION: Final = 5
"""Bumped on any change to the meaning or shape of ``AuditRecord.to_dict()``.

- 1: first release.
- 2: each image also has ``original_width``, ``original_height``, ``original_n_bytes``,
  ``original_mime`` (``null`` unless ``prepare_image`` changed it) and ``prepared_actions``
  (a list, empty unless prepared). Bumped although only keys were added, because a version-1
  ``from_dict`` refuses unknown image keys. ``from_dict`` reads version-1 records (the new keys
  default to ``null``/``[]``) and, from version 2 on, ignores keys it does not know, so later
  additive changes can be read by older code.
- 3: ``cost`` is priced at the tier the response reports (``cost.tier`` may be ``flex``,
  ``priority``...; before, every response was priced as standard) with cache writes
  (``cost.cache_write``) and ``cost.long_context``; new keys ``counted_text_tokens``,
  ``estimate_exact``, ``estimated_input_lower``, ``estimated_input_upper``,
  ``billed_cache_write_tokens``, ``service_tier``; ``billed_image_tokens`` is ``null`` for a
  request without images. Every report field is copied by one field list
  (``dataclasses.fields``), so a new report field reaches the record and its dict.
- 4: no new key; ``estimated_input_lower``/``estimated_input_upper`` also carry the error band
  of every approximated text rule (tools, formats, tool calls...; in version 3 they were equal
  for such estimates), and ``estimate_exact`` is false for an image rule no bill verifies (its
  estimate stays a point: equal bounds). Drift reads bounds from version 4 on.
- 5: new key ``billed_cache_write_12h_tokens`` (the part of ``billed_cache_write_tokens`` kept
  12 hours). Before, the report and the record dropped it, so a record priced with another
  table (``AuditPipeline(prices=...)`` for a report without a cost, or ``from_report(...,
  prices=)``) priced those writes at the default write rate (half the 12 h rate where one is
  published). Every billed count now reaches the report and the record by one rule
  (``_report.billed_fields``).
"""

DEFAULT_MAX_TEXT_CHARS: Final = 500

logger = logging.getLogger("openai_vision_ext")
"""Our own warnings (a failing sink...). Records themselves go to ``openai_vision_ext.audit``."""


@dataclass(frozen=True, slots=True)
class AuditImage:
    """One image of the request, identified by its hash, never by its bytes."""

    index: int
    source: str
    """``data_url``, ``url`` or ``file_id``."""
    sha256: str | None
    mime: str | None
    n_bytes: int | None
    width: int | None
    height: int | None
    detail: str
    estimated_tokens: int | None
    original_width: int | None = None
    """Width before client-side preparation (``image_part(..., optimize=True)``); ``None`` when
    the image was sent as given. ``sha256``, ``mime``, ``n_bytes``, ``width`` and ``height``
    always describe the image as sent."""
    original_height: int | None = None
    original_n_bytes: int | None = None
    """Encoded size before preparation (``None`` also for an in-memory PIL image)."""
    original_mime: str | None = None
    prepared_actions: tuple[str, ...] = ()
    """What preparation did (``resized``, ``converted``, ``oriented``, ``stripped_metadata``...)."""

    @classmethod
    def from_estimate(cls, image: ImageEstimate) -> AuditImage:
        """Copy the identifying fields of an ``ImageEstimate`` (by ``IMAGE_FIELDS``)."""
        return cls(**IMAGE_FIELDS.copy(image))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditImage:
        """Rebuild an image from ``to_dict()`` output of any schema version (unknown keys are
        ignored; keys added after version 1 default to ``None``/empty).

        >>> AuditImage.from_dict({"index": 0, "source": "url", "sha256": None, "mime": None,
        ...     "n_bytes": None, "width": None, "height": None, "detail": "low",
        ...     "estimated_tokens": None, "added_later": 1}).prepared_actions
        ()
        """
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class AuditFile:
    """One file part of the request, identified by its hash: never its content, and its name only
    when the client opted in (``record_file_names=True``)."""

    index: int
    source: str
    """``file_data``, ``file_id`` or ``file_url``."""
    kind: str | None
    """``pdf``, ``docx``, ``xlsx``, ``pptx``, ``text``; ``None`` when only referenced."""
    sha256: str | None
    mime: str | None
    n_bytes: int | None
    pages: int | None
    detail: str
    estimated_text_tokens: int | None
    estimated_page_tokens: int
    estimated_tokens: int
    estimated_lower: int
    estimated_upper: int | None
    exact: bool
    rule: str
    filename: str | None = None
    """The part's ``filename``, only with ``record_file_names=True`` (``None`` by default)."""

    @classmethod
    def from_estimate(cls, file: FileEstimate) -> AuditFile:
        """Copy the identifying and estimated fields of a ``FileEstimate`` (by ``FILE_FIELDS``)."""
        return cls(**FILE_FIELDS.copy(file))


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What one response cost, estimated vs billed, ready for a log line or a JSONL file.

    Build it with ``from_report``; serialise it with ``to_dict`` (plain JSON types only).
    """

    time: str
    """UTC time the record was made, ISO 8601 with milliseconds (``...Z``)."""
    api: str
    model_requested: str
    model_served: str | None
    request_id: str | None
    response_id: str | None
    status: str
    """``ok``, ``incomplete`` or ``error``."""
    stream: bool
    attribution: str
    """How ``billed_image_tokens`` was found: ``estimate``, ``input_tokens.count`` or ``none``."""
    images: tuple[AuditImage, ...]
    estimated_image_tokens: int | None
    estimated_text_tokens: int | None
    estimated_input_tokens: int | None
    billed_input_tokens: int | None
    billed_cached_tokens: int | None
    billed_output_tokens: int | None
    billed_reasoning_tokens: int | None
    billed_image_tokens: int | None
    delta_input_tokens: int | None
    """``estimated_input_tokens - billed_input_tokens``."""
    cost: Cost | None
    """Estimated USD cost from billed tokens; ``None`` without usage or a published price."""
    price_table_version: str
    notes: tuple[str, ...] = ()
    rule: str | None = None
    """Image rule row the estimate used (e.g. ``gpt-4o``)."""
    violations: tuple[str, ...] = ()
    """Codes of preflight problems the request was sent with (``preflight="warn"``)."""
    text: str | None = None
    """Output text, only when the pipeline opts in (``include_text=True``), truncated."""
    context: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Extra JSON-safe fields added by processors such as ``add_context``."""
    counted_text_tokens: int | None = None
    """``responses.input_tokens.count`` of the request without images (``exact_count=True``)."""
    estimate_exact: bool | None = None
    """Whether the estimate was exact (every part counted exactly, by rules bills verify)."""
    estimated_input_lower: int | None = None
    estimated_input_upper: int | None = None
    """Bounds of the input estimate (``None`` upper: unbounded, e.g. server-side state)."""
    billed_cache_write_tokens: int | None = None
    billed_cache_write_12h_tokens: int | None = None
    """Part of ``billed_cache_write_tokens`` kept 12 hours (``None`` when not broken down)."""
    service_tier: str | None = None
    """``service_tier`` the response reported; ``cost.tier`` is the price tier it maps to."""
    files: tuple[AuditFile, ...] = ()
    """Each file part: kind, sha256, bytes, pages, estimated text and page tokens (no content,
    no name)."""
    estimated_file_tokens: int | None = None
    billed_file_tokens: int | None = None
    """Billed tokens attributed to the files (see ``VisionReport.billed_file_tokens``)."""
    file_attribution: str = "none"
    """How ``billed_file_tokens`` was found: ``input_tokens.count``, ``estimate`` or ``none``."""
    counted_without_files_tokens: int | None = None
    """``responses.input_tokens.count`` of the request without images and files."""
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def from_report(
        cls,
        report: VisionReport,
        *,
        now: datetime,
        prices: PriceTable | None = None,
        include_text: bool = False,
        text: str | None = None,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> AuditRecord:
        """Build the record for ``report`` at time ``now`` (naive datetimes are taken as UTC).

        ``text`` is kept only when ``include_text`` is true, cut to ``max_text_chars``.

        >>> from openai_vision_ext._report import VisionReport
        >>> r = VisionReport(api="responses", model_requested="gpt-4o-mini",
        ...     model_served="gpt-4o-mini-2024-07-18", request_id="req_1", response_id="resp_1",
        ...     images=(), estimated_image_tokens=0, estimated_text_tokens=9,
        ...     estimated_input_tokens=9, billed_input_tokens=10, billed_cached_tokens=0,
        ...     billed_output_tokens=2, billed_reasoning_tokens=0, billed_image_tokens=1,
        ...     delta_input_tokens=-1, attribution="estimate", stream=False, status="ok")
        >>> rec = AuditRecord.from_report(r, now=datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
        >>> rec.time, rec.cost.model, rec.cost.total_usd
        ('2026-11-24T18:00:00.000Z', 'gpt-4o-mini', 2.7e-06)
        """
        cost = report.cost if prices is None and report.cost is not None else None
        if cost is None:
            cost = _cost(report, prices or DEFAULT_PRICES)
        return cls(
            **RECORD_FIELDS.copy(report),
            time=_iso_utc(now),
            cost=cost,
            price_table_version=(
                cost.price_table_version if cost else (prices or DEFAULT_PRICES).version
            ),
            text=_truncate(text, max_text_chars) if include_text else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON types, ``schema_version`` first; no bytes, no base64.

        >>> import json
        >>> from openai_vision_ext.testing import make_report
        >>> rec = AuditRecord.from_report(make_report(), now=datetime(2026, 1, 1, tzinfo=UTC))
        >>> list(rec.to_dict())[:3], json.loads(json.dumps(rec.to_dict())) == rec.to_dict()
        (['schema_version', 'time', 'api'], True)
        """
        out: dict[str, Any] = {"schema_version": self.schema_version}
        for f in fields(self):
            if f.name != "schema_version":
                out[f.name] = _jsonable(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Rebuild a record from ``to_dict()`` output (e.g. a JSONL line read back).

        Reads every schema version so far: keys a version lacks take their defaults, keys this
        version does not know are ignored, and the record is rebuilt in the current shape
        (``schema_version`` is ``SCHEMA_VERSION``).

        >>> from openai_vision_ext.testing import make_report
        >>> rec = AuditRecord.from_report(make_report(), now=datetime(2026, 1, 1, tzinfo=UTC))
        >>> AuditRecord.from_dict(rec.to_dict()) == rec
        True
        """
        values = _known(cls, data)
        values.pop("schema_version", None)  # rebuilt in the current shape: SCHEMA_VERSION
        return cls(**values)


# -- one field list: which source field fills each record field ---------------------------------


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How a record type is copied from the type it records, by ``dataclasses.fields``.

    Each record field takes the source field of the same name, or the one ``renames`` names;
    ``convert`` turns a value into its record form. ``computed`` record fields are made by the
    builder instead; ``not_copied`` source fields are left out on purpose. ``unhandled()`` lists
    any field in neither place, so a field added to one side alone fails a test.
    """

    source: type
    target: type
    pairs: tuple[tuple[str, str, Callable[[Any], Any] | None], ...]
    """(record field, source field, converter) in the record's field order."""
    computed: frozenset[str]
    not_copied: frozenset[str]

    @classmethod
    def of(
        cls,
        source: type,
        target: type,
        *,
        renames: Mapping[str, str] | None = None,
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
        computed: Iterable[str] = (),
        not_copied: Iterable[str] = (),
    ) -> FieldMap:
        made, renames, convert = frozenset(computed), renames or {}, convert or {}
        pairs = tuple(
            (f.name, renames.get(f.name, f.name), convert.get(f.name))
            for f in fields(target)
            if f.name not in made
        )
        return cls(source, target, pairs, made, frozenset(not_copied))

    def copy(self, obj: object) -> dict[str, Any]:
        """The record fields copied from ``obj`` (converted), as keyword arguments."""
        return {
            name: getattr(obj, src) if convert is None else convert(getattr(obj, src))
            for name, src, convert in self.pairs
        }

    def unhandled(self) -> list[str]:
        """Fields the declaration misses (empty when complete), named ``Type.field``."""
        source = {f.name for f in fields(self.source)}
        read = {src for _, src, _ in self.pairs} | self.not_copied
        return sorted(
            [f"{self.source.__name__}.{name}" for name in source - read]
            + [f"{self.source.__name__}.{name}" for name in read - source]
            + [f"{self.target.__name__}.{name}" for name in self.computed - _names(self.target)]
        )


def _names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


IMAGE_FIELDS: Final = FieldMap.of(
    ImageEstimate,
    AuditImage,
    renames={"estimated_tokens": "tokens"},
    convert={"prepared_actions": tuple},
    # where the image sits in this request, and the detail the rule resolved ``auto`` to:
    # the record identifies the image (sha256, mime, size, dimensions) and the detail as sent
    not_copied=("location", "billed_detail"),
)
FILE_FIELDS: Final = FieldMap.of(
    FileEstimate,
    AuditFile,
    renames={
        "estimated_text_tokens": "text_tokens",
        "estimated_page_tokens": "page_tokens",
        "estimated_tokens": "tokens",
        "estimated_lower": "lower",
        "estimated_upper": "upper",
    },
    not_copied=("location", "notes"),  # the path in this request; the rule row's caveats
)


def _violation_codes(violations: tuple[Violation, ...]) -> tuple[str, ...]:
    return tuple(v.code for v in violations)


RECORD_FIELDS: Final = FieldMap.of(
    VisionReport,
    AuditRecord,
    convert={
        "images": lambda images: tuple(map(AuditImage.from_estimate, images)),
        "files": lambda files: tuple(map(AuditFile.from_estimate, files)),
        "violations": _violation_codes,
        "notes": tuple,
    },
    computed=("time", "cost", "price_table_version", "text", "context", "schema_version"),
    not_copied=("cost",),  # the record's cost is the report's, or repriced with a given table
)

Processor: TypeAlias = Callable[[AuditRecord], "AuditRecord | None"]
"""A pipeline step: return the record (changed or not), or ``None`` to drop it."""


@runtime_checkable
class AuditSink(Protocol):
    """Anything with ``emit(record)``; a plain ``Callable[[AuditRecord], None]`` also works."""

    def emit(self, record: AuditRecord) -> None: ...


def add_context(**fields: Any) -> Processor:
    """A processor that adds fixed JSON-safe fields (service name, environment...) to ``context``.

    Values must be JSON-serialisable (checked here, so a bad value fails at set-up, not on every
    record in a sink).

    >>> from openai_vision_ext.testing import make_record
    >>> add_context(service="billing")(make_record()).context["service"]
    'billing'
    """
    try:
        json.dumps(fields, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuditConfigError(
            f"add_context() values must be JSON-serialisable (str, int, float, bool, None, "
            f"lists and dicts of them): {exc}"
        ) from exc

    def _add_context(record: AuditRecord) -> AuditRecord:
        return replace(record, context=MappingProxyType({**record.context, **fields}))

    return _add_context


def only_status(*statuses: str) -> Processor:
    """A processor that keeps records whose status is one of ``statuses`` and drops the rest.

    >>> from openai_vision_ext.testing import make_record
    >>> only_status("error", "incomplete")(make_record()) is None
    True
    """
    wanted = frozenset(statuses)

    def _only_status(record: AuditRecord) -> AuditRecord | None:
        return record if record.status in wanted else None

    return _only_status


def strip_text(record: AuditRecord) -> AuditRecord:
    """A processor that removes any output text from the record.

    >>> from openai_vision_ext.testing import make_record
    >>> strip_text(make_record(text="hello")).text is None
    True
    """
    return record if record.text is None else replace(record, text=None)


class AuditPipeline:
    """Processors, then sinks. Failures are counted, logged (rate-limited), never raised.

    >>> from openai_vision_ext.testing import make_record
    >>> seen = []
    >>> pipeline = AuditPipeline(processors=[add_context(app="demo")], sinks=[seen.append])
    >>> pipeline.emit(make_record())
    >>> seen[0].context["app"], pipeline.failures
    ('demo', 0)
    """

    __slots__ = (
        "_counts",
        "_emitters",
        "_lock",
        "include_text",
        "max_text_chars",
        "prices",
        "processors",
    )

    def __init__(
        self,
        processors: Iterable[Processor] | Processor = (),
        sinks: Iterable[AuditSink | Callable[[AuditRecord], None]] | AuditSink = (),
        *,
        prices: PriceTable | Mapping[str, Any] | str | os.PathLike[str] | None = None,
        include_text: bool = False,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        if isinstance(max_text_chars, bool) or not isinstance(max_text_chars, int):
            raise AuditConfigError(f"max_text_chars must be an int, got {max_text_chars!r}")
        if max_text_chars < 0:
            raise AuditConfigError(f"max_text_chars must be >= 0, got {max_text_chars}")
        self.processors: tuple[Processor, ...] = _components(processors, "processor")
        self.prices: PriceTable | None = _price_table(prices)
        """Price table for costs; ``None`` = the shipped ``DEFAULT_PRICES``. A dict or a JSON file
        path given here is read with ``load_prices`` (so a bad one raises now, not per record)."""
        self.include_text = include_text
        self.max_text_chars = max_text_chars
        self._emitters = tuple((sink, _emit_fn(sink)) for sink in _components(sinks, "sink"))
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    @property
    def sinks(self) -> tuple[AuditSink | Callable[[AuditRecord], None], ...]:
        """The sinks, in the order they are fed."""
        return tuple(sink for sink, _ in self._emitters)

    @property
    def failures(self) -> int:
        """How many times a processor, a sink or record building failed, in total."""
        with self._lock:
            return sum(self._counts.values())

    @property
    def failure_counts(self) -> dict[str, int]:
        """Failures by component name (e.g. ``{"JsonlSink": 2}``)."""
        with self._lock:
            return dict(self._counts)

    def process(self, record: AuditRecord) -> AuditRecord | None:
        """Run the processors; ``None`` if one dropped the record or failed (fail closed)."""
        for processor in self.processors:
            try:
                result = processor(record)
            except Exception as exc:
                self.record_failure(processor, exc)
                return None
            if result is None:
                return None
            record = result
        return record

    def emit(self, record: AuditRecord) -> None:
        """Process ``record``, then hand the result to every sink and active capture."""
        final = self.process(record)
        if final is None:
            return
        for sink, emit in self._emitters:
            try:
                emit(final)
            except Exception as exc:
                self.record_failure(sink, exc)
        _deliver_to_captures(final)

    def record_failure(self, component: object, exc: BaseException) -> None:
        """Count a failure of ``component`` and log it as one line.

        The 1st, 10th, 100th... failure of a component is a WARNING, the others DEBUG, so a
        sink that fails on every request (disk full) cannot flood the application's logs.
        """
        name = _name(component)
        with self._lock:
            self._counts[name] += 1
            count = self._counts[name]
        level = logging.WARNING if _is_power_of_ten(count) else logging.DEBUG
        logger.log(
            level,
            "audit %s failed (%s: %s), failure #%d; the request is unaffected",
            name,
            type(exc).__name__,
            safe(str(exc)),
            count,
        )

    def close(self) -> None:
        """Close every sink that has a ``close()`` method."""
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as exc:
                    self.record_failure(sink, exc)


def emit_report(
    report: VisionReport,
    pipeline: AuditPipeline | None,
    *,
    request_id: str | None = None,
    prices: PriceTable | None = None,
    text: str | None = None,
) -> None:
    """Audit one finished report (any status). Never raises; cheap when nothing listens.

    ``request_id`` fills in the report's when it has none; ``prices`` overrides the pipeline's;
    ``text`` (the output text) is recorded only if the pipeline has ``include_text=True``.

    >>> from openai_vision_ext.testing import capture_audit, make_report
    >>> with capture_audit() as records:
    ...     emit_report(make_report(request_id=None), None, request_id="req_42")
    >>> records[0].request_id
    'req_42'
    """
    if pipeline is None and not _captures_active():
        return
    try:
        record = AuditRecord.from_report(
            report,
            now=datetime.now(UTC),
            prices=prices or (pipeline.prices if pipeline and report.cost is None else None),
            include_text=bool(pipeline and pipeline.include_text),
            text=text,
            max_text_chars=pipeline.max_text_chars if pipeline else DEFAULT_MAX_TEXT_CHARS,
        )
        if request_id is not None and record.request_id is None:
            record = replace(record, request_id=request_id)
    except Exception as exc:
        _fail(pipeline, "AuditRecord.from_report", exc)
        return
    if pipeline is None:
        _deliver_to_captures(record)
        return
    try:
        pipeline.emit(record)
    except Exception as exc:  # pragma: no cover - emit already guards each step
        _fail(pipeline, "AuditPipeline.emit", exc)


# -- capture_audit() plumbing (the public context manager lives in ``testing``) ---------------

_CONTEXT_CAPTURES: ContextVar[tuple[list[AuditRecord], ...]] = ContextVar(
    "openai_vision_ext_audit_captures", default=()
)
_PROCESS_CAPTURES: list[list[AuditRecord]] = []
_PROCESS_LOCK = threading.Lock()


@contextmanager
def _capture(*, all_threads: bool) -> Iterator[list[AuditRecord]]:
    records: list[AuditRecord] = []
    if all_threads:
        with _PROCESS_LOCK:
            _PROCESS_CAPTURES.append(records)
        try:
            yield records
        finally:
            with _PROCESS_LOCK:
                _PROCESS_CAPTURES.remove(records)
        return
    token = _CONTEXT_CAPTURES.set((*_CONTEXT_CAPTURES.get(), records))
    try:
        yield records
    finally:
        _CONTEXT_CAPTURES.reset(token)


def _captures_active() -> bool:
    return bool(_CONTEXT_CAPTURES.get() or _PROCESS_CAPTURES)


def _deliver_to_captures(record: AuditRecord) -> None:
    targets = list(_CONTEXT_CAPTURES.get())
    if _PROCESS_CAPTURES:
        with _PROCESS_LOCK:
            targets += [t for t in _PROCESS_CAPTURES if all(t is not c for c in targets)]
    for target in targets:
        target.append(record)  # list.append is atomic


# -- helpers ------------------------------------------------------------------------------------


def _cost(report: VisionReport, table: PriceTable) -> Cost | None:
    """Price a report's billed numbers with ``table`` (the report's own ``cost`` used another)."""
    models = (report.model_served, report.model_requested)
    cost, _ = price_usage(billed_usage_of(report), models, table)
    return cost


def _iso_utc(now: datetime) -> str:
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _truncate(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}…[+{len(text) - limit} chars]"


def _jsonable(value: object) -> Any:
    """A record field's value as plain JSON types (dataclass rows by their own field list)."""
    if isinstance(value, Cost):
        return _cost_dict(value)
    if isinstance(value, AuditImage | AuditFile):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


COST_KEYS: Final = MappingProxyType(
    {
        "input": "input_usd",
        "cached_input": "cached_input_usd",
        "cache_write": "cache_write_usd",
        "output": "output_usd",
        "total": "total_usd",
        "price_model": "model",
        "tier": "tier",
        "long_context": "long_context",
        "price_as_of": "price_as_of",
        "price_table_version": "price_table_version",
    }
)
"""A record's ``cost`` keys (JSON order, after ``currency``) and the ``Cost`` field each holds."""


def _cost_dict(cost: Cost) -> dict[str, Any]:
    return {"currency": "USD"} | {key: getattr(cost, name) for key, name in COST_KEYS.items()}


def _cost_from_dict(data: Mapping[str, Any] | None) -> Cost | None:
    """Keys a version lacks (``cache_write``, ``long_context`` before 3) take their defaults."""
    if data is None:
        return None
    return Cost(**{name: data[key] for key, name in COST_KEYS.items() if key in data})


def _tuple(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(value or ())


FROM_JSON: Final[Mapping[str, Callable[[Any], Any]]] = MappingProxyType(
    {
        "tuple[str, ...]": _tuple,
        "tuple[AuditImage, ...]": lambda images: tuple(map(AuditImage.from_dict, images or ())),
        "tuple[AuditFile, ...]": lambda files: tuple(
            AuditFile(**_known(AuditFile, f)) for f in files or ()
        ),
        "Cost | None": _cost_from_dict,
        "Mapping[str, Any]": lambda context: MappingProxyType(dict(context or {})),
    }
)
"""How ``from_dict`` turns a JSON value back into a record field, by the field's declared type;
fields of other types (``int | None``, ``str``, ``bool``...) are JSON values already."""


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """``cls``'s fields found in ``data``, converted back from JSON; unknown keys are ignored."""
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            convert = FROM_JSON.get(str(f.type))
            out[f.name] = data[f.name] if convert is None else convert(data[f.name])
    return out


def _components(value: object, kind: str) -> tuple[Any, ...]:
    """Sinks or processors as a tuple: one given alone is wrapped; a string, a path or anything
    not callable raises ``AuditConfigError`` now (a string would otherwise be read as one sink
    per character)."""
    if isinstance(value, str | bytes | os.PathLike):
        hint = ' (for a file: sinks=[JsonlSink("audit.jsonl")])' if kind == "sink" else ""
        raise AuditConfigError(f"a {kind} must be an object, not the path {value!r}{hint}")
    if isinstance(value, AuditSink) or callable(value):
        return (value,)
    if not isinstance(value, Iterable):
        raise AuditConfigError(
            f"{kind}s must be a {kind} or a list of them, not {type(value).__name__}"
        )
    items = tuple(value)
    for item in items:
        if isinstance(item, str | bytes | os.PathLike) or not (
            isinstance(item, AuditSink) or callable(item)
        ):
            what = "an object with emit(record) or a callable" if kind == "sink" else "a callable"
            raise AuditConfigError(f"each {kind} must be {what}, not {item!r}"[:200])
    return items


def _price_table(prices: object) -> PriceTable | None:
    if prices is None or isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, Mapping | str | os.PathLike):
        return load_prices(prices)
    raise AuditConfigError(
        f"prices must be a PriceTable, a dict or a JSON file path, not {type(prices).__name__}"
    )


def _emit_fn(sink: AuditSink | Callable[[AuditRecord], None]) -> Callable[[AuditRecord], None]:
    return sink.emit if isinstance(sink, AuditSink) else sink


def _name(component: object) -> str:
    if isinstance(component, str):
        return component
    explicit = getattr(component, "name", None)
    if isinstance(explicit, str):
        return explicit
    qualname = getattr(component, "__qualname__", None)
    return qualname if isinstance(qualname, str) else type(component).__name__


def _is_power_of_ten(n: int) -> bool:
    while n % 10 == 0:
        n //= 10
    return n == 1


def _fail(pipeline: AuditPipeline | None, what: str, exc: BaseException) -> None:
    if pipeline is not None:
        pipeline.record_failure(what, exc)
    else:
        logger.warning("audit %s failed (%s: %s)", what, type(exc).__name__, safe(str(exc)))
