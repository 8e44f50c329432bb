"""PURE: check a request's images against OpenAI's input limits before anything is sent.

:func:`check_request` walks every image part (messages, content lists, tool outputs, nested
items) and returns a :class:`PreflightOutcome`: every :class:`Violation` found, and each image
with its :class:`ImageInfo` (``None`` when unknown). :func:`preflight` raises one
:class:`PreflightError` listing them all. The request is never modified.

What is checked, per image: the format (PNG, JPEG, WEBP, non-animated GIF), that ``data:`` URLs
decode and declare the MIME type their bytes have, the per-image byte limit, a valid ``detail``,
and that the part names an image at all (``image_url``/``file_id`` set, and strings). Per
request: the number of images and their total bytes.

File parts (``input_file`` / ``file``) are checked by ``_file_preflight`` in the same pass; their
violations carry ``file_index`` and follow the images' (see ``FileLimits``).

Images given as ``http(s)`` URLs or file ids are not fetched: they count towards the number of
images, but their bytes are unknown and not in the total (the outcome's ``notes`` say so).

Units: limits are in **decoded image bytes** (what the file weighs), not data-URL characters
(base64 is 4/3 larger; messages report both), and **MB means 10^6 bytes**. The guide does not
say which megabyte it means; the decimal one is the smaller, so a request that passes here is
within the limit under either reading.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._exceptions import (
    AnimatedImageError,
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    ImageError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    InvalidRequestError,
    MimeMismatchError,
    PreflightError,
    UnknownModelError,
    UnsupportedImageFormatError,
    Violation,
)
from ._file_preflight import FileCheck, check_files
from ._files import DEFAULT_FILE_LIMITS, FileLimits
from ._image.images import data_url_has_gps, is_data_url
from ._records import maker
from ._rules import get_model_rule, sizing_for_rule
from ._types import MB, Api, ImageInfo, describe_bytes, detail_problem
from ._walk import ImageRef, Part, RequestParts, walk_request

__all__ = [
    "DEFAULT_LIMITS",
    "LIMIT_PROFILES",
    "MB",
    "ImageLimits",
    "PreflightOutcome",
    "api_keywords",
    "check_request",
    "preflight",
    "resolve_api",
]

"""One megabyte as the limits use it (decimal; see the module docstring)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageLimits:
    """OpenAI's image input limits as of a date. Construct your own to be stricter.

    >>> from openai_vision_ext import ImageLimits
    >>> ImageLimits(max_images=10, max_total_bytes=5_000_000, max_image_bytes=1_000_000).max_images
    10
    """

    max_images: int
    """Most images in one request."""
    max_total_bytes: int
    """Most image bytes (decoded, all images together) in one request."""
    max_image_bytes: int
    """Most bytes (decoded) of one image."""
    name: str = "custom"
    """Profile name, e.g. ``"2026-04"``."""
    source: str = ""
    """Where the numbers come from, and when."""


LIMIT_PROFILES: Final[Mapping[str, ImageLimits]] = {
    "2025": ImageLimits(
        name="2025",
        max_images=500,
        max_total_bytes=50 * MB,
        max_image_bytes=20 * MB,
        source="OpenAI 'Images and vision' guide, image input requirements, 2025 to March 2026",
    ),
    "2026-04": ImageLimits(
        name="2026-04",
        max_images=1500,
        max_total_bytes=512 * MB,
        max_image_bytes=20 * MB,
        source="OpenAI 'Images and vision' guide, image input requirements, from April 2026",
    ),
}
"""Dated limit profiles; the newest is the default."""

DEFAULT_LIMITS: Final = LIMIT_PROFILES["2026-04"]

_CODES: Final[tuple[tuple[type[ImageError], str], ...]] = (
    (EmptyImageError, "empty_image"),
    (UnsupportedImageFormatError, "unsupported_format"),
    (CorruptImageError, "corrupt_image"),
    (AnimatedImageError, "animated_image"),
    (ImageTooLargeError, "image_too_large"),
    (DecompressionBombError, "decompression_bomb"),
    (InvalidDataURLError, "invalid_data_url"),
    (MimeMismatchError, "mime_mismatch"),
    (ImageSourceError, "unreadable_image"),
)
"""Error class -> stable violation code (first match wins)."""


_Add = Callable[[str, str], None]
"""Records one violation (code, message) for the image being checked."""


@dataclass(frozen=True, slots=True)
class PreflightOutcome:
    """What preflight found: every violation, and each image with what is known about it."""

    violations: tuple[Violation, ...]
    """Every problem, images in request order, then request-level problems."""
    images: tuple[tuple[ImageRef, ImageInfo | None], ...]
    """Each image part and its info (``None`` for URLs, file ids and unreadable images)."""
    notes: tuple[str, ...] = ()
    """Caveats that are not violations, e.g. images whose bytes are unknown."""
    warnings: tuple[str, ...] = ()
    """Worth a warning but never a failure: an image carrying GPS coordinates in its EXIF."""
    files: tuple[FileCheck, ...] = ()
    """Each file part (``input_file``/``file``) and its info (``None`` when unknown)."""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.violations

    def raise_for_violations(self) -> None:
        """Raise one PreflightError listing every violation, if there is any."""
        if self.violations:
            raise PreflightError(self.violations)


_new_outcome = maker(PreflightOutcome)
"""Per-request constructor of ``PreflightOutcome`` (see ``_records``)."""
_NO_PARTS: Final = PreflightOutcome(violations=(), images=())
"""The outcome of a request without image or file parts (immutable: shared)."""


def check_request(
    api: Api,
    model: str,
    request: Mapping[str, Any],
    *,
    limits: ImageLimits = DEFAULT_LIMITS,
    file_limits: FileLimits = DEFAULT_FILE_LIMITS,
    parts: RequestParts | None = None,
) -> PreflightOutcome:
    """Check every image of ``request`` (a ``create(...)`` keyword dict) against ``limits``.

    ``model`` selects the model's sizing rule: an image it would reject (over 30,000 patches
    after sizing, or a detail the model does not support) is a violation too.

    >>> request = {"input": [{"role": "user", "content": [
    ...     {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "hi"}]}]}
    >>> outcome = check_request("responses", "gpt-4o", request)
    >>> [(v.code, v.image_index, v.location) for v in outcome.violations]
    [('invalid_detail', 0, 'input[0].content[0]')]
    """
    if parts is None:  # callers that also estimate walk once and pass the parts
        parts = walk_request(api, request)
    if not parts.images and not parts.files:  # no part to check, and totals over none are 0
        return _NO_PARTS
    files, file_violations, file_notes = check_files(
        api, request, limits=file_limits, refs=parts.files
    )
    if not parts.images:  # no image machinery; the request totals still apply (to nothing)
        return _new_outcome(
            violations=(*_request_violations([], limits), *file_violations),
            images=(),
            notes=tuple(file_notes),
            files=files,
        )
    images = tuple((part.ref, *_check_image(part, limits)) for part in parts.images)
    violations = [v for _, _, found in images for v in found]
    violations += _model_violations(model, images)
    infos = [info for _, info, _ in images]
    violations += _request_violations(infos, limits)
    return _new_outcome(
        violations=(*violations, *file_violations),
        images=tuple((ref, info) for ref, info, _ in images),
        notes=(*_notes(images), *file_notes),
        warnings=tuple(_gps_warning(ref) for ref, info, _ in images if _carries_gps(ref, info)),
        files=files,
    )


_TRANSPORT_KEYWORDS: Final = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
"""The SDK's own per-call transport options: accepted by every ``create()``, never sent as
request fields."""

_MORE_KEYWORDS: Final[Mapping[Api, frozenset[str]]] = {
    "responses": frozenset({"stream", "text_format"}),
    "chat.completions": frozenset({"stream"}),
}
"""Keywords of ``create(stream=...)`` and ``parse(text_format=...)`` beyond the request body."""

_API_NAMES: Final[Mapping[Api, str]] = {
    "responses": "the Responses API",
    "chat.completions": "Chat Completions",
}


@functools.cache
def api_keywords(api: Api) -> frozenset[str]:
    """Every keyword ``create()``/``parse()`` of ``api`` takes, read from the SDK's own request
    TypedDicts (loaded on first use), plus the SDK's transport options.

    >>> {"input", "timeout"} <= api_keywords("responses"), "inputs" in api_keywords("responses")
    (True, False)
    """
    if api == "responses":
        from openai.types.responses.response_create_params import ResponseCreateParamsBase

        names = (
            ResponseCreateParamsBase.__required_keys__ | ResponseCreateParamsBase.__optional_keys__
        )
    else:
        from openai.types.chat.completion_create_params import CompletionCreateParamsBase

        names = (
            CompletionCreateParamsBase.__required_keys__
            | CompletionCreateParamsBase.__optional_keys__
        )
    return frozenset(names) | _TRANSPORT_KEYWORDS | _MORE_KEYWORDS[api]


def resolve_api(api: object, request: Mapping[str, Any]) -> Api:
    """The API a request given as keywords is for: ``api`` when given, else inferred from the
    keywords (``messages`` -> Chat Completions, anything else -> Responses). A keyword neither
    API takes raises ``InvalidRequestError`` naming it (and the nearest real one).

    >>> resolve_api(None, {"model": "gpt-4o", "messages": []})
    'chat.completions'
    >>> resolve_api(None, {"model": "gpt-4o", "inputs": "Hi"})
    Traceback (most recent call last):
    ...
    openai_vision_ext.InvalidRequestError: unknown keyword 'inputs' for the \
Responses API (did you mean 'input'?): nothing was checked
    """
    if api is None:
        if "messages" in request and "input" in request:
            raise InvalidRequestError(
                "the request has both 'messages' (Chat Completions) and 'input' (Responses): "
                "pass api='chat.completions' or api='responses'"
            )
        api = "chat.completions" if "messages" in request else "responses"
    if api not in _API_NAMES:
        raise InvalidRequestError(
            f"api must be 'responses' or 'chat.completions', not {str(api)[:40]!r}"
        )
    resolved: Api = "chat.completions" if api == "chat.completions" else "responses"
    known = api_keywords(resolved)
    unknown = sorted(str(k) for k in request if k not in known)
    if unknown:
        raise InvalidRequestError(_unknown_message(resolved, unknown))
    return resolved


def _unknown_message(api: Api, unknown: list[str]) -> str:
    other: Api = "responses" if api == "chat.completions" else "chat.completions"
    hints = []
    for name in unknown[:5]:
        if name in api_keywords(other):
            hints.append(f"{name!r} is a {_API_NAMES[other]} keyword: pass api={other!r}")
        elif close := difflib.get_close_matches(name, api_keywords(api), n=1):
            hints.append(f"did you mean {close[0]!r}?")
    words = ", ".join(repr(n[:40]) for n in unknown[:5])
    plural = "s" if len(unknown) > 1 else ""
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"unknown keyword{plural} {words} for {_API_NAMES[api]}{hint}: nothing was checked"


def preflight(
    *,
    api: Api | None = None,
    model: str,
    limits: ImageLimits = DEFAULT_LIMITS,
    file_limits: FileLimits = DEFAULT_FILE_LIMITS,
    **request: Any,
) -> PreflightOutcome:
    """Check a request given as ``create(...)`` keywords; raise one PreflightError for all.

    ``api`` is inferred when left out (``messages`` -> Chat Completions, else Responses); a
    keyword neither API takes raises ``InvalidRequestError``.

    >>> preflight(model="gpt-4o", input=[{"type": "input_image", "detail": "auto"}])
    Traceback (most recent call last):
    ...
    openai_vision_ext.PreflightError: request failed preflight with 1 problem; \
nothing was sent:
      - image 0 at input[0]: the image part has neither image_url nor file_id; set one of them
    """
    body = {"model": model, **request}
    outcome = check_request(
        resolve_api(api, body), model, body, limits=limits, file_limits=file_limits
    )
    outcome.raise_for_violations()
    return outcome


def _check_image(part: Part, limits: ImageLimits) -> tuple[ImageInfo | None, tuple[Violation, ...]]:
    """This image's info (if its bytes are in the request) and its violations."""
    ref = part.ref
    found: list[Violation] = []

    def add(code: str, message: str) -> None:
        found.append(Violation(code, message, image_index=ref.index, location=ref.location))

    problem = detail_problem(ref.detail) if ref.detail is not None else None
    if problem is not None:
        add("invalid_detail", problem)
    info = None
    if ref.url is None and ref.file_id is None:
        _missing_image(ref, add)
    elif part.source == "data_url":
        assert ref.url is not None
        info = part.info
        if part.error is not None:
            add(next(code for cls, code in _CODES if isinstance(part.error, cls)), str(part.error))
        if info is not None:
            _check_info(info, len(ref.url), limits, add)
    elif ref.url is not None and not ref.url[:8].lower().startswith(("http://", "https://")):
        add(
            "invalid_image_url",
            "image_url must be an http(s) URL or a data: URL; for a local file use "
            "image_part(path), which builds the data URL",
        )
    return info, tuple(found)


def _missing_image(ref: ImageRef, add: _Add) -> None:
    """No usable image_url/file_id: say which field has the wrong type, if one is set."""
    url = ref.part.get("image_url")
    if isinstance(url, Mapping):  # Chat Completions: {"url": ..., "detail": ...}
        url = url.get("url")
    for field, value in (("image_url", url), ("file_id", ref.part.get("file_id"))):
        if value is not None:
            add(
                "invalid_image_url" if field == "image_url" else "invalid_file_id",
                f"{field} must be a string, not {type(value).__name__}; pass an http(s) or "
                "data: URL, or an uploaded file's id (image_part() builds either)",
            )
            return
    add("missing_image", "the image part has neither image_url nor file_id; set one of them")


def _check_info(info: ImageInfo, url_chars: int, limits: ImageLimits, add: _Add) -> None:
    if info.animated:
        add(
            "animated_image",
            f"the image is an animated {info.format.upper()} ({info.frames} frames); OpenAI "
            "accepts only still images: send one frame as PNG or JPEG",
        )
    if info.n_bytes > limits.max_image_bytes:
        add(
            "image_too_large",
            f"the image is {info.n_bytes:,} bytes decoded ({url_chars:,} data-URL characters), "
            f"over the per-image limit of {describe_bytes(limits.max_image_bytes)}; shrink it "
            "(image_part(..., optimize=True, model=...) does this for you)",
        )


def _model_violations(
    model: str, images: tuple[tuple[ImageRef, ImageInfo | None, object], ...]
) -> list[Violation]:
    """Images the model's sizing rule says the API rejects (a model with no rule: none)."""
    if not images:
        return []
    try:
        rule = get_model_rule(model)
    except UnknownModelError:
        return []
    found = []
    for ref, info, _ in images:
        if info is None or (ref.detail is not None and detail_problem(ref.detail) is not None):
            continue
        rejected = sizing_for_rule(rule, info.width, info.height, ref.detail).rejected
        if rejected is not None:
            found.append(
                Violation("image_rejected", rejected, image_index=ref.index, location=ref.location)
            )
    return found


def _request_violations(infos: list[ImageInfo | None], limits: ImageLimits) -> list[Violation]:
    found = []
    if len(infos) > limits.max_images:
        found.append(
            Violation(
                "too_many_images",
                f"the request has {len(infos):,} images, over the limit of "
                f"{limits.max_images:,} per request ({limits.name} limits); split it",
            )
        )
    total = sum(info.n_bytes for info in infos if info is not None)
    if total > limits.max_total_bytes:
        found.append(
            Violation(
                "request_too_large",
                f"the request's images total {total:,} bytes decoded, over the limit of "
                f"{describe_bytes(limits.max_total_bytes)} per request ({limits.name} limits); "
                "shrink the images (optimize=True) or split the request",
            )
        )
    return found


def _notes(images: tuple[tuple[ImageRef, ImageInfo | None, object], ...]) -> tuple[str, ...]:
    remote = sum(1 for ref, _, _ in images if not _in_request(ref))
    if not remote:
        return ()
    return (
        f"{remote} image{'s are' if remote != 1 else ' is'} given by URL or file id and not "
        "fetched: counted, but not checked and not in the byte total",
    )


def _carries_gps(ref: ImageRef, info: ImageInfo | None) -> bool:
    """Whether a data-URL image (already inspected) has a GPS block in its EXIF: from memory
    for a part this package built, else from the few bytes the walk reads."""
    if info is None or ref.url is None or info.format not in ("jpeg", "png", "webp"):
        return False
    return data_url_has_gps(ref.url)


def _gps_warning(ref: ImageRef) -> str:
    return (
        f"image {ref.index} at {ref.location} carries GPS coordinates in its EXIF and is sent "
        "as is; strip them with image_part(..., optimize=True)"
    )


def _in_request(ref: ImageRef) -> bool:
    """Whether the image's bytes are in the request (a data URL), or it is only referenced."""
    return is_data_url(ref.url)
