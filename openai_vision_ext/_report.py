"""The estimated-vs-billed report, and where it is kept beside each response.

CONTRACT (owner: clients helper). Fields are relied on by the audit module; extend, don't rename.

Reports never live on the SDK's objects (``model_dump()``, ``copy`` and pickle stay exactly the
SDK's): a module-level store maps each response, stream or raw response to its report through a
weak reference, so a report disappears with its response. Objects the SDK rebuilds from a stream
(``ResponseStream.get_final_response()``) are found again by their response id.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final, Literal, TypeAlias

from ._estimate import ImageEstimate
from ._exceptions import Violation
from ._file_rules import FileEstimate
from ._prices import Cost
from ._types import Api
from ._usage import COUNTS, BilledUsage

__all__ = ["Attribution", "ReportStatus", "VisionReport", "vision_report"]

Attribution = Literal["estimate", "input_tokens.count", "none"]
ReportStatus = Literal["ok", "incomplete", "error"]


@dataclass(frozen=True, slots=True)
class VisionReport:
    """Estimated vs billed tokens for one response."""

    api: Api
    model_requested: str
    model_served: str | None
    request_id: str | None
    response_id: str | None
    images: tuple[ImageEstimate, ...]
    """One estimate per image, as sent (``width``, ``n_bytes``, ``sha256``...); an image that
    ``image_part(..., optimize=True)`` changed also shows its ``original_width``,
    ``original_height``, ``original_n_bytes``, ``original_mime`` and ``prepared_actions``."""
    estimated_image_tokens: int | None
    estimated_text_tokens: int | None
    estimated_input_tokens: int | None
    billed_input_tokens: int | None
    billed_cached_tokens: int | None
    billed_output_tokens: int | None
    billed_reasoning_tokens: int | None
    billed_image_tokens: int | None
    """Billed image tokens attributed: billed input minus the text estimate (or exact count)."""
    delta_input_tokens: int | None
    """estimated_input_tokens - billed_input_tokens."""
    attribution: Attribution
    stream: bool
    status: ReportStatus
    notes: tuple[str, ...] = ()
    rule: str | None = None
    """Name of the image rule row the estimate used (e.g. ``gpt-4o``), ``None`` if unknown."""
    counted_text_tokens: int | None = None
    """``responses.input_tokens.count`` of the request without its images (``exact_count=True``)."""
    violations: tuple[Violation, ...] = ()
    """Preflight problems found in the request (sent anyway with ``preflight="warn"``)."""
    estimate_exact: bool | None = None
    """Whether ``estimated_input_tokens`` is exact (every part known, no approximated framing);
    ``None`` without an estimate. Drift is only judged on exact estimates."""
    estimated_input_lower: int | None = None
    """Least the input can be billed, by the estimate (``estimated_input_tokens`` when exact)."""
    estimated_input_upper: int | None = None
    """Most the input can be billed, by the estimate; ``None`` when unbounded (e.g. a stored
    prompt or ``previous_response_id`` whose server-side text is not known)."""
    billed_cache_write_tokens: int | None = None
    """Part of the billed input written to the prompt cache."""
    billed_cache_write_12h_tokens: int | None = None
    """Part of ``billed_cache_write_tokens`` kept 12 hours (priced at its own rate where one is
    published); ``None`` when the response does not break writes down."""
    service_tier: str | None = None
    """``service_tier`` the response says it was served at (``default``, ``flex``...)."""
    cost: Cost | None = None
    """USD cost of the billed tokens at the tier the response reports (cache reads/writes and
    long-context rates included); ``None`` without usage, a published price, or with odd usage
    (a note says which)."""
    files: tuple[FileEstimate, ...] = ()
    """One estimate per file part (``input_file``/``file``): kind, sha256, bytes, pages, detail,
    text-layer and page tokens, bounds; never the file's content or name."""
    estimated_file_tokens: int | None = None
    """Sum of the files' central estimates (part of ``estimated_input_tokens``)."""
    billed_file_tokens: int | None = None
    """Billed tokens attributed to the files. With ``exact_count=True`` on Responses: the count
    of the request without images (which holds the files) minus the count without images and
    files (``file_attribution="input_tokens.count"``, exact); if only the first count answered,
    it minus the text estimate; otherwise the billed input minus the estimated images and text
    (``file_attribution="estimate"``). ``None`` without files or usage."""
    file_attribution: Attribution = "none"
    """How ``billed_file_tokens`` was found: ``input_tokens.count`` (two counts), ``estimate``
    or ``none``."""
    counted_without_files_tokens: int | None = None
    """``responses.input_tokens.count`` of the request without its images and file parts
    (``exact_count=True``, requests with files)."""


_BILLED: Final = tuple((f"billed_{name}", name) for name in COUNTS)
"""(report field, ``BilledUsage`` field): the report names each billed count ``billed_<count>``."""
_BILLED_FIELDS: Final = (*(field for field, _ in _BILLED), "service_tier")
_read_billed: Final = attrgetter(*(name for _, name in _BILLED), "service_tier")
"""The report fields ``billed_fields`` fills, and the ``BilledUsage`` values for them (one C
call per report)."""


def billed_fields(usage: BilledUsage) -> dict[str, Any]:
    """The report fields that hold the billed usage: every ``billed_<count>`` and
    ``service_tier``, so a count added to ``BilledUsage`` reaches the report (or fails loudly)."""
    return dict(zip(_BILLED_FIELDS, _read_billed(usage), strict=True))


def billed_usage_of(report: VisionReport) -> BilledUsage:
    """The billed usage a report holds (``billed_fields`` read back), e.g. to price it again."""
    counts = {name: getattr(report, field) for field, name in _BILLED}
    return BilledUsage(**counts, service_tier=report.service_tier)


ReportSource: TypeAlias = "VisionReport | Callable[[], VisionReport | None]"
"""What the store keeps: a finished report, or a callable that builds the current one (streams)."""

_MAX_BY_RESPONSE_ID = 4096


class _ReportStore:
    """Thread-safe map from SDK objects (by identity, weakly) and response ids to reports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_object: dict[int, tuple[weakref.ref[object], ReportSource]] = {}
        self._by_response_id: OrderedDict[str, VisionReport] = OrderedDict()

    def put(self, obj: object, source: ReportSource) -> None:
        key = id(obj)

        def forget(_: weakref.ref[object], key: int = key) -> None:
            with self._lock:
                entry = self._by_object.get(key)
                if entry is not None and entry[0]() is None:
                    del self._by_object[key]

        with self._lock:
            self._by_object[key] = (weakref.ref(obj, forget), source)

    def put_response_id(self, response_id: str, report: VisionReport) -> None:
        with self._lock:
            self._by_response_id[response_id] = report
            self._by_response_id.move_to_end(response_id)
            while len(self._by_response_id) > _MAX_BY_RESPONSE_ID:
                self._by_response_id.popitem(last=False)

    def get(self, obj: object) -> ReportSource | None:
        with self._lock:
            entry = self._by_object.get(id(obj))
            if entry is not None and entry[0]() is obj:
                return entry[1]
            response_id = getattr(obj, "id", None)
            if isinstance(response_id, str) and _looks_like_response(obj):
                return self._by_response_id.get(response_id)
        return None


def _looks_like_response(obj: object) -> bool:
    return getattr(obj, "object", None) in {"response", "chat.completion"}


_STORE = _ReportStore()


def remember(obj: object, source: ReportSource, *, by_response_id: bool = False) -> None:
    """Keep ``source`` beside ``obj``; with ``by_response_id``, also under the report's response
    id, for the objects the SDK rebuilds from a stream (``get_final_response()``)."""
    _STORE.put(obj, source)
    if by_response_id and isinstance(source, VisionReport) and source.response_id is not None:
        _STORE.put_response_id(source.response_id, source)


def vision_report(response: object) -> VisionReport | None:
    """Return the estimated-vs-billed report of a response made by a ``Vision*`` client.

    ``response`` may be a ``Response``, a ``ParsedResponse``, a ``ChatCompletion``, the final
    response of a stream, the ``Stream`` itself, a raw response from ``with_raw_response``, or
    one from ``with_streaming_response`` once its body was parsed (``raw.parse()``; before that
    the report is incomplete, and the body is never read for you).
    Returns ``None`` for objects our clients did not make, or when bookkeeping failed (a warning
    was logged then). A stream that has not finished yet reports ``status="incomplete"``.

    >>> vision_report(object()) is None
    True
    """
    source = _STORE.get(response)
    if source is None or isinstance(source, VisionReport):
        return source
    try:
        return source()
    except Exception:  # a report builder never breaks the caller; builders log their own errors
        return None
