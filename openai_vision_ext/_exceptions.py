"""Every error this package raises, under one root.

SDK errors (``openai.APIError`` and friends) are never wrapped: they pass through untouched.

Tree::

    OpenAIVisionExtError
    ├── ImageError                      (also ValueError) something is wrong with one image
    │   ├── EmptyImageError             zero bytes
    │   ├── UnsupportedImageFormatError not PNG/JPEG/WEBP/GIF (SVG, HEIC, TIFF, BMP, HTML, ...)
    │   ├── CorruptImageError           truncated or unreadable header
    │   ├── AnimatedImageError          animated GIF/WEBP/PNG
    │   ├── ImageTooLargeError          over the per-image byte limit
    │   ├── DecompressionBombError      pixel count beyond any sane image
    │   ├── InvalidDataURLError         malformed ``data:`` URL
    │   ├── MimeMismatchError           declared MIME disagrees with the bytes
    │   ├── ImageRejectedError          the model refuses the image at its detail (30,000 patches)
    │   └── ImageSourceError            the source itself cannot be read (missing file, bad type)
    │       └── FetchError              a ``fetch=True`` download failed
    │           ├── FetchURLError       not an http(s) URL with a host
    │           ├── FetchBlockedError   the SSRF guard refused the address
    │           ├── FetchRedirectError  too many or unusable redirects
    │           ├── FetchStatusError    a non-2xx answer
    │           ├── FetchTimeoutError   too slow
    │           └── FetchTooLargeError  (also ImageTooLargeError) body over the cap
    ├── FileError                       (also ValueError) something is wrong with one file input
    │   ├── UnsupportedFileTypeError    empty, or not a PDF, OOXML document or UTF-8 text
    │   ├── CorruptFileError            a PDF that cannot be parsed (truncated, no pages)
    │   ├── EncryptedPdfError           a PDF that needs a password to open
    │   ├── PdfBombError                absurd page count or page box (refused before reading on)
    │   ├── FileTooLargeError           over the per-file byte limit
    │   ├── FileDataURLError            malformed file ``data:`` URL, or its MIME disagrees
    │   └── FileSourceError             the source cannot be read (missing file, bad type)
    ├── InvalidDetailError              (also ValueError) ``detail`` not low|high|auto|original
    ├── InvalidRequestError             (also ValueError) request shape we cannot walk
    ├── PreflightError                  (also ValueError) one or more violations in a request
    ├── UnknownModelError               (also KeyError) no image rule for a model
    ├── TokenizerError                  offline tokenizer data missing or failing its hash
    ├── MissingExtraError               (also ImportError) an optional extra is not installed
    ├── InvalidOptionError              (also ValueError) a preparation/fetch option out of range
    ├── InvalidModelRuleError           (also ValueError) ``register_model_rule`` got a bad rule
    ├── AuditConfigError                (also ValueError) an audit pipeline set up wrongly
    ├── BudgetExceededError             an image or request costs more than its budget
    └── PriceTableError                 (also ValueError) a user price table is malformed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AnimatedImageError",
    "AuditConfigError",
    "BudgetExceededError",
    "CorruptFileError",
    "CorruptImageError",
    "DecompressionBombError",
    "EmptyImageError",
    "EncryptedPdfError",
    "FetchBlockedError",
    "FetchError",
    "FetchRedirectError",
    "FetchStatusError",
    "FetchTimeoutError",
    "FetchTooLargeError",
    "FetchURLError",
    "FileDataURLError",
    "FileError",
    "FileSourceError",
    "FileTooLargeError",
    "ImageError",
    "ImageSourceError",
    "ImageTooLargeError",
    "InvalidDataURLError",
    "InvalidDetailError",
    "InvalidModelRuleError",
    "InvalidOptionError",
    "InvalidRequestError",
    "MimeMismatchError",
    "MissingExtraError",
    "OpenAIVisionExtError",
    "PdfBombError",
    "PreflightError",
    "PriceTableError",
    "TokenizerError",
    "UnknownModelError",
    "UnsupportedFileTypeError",
    "UnsupportedImageFormatError",
    "Violation",
]


class OpenAIVisionExtError(Exception):
    """Root of every error raised by openai-vision-ext."""


class ImageError(OpenAIVisionExtError, ValueError):
    """An image cannot be used as given. The message says what to do instead."""


class EmptyImageError(ImageError):
    """The image has zero bytes."""


class UnsupportedImageFormatError(ImageError):
    """The bytes are not PNG, JPEG, WEBP or GIF (the formats OpenAI accepts)."""

    def __init__(self, message: str, *, detected: str | None = None) -> None:
        super().__init__(message)
        self.detected = detected
        """What the bytes look like (e.g. ``"svg"``, ``"heic"``), or ``None`` if unknown."""


class CorruptImageError(ImageError):
    """The image is truncated or its header cannot be read."""


class AnimatedImageError(ImageError):
    """The image is animated (GIF, WEBP or APNG); OpenAI accepts only still images."""

    def __init__(self, message: str, *, frames: int | None = None) -> None:
        super().__init__(message)
        self.frames = frames


class ImageTooLargeError(ImageError):
    """The image is larger than the per-image byte limit."""

    def __init__(self, message: str, *, n_bytes: int, limit: int) -> None:
        super().__init__(message)
        self.n_bytes = n_bytes
        self.limit = limit


class DecompressionBombError(ImageError):
    """The header claims more pixels than any real image would have."""

    def __init__(self, message: str, *, width: int, height: int) -> None:
        super().__init__(message)
        self.width = width
        self.height = height


class InvalidDataURLError(ImageError):
    """A ``data:`` URL is malformed (no base64 marker, bad padding, not an image MIME, ...)."""


class MimeMismatchError(ImageError):
    """The MIME type a data URL declares disagrees with what the bytes are."""

    def __init__(self, message: str, *, declared: str, actual: str) -> None:
        super().__init__(message)
        self.declared = declared
        self.actual = actual


class ImageRejectedError(ImageError):
    """The model's rule says the API refuses this image at its detail (over the 30,000-patch
    limit after sizing, or a detail the model does not support): send another detail or shrink it.
    """


class ImageSourceError(ImageError):
    """The image source cannot be read: missing file, unsupported source type, closed file."""


class FileError(OpenAIVisionExtError, ValueError):
    """A file input (PDF, document, text) cannot be used as given; the message says what to do."""


class UnsupportedFileTypeError(FileError):
    """The bytes are empty, or not a PDF, an OOXML document (docx/xlsx/pptx) or UTF-8 text."""

    def __init__(self, message: str, *, detected: str | None = None) -> None:
        super().__init__(message)
        self.detected = detected
        """What the bytes look like (e.g. ``"png"``, ``"zip"``, ``"binary"``), if known."""


class CorruptFileError(FileError):
    """A PDF or Office document that cannot be parsed: truncated, no page tree, pages that
    cannot be read, a broken zip or malformed XML."""


class EncryptedPdfError(FileError):
    """A PDF that needs a password to open; OpenAI cannot read it either."""


class PdfBombError(FileError):
    """A PDF claims an absurd page count or page box; refused before it is read further."""

    def __init__(
        self,
        message: str,
        *,
        pages: int | None = None,
        width_pt: float | None = None,
        height_pt: float | None = None,
    ) -> None:
        super().__init__(message)
        self.pages = pages
        self.width_pt = width_pt
        self.height_pt = height_pt


class DocumentBombError(FileError):
    """An Office document (docx, xlsx, pptx) whose zip lists too many entries, expands to too
    much XML, or declares an XML DTD; refused before it is read further."""

    def __init__(
        self, message: str, *, entries: int | None = None, n_bytes: int | None = None
    ) -> None:
        super().__init__(message)
        self.entries = entries
        """Entries the zip lists (``None`` when another bound was hit)."""
        self.n_bytes = n_bytes
        """XML bytes decompressed when the bound was hit (``None`` otherwise)."""


class FileTooLargeError(FileError):
    """The file is larger than the per-file byte limit."""

    def __init__(self, message: str, *, n_bytes: int, limit: int) -> None:
        super().__init__(message)
        self.n_bytes = n_bytes
        self.limit = limit


class FileDataURLError(FileError):
    """A file ``data:`` URL is malformed, or declares a MIME type its bytes are not."""


class FileSourceError(FileError):
    """The file source cannot be read: missing file, unsupported source type, closed file."""


class InvalidDetailError(OpenAIVisionExtError, ValueError):
    """``detail`` is not one of ``low``, ``high``, ``auto``, ``original``."""


class InvalidRequestError(OpenAIVisionExtError, ValueError):
    """The request has a shape that cannot be walked (e.g. ``input`` is neither str nor list)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem preflight found in a request."""

    code: str
    """Stable machine-readable code, e.g. ``"unsupported_format"``, ``"image_too_large"``."""
    message: str
    """Human sentence saying what is wrong and what to do."""
    image_index: int | None = None
    """Position of the image in request order (0-based), ``None`` for request-level problems."""
    location: str | None = None
    """Where in the request, as a path like ``input[0].content[1]``."""
    file_index: int | None = None
    """Position of the file part among the request's files (0-based), for file problems."""

    def __str__(self) -> str:
        where = (
            f"image {self.image_index} at {self.location}: " if self.image_index is not None else ""
        )
        if self.file_index is not None:
            where = f"file {self.file_index} at {self.location}: "
        if self.image_index is None and self.file_index is None and self.location:
            where = f"{self.location}: "
        return f"{where}{self.message}"


class PreflightError(OpenAIVisionExtError, ValueError):
    """A request failed preflight. ``violations`` lists every problem; nothing was sent."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        n = len(self.violations)
        super().__init__(
            f"request failed preflight with {n} problem{'s' if n != 1 else ''}; "
            f"nothing was sent:\n{lines}"
        )


class UnknownModelError(OpenAIVisionExtError, KeyError):
    """No image token rule is known for a model. Register one with ``register_model_rule``."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self.model = model

    def __str__(self) -> str:
        return (
            f"no image token rule for model {self.model!r}; pass a known model name, or add one "
            "with openai_vision_ext.register_model_rule(...)"
        )


class TokenizerError(OpenAIVisionExtError):
    """The offline tokenizer data is missing or failed its hash check."""


class MissingExtraError(OpenAIVisionExtError, ImportError):
    """An optional feature needs an extra: the message names the ``pip install`` to run."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional extra: pip install 'openai-vision-ext[{extra}]'"
        )
        self.extra = extra


class AuditConfigError(OpenAIVisionExtError, ValueError):
    """An audit pipeline or processor was configured with a value it cannot use."""


class PriceTableError(OpenAIVisionExtError, ValueError):
    """A user-supplied price table is malformed; the message names the bad entry."""


class InvalidOptionError(OpenAIVisionExtError, ValueError):
    """An image preparation or fetch option is out of range (a programming error)."""


class InvalidModelRuleError(OpenAIVisionExtError, ValueError):
    """``register_model_rule`` was given values that cannot form a rule."""


class FetchError(ImageSourceError):
    """An image URL could not be downloaded (only raised with ``fetch=True``)."""

    def __init__(self, message: str, *, url: str) -> None:
        from ._redact import redact_text, redact_url

        super().__init__(redact_text(message))
        self.url = redact_url(url)
        """The URL of the failing hop (after redirects), credentials and signatures redacted."""


class FetchURLError(FetchError):
    """The URL is not an http(s) URL with a host."""


class FetchBlockedError(FetchError):
    """The host resolves to an address the SSRF guard refuses."""

    def __init__(self, message: str, *, url: str, address: str) -> None:
        super().__init__(message, url=url)
        self.address = address
        """The refused address."""


class FetchRedirectError(FetchError):
    """Too many redirects, or a redirect without a usable ``Location``."""


class FetchStatusError(FetchError):
    """The server answered with a status other than 2xx."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class FetchTimeoutError(FetchError):
    """Connecting, reading, or the whole fetch took longer than allowed."""


class FetchTooLargeError(FetchError, ImageTooLargeError):
    """The body is larger than ``FetchOptions.max_bytes``; the download was cut off."""

    def __init__(self, message: str, *, url: str, n_bytes: int, limit: int) -> None:
        from ._redact import redact_text, redact_url

        ImageTooLargeError.__init__(self, redact_text(message), n_bytes=n_bytes, limit=limit)
        self.url = redact_url(url)


class BudgetExceededError(OpenAIVisionExtError):
    """An image cannot be fitted to a budget, or a request's estimate is over its budget.

    Nothing was sent. The message says by how much, and what the cheapest option costs (a fit)
    or which images cost most (a request).
    """

    def __init__(
        self,
        message: str,
        *,
        unit: Literal["tokens", "usd"],
        limit: float,
        cost: float,
        cheapest: tuple[str, int, int, int] | None = None,
        images: Sequence[tuple[int, int]] = (),
    ) -> None:
        super().__init__(message)
        self.unit = unit
        """What ``limit`` and ``cost`` count: input ``tokens`` or ``usd``."""
        self.limit = limit
        """The budget that was exceeded."""
        self.cost = cost
        """The estimate over it: the cheapest possible fit, or the request's upper bound."""
        self.over_by = cost - limit
        """``cost - limit``."""
        self.cheapest = cheapest
        """A fit's cheapest option as ``(detail, width, height, tokens)``, else ``None``."""
        self.images: tuple[tuple[int, int], ...] = tuple(images)
        """A request's images as ``(index, tokens)``, most expensive first."""
