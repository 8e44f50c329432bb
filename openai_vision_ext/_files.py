"""PURE: what a file input is, from its bytes (never its name): kind, MIME, size, sha256, and
for PDFs the facts that decide what it costs (pages, page sizes, encryption, text layer).

* :func:`sniff_file` tells a PDF (``%PDF-`` in the first kilobyte), an OOXML document (a zip
  holding ``word/``, ``xl/`` or ``ppt/`` parts) and UTF-8 text apart; anything else is refused.
* :func:`pdf_facts` reads a PDF in two steps. First a bounded pure scan (regular expressions over
  the bytes, no object is built) reads the largest ``/Count`` of the page tree, counts
  ``/Type /Page`` objects (up to one past the limit), reads the literal page boxes and
  ``/UserUnit`` and looks for ``/Encrypt``: a PDF claiming or holding more than
  :data:`MAX_PDF_PAGES` pages, or with a page box beyond :data:`MAX_PAGE_SIDE_PT`, is refused
  here, before any parser sees it. Then, with the
  optional ``[pdf]`` extra (pypdfium2, no network, no Ghostscript), PDFium gives the page count,
  each page's size in points (from the page dictionary; nothing is rendered) and the text
  layer. A page box beyond the PDF format's own limit (:data:`MAX_PAGE_SIDE_PT`) is refused.
  Without the extra, the scan's numbers are kept and marked as such (``reader="scan"``).
* :func:`inspect_file` combines both into a :class:`FileInfo`.

Text tokens are counted with ``o200k_base``, the encoding of every model that accepts files.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal, TypeAlias

from ._dataurl import Flavour, decode, parse_head
from ._exceptions import (
    CorruptFileError,
    EncryptedPdfError,
    FileDataURLError,
    ImageError,
    MissingExtraError,
    PdfBombError,
    UnsupportedFileTypeError,
)
from ._ooxml import DocumentFacts, document_facts
from ._types import MB

__all__ = [
    "DEFAULT_FILE_LIMITS",
    "FILE_LIMIT_PROFILES",
    "FILE_MIME_TYPES",
    "MAX_PAGE_SIDE_PT",
    "MAX_PDF_PAGES",
    "FileInfo",
    "FileKind",
    "FileLimits",
    "PdfFacts",
    "decode_file_data_url",
    "has_pdf_extra",
    "inspect_file",
    "mime_agrees",
    "pdf_facts",
    "sniff_file",
]

FileKind: TypeAlias = Literal["pdf", "docx", "xlsx", "pptx", "text"]

Reader: TypeAlias = Literal["auto", "pdfium", "scan"]
"""How to read a PDF: PDFium if installed (``auto``), PDFium required, or the pure scan."""

FILE_MIME_TYPES: Final[Mapping[FileKind, str]] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text": "text/plain",
}
"""The MIME type each sniffed kind is sent as (one home for this table)."""

_EXTENSIONS: Final[Mapping[FileKind, str]] = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "text": "txt",
}

MAX_PDF_PAGES: Final = 10_000
"""Most pages a PDF may claim before it is refused as a bomb: 100 times the only page limit
OpenAI has stated (100 pages per request, 2025 file-inputs guide)."""

MAX_PAGE_SIDE_PT: Final = 14_400.0
"""Largest page side in points (200 inches): the PDF format's implementation limit (ISO 32000-1,
annex C). A bigger page box is refused as a bomb (it would render to an absurd image)."""

_OOXML_PARTS: Final[tuple[tuple[bytes, FileKind], ...]] = (
    (b"word/document", "docx"),
    (b"xl/workbook", "xlsx"),
    (b"ppt/presentation", "pptx"),
)
_IMAGE_HINT: Final = "it is an image: send it with image_part()/image_url_part() instead"


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfFacts:
    """What a PDF's bytes say about its cost. Never holds its text or bytes.

    >>> facts = pdf_facts(make_pdf(), reader="scan")
    >>> (facts.pages, facts.encrypted, facts.reader)
    (1, False, 'scan')
    """

    pages: int
    """Number of pages (PDFium's count; the scan's best reading without the extra)."""
    page_sizes_pt: tuple[tuple[float, float], ...] = ()
    """(width, height) of each page in points (1/72 in); empty without the extra."""
    encrypted: bool = False
    """The PDF has an ``/Encrypt`` dictionary (it may still open without a password)."""
    text_chars: int | None = None
    """Characters in the text layer; ``None`` without the extra."""
    text_tokens: int | None = None
    """``o200k_base`` tokens of the text layer, pages joined; ``None`` without the extra."""
    page_text_tokens: tuple[int, ...] = ()
    """Text-layer tokens per page (0: a scan or a picture); empty without the extra."""
    reader: Literal["pdfium", "scan"] = "scan"
    """``pdfium`` (the ``[pdf]`` extra) or ``scan`` (bounded pure scan: pages may be off when
    the page tree sits in compressed object streams)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    """What one file input is, from its bytes. Never holds its content or its name.

    >>> info = inspect_file(b"Hello, file inputs!\\n")
    >>> (info.kind, info.mime, info.n_bytes, info.text_tokens)
    ('text', 'text/plain', 20, 5)
    """

    kind: FileKind
    mime: str
    """MIME type sent (from :data:`FILE_MIME_TYPES`)."""
    n_bytes: int
    """Size of the file in bytes (decoded, not base64 characters)."""
    sha256: str = field(repr=False)
    """Hex sha256 of the bytes: how reports and audit records identify a file."""
    pdf: PdfFacts | None = None
    """PDF facts (``None`` for other kinds)."""
    text_tokens: int | None = None
    """``o200k_base`` tokens of the text (a PDF's text layer with the extra, a text file's
    text, an Office document's text as :mod:`._ooxml` extracts it); ``None`` when unknown (PDFs
    without the extra)."""
    document: DocumentFacts | None = None
    """Office document facts: sheets, rows past the API's 1,000 a sheet, truncation (``None``
    for other kinds)."""

    @property
    def extension(self) -> str:
        """The extension a default ``filename`` gets (``pdf``, ``docx``, ``txt``, ...)."""
        return _EXTENSIONS[self.kind]


def sniff_file(data: bytes | bytearray | memoryview) -> FileKind:
    """What kind of file ``data`` is, from its bytes only.

    >>> sniff_file(b"%PDF-1.7\\n...")
    'pdf'
    >>> sniff_file(b"name,qty\\nbolt,3\\n")
    'text'
    >>> sniff_file(b"\\x89PNG\\r\\n\\x1a\\n")
    Traceback (most recent call last):
    ...
    openai_vision_ext.UnsupportedFileTypeError: the file is a PNG image, not a \
document; it is an image: send it with image_part()/image_url_part() instead
    """
    view = memoryview(data)
    if not len(view):
        raise UnsupportedFileTypeError("the file is empty (0 bytes)", detected="empty")
    head = bytes(view[:1024])
    if head.find(b"%PDF-") >= 0:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(bytes(view))
    image = _image_format(head)
    if image is not None:
        raise UnsupportedFileTypeError(
            f"the file is a {image.upper()} image, not a document; {_IMAGE_HINT}", detected=image
        )
    if _is_utf8_text(view):
        return "text"
    raise UnsupportedFileTypeError(
        "the file is neither a PDF, an Office document (docx, xlsx, pptx) nor UTF-8 text; "
        "convert it to PDF or text first",
        detected="binary",
    )


def inspect_file(data: bytes | bytearray | memoryview, *, reader: Reader = "auto") -> FileInfo:
    """Sniff ``data`` and read what decides its cost (see the module docstring).

    ``reader``: ``auto`` (PDFium when the ``[pdf]`` extra is installed, else the scan),
    ``pdfium`` (require the extra) or ``scan``.

    >>> info = inspect_file(make_pdf(), reader="scan")
    >>> (info.kind, info.mime, info.pdf.pages)
    ('pdf', 'application/pdf', 1)
    """
    kind = sniff_file(data)
    known = FileInfo(
        kind=kind,
        mime=FILE_MIME_TYPES[kind],
        n_bytes=memoryview(data).nbytes,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if kind == "pdf":
        facts = pdf_facts(data, reader=reader)
        return replace(known, pdf=facts, text_tokens=facts.text_tokens)
    if kind == "text":
        from ._text import count_tokens

        text = bytes(data).decode("utf-8-sig")
        return replace(known, text_tokens=count_tokens(text, encoding="o200k_base"))
    document = document_facts(bytes(data), kind)
    return replace(known, text_tokens=document.text_tokens, document=document)


def has_pdf_extra() -> bool:
    """Whether the ``[pdf]`` extra (pypdfium2) is installed.

    >>> isinstance(has_pdf_extra(), bool)
    True
    """
    try:
        import pypdfium2  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def pdf_facts(data: bytes | bytearray | memoryview, *, reader: Reader = "auto") -> PdfFacts:
    """Pages, page sizes, encryption and text layer of a PDF; bombs and broken files refused.

    Raises :class:`PdfBombError` (absurd page count or page box), :class:`EncryptedPdfError`
    (a password is needed) or :class:`CorruptFileError`. Memory stays bounded by the input:
    nothing is rendered, and no page is loaded before the page count has been checked.

    >>> pdf_facts(make_pdf(pages=2), reader="scan").pages
    2
    >>> pdf_facts(make_pdf(count=5_000_000), reader="scan")
    Traceback (most recent call last):
    ...
    openai_vision_ext.PdfBombError: the PDF's page tree claims 5,000,000 pages, \
more than 10,000; refusing it as a PDF bomb (split real documents into smaller files)
    """
    buf = bytes(data)
    unit = _user_unit(buf)
    scanned = _scan(buf, unit)
    use_pdfium = reader == "pdfium" or (reader == "auto" and has_pdf_extra())
    if use_pdfium:
        if not has_pdf_extra():
            raise MissingExtraError("reading PDF pages and text", "pdf")
        return _pdfium_facts(buf, encrypted=scanned.encrypted, unit=unit)
    return scanned


# -- the bounded pure scan -----------------------------------------------------------------

_COUNT = re.compile(rb"/Count\s+(\d{1,12})")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_ENCRYPT = re.compile(rb"/Encrypt[\s/<\d]")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm")
_NUMBER = rb"\s*([-+]?\d*\.?\d+)"
_BOX = re.compile(rb"/(Media|Crop)Box\s*\[([^\]]{0,200})\]")
"""A literal page box array; its four numbers are split in Python (one regex group per number
backtracks: ten times slower on a 10,000-page file)."""
_USER_UNIT = re.compile(rb"/UserUnit" + _NUMBER)
_MAX_BOXES: Final = 100_000
"""Page boxes the scan reads at most (two a page for the most pages allowed, five times over)."""


def _user_unit(buf: bytes) -> float:
    """The largest ``/UserUnit`` (PDF 1.6: a page unit of that many 1/72 in; 1 when absent).
    PDFium reports page sizes in units, so the bomb check multiplies by it."""
    units = []
    for match in itertools.islice(_USER_UNIT.finditer(buf), _MAX_BOXES):
        try:
            units.append(float(match.group(1)))
        except ValueError:
            continue
    return max((u for u in units if u > 0), default=1.0)


def _scan(buf: bytes, unit: float = 1.0) -> PdfFacts:
    if buf.rfind(b"%%EOF", max(0, len(buf) - 2048)) < 0:
        raise CorruptFileError(
            "the PDF has no end-of-file marker ('%%EOF'): it is truncated or not a PDF; "
            "send the complete file"
        )
    claimed = max((int(m.group(1)) for m in _COUNT.finditer(buf)), default=0)
    if claimed > MAX_PDF_PAGES:
        raise _too_many_pages(claimed, "the PDF's page tree claims")
    page_objects = sum(1 for _ in itertools.islice(_PAGE.finditer(buf), MAX_PDF_PAGES + 1))
    if page_objects > MAX_PDF_PAGES:
        raise _too_many_pages(page_objects, "the PDF holds at least")
    _check_boxes(buf, unit)
    pages = claimed or page_objects
    if not pages and not _OBJSTM.search(buf):
        raise CorruptFileError("the PDF has no pages; send a PDF with at least one page")
    return PdfFacts(pages=max(pages, 1), encrypted=_ENCRYPT.search(buf) is not None)


def _check_boxes(buf: bytes, unit: float) -> None:
    """Refuse a page box beyond :data:`MAX_PAGE_SIDE_PT` (times ``unit``, the ``/UserUnit``),
    from the literal ``/MediaBox`` and ``/CropBox`` arrays (the crop box when the file has any:
    it is what a page renders at)."""
    largest: dict[bytes, tuple[float, float]] = {}
    for match in itertools.islice(_BOX.finditer(buf), _MAX_BOXES):
        try:
            x1, y1, x2, y2 = (float(n) for n in match.group(2).split())
        except ValueError:  # not four numbers
            continue
        side = (abs(x2 - x1) * unit, abs(y2 - y1) * unit)
        kind = match.group(1)
        if max(side) > max(largest.get(kind, (0.0, 0.0))):
            largest[kind] = side
    width, height = largest.get(b"Crop") or largest.get(b"Media") or (0.0, 0.0)
    if max(width, height) > MAX_PAGE_SIDE_PT:
        raise _huge_page(0, width, height)


def _huge_page(page: int, width: float, height: float) -> PdfBombError:
    where = f"page {page} of the PDF is" if page else "a page box of the PDF is"
    return PdfBombError(
        f"{where} {width:,.0f} x {height:,.0f} pt; pages larger than {MAX_PAGE_SIDE_PT:,.0f} pt "
        "(200 in) a side, or empty, are refused as a PDF bomb",
        width_pt=width,
        height_pt=height,
    )


def _too_many_pages(pages: int, what: str) -> PdfBombError:
    return PdfBombError(
        f"{what} {pages:,} pages, more than {MAX_PDF_PAGES:,}; refusing it as a PDF bomb "
        "(split real documents into smaller files)",
        pages=pages,
    )


# -- PDFium (the [pdf] extra) ----------------------------------------------------------------


def _pdfium_facts(buf: bytes, *, encrypted: bool, unit: float = 1.0) -> PdfFacts:
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    from ._text import count_tokens

    try:
        doc = pdfium.PdfDocument(buf)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPdfError(
                "the PDF needs a password to open; OpenAI cannot read it either: send a "
                "decrypted copy"
            ) from None
        raise CorruptFileError(
            f"the PDF cannot be parsed ({_pdfium_reason(exc)}); re-save it with a PDF tool"
        ) from None
    try:
        pages = len(doc)
        if pages > MAX_PDF_PAGES:
            raise _too_many_pages(pages, "the PDF has")
        if pages < 1:
            raise CorruptFileError("the PDF has no pages; send a PDF with at least one page")
        sizes = []
        for i in range(pages):
            width, height = (side * unit for side in doc.get_page_size(i))
            if not (0 < width <= MAX_PAGE_SIDE_PT and 0 < height <= MAX_PAGE_SIDE_PT):
                raise _huge_page(i + 1, width, height)
            sizes.append((float(width), float(height)))
        texts = [_page_text(doc, i) for i in range(pages)]
        page_tokens = tuple(count_tokens(t, encoding="o200k_base") for t in texts)
        joined = "\n".join(t for t in texts if t)
        return PdfFacts(
            pages=pages,
            page_sizes_pt=tuple(sizes),
            encrypted=encrypted or _pdfium_encrypted(doc),
            text_chars=sum(len(t) for t in texts),
            text_tokens=count_tokens(joined, encoding="o200k_base") if joined else 0,
            page_text_tokens=page_tokens,
            reader="pdfium",
        )
    finally:
        doc.close()


def _page_text(doc: object, index: int) -> str:
    page = doc[index]  # type: ignore[index]
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_bounded())
        finally:
            textpage.close()
    except Exception as exc:  # PDFium reports broken page content as PdfiumError
        raise CorruptFileError(
            f"page {index + 1} of the PDF cannot be read ({type(exc).__name__}); re-save it "
            "with a PDF tool"
        ) from None
    finally:
        page.close()


def _pdfium_encrypted(doc: object) -> bool:
    import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped,unused-ignore]

    return bool(pdfium_c.FPDF_GetSecurityHandlerRevision(doc.raw) != -1)  # type: ignore[attr-defined]


def _pdfium_reason(exc: Exception) -> str:
    text = str(exc)
    start, end = text.find("(PDFium: "), text.rfind(")")
    return text[start + 9 : end] if 0 <= start < end else "PDFium could not load it"


# -- other kinds -----------------------------------------------------------------------------


def _ooxml_kind(buf: bytes) -> FileKind:
    # Part names are stored uncompressed in each local header and the central directory.
    for marker, kind in _OOXML_PARTS:
        if buf.find(marker) >= 0:
            return kind
    raise UnsupportedFileTypeError(
        "the file is a zip archive but not a docx, xlsx or pptx document; send the documents "
        "inside it one by one",
        detected="zip",
    )


def _image_format(head: bytes) -> str | None:
    from ._image.images import sniff_format

    try:
        return sniff_format(head)
    except ImageError:
        return None


def _is_utf8_text(view: memoryview) -> bool:
    if 0 in view[:65536]:
        return False
    try:
        str(view, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- data URLs ----------------------------------------------------------------------------------


def decode_file_data_url(url: str) -> tuple[str, bytes]:
    """Split a base64 file ``data:`` URL into (declared MIME, bytes), strictly.

    >>> decode_file_data_url("data:application/pdf;base64,JVBERi0=")
    ('application/pdf', b'%PDF-')
    """
    mime, start = parse_head(url, _FILE_URL)
    return mime, decode(url, _FILE_URL, start)


_FILE_URL: Final = Flavour(FileDataURLError, "data:application/pdf;base64,...", "file_part()")
"""How file data URLs report problems (the parsing itself is ``_dataurl``'s)."""


def mime_agrees(declared: str, info: FileInfo) -> bool:
    """Whether a data URL's declared MIME fits the sniffed kind (any text type for text).

    >>> mime_agrees("text/markdown", inspect_file(b"# hi"))
    True
    """
    if info.kind == "text":  # text/markdown, text/csv, application/json ... are all text
        return declared.startswith("text/") or declared in _TEXT_APPLICATION_MIMES
    return declared == info.mime


_TEXT_APPLICATION_MIMES: Final = frozenset(
    {"application/json", "application/xml", "application/javascript", "application/x-yaml"}
)


# -- limits --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FileLimits:
    """OpenAI's file input limits as of a date (MB = 10^6 bytes, the stricter reading).

    >>> FILE_LIMIT_PROFILES["2025"].max_pages
    100
    """

    max_file_bytes: int
    """Most bytes of one file."""
    max_total_bytes: int
    """Most file bytes in one request, all files together."""
    max_pages: int | None
    """Most PDF pages in one request, all files together; ``None`` when no limit is stated."""
    name: str = "custom"
    source: str = ""


FILE_LIMIT_PROFILES: Final[Mapping[str, FileLimits]] = {
    "2025": FileLimits(
        name="2025",
        max_file_bytes=32 * MB,
        max_total_bytes=32 * MB,
        max_pages=100,
        source="OpenAI 'File inputs' guide, 2025: up to 100 pages and 32 MB of total content "
        "in a single request",
    ),
    "2026": FileLimits(
        name="2026",
        max_file_bytes=50 * MB,
        max_total_bytes=50 * MB,
        max_pages=None,
        source="OpenAI 'File inputs' guide, 2026-02 to 2026-07 copies: each file under 50 MB, "
        "50 MB combined across all files in one request",
    ),
}
"""Dated file limit profiles; the newest is the default."""

DEFAULT_FILE_LIMITS: Final = FILE_LIMIT_PROFILES["2026"]
