"""Shared type aliases and small value types. No logic beyond trivial properties."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import IO, TYPE_CHECKING, Final, Literal, TypeAlias, get_args

if TYPE_CHECKING:  # pragma: no cover
    from openai.types.responses.image_detail import ImageDetail
    from PIL.Image import Image as PILImage

__all__ = [
    "DETAILS",
    "MB",
    "Api",
    "check_detail",
    "describe_bytes",
    "detail_problem",
    "Detail",
    "ImageFormat",
    "ImageInfo",
    "ImageSource",
]

MB: Final = 1_000_000
"""OpenAI states its size limits in MB, read as 10^6 bytes (the stricter reading)."""


def describe_bytes(n: int) -> str:
    """A byte count as OpenAI's limits state it, with the exact count.

    >>> describe_bytes(20 * MB)
    '20 MB (20,000,000 bytes)'
    """
    return f"{n / MB:g} MB ({n:,} bytes)"


if TYPE_CHECKING:
    Detail: TypeAlias = ImageDetail
else:  # the same Literal, without importing the SDK (a test checks they stay equal)
    Detail: TypeAlias = Literal["low", "high", "auto", "original"]
"""The SDK's own ``ImageDetail``: ``Literal["low", "high", "auto", "original"]``."""

DETAILS: tuple[str, ...] = get_args(Detail)

_ALLOWED_DETAILS = ", ".join(repr(d) for d in DETAILS)


def detail_problem(detail: object) -> str | None:
    """Why ``detail`` is not one the API accepts, or ``None`` (the one ``detail`` check:
    parts, preflight, preparation and token rules all ask it).

    >>> detail_problem("low") is None, detail_problem("medium")
    (True, "detail must be one of 'low', 'high', 'auto', 'original', not 'medium'")
    """
    if isinstance(detail, str) and detail in DETAILS:
        return None
    return f"detail must be one of {_ALLOWED_DETAILS}, not {detail!r}"


def check_detail(detail: object) -> Detail:
    """Return ``detail`` if it is one the API accepts, else raise InvalidDetailError.

    >>> check_detail("low")
    'low'
    >>> check_detail("medium")
    Traceback (most recent call last):
    ...
    openai_vision_ext.InvalidDetailError: detail must be one of 'low', 'high', \
'auto', 'original', not 'medium'
    """
    problem = detail_problem(detail)
    if problem is not None:
        from ._exceptions import InvalidDetailError

        raise InvalidDetailError(problem)
    return detail  # type: ignore[return-value]  # one of DETAILS, checked above


Api: TypeAlias = Literal["responses", "chat.completions"]

ImageFormat: TypeAlias = Literal["png", "jpeg", "webp", "gif"]

ImageSource: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | PILImage"
)
"""What ``inspect_image`` and ``image_part`` take: path, bytes, binary file, PIL image, data URL."""


class ImageInfo:
    """What an image is, read from its bytes (never from its file name).

    Immutable, hashable and compared by value. ``sha256`` may be computed lazily: inspecting a
    file reads only its header, and the digest is read and cached on first access, so
    inspection costs the same for a 1 MB and a 20 MB file. Pass ``sha256`` as a hex string, or
    as a zero-argument callable that returns one (called at most once).

    >>> info = ImageInfo("png", "image/png", 640, 480, 1, False, 1234, "ab" * 32)
    >>> (info.width, info.height, info.base64_chars)
    (640, 480, 1648)
    """

    __slots__ = (
        "_digest",
        "_sha256",
        "animated",
        "format",
        "frames",
        "height",
        "mime",
        "n_bytes",
        "width",
    )
    __match_args__ = ("format", "mime", "width", "height", "frames", "animated", "n_bytes")

    format: ImageFormat
    """``png``, ``jpeg``, ``webp`` or ``gif`` (MPO phone JPEGs report ``jpeg``)."""
    mime: str
    """``image/png``, ``image/jpeg``, ``image/webp`` or ``image/gif``."""
    width: int
    """Width in pixels as stored (before any EXIF rotation)."""
    height: int
    """Height in pixels as stored."""
    frames: int
    """Number of frames (1 for still images; for JPEG/MPO the primary image counts as 1)."""
    animated: bool
    """True for animated GIF, WEBP or APNG (more than one frame)."""
    n_bytes: int
    """Size of the encoded image in bytes (decoded bytes, not base64 characters)."""
    _sha256: str | None
    _digest: Callable[[], str] | None

    def __init__(
        self,
        format: ImageFormat,
        mime: str,
        width: int,
        height: int,
        frames: int,
        animated: bool,
        n_bytes: int,
        sha256: str | Callable[[], str],
    ) -> None:
        # Frozen: fields are written through their slot descriptors, which bypass our own
        # __setattr__ (and cost half of object.__setattr__: one is built per inspection).
        _set_format(self, format)
        _set_mime(self, mime)
        _set_width(self, width)
        _set_height(self, height)
        _set_frames(self, frames)
        _set_animated(self, animated)
        _set_n_bytes(self, n_bytes)
        if isinstance(sha256, str):
            _set_sha256(self, sha256)
            _set_digest(self, None)
        else:
            _set_sha256(self, None)
            _set_digest(self, sha256)

    @property
    def sha256(self) -> str:
        """Hex sha256 of the encoded bytes: how audit records identify an image."""
        if self._sha256 is None:
            assert self._digest is not None
            _set_sha256(self, self._digest())
            _set_digest(self, None)
        assert self._sha256 is not None
        return self._sha256

    @property
    def known_sha256(self) -> str | None:
        """The sha256 if it is already known, else ``None`` (nothing is read or hashed).

        >>> ImageInfo("png", "image/png", 1, 1, 1, False, 9, lambda: "ab").known_sha256 is None
        True
        """
        return self._sha256

    @property
    def base64_chars(self) -> int:
        """Length of the base64 payload this image becomes in a data URL."""
        return 4 * ((self.n_bytes + 2) // 3)

    def _key(self) -> tuple[object, ...]:
        return (*self._head(), self.sha256)

    def _head(self) -> tuple[object, ...]:
        return (
            self.format,
            self.mime,
            self.width,
            self.height,
            self.frames,
            self.animated,
            self.n_bytes,
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImageInfo):
            return NotImplemented
        return self._head() == other._head() and self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        digest = self._sha256 if self._sha256 is not None else "<lazy>"
        return (
            f"ImageInfo(format={self.format!r}, mime={self.mime!r}, width={self.width}, "
            f"height={self.height}, frames={self.frames}, animated={self.animated}, "
            f"n_bytes={self.n_bytes}, sha256={digest!r})"
        )

    def __reduce__(self) -> tuple[type[ImageInfo], tuple[object, ...]]:
        return (ImageInfo, self._key())

    def __replace__(self, **changes: object) -> ImageInfo:
        """Support ``copy.replace(info, width=...)`` (Python 3.13+)."""
        fields = dict(zip(self.__match_args__, self._head(), strict=True))
        fields["sha256"] = self._sha256 if self._sha256 is not None else self._digest
        fields.update(changes)
        return ImageInfo(**fields)  # type: ignore[arg-type]


_set_format = ImageInfo.__dict__["format"].__set__
_set_mime = ImageInfo.__dict__["mime"].__set__
_set_width = ImageInfo.__dict__["width"].__set__
_set_height = ImageInfo.__dict__["height"].__set__
_set_frames = ImageInfo.__dict__["frames"].__set__
_set_animated = ImageInfo.__dict__["animated"].__set__
_set_n_bytes = ImageInfo.__dict__["n_bytes"].__set__
_set_sha256 = ImageInfo.__dict__["_sha256"].__set__
_set_digest = ImageInfo.__dict__["_digest"].__set__
