"""File inputs: sniffing from bytes, PDF facts, bombs, and the SDK parts ``file_part`` builds."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from _pdfs import DATA, make_ooxml, make_pdf

from openai_vision_ext import (
    CorruptFileError,
    EncryptedPdfError,
    FileDataURLError,
    FileError,
    FileSourceError,
    FileTooLargeError,
    InvalidDetailError,
    MissingExtraError,
    PdfBombError,
    UnsupportedFileTypeError,
    chat_file_part,
    file_part,
    inspect_file,
    pdf_facts,
    sniff_file,
)

READERS = ["pdfium", "scan"]

# What the harvest recorded for these PDFs (shared/real-usage/file_inputs.jsonl, pypdfium2).
RECORDED = {
    "rubyllm-001.pdf": (1, (612.0, 792.0), 737),
    "mirascope-001.pdf": (1, (612.0, 792.0), 4),
    "mirascope-003.pdf": (1, (595.0, 842.0), 3),
    "crewai-001.pdf": (1, (612.0, 792.0), 0),
}


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (make_pdf(), "pdf"),
        (b"\xef\xbb\xbf# notes\n- one\n", "text"),
        (make_ooxml("word/document.xml"), "docx"),
        (make_ooxml("xl/workbook.xml"), "xlsx"),
        (make_ooxml("ppt/presentation.xml"), "pptx"),
    ],
)
def test_sniff_reads_the_kind_from_the_bytes(data: bytes, kind: str) -> None:
    """PDF, OOXML documents and UTF-8 text are told apart by their bytes alone."""
    assert sniff_file(data) == kind


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "png"),
        (make_ooxml("other/thing.xml"), "zip"),
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 latin-1", "binary"),
    ],
)
def test_sniff_refuses_what_is_not_a_document(data: bytes, detected: str) -> None:
    """Empty, images, plain zips and binary data get a typed error naming what they are."""
    with pytest.raises(UnsupportedFileTypeError) as info:
        sniff_file(data)
    assert info.value.detected == detected


def test_a_pdf_named_txt_is_still_a_pdf(tmp_path: Path) -> None:
    """The file name never decides the kind."""
    path = tmp_path / "notes.txt"
    path.write_bytes(make_pdf())
    part = file_part(path)
    assert part["file_data"].startswith("data:application/pdf;base64,")
    assert part["filename"] == "document.pdf"


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_pdfium_facts_match_the_recorded_pdfs(name: str) -> None:
    """Pages, page sizes and text-layer tokens equal what the harvest recorded for real PDFs."""
    pages, size, tokens = RECORDED[name]
    facts = pdf_facts((DATA / name).read_bytes(), reader="pdfium")
    assert (facts.pages, facts.page_sizes_pt[0], facts.text_tokens) == (pages, size, tokens)
    assert facts.reader == "pdfium"
    assert facts.encrypted is False


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_the_scan_counts_the_same_pages(name: str) -> None:
    """Without the extra, the bounded scan finds the page count, and no sizes or text."""
    facts = pdf_facts((DATA / name).read_bytes(), reader="scan")
    assert (facts.pages, facts.page_sizes_pt, facts.text_tokens) == (RECORDED[name][0], (), None)


def test_text_layer_tokens_per_page() -> None:
    """Each page's text is counted; a page without text counts 0 (a scan or a picture)."""
    facts = pdf_facts(make_pdf(pages=3, text="Invoice 42"), reader="pdfium")
    assert facts.page_text_tokens == (3, 3, 3)
    assert pdf_facts(make_pdf(pages=2), reader="pdfium").page_text_tokens == (0, 0)


@pytest.mark.parametrize("reader", READERS)
def test_millions_of_claimed_pages_are_refused_quickly(reader: str) -> None:
    """A page tree claiming 5 million pages is a bomb, refused in well under a second."""
    start = time.perf_counter()
    with pytest.raises(PdfBombError) as info:
        pdf_facts(make_pdf(count=5_000_000), reader=reader)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 1.0
    assert info.value.pages == 5_000_000


def test_a_real_page_tree_of_200k_pages_is_refused_with_bounded_memory() -> None:
    """200,000 page references (1.2 MB) are refused before PDFium builds a single page, and the
    peak memory stays within a few times the file."""
    data = make_pdf(kids_repeat=200_000, count=200_000)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(PdfBombError):
        inspect_file(data)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 4 * len(data)


def test_a_page_tree_that_hides_its_count_is_caught_by_pdfium() -> None:
    """A tree whose ``/Count`` says 1 but holds 20,000 kids: PDFium's own count is checked too."""
    data = make_pdf(kids_repeat=20_000, count=1).replace(b"/Count 1>>", b">>")
    with pytest.raises(PdfBombError):
        pdf_facts(data, reader="pdfium")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("box", [(10_000_000, 792), (612, 20_000), (14_401, 14_401)])
def test_a_huge_page_box_is_refused(box: tuple[int, int], reader: str) -> None:
    """Pages beyond the PDF format's 200-inch (14,400 pt) limit are refused, with or without
    the extra."""
    start = time.perf_counter()
    with pytest.raises(PdfBombError) as info:
        pdf_facts(make_pdf(box=box), reader=reader)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 1.0
    assert (info.value.width_pt, info.value.height_pt) == box


@pytest.mark.parametrize("reader", READERS)
def test_a_user_unit_that_blows_up_the_page_is_refused(reader: str) -> None:
    """``/UserUnit`` 100 makes a Letter page 61,200 x 79,200 pt: PDFium reports it in units
    (612 x 792), so the scan's unit is applied to both readers."""
    data = make_pdf().replace(b"/MediaBox[0 0 612 792]", b"/MediaBox[0 0 612 792]/UserUnit 100")
    with pytest.raises(PdfBombError) as info:
        pdf_facts(data, reader=reader)  # type: ignore[arg-type]
    assert (info.value.width_pt, info.value.height_pt) == (61_200, 79_200)
    normal = make_pdf().replace(b"/MediaBox[0 0 612 792]", b"/MediaBox[0 0 612 792]/UserUnit 2")
    assert pdf_facts(normal, reader=reader).pages == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("reader", READERS)
def test_a_sane_crop_box_over_a_huge_media_box_is_what_renders(reader: str) -> None:
    """Both readers size a page by its crop box when it has one."""
    data = make_pdf(box=(100_000, 792)).replace(
        b"/MediaBox[0 0 100000 792]", b"/MediaBox[0 0 100000 792]/CropBox[0 0 612 792]"
    )
    assert pdf_facts(data, reader=reader).pages == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("reader", READERS)
def test_more_page_objects_than_the_limit_are_refused_whatever_the_count_says(
    reader: str,
) -> None:
    """10,001 real page objects under a ``/Count 1`` page tree: the scan stops counting one
    past the limit and refuses it before PDFium parses anything."""
    data = make_pdf(pages=10_001, count=1)
    start = time.perf_counter()
    with pytest.raises(PdfBombError) as info:
        pdf_facts(data, reader=reader)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 1.0
    assert info.value.pages == 10_001


def test_a_pdf_needing_a_password_is_refused() -> None:
    """PDFium cannot open it, and neither can OpenAI: a typed error says to decrypt it."""
    with pytest.raises(EncryptedPdfError, match="password"):
        pdf_facts(make_pdf(encrypt=True), reader="pdfium")


def test_the_scan_sees_encryption() -> None:
    """Without the extra the ``/Encrypt`` entry is still found."""
    assert pdf_facts(make_pdf(encrypt=True), reader="scan").encrypted is True


@pytest.mark.parametrize("reader", READERS)
def test_a_truncated_pdf_is_corrupt(reader: str) -> None:
    """A PDF cut in the middle has no end marker: corrupt, not a crash."""
    data = make_pdf()
    with pytest.raises(CorruptFileError, match="truncated"):
        pdf_facts(data[: len(data) // 2], reader=reader)  # type: ignore[arg-type]


def test_garbage_after_the_header_is_corrupt() -> None:
    """PDFium's load failure becomes a CorruptFileError with its reason."""
    with pytest.raises(CorruptFileError, match="cannot be parsed"):
        pdf_facts(b"%PDF-1.4\n1 0 obj<</Type/Page>>endobj\n%%EOF\n", reader="pdfium")


def test_inspect_file_identifies_without_content() -> None:
    """FileInfo holds kind, MIME, size and sha256; its repr shows no hash or content."""
    data = (DATA / "mirascope-001.pdf").read_bytes()
    info = inspect_file(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert (info.kind, info.n_bytes, info.text_tokens) == ("pdf", len(data), 4)
    assert "Hello" not in repr(info)
    assert info.sha256 not in repr(info)


# -- file_part / chat_file_part ---------------------------------------------------------------


def _decoded(url: str) -> bytes:
    return base64.b64decode(url.partition(",")[2])


def test_file_part_from_path_bytes_and_file_object_are_equal(tmp_path: Path) -> None:
    """Every local source gives the same part, carrying exactly the file's bytes."""
    data = (DATA / "mirascope-003.pdf").read_bytes()
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    parts = [file_part(path), file_part(str(path)), file_part(data), file_part(io.BytesIO(data))]
    assert all(p == parts[0] for p in parts)
    assert _decoded(parts[0]["file_data"]) == data
    assert set(parts[0]) == {"type", "file_data", "filename"}


def test_file_part_passes_a_checked_data_url_through() -> None:
    """A valid data URL is sent unchanged; ``filename`` and ``detail`` are added."""
    url = "data:application/pdf;base64," + base64.b64encode(make_pdf()).decode()
    part = file_part(url, filename="invoice.pdf", detail="high")
    assert part == {
        "type": "input_file",
        "file_data": url,
        "filename": "invoice.pdf",
        "detail": "high",
    }


def test_file_part_refuses_a_data_url_that_lies() -> None:
    """A data URL declaring PDF but holding text is refused before sending."""
    url = "data:application/pdf;base64," + base64.b64encode(b"just text").decode()
    with pytest.raises(FileDataURLError, match="declares 'application/pdf'"):
        file_part(url)


def test_text_data_urls_may_declare_any_text_type() -> None:
    """Markdown, CSV and JSON are all text; their declared MIME is kept."""
    url = "data:text/markdown;base64," + base64.b64encode(b"# Title\n").decode()
    assert file_part(url)["file_data"] == url


def test_file_part_references_urls_and_ids_without_reading_them() -> None:
    """http(s) URLs become ``file_url`` and ids ``file_id``; nothing is fetched."""
    assert file_part("https://example.com/a.pdf", filename="a.pdf") == {
        "type": "input_file",
        "file_url": "https://example.com/a.pdf",
        "filename": "a.pdf",
    }
    assert file_part(file_id="file-1") == {"type": "input_file", "file_id": "file-1"}


@pytest.mark.parametrize("detail", ["medium", "original", 1])
def test_file_detail_is_auto_low_or_high(detail: object) -> None:
    """``original`` is an image detail, not a file detail."""
    with pytest.raises(InvalidDetailError):
        file_part(make_pdf(), detail=detail)  # type: ignore[arg-type]


def test_detail_is_refused_on_documents_that_are_not_pdfs() -> None:
    """``detail`` is for PDFs only (the API's rule)."""
    with pytest.raises(InvalidDetailError, match="only to PDFs"):
        file_part(make_ooxml("word/document.xml"), detail="low")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, FileSourceError),
        ({"source": b"x", "file_id": "file-1"}, FileSourceError),
        ({"file_id": ""}, FileSourceError),
        ({"source": 42}, FileSourceError),
        ({"source": "/no/such/file.pdf"}, FileSourceError),
    ],
)
def test_bad_sources_get_typed_errors(kwargs: dict[str, object], error: type[Exception]) -> None:
    """Neither/both sources, empty ids, wrong types and missing paths: one error family."""
    with pytest.raises(error):
        file_part(**kwargs)  # type: ignore[arg-type]


def test_an_oversized_file_is_refused_from_its_size(tmp_path: Path) -> None:
    """A 51 MB (sparse) file is refused from ``stat`` before a byte is read."""
    path = tmp_path / "big.pdf"
    with path.open("wb") as fh:
        fh.truncate(51_000_000)
    with pytest.raises(FileTooLargeError) as info:
        file_part(path)
    assert (info.value.n_bytes, info.value.limit) == (51_000_000, 50_000_000)


def test_part_errors_are_file_errors() -> None:
    """Every problem a file part can have is a FileError (and a ValueError)."""
    for bad in (b"", make_pdf(count=10**7), make_pdf(encrypt=True)):
        with pytest.raises(FileError):
            file_part(bad)


def test_chat_file_part_is_the_sdk_file_part() -> None:
    """Chat Completions' ``file`` part: ``file_data`` + ``filename``, no ``detail``."""
    data = make_pdf()
    part = chat_file_part(data)
    assert part["type"] == "file"
    assert _decoded(part["file"]["file_data"]) == data
    assert part["file"]["filename"] == "document.pdf"
    assert chat_file_part(file_id="file-9") == {"type": "file", "file": {"file_id": "file-9"}}


@pytest.mark.parametrize("source", [b"# markdown\n", make_ooxml("word/document.xml")])
def test_chat_file_part_takes_only_pdfs(source: bytes) -> None:
    """The API answers 400 for other MIME types on Chat Completions; refuse before that."""
    with pytest.raises(UnsupportedFileTypeError, match="only PDF"):
        chat_file_part(source)


def test_chat_file_part_takes_no_url() -> None:
    """Chat Completions has no ``file_url``; the error points to the alternatives."""
    with pytest.raises(FileSourceError, match="file_url"):
        chat_file_part("https://example.com/a.pdf")


def test_parts_serialise_as_json() -> None:
    """The parts are plain dicts the SDK sends as they are."""
    json.dumps([file_part(make_pdf()), chat_file_part(make_pdf())])


def test_without_the_extra_the_scan_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pypdfium2: pages from the scan, no sizes or text; asking for PDFium names the extra."""
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    info = inspect_file((DATA / "rubyllm-001.pdf").read_bytes())
    assert info.pdf is not None
    assert (info.pdf.reader, info.pdf.pages, info.text_tokens) == ("scan", 1, None)
    with pytest.raises(MissingExtraError, match=r"openai-vision-ext\[pdf\]"):
        pdf_facts(make_pdf(), reader="pdfium")
