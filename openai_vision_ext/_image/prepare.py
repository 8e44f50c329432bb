"""Image preparation: send the fewest bytes that buy the same tokens, in a format OpenAI accepts.

``prepare_image`` turns any image source into the bytes to send:

- **Shrink** (``optimize=True`` with a ``model``): when the model's rule would resize the image
  server-side anyway, resize client-side to that same size (``_estimate.target_size``), nudged by
  a pixel if rounding would change the estimate, so ``estimate_image_tokens`` of what is sent
  equals that of the original. Never upscales.
- **Convert** what OpenAI rejects: HEIC/HEIF (``[heic]`` extra), AVIF, TIFF, BMP, ICO, 16-bit and
  CMYK images; the first frame of an animated GIF/WEBP/APNG when ``animated="first_frame"``
  (the default, ``"reject"``, raises ``AnimatedImageError``).
- **Refuse bad input with typed errors**: ``CorruptImageError`` (truncated, corrupt),
  ``DecompressionBombError`` (decided from the header, before decoding),
  ``UnsupportedImageFormatError`` (no image, or a conversion that fails), ``MissingExtraError``
  (HEIC without ``[heic]``); never a bare Pillow exception or warning.
- **Orient and strip** whenever it re-encodes (also for a conversion with ``optimize=False``):
  EXIF orientation is applied to the pixels (re-encoding drops the tag, and we do not rely on
  the server reading it) and EXIF, XMP, JPEG comments and PNG text (GPS!) are dropped unless
  ``keep_metadata``. ICC colour profiles are kept, except a CMYK/Lab profile after conversion
  to RGB (it would describe the wrong colour space).
- **Choose the encoding by content**: an image that uses transparency, is palette-based or looks
  like graphics (its 32 most frequent colours cover at least half of a sample of its pixels:
  screenshots, charts, diagrams) becomes lossless PNG; anything else (photos) becomes JPEG at
  ``jpeg_quality``. Graphics are shrunk with a box filter (each output pixel the mean of the
  input pixels it covers): no ringing around sharp edges, so flat areas stay flat and the PNG
  stays small; photos with Lanczos. A shrunk image that looks like graphics is also encoded as
  lossless WEBP (the same pixels; OpenAI accepts WEBP) and sent so when that is smaller, unless
  ``keep_metadata`` (PNG text would not survive).
- **Never send more bytes for the same tokens**: when only resizing was needed and the re-encode
  is not smaller than the input (whose size the server shrinks to the same one, billing the same
  tokens), the input's bytes are sent (action ``sent_original``; metadata stripped losslessly
  as for an image needing no resize).

- **Fit the byte limit** (``optimize=True``): an image that would go out unchanged but is over
  OpenAI's per-image byte limit is re-encoded as above (action ``reencoded``); if it is still
  over, ``ImageTooLargeError`` says to downscale it or save it as a JPEG.

An image that is already sendable and would not be shrunk is passed through byte for byte.
When the bytes are changed, the original's facts (dimensions, bytes, MIME, actions; never its
bytes) are remembered under the sent bytes' sha256 in ``originals.ORIGINALS`` (a bounded,
thread-safe LRU), so a ``VisionOpenAI`` report and audit record of a request built with
``image_part(..., optimize=True)`` show the original beside what was sent.
URLs pass through unless ``fetch=True`` (see ``fetch``). Decoding is CPU-bound, not I/O: the only
I/O here is reading the source (file, file object) and the opt-in fetch.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, TypeAlias, cast

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .. import _estimate
from .._budget import Fit, Prefer, fitter
from .._exceptions import (
    AnimatedImageError,
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    ImageError,
    ImageRejectedError,
    ImageSourceError,
    ImageTooLargeError,
    MissingExtraError,
    OpenAIVisionExtError,
    UnsupportedImageFormatError,
)
from .._preflight import DEFAULT_LIMITS
from .._redact import elide, escape, redact_url, safe
from .._types import Detail, ImageFormat, ImageInfo, ImageSource, check_detail, describe_bytes
from . import images
from .fetch import FetchOptions, InvalidOptionError, fetch_image, http_url
from .images import (
    MAX_PIXELS,
    Header,
    check_declared_mime,
    check_pixels,
    decode_data_url,
    detect_kind,
    is_data_url,
    read_header,
)
from .originals import ORIGINALS, Original
from .sources import read_source
from .strip import has_gps, strip_metadata

__all__ = [
    "MAX_PIXELS",
    "Action",
    "AnimatedPolicy",
    "PreparedImage",
    "prepare_image",
    "prepared_size",
]

AnimatedPolicy: TypeAlias = Literal["reject", "first_frame"]
"""What to do with an animated GIF/WEBP/APNG: refuse it, or send its first frame."""

Action: TypeAlias = Literal[
    "fetched",
    "converted",
    "first_frame",
    "oriented",
    "resized",
    "stripped_metadata",
    "reencoded",
    "sent_original",
]
"""One thing ``prepare_image`` did to an image, in the order it did them. ``sent_original``: the
server-size re-encode was not smaller than the input, which the server bills the same tokens,
so the input's bytes were sent (metadata still stripped losslessly when asked)."""

_SAME_BYTES: Final[frozenset[Action]] = frozenset({"fetched", "sent_original"})
"""Actions that leave the bytes sent equal to the input's."""

_DECODE_BUDGET: Final = 128 * 2**20
"""Most bytes of decoded pixels held for one image, after JPEG ``draft`` scaling, counting the
copy that orienting or converting the pixel mode makes. Together with the encoder's own buffers
this keeps a preparation under 256 MB above the process's baseline (``benchmarks/bench_bombs.py``;
a 24 MP HEIC converted and resized peaks at 193 MB, a 48 MP one is refused)."""

_ANIMATION_BYTES_PER_PIXEL: Final[Mapping[ImageFormat, int]] = {
    "webp": 12,  # libwebp's animation decoder keeps two RGBA canvases; Pillow copies one frame
    "gif": 8,  # the palette canvas, its RGB(A) conversion
    "png": 8,  # the APNG canvas and the frame composited onto it
    "jpeg": 4,
}
"""Bytes per canvas pixel decoding the first frame of an animation takes."""

_OPENABLE: Final[tuple[str, ...]] = (
    *("PNG", "JPEG", "WEBP", "GIF"),
    *("TIFF", "BMP", "DIB", "ICO", "HEIF", "AVIF"),
)
"""The Pillow formats opened (``Image.open(formats=...)``): what OpenAI accepts and what is
converted (MPO phone photos open as JPEG; HEIF once pillow-heif is registered). Never
EPS/PostScript (Pillow would run Ghostscript on them), and none of the formats nobody sends
as a photo or screenshot (TGA, DDS, PSD, PCX, ...)."""

_ACCEPTED: Final[Mapping[str, ImageFormat]] = {
    "PNG": "png",
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "WEBP": "webp",
    "GIF": "gif",
}
"""Pillow format name -> the format OpenAI accepts as is."""

_MIMES: Final = images.MIME_TYPES
"""The one MIME table of the formats OpenAI accepts."""

_ORIGINAL_MIMES: Final[Mapping[str, str]] = dict[str, str](
    _MIMES.items(),
    mpo="image/jpeg",
    heif="image/heif",
    heic="image/heic",
    avif="image/avif",
    tiff="image/tiff",
    bmp="image/bmp",
    ico="image/x-icon",
)
"""Lower-cased Pillow format of an input -> its MIME type (MPO phone photos are JPEGs)."""

_CONVERTED_KINDS: Final = frozenset({"tiff", "bmp", "ico", "heic", "avif"})
"""Kinds ``detect_kind`` names that are converted (opened by Pillow through ``_OPENABLE``)."""

_TO_8BIT: Final[Mapping[str, Callable[[Image.Image], Image.Image]]] = {
    "CMYK": lambda im: im.convert("RGB"),
    "YCbCr": lambda im: im.convert("RGB"),
    "LAB": lambda im: im.convert("RGB"),
    "HSV": lambda im: im.convert("RGB"),
    "I;16": lambda im: _scale_to_l(im, 1 / 256),
    "I;16B": lambda im: _scale_to_l(im, 1 / 256),
    "I;16L": lambda im: _scale_to_l(im, 1 / 256),
    "I;16N": lambda im: _scale_to_l(im, 1 / 256),
    "I": lambda im: _scale_to_l(im, 1 / 256),
    "F": lambda im: im.convert("L"),
    "1": lambda im: im.convert("L"),
    "RGBa": lambda im: im.convert("RGBA"),
    "La": lambda im: im.convert("LA"),
    "PA": lambda im: im.convert("RGBA"),
    "RGBX": lambda im: im.convert("RGB"),
}
"""Modes OpenAI's decoders may reject or JPEG/PNG cannot hold -> an 8-bit equivalent.

16-bit grey (``I;16``/``I``) is scaled by 1/256, not clipped, so it keeps its tones."""

_NEW_COLOUR_SPACE: Final = frozenset({"CMYK", "YCbCr", "LAB", "HSV"})
"""Modes whose conversion to RGB leaves their ICC profile describing the wrong colour space."""

_GRAPHICS_TOP_COLOURS: Final = 32
_GRAPHICS_MIN_SHARE: Final = 0.5
_SAMPLE_SIDE: Final = 256

_METADATA_KEYS: Final = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc")
"""``Image.info`` keys that carry metadata we strip (EXIF holds GPS)."""

_STRIPPED: Final[Mapping[Literal["png", "jpeg"], Mapping[str, Any]]] = {
    "png": {},
    "jpeg": {"comment": b""},
}
"""``save()`` options that drop metadata Pillow would otherwise copy from ``Image.info`` (the
JPEG encoder falls back to the source's comment)."""

_EXIF_ORIENTATION: Final = 0x0112
_ROTATED: Final = frozenset({5, 6, 7, 8})
"""EXIF orientations that swap width and height."""

_NUDGES: Final = tuple(
    sorted(
        ((dw, dh) for dw in range(-2, 3) for dh in range(-2, 3)),
        key=lambda d: (abs(d[0]) + abs(d[1]), -d[0] - d[1]),
    )
)
_LADDER_STEPS: Final = 16

"""Adjustments of up to 2 px tried, nearest (then larger) first, when rounding changes the
estimate: (0, 0), (1, 0), (0, 1), (1, 1), (-1, 0), ..."""


@dataclass(frozen=True, slots=True, repr=False)
class PreparedImage:
    """An image ready to send, and what was done to it.

    >>> p = PreparedImage.from_url("https://example.com/cat.png")
    >>> p.image_url
    'https://example.com/cat.png'
    """

    data: bytes
    """The bytes to send (empty for a URL passed through)."""
    info: ImageInfo | None
    """What is sent; ``None`` for a URL passed through."""
    original: ImageInfo | None
    """The input before preparation, when it is in a format OpenAI accepts (PNG, JPEG, WEBP,
    GIF); ``None`` for a URL passed through, a PIL image, or a format that had to be converted."""
    mime: str | None
    """MIME type of ``data``; ``None`` for a URL passed through."""
    url: str | None = None
    """The URL, when an http(s) URL is passed through without fetching."""
    original_format: str | None = None
    """Format of the input as read (``"heic"``, ``"tiff"``, ``"jpeg"``, ...), or ``None``."""
    original_size: tuple[int, int] | None = None
    """Stored ``(width, height)`` of the input (before EXIF rotation), or ``None``."""
    original_n_bytes: int | None = None
    """Encoded size of the input in bytes, or ``None`` (URL passed through, PIL image)."""
    actions: tuple[Action, ...] = field(default=())
    """What was done, in order; empty when the input is sent byte for byte."""
    fit: Fit | None = None
    """With ``max_tokens``/``max_usd``: the detail and size chosen, and why (``fit.reason``);
    send the image at ``fit.detail``."""
    removed_metadata: tuple[str, ...] = field(default=())
    """With ``stripped_metadata``: what was removed (``"exif"``, ``"gps"``, ``"xmp"``,
    ``"iptc"``, ``"comment"``, ``"text"``, ``"mpf"``, ``"app"``), else empty."""

    def __repr__(self) -> str:
        """Never the bytes or a signed URL: the sizes, formats and actions only.

        >>> PreparedImage(data=b"x" * 10_000, info=None, original=None, mime="image/png")
        PreparedImage(data=<10,000 bytes>, mime='image/png', info=None, actions=())
        """
        if self.url is not None:
            return f"PreparedImage(url={safe(redact_url(self.url))!r})"
        return (
            f"PreparedImage(data=<{len(self.data):,} bytes>, mime={self.mime!r}, "
            f"info={self.info!r}, actions={self.actions!r})"
        )

    @classmethod
    def from_url(cls, url: str) -> PreparedImage:
        """A URL passed through untouched (``fetch=False``)."""
        return cls(data=b"", info=None, original=None, mime=None, url=url)

    @property
    def original_mime(self) -> str | None:
        """MIME type of the input (``image/heif``, ``image/tiff``, ...), ``None`` if unknown.

        >>> PreparedImage(data=b"", info=None, original=None, mime=None,
        ...               original_format="heif").original_mime
        'image/heif'
        """
        if self.original is not None:
            return self.original.mime
        return _ORIGINAL_MIMES.get(self.original_format or "")

    @property
    def image_url(self) -> str:
        """What goes into the request's ``image_url``: the URL, or a base64 data URL."""
        return self.url if self.url is not None else self.data_url()

    def summary(self) -> str:
        """One line for logs and reports: what came in, what is sent, and what was done.

        >>> from PIL import Image
        >>> import io
        >>> buf = io.BytesIO()
        >>> Image.new("RGB", (4000, 3000), "teal").save(buf, "PNG")
        >>> prepare_image(buf.getvalue(), model="gpt-4o", detail="high").summary()
        ... # doctest: +ELLIPSIS
        'png 4000x3000 ... B -> webp 1024x768 ... B (...%): resized'
        >>> PreparedImage.from_url("https://example.com/cat.png").summary()
        'URL passed through unfetched: https://example.com/cat.png'
        """
        if self.info is None:
            return f"URL passed through unfetched: {safe(redact_url(self.url or ''))}"
        w, h = self.original_size or ("?", "?")
        before = f"{self.original_format or 'image'} {w}x{h}"
        if self.original_n_bytes is not None:
            before += f" {self.original_n_bytes:,} B"
        after = f"{self.info.format} {self.info.width}x{self.info.height} {self.info.n_bytes:,} B"
        if self.original_n_bytes:
            after += f" ({self.info.n_bytes / self.original_n_bytes:.1%})"
        done = ", ".join(self.actions) or "sent as is"
        if self.removed_metadata:
            done += f" ({', '.join(self.removed_metadata)})"
        line = f"{before} -> {after}: {done}"
        return line if self.fit is None else f"{line}; fitted: {self.fit.reason}"

    def data_url(self) -> str:
        """The image as a ``data:<mime>;base64,...`` URL.

        >>> PreparedImage(data=b"GIF89a", info=None, original=None, mime="image/gif").data_url()
        'data:image/gif;base64,R0lGODlh'
        """
        if self.url is not None or self.mime is None:
            raise ImageSourceError(
                "this image is a URL passed through without fetching; use .url, "
                "or prepare it with fetch=True to get its bytes"
            )
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def prepared_size(
    width: int, height: int, *, model: str, detail: Detail = "auto"
) -> tuple[int, int]:
    """The size to send so that the server bills exactly the tokens the original would cost.

    Starts from the server's own target (``target_size``). If rounding makes the estimate of
    that size differ from the original's, tries sizes up to 2 px away, then sizes between the
    target and the original (in ``_LADDER_STEPS`` geometric steps); the input size itself is the
    last resort. Prefers a size the server will not resize again. Never larger than the input.

    >>> prepared_size(4000, 3000, model="gpt-4o", detail="high")
    (1024, 768)
    >>> prepared_size(640, 480, model="gpt-4o", detail="high")
    (640, 480)
    """
    tw, th = _estimate.target_size(width, height, model=model, detail=detail)
    tw, th = min(tw, width), min(th, height)
    if (tw, th) == (width, height):
        return width, height
    try:
        want = _estimate.estimate_image_tokens(width, height, model=model, detail=detail)
    except ImageRejectedError:  # refused at this detail whatever is sent: preflight says so
        return tw, th

    def keeps(size: tuple[int, int]) -> bool:
        return _estimate.estimate_image_tokens(*size, model=model, detail=detail) == want

    def settled(size: tuple[int, int]) -> bool:
        return _estimate.target_size(*size, model=model, detail=detail) == size

    near = [
        (tw + dw, th + dh) for dw, dh in _NUDGES if 1 <= tw + dw <= width and 1 <= th + dh <= height
    ]
    same = [c for c in near if keeps(c)]
    if same:
        return next((c for c in same if settled(c)), same[0])
    return next((c for c in _ladder((tw, th), (width, height)) if keeps(c)), (width, height))


def _ladder(low: tuple[int, int], high: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """Sizes of ``high``'s aspect ratio growing geometrically from ``low`` to ``high``."""
    ratio = max(low[0] / high[0], low[1] / high[1])
    for step in range(1, _LADDER_STEPS):
        r = ratio ** (1 - step / _LADDER_STEPS)
        yield max(1, round(high[0] * r)), max(1, round(high[1] * r))


def prepare_image(
    source: ImageSource,
    *,
    detail: Detail = "auto",
    model: str | None = None,
    optimize: bool = True,
    fetch: bool = False,
    animated: AnimatedPolicy = "reject",
    keep_metadata: bool = False,
    jpeg_quality: int = 85,
    fetch_options: FetchOptions | None = None,
    max_tokens: int | None = None,
    max_usd: float | None = None,
    min_side: int | None = None,
    prefer: Prefer = "size",
) -> PreparedImage:
    """Turn an image source into the bytes to send (see the module docstring for the rules).

    ``source`` is a path, bytes, a binary file object, a PIL image, a ``data:`` URL or an
    http(s) URL (passed through unless ``fetch=True``). With ``optimize`` and a ``model``, an
    image the server would shrink is shrunk here to the same size; without a ``model`` nothing
    is resized. ``optimize=False`` only converts what OpenAI would reject. Whenever the image is
    re-encoded, its EXIF orientation is applied and its metadata stripped (``keep_metadata=True``
    carries EXIF, XMP, comments and PNG text over).

    ``max_tokens``/``max_usd`` (with ``model``) fit the image to a budget: the detail (any of
    the model's with ``detail="auto"``, else the one given) and the largest size whose estimate
    fits, at least ``min_side`` on the short side, preferring pixels or detail (``prefer``);
    ``fit_size`` decides, on the upright size, and the pixels are resized once. ``.fit`` says
    what was chosen and why; a ``BudgetExceededError`` says the cheapest possible cost.

    >>> from PIL import Image
    >>> import io
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000), "teal").save(buf, "PNG")
    >>> p = prepare_image(buf.getvalue(), model="gpt-4o", detail="high")
    >>> (p.original_size, (p.info.width, p.info.height), p.mime, p.actions)
    ((4000, 3000), (1024, 768), 'image/webp', ('resized',))
    >>> p = prepare_image(buf.getvalue(), model="gpt-4o", max_tokens=500)
    >>> ((p.info.width, p.info.height), p.fit.detail, p.fit.tokens)
    ((683, 512), 'high', 425)
    """
    check_detail(detail)
    if animated not in ("reject", "first_frame"):
        raise InvalidOptionError(f"animated must be 'reject' or 'first_frame', not {animated!r}")
    if not 1 <= jpeg_quality <= 95:
        raise InvalidOptionError(f"jpeg_quality must be between 1 and 95, not {jpeg_quality!r}")
    fit = fitter(
        model=model,
        detail=detail,
        max_tokens=max_tokens,
        max_usd=max_usd,
        min_side=min_side,
        prefer=prefer,
    )
    if fit is not None and isinstance(source, str) and http_url(source) and not fetch:
        raise InvalidOptionError(
            "fitting to max_tokens/max_usd needs the image's size: pass fetch=True for a URL"
        )
    plan = _Plan(
        model=model if optimize or fit else None,
        detail=detail,
        optimize=optimize or fit is not None,
        animated=animated,
        keep_metadata=keep_metadata,
        jpeg_quality=jpeg_quality,
        fit=fit,
    )
    if isinstance(source, Image.Image):
        with _decoding():
            return _remember(_prepare_pil(source, plan))
    url = http_url(source) if isinstance(source, str) else None
    if url is not None and not fetch:
        return PreparedImage.from_url(url)
    done: tuple[Action, ...] = ("fetched",) if url is not None else ()
    data = fetch_image(url, options=fetch_options) if url is not None else _read_bytes(source)
    with _decoding():
        return _remember(_prepare_bytes(data, plan, done=done))


def _remember(prepared: PreparedImage) -> PreparedImage:
    """Record the original of an image whose bytes were changed (see ``originals``)."""
    original = original_of(prepared)
    if original is not None and prepared.info is not None:
        ORIGINALS.put(prepared.info.sha256, original)
    return prepared


def original_of(prepared: PreparedImage) -> Original | None:
    """The original facts of an image whose bytes preparation changed; ``None`` when it is
    sent byte for byte (then what is sent is the original)."""
    changed = [a for a in prepared.actions if a not in _SAME_BYTES]
    if prepared.info is None or prepared.original_size is None or not changed:
        return None
    width, height = prepared.original_size
    return Original(
        width=width,
        height=height,
        n_bytes=prepared.original_n_bytes,
        mime=prepared.original_mime,
        actions=prepared.actions,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """The caller's choices, validated."""

    model: str | None
    detail: Detail
    optimize: bool
    animated: AnimatedPolicy
    keep_metadata: bool
    jpeg_quality: int
    fit: Callable[[int, int], Fit] | None = None
    """The budget fit, when ``max_tokens``/``max_usd`` were given."""


def _prepare_bytes(data: bytes, plan: _Plan, *, done: tuple[Action, ...]) -> PreparedImage:
    """Prepare encoded image bytes: pass through, or decode, fix and re-encode.

    What the header declares (size, animation canvas, frames) is checked before Pillow opens
    the bytes: libwebp allocates an animation's canvas when it is opened."""
    if not data:
        raise EmptyImageError("the image has zero bytes; pass a non-empty image file")
    header = _declared(data)
    if header is not None and header.frames > 1:
        _refuse_animation(header.frames, plan.animated)
        _check_canvas(header)
    _require_heif_opener(data)
    with _opened(data) as im:
        fmt = _ACCEPTED.get(im.format or "")
        frames = header.frames if header is not None else None
        original = _original_info(im, data, fmt, frames)
        actions = list(done)
        _check_animation(im, plan.animated, actions, frames)
        if fmt is None or im.mode in _TO_8BIT or _is_16bit_png(data):
            actions.append("converted")
        must_encode = len(actions) > len(done)
        orientation = _orientation(im) if plan.optimize or must_encode else 1
        size, fit = _sent_geometry(im.size, orientation, plan, actions)
        if original is not None and len(actions) == len(done):
            if header is None or not _looks_complete(data, header):
                _check_decode(im, copies=1)
                im.load()  # refuse a truncated file here rather than at the server
            kept = _kept(data, im, original, plan, done)
            if kept is not None and not (plan.optimize and _over_limit(kept.data)):
                return replace(kept, fit=fit)
            if kept is not None:
                actions.append("reencoded")  # over the byte limit as it is
        resized_only = original is not None and fit is None and actions[len(done) :] == ["resized"]
        prepared = _reencode(im, plan, size=size, actions=actions, original=original, data=data)
        if resized_only and original is not None:
            smaller = _smaller_original(data, im, original, plan, done, prepared)
            if smaller is not None:
                return smaller
        if plan.optimize and prepared.info is not None:
            _check_fits(prepared.data, prepared.info.format)
        return replace(prepared, fit=fit)


def _kept(
    data: bytes, im: Image.Image, original: ImageInfo, plan: _Plan, done: tuple[Action, ...]
) -> PreparedImage | None:
    """The input sent as it is (metadata stripped losslessly when ``plan`` strips it), or
    ``None`` when only re-encoding can strip its metadata (a container we could not walk)."""
    if not plan.optimize or plan.keep_metadata:
        return _passthrough(data, original, done)
    stripped = strip_metadata(data, original.format)
    if stripped is not None:
        return _lossless_strip(stripped, original, done)
    return None if _has_metadata(im) else _passthrough(data, original, done)


def _smaller_original(
    data: bytes,
    im: Image.Image,
    original: ImageInfo,
    plan: _Plan,
    done: tuple[Action, ...],
    reencoded: PreparedImage,
) -> PreparedImage | None:
    """The input as it is (metadata stripped losslessly when ``plan`` strips it) when it is no
    larger than ``reencoded``, its server-size re-encode: ``prepared_size`` keeps the estimate,
    so the server, shrinking the input to that size, bills it the same tokens. ``None`` when
    the re-encode is smaller, or only re-encoding strips the input's metadata."""
    kept = _kept(data, im, original, plan, done)
    if kept is None or len(kept.data) > len(reencoded.data) or _over_limit(kept.data):
        return None
    return replace(kept, actions=(*kept.actions, "sent_original"))


def _over_limit(data: bytes) -> bool:
    """Over OpenAI's per-image byte limit (the default limit profile's)."""
    return len(data) > DEFAULT_LIMITS.max_image_bytes


def _check_fits(data: bytes, encoding: ImageFormat) -> None:
    """Refuse an optimized image still over the byte limit, saying what does work."""
    if not _over_limit(data):
        return
    n_bytes, limit = len(data), DEFAULT_LIMITS.max_image_bytes
    raise ImageTooLargeError(
        f"the image is {n_bytes:,} bytes even re-encoded as {encoding.upper()}, over "
        f"the per-image limit of {describe_bytes(limit)}; downscale it first (open it, call "
        "img.thumbnail((2048, 2048)) and pass img) or save it as a JPEG",
        n_bytes=n_bytes,
        limit=limit,
    )


def _lossless_strip(
    stripped: tuple[bytes, tuple[str, ...]], original: ImageInfo, done: tuple[Action, ...]
) -> PreparedImage:
    """The input with its metadata segments removed and its image data untouched."""
    data, removed = stripped
    if not removed:
        return _passthrough(data, original, done)
    info = ImageInfo(
        format=original.format,
        mime=original.mime,
        width=original.width,
        height=original.height,
        frames=original.frames,
        animated=original.animated,
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return replace(
        _passthrough(data, original, done),
        info=info,
        actions=(*done, "stripped_metadata"),
        removed_metadata=removed,
    )


def verify_decodes(data: bytes) -> None:
    """Raise the typed error preparing would if ``data`` cannot be decoded (``validate
    --decode``): decoded within the decode budget; over it, a file that visibly ends where its
    format ends (``_looks_complete``) is taken as whole, any other is refused undecoded."""
    if not data:
        raise EmptyImageError("the image has zero bytes; pass a non-empty image file")
    with _decoding():
        header = _declared(data)
        if header is not None and header.frames > 1:
            _check_canvas(header)
        _require_heif_opener(data)
        with _opened(data) as im:
            try:
                _check_decode(im, copies=1)
            except DecompressionBombError as exc:
                if header is not None and _looks_complete(data, header):
                    return  # over the budget: its end marker stands in for a decode
                unsure = "cannot be checked without decoding" if header is None else "is missing"
                raise DecompressionBombError(
                    f"its end marker {unsure} (it may be truncated), and {exc}",
                    width=exc.width,
                    height=exc.height,
                ) from None
            im.load()


def _declared(data: bytes) -> Header | None:
    """The header of a PNG/JPEG/WEBP/GIF (bombs refused here), or ``None`` for other formats
    and for headers only Pillow can make sense of."""
    try:
        return read_header(lambda o, n: data[o : o + n], len(data))
    except DecompressionBombError:
        raise
    except ImageError:
        return None


def _looks_complete(data: bytes, header: Header) -> bool:
    """Whether the file visibly ends where its format ends, without decoding it.

    PNG ends with its ``IEND`` chunk, JPEG with its EOI marker, GIF with its trailer (trailing
    NUL/whitespace padding allowed); a WEBP's RIFF size was checked with its header. When this
    says no, the image is decoded (within the memory budget) and Pillow decides."""
    tail = data[-64:].rstrip(b"\0\t\n\r ")
    if header.format == "png":
        return tail.endswith(b"IEND\xaeB`\x82")
    if header.format == "jpeg":
        return tail.endswith(b"\xff\xd9")
    if header.format == "gif":
        return tail.endswith(b";")
    first = int.from_bytes(data[16:20], "little")
    return data[12:16] == b"VP8X" or 20 + first <= len(data)


_DEEP_HEIF_BYTES: Final = 12
"""Bytes per pixel libheif holds beside Pillow's 8-bit image when a HEIF stores more than 8 bits
a sample: it decodes to 16-bit samples, three YCbCr planes (6 bytes) and their interleaved RGB
conversion (6 bytes), which pillow-heif then reduces to 8 bits. Measured preparing (peak above
baseline): pillow-heif's test image ``guitar_cw90.hif`` (4672x7008, 10 bits, rotated) 535 MB,
16.3 bytes a pixel; a 2800x2800 10-bit HEIC 75 MB, 9.6; a 12 MP 8-bit HEIC 65 MB, 5.4. The
rule takes the rotated worst case: 4 + 12 = 16."""


def _decoder_bytes(im: Image.Image) -> int:
    """Bytes per pixel the decoder holds besides the image Pillow returns (see above)."""
    depth = im.info.get("bit_depth")
    deep = im.format == "HEIF" and isinstance(depth, int) and depth > 8
    return _DEEP_HEIF_BYTES if deep else 0


def _bytes_per_pixel(mode: str) -> int:
    """Bytes Pillow stores per pixel (RGB and two-band modes take four)."""
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def _check_decode(im: Image.Image, *, copies: int) -> None:
    """Refuse to decode more than ``_DECODE_BUDGET`` bytes of pixels (``copies`` of them, and
    what the decoder itself holds)."""
    per_pixel = _bytes_per_pixel(im.mode) * copies + _decoder_bytes(im)
    if im.width * im.height * per_pixel > _DECODE_BUDGET:
        raise _over_budget(im.width, im.height, per_pixel)


def _check_canvas(header: Header) -> None:
    """An animation's canvas, as its decoder allocates it, must fit the decode budget."""
    per_pixel = _ANIMATION_BYTES_PER_PIXEL[header.format]
    if header.width * header.height * per_pixel > _DECODE_BUDGET:
        raise _over_budget(header.width, header.height, per_pixel, what="animation canvas")


_DOWNSCALE: Final[Mapping[str, str]] = {
    "image": "Downscale it first (with a streaming tool such as libvips; or open it yourself, "
    "call img.thumbnail((2048, 2048)) and pass img), or send it as a JPEG, which is decoded "
    "reduced",
    "animation canvas": "Downscale the animation first (with a tool such as ffmpeg or libvips)",
}
"""What to do about an image over the decode budget, by what is too large."""


def _over_budget(
    width: int, height: int, per_pixel: int, *, what: str = "image"
) -> DecompressionBombError:
    """The refusal, saying how far to downscale: only JPEG is decoded reduced (``draft``);
    PNG, WEBP, GIF, TIFF, BMP and HEIF/AVIF decoders always make every pixel."""
    need = width * height * per_pixel
    most = _DECODE_BUDGET // per_pixel
    scale = math.sqrt(most / (width * height))
    fits = f"{max(1, int(width * scale))}x{max(1, int(height * scale))}"
    return DecompressionBombError(
        f"decoding this {width}x{height} {what} would take about {need / 2**20:,.0f} MiB, "
        f"over the {_DECODE_BUDGET / 2**20:,.0f} MiB allowed for one image (a decompression "
        f"bomb, or an image far larger than OpenAI uses): at most {most:,} pixels of this kind "
        f"are decoded (e.g. {fits} at this aspect ratio). {_DOWNSCALE[what]}",
        width=width,
        height=height,
    )


def _prepare_pil(image: Image.Image, plan: _Plan) -> PreparedImage:
    """Prepare an in-memory PIL image: it is always encoded."""
    _check_bomb(*image.size)
    actions: list[Action] = []
    _check_animation(image, plan.animated, actions, None)
    size, fit = _sent_geometry(image.size, _orientation(image), plan, actions)
    prepared = _reencode(image, plan, size=size, actions=actions, original=None, data=None)
    return replace(prepared, fit=fit)


def _sent_geometry(
    size: tuple[int, int], orientation: int, plan: _Plan, actions: list[Action]
) -> tuple[tuple[int, int], Fit | None]:
    """The size to send and the budget fit, for bytes and PIL images alike: the fit's size, else
    the model's sizing, else the upright size as is. Adds ``oriented``/``resized`` to
    ``actions`` when they apply."""
    upright = _upright_size(size, orientation)
    fit = plan.fit(*upright) if plan.fit else None
    if fit is not None:
        sent = (fit.width, fit.height)
    elif plan.model is not None:
        sent = prepared_size(*upright, model=plan.model, detail=plan.detail)
    else:
        sent = upright
    if orientation != 1:
        actions.append("oriented")
    if sent != upright:
        actions.append("resized")
    return sent, fit


def _passthrough(data: bytes, original: ImageInfo, done: tuple[Action, ...]) -> PreparedImage:
    """``data`` sent as the input was: the one place a prepared image's ``original_*`` fields
    are filled from the input (a lossless strip changes only ``info``, ``actions`` and
    ``removed_metadata``)."""
    return PreparedImage(
        data=data,
        info=original,
        original=original,
        mime=original.mime,
        original_format=original.format,
        original_size=(original.width, original.height),
        original_n_bytes=original.n_bytes,
        actions=done,
    )


def _reencode(
    im: Image.Image,
    plan: _Plan,
    *,
    size: tuple[int, int],
    actions: list[Action],
    original: ImageInfo | None,
    data: bytes | None,
) -> PreparedImage:
    """Orient, convert, resize and encode ``im`` as PNG or JPEG; metadata per ``plan``."""
    stored_size = im.size
    source_format = (im.format or "").lower() or None
    icc = im.info.get("icc_profile")
    if "resized" in actions:
        _draft(im, size, swap=_orientation(im) in _ROTATED and "oriented" in actions)
    # orienting, and converting a mode PNG/JPEG cannot hold, make a full-size copy
    copies = 2 if "oriented" in actions or im.mode in _TO_8BIT else 1
    _check_decode(im, copies=copies)
    frame = ImageOps.exif_transpose(im) if "oriented" in actions else im
    frame, icc = _to_8bit(frame, icc)
    fmt = _choose_format(frame)
    if frame.size != size:
        frame = _resize(frame, size, _FILTERS[fmt])
    metadata = _metadata(im, frame, fmt) if plan.keep_metadata else _STRIPPED[fmt]
    try:
        out = _encode(frame, fmt, plan, icc=icc, metadata=metadata)
    except (OSError, ValueError, KeyError) as exc:
        raise UnsupportedImageFormatError(
            f"the image ({source_format or 'in memory'}, mode {frame.mode}) cannot be converted "
            f"to {fmt.upper()} ({exc}); convert it to 8-bit RGB PNG or JPEG first",
            detected=source_format,
        ) from None
    sent_format: ImageFormat = fmt
    if fmt == "png" and "resized" in actions and not plan.keep_metadata:
        webp = _smaller_webp(frame, icc, out)
        if webp is not None:
            out, sent_format = webp, "webp"
    removed: tuple[str, ...] = ()
    if not plan.keep_metadata and _has_metadata(im):
        actions.append("stripped_metadata")
        removed = _metadata_names(im, data)
    info = _info(out, sent_format, frame.size)
    return PreparedImage(
        data=out,
        info=info,
        original=original,
        mime=info.mime,
        original_format=source_format,
        original_size=stored_size,
        original_n_bytes=None if data is None else len(data),
        actions=tuple(actions),
        removed_metadata=removed,
    )


def _check_animation(
    im: Image.Image, policy: AnimatedPolicy, actions: list[Action], frames: int | None
) -> None:
    if not _is_animated(im, frames):
        return
    _refuse_animation(frames or int(getattr(im, "n_frames", 1)), policy)
    im.seek(0)
    actions.append("first_frame")


def _refuse_animation(frames: int, policy: AnimatedPolicy) -> None:
    if policy == "reject":
        raise AnimatedImageError(
            f"the image is animated ({frames} frames) and OpenAI accepts only still images; "
            "pass animated='first_frame' to send its first frame",
            frames=frames,
        )


def _draft(im: Image.Image, size: tuple[int, int], *, swap: bool) -> None:
    """Let the JPEG decoder scale down by 1/2..1/8 while decoding (much faster, less memory).

    The decoder never goes below the target size; Lanczos does the rest."""
    if im.format not in ("JPEG", "MPO"):
        return
    im.draft(im.mode, (size[1], size[0]) if swap else size)


_FILTERS: Final[Mapping[Literal["png", "jpeg"], Image.Resampling]] = {
    "png": Image.Resampling.BOX,
    "jpeg": Image.Resampling.LANCZOS,
}
"""Resampling filter by the encoding chosen for the content. Graphics (PNG): box, the mean of the
covered input pixels; Lanczos' ringing would add halos of new colours around every sharp edge
(the bench screenshot at 2048x1536: 1,555 colours and a PNG of 136% of the original's bytes with
Lanczos, 458 colours and 62% with box). Photos (JPEG): Lanczos, the sharpest."""


def _resize(im: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode == "PA":
        im = im.convert("RGBA")
    gap = 2.0 if resample == Image.Resampling.LANCZOS else None
    return im.resize(size, resample, reducing_gap=gap)


def _to_8bit(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """``im`` in a mode PNG and JPEG can hold, and the ICC profile that still describes it.

    A profile of another colour space (a CMYK profile after converting to RGB) would make
    viewers and the model mis-render the colours, so it is dropped."""
    convert = _TO_8BIT.get(im.mode)
    if convert is None:
        return im, icc
    return convert(im), None if im.mode in _NEW_COLOUR_SPACE else icc


def _scale_to_l(im: Image.Image, factor: float) -> Image.Image:
    return im.convert("I").point(lambda v: v * factor).convert("L")


def _choose_format(im: Image.Image) -> Literal["png", "jpeg"]:
    """PNG for transparency, palettes and graphics; JPEG for photos (see module docstring)."""
    if im.mode in ("P", "PA") or _uses_alpha(im) or _looks_like_graphics(im):
        return "png"
    return "jpeg"


def _uses_alpha(im: Image.Image) -> bool:
    if im.mode not in ("RGBA", "LA"):
        return False
    low, _high = cast("tuple[int, int]", im.getchannel("A").getextrema())
    return low < 255


def _looks_like_graphics(im: Image.Image) -> bool:
    """Whether a few flat colours dominate: true for screenshots and charts, false for photos."""
    scale = min(1.0, _SAMPLE_SIDE / max(im.size))
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    sample = im.resize(size, Image.Resampling.NEAREST).convert("RGB")  # exact colours, no blending
    n = sample.width * sample.height
    # Beyond TOP + n * (1 - share) distinct colours the top ones cannot hold their share (every
    # other colour has a pixel): getcolors says None there, and photos skip the sort.
    most = _GRAPHICS_TOP_COLOURS + int(n * (1 - _GRAPHICS_MIN_SHARE))
    colours = sample.getcolors(maxcolors=most)
    if colours is None:
        return False
    top = sorted((count for count, _ in colours), reverse=True)[:_GRAPHICS_TOP_COLOURS]
    return sum(top) >= _GRAPHICS_MIN_SHARE * n


_WEBP_LOSSLESS: Final[Mapping[str, Any]] = {
    "lossless": True,
    "quality": 100,  # in lossless mode: the compression effort
    "method": 4,
    "exact": True,  # keep the colour under fully transparent pixels too
}
"""Lossless WEBP options: pixel for pixel what the PNG holds. The bench screenshot shrunk to
2048x1536 is 13,374 B as WEBP, 119,586 B as PNG (quality 0: 37,114 B)."""

_WEBP_MAX_SIDE: Final = 16383
"""The longest side a WEBP can hold."""


def _smaller_webp(im: Image.Image, icc: bytes | None, png: bytes) -> bytes | None:
    """``im`` as lossless WEBP (a format OpenAI accepts) when it looks like graphics and that is
    smaller than ``png``, its PNG; else ``None``. Photo-like PNGs (transparent photos) are not
    tried: WEBP's lossless encoder takes seconds on them for a few percent."""
    if max(im.size) > _WEBP_MAX_SIDE or not _looks_like_graphics(im):
        return None
    if icc and icc[16:20] != b"RGB ":  # WEBP stores grey as RGB: a GRAY profile would lie
        return None
    buf = io.BytesIO()
    try:
        im.save(buf, format="WEBP", icc_profile=icc or None, **_WEBP_LOSSLESS)
    except (OSError, ValueError, KeyError):  # a mode or build the WEBP encoder lacks: PNG it is
        return None
    out = buf.getvalue()
    return out if len(out) < len(png) else None


def _encode(
    im: Image.Image,
    fmt: Literal["png", "jpeg"],
    plan: _Plan,
    *,
    icc: bytes | None,
    metadata: Mapping[str, Any],
) -> bytes:
    buf = io.BytesIO()
    # icc_profile=None stops the PNG encoder falling back to a stale profile in ``im.info``
    options: dict[str, Any] = {**metadata, "icc_profile": icc or None}
    if fmt == "jpeg":
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        options.update(quality=plan.jpeg_quality, optimize=True)
    im.save(buf, format=fmt.upper(), **options)
    return buf.getvalue()


def _metadata(
    source: Image.Image, frame: Image.Image, fmt: Literal["png", "jpeg"]
) -> dict[str, Any]:
    """The metadata to carry over on request: EXIF (orientation already applied and removed),
    XMP, and the JPEG comment or the PNG text chunks, as ``save()`` options for ``fmt``."""
    kept: dict[str, Any] = {}
    exif = frame.getexif()
    if len(exif):
        kept["exif"] = exif.tobytes()
    xmp = source.info.get("xmp") or source.info.get("XML:com.adobe.xmp")
    text: Mapping[str, Any] = getattr(source, "text", None) or {}
    if fmt == "jpeg":
        if xmp:
            kept["xmp"] = xmp.encode() if isinstance(xmp, str) else xmp
        if source.info.get("comment"):
            kept["comment"] = source.info["comment"]
        return kept
    chunks = PngImagePlugin.PngInfo()
    for key, value in {**text, **({"XML:com.adobe.xmp": xmp} if xmp else {})}.items():
        chunks.add_itxt(
            key, value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        )
    if chunks.chunks:
        kept["pnginfo"] = chunks
    return kept


_INFO_NAMES: Final[Mapping[str, str]] = {
    "exif": "exif",
    "xmp": "xmp",
    "XML:com.adobe.xmp": "xmp",
    "comment": "comment",
    "photoshop": "iptc",
    "iptc": "iptc",
}


def _metadata_names(im: Image.Image, data: bytes | None) -> tuple[str, ...]:
    """What ``_has_metadata`` found, named as ``PreparedImage.removed_metadata`` names it."""
    names = [_INFO_NAMES[key] for key in _METADATA_KEYS if im.info.get(key)]
    if "exif" in names and data is not None and has_gps(data):
        names.insert(0, "gps")
    if getattr(im, "text", None):
        names.append("text")
    return tuple(dict.fromkeys(names))


def _has_metadata(im: Image.Image) -> bool:
    """EXIF, XMP, IPTC, comments or PNG text present (TIFF's own tags and ICC do not count)."""
    return any(im.info.get(key) for key in _METADATA_KEYS) or bool(getattr(im, "text", None))


def _info(data: bytes, fmt: ImageFormat, size: tuple[int, int]) -> ImageInfo:
    return ImageInfo(
        format=fmt,
        mime=_MIMES[fmt],
        width=size[0],
        height=size[1],
        frames=1,
        animated=False,
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _is_animated(im: Image.Image, frames: int | None) -> bool:
    """Animated GIF/WEBP/APNG; an MPO's extra frames are stereo/depth views, not animation.

    From the header's ``frames`` when known: Pillow's ``is_animated`` walks a GIF's data
    sub-blocks in Python (seconds for a crafted 20 MB chain)."""
    if im.format == "MPO":
        return False
    return frames > 1 if frames is not None else bool(getattr(im, "is_animated", False))


def _original_info(
    im: Image.Image, data: bytes, fmt: ImageFormat | None, frames: int | None
) -> ImageInfo | None:
    """The input's facts; ``frames`` from its header when known (Pillow would walk a GIF)."""
    if fmt is None:
        return None
    if frames is None:
        frames = int(getattr(im, "n_frames", 1)) if fmt != "jpeg" else 1
    return ImageInfo(
        format=fmt,
        mime=_MIMES[fmt],
        width=im.width,
        height=im.height,
        frames=frames,
        animated=_is_animated(im, frames),
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation, read without decoding (a PNG's ``eXIf`` after its image data,
    which Pillow would decode the whole image to reach, is not looked for)."""
    if im.format == "PNG" and "exif" not in im.info:
        return 1
    value = im.getexif().get(_EXIF_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in _ROTATED else size


def _is_16bit_png(data: bytes) -> bool:
    """PNG ``IHDR`` bit depth is 16 (Pillow silently reads 16-bit RGB as 8-bit)."""
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24 and data[24] == 16


def _check_bomb(width: int, height: int) -> None:
    check_pixels(width, height)  # the one bomb limit (images.MAX_PIXELS)


def _require_heif_opener(data: bytes) -> None:
    """Register pillow-heif for HEIC/HEIF bytes, or say which extra to install."""
    if detect_kind(data[:64]) != "heic":
        return
    try:
        import pillow_heif
    except ImportError:
        raise MissingExtraError("HEIC images", "heic") from None
    pillow_heif.register_heif_opener()


@contextmanager
def _decoding() -> Iterator[None]:
    """Map every failure of Pillow (or a plugin) while decoding or converting to a typed error.

    Pillow's ``DecompressionBombWarning`` is turned into our ``DecompressionBombError`` (our
    own header check usually refuses first); its other warnings ("Corrupt EXIF data" and the
    like) are silenced: a broken image fails with a typed error, a decodable one is fine."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except OpenAIVisionExtError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBombError(
            f"the image is a likely decompression bomb ({elide(str(exc), 160)}); do not send it "
            "(width and height are reported as 0: Pillow refused it before telling them)",
            width=0,
            height=0,
        ) from None
    except MemoryError:
        raise DecompressionBombError(
            "decoding the image ran out of memory; it is too large to prepare", width=0, height=0
        ) from None
    except Exception as exc:  # any decoder/plugin failure: TypeError, NotImplementedError, ...
        why = elide(escape(str(exc)), 160) or type(exc).__name__
        raise CorruptImageError(
            f"the image cannot be decoded ({why}); it is truncated or corrupt, or uses a "
            "feature the decoder does not support: re-export it as PNG or JPEG"
        ) from None


@contextmanager
def _opened(data: bytes) -> Iterator[Image.Image]:
    """Open ``data`` lazily (header only); bombs are refused before any pixel is decoded.

    Run inside ``_decoding()`` so that later decoding errors are typed too."""
    try:
        Image.init()
        formats = [f for f in _OPENABLE if f in Image.OPEN]  # HEIF only with pillow-heif
        im = Image.open(io.BytesIO(data), formats=formats)
    except UnidentifiedImageError:
        detected = detect_kind(data[:1024])
        if detected in _CONVERTED_KINDS or detected in _ACCEPTED.values():
            raise CorruptImageError(
                f"the bytes start like a {str(detected).upper()} image but cannot be decoded; the "
                "file is truncated or corrupt: re-export it"
            ) from None
        raise UnsupportedImageFormatError(
            f"the bytes are {'not an image format' if detected is None else detected} that "
            "can be sent or converted (PNG, JPEG, WEBP, GIF, HEIC, AVIF, TIFF, BMP, ICO); "
            "convert it to PNG or JPEG first",
            detected=detected,
        ) from None
    with im:
        _check_bomb(*im.size)
        yield im


def _read_bytes(source: ImageSource) -> bytes:
    """The encoded bytes of a path, bytes-like, binary file object or ``data:`` URL."""
    if is_data_url(source):  # the declared type must match the bytes, as in image_part(url)
        declared, data = decode_data_url(source)
        check_declared_mime(declared, data)
        return data
    return bytes(read_source(source))
