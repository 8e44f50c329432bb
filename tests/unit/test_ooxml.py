"""Office documents (docx, xlsx, pptx): their text is read with the standard library, within
bounds; zip bombs and XML entity bombs get a typed error, quickly."""

from __future__ import annotations

import base64
import io
import time
import zipfile
import zlib

import pytest
from _pdfs import S, W, make_docx, make_ooxml, make_pptx, make_xlsx
from _private import MAX_TEXT_CHARS, MAX_XML_BYTES, MAX_ZIP_ENTRIES, document_text

from openai_vision_ext import (
    CorruptFileError,
    DocumentBombError,
    FileError,
    PreflightError,
    count_tokens,
    estimate_request,
    file_part,
    inspect_file,
    preflight,
)


def _tokens(text: str) -> int:
    return count_tokens(text, encoding="o200k_base")


# --- what is read -------------------------------------------------------------------------


def test_docx_text_is_its_runs_one_line_per_paragraph() -> None:
    doc = make_docx(
        "<w:p><w:r><w:t>Invoice</w:t></w:r><w:r><w:t xml:space='preserve'> 42</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Total</w:t><w:tab/><w:t>9.50 EUR</w:t><w:br/><w:t>paid</w:t></w:r></w:p>"
        "<w:p><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>"
    )
    expected = "Invoice 42\nTotal\t9.50 EUR\npaid\n"
    assert document_text(doc, "docx").text == expected
    info = inspect_file(doc)
    assert info.kind == "docx"
    assert info.text_tokens == _tokens(expected)
    assert info.document is not None
    assert (info.document.text_chars, info.document.truncated) == (len(expected), False)


def test_pptx_slides_are_read_in_slide_order_not_name_order() -> None:
    deck = make_pptx(
        {
            10: "<a:p><a:r><a:t>ten</a:t></a:r></a:p>",
            2: "<a:p><a:r><a:t>two</a:t></a:r></a:p><a:p><a:r><a:t>more</a:t></a:r></a:p>",
        }
    )
    read = document_text(deck, "pptx")
    assert (read.text, read.parts) == ("two\nmore\nten", 2)
    assert inspect_file(deck).text_tokens == _tokens("two\nmore\nten")


def test_xlsx_cells_are_tab_separated_rows_with_shared_and_inline_strings() -> None:
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>bolt</t></is></c><c r="B2"><f>1+2</f>'
        "<v>3</v></c></row>"
    )
    shared = make_xlsx({1: rows}, shared=["name", "qty"])
    read = document_text(shared, "xlsx")
    assert (read.text, read.sheets, read.sheets_cut) == ("name\tqty\nbolt\t3", 1, 0)


def test_xlsx_phonetic_runs_are_not_text() -> None:
    si = '<si><r><t>東京</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>'
    sst = f'<sst xmlns="{S}">{si}</sst>'
    row = '<row><c t="s"><v>0</v></c></row>'
    sheet = f'<worksheet xmlns="{S}"><sheetData>{row}</sheetData></worksheet>'
    book = make_ooxml(
        "xl/workbook.xml",
        f'<workbook xmlns="{S}"/>',
        **{"xl/sharedStrings.xml": sst, "xl/worksheets/sheet1.xml": sheet},
    )
    assert document_text(book, "xlsx").text == "東京"


def test_only_the_first_1000_rows_of_a_sheet_are_read() -> None:
    rows = "".join(f"<row><c><v>{i}</v></c></row>" for i in range(1, 1_501))
    book = make_xlsx({1: rows, 2: "<row><c><v>7</v></c></row>"})
    read = document_text(book, "xlsx")
    lines = read.text.split("\n")
    assert lines[:2] == ["1", "2"]
    assert lines[999:] == ["1000", "7"]
    assert (read.sheets, read.sheets_cut) == (2, 1)


def test_text_past_the_budget_is_not_collected_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from _private import ooxml_module

    monkeypatch.setattr(ooxml_module, "MAX_TEXT_CHARS", 10)
    doc = make_docx("".join(f"<w:p><w:r><w:t>line {i}</w:t></w:r></w:p>" for i in range(9)))
    read = document_text(doc, "docx")
    assert read.truncated
    assert read.text == "line 0"
    assert MAX_TEXT_CHARS == 8_000_000


# --- estimates ------------------------------------------------------------------------------


def _estimate(data: bytes):  # type: ignore[no-untyped-def]
    content = [{"type": "input_text", "text": "Summarize"}, file_part(data)]
    return estimate_request(model="gpt-5-nano", input=[{"role": "user", "content": content}])


def test_a_docx_estimate_is_bounded_by_its_text() -> None:
    text = "The quarterly report shows growth in every region."
    (f,) = _estimate(make_docx(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")).files
    assert f.text_tokens == _tokens(text)
    assert f.upper is not None
    assert f.lower <= f.tokens <= f.upper
    assert f.lower >= _tokens(text)
    assert not f.exact


def test_a_spreadsheet_upper_bound_covers_a_summary_per_sheet() -> None:
    one = _estimate(make_xlsx({1: "<row><c><v>1</v></c></row>"})).files[0]
    two = _estimate(make_xlsx({1: "<row><c><v>1</v></c></row>", 2: "<row/>"})).files[0]
    assert one.upper is not None
    assert two.upper is not None
    assert one.text_tokens is not None
    assert two.text_tokens is not None
    # SPREADSHEET_SUMMARY_UPPER more for the second sheet, beyond its text
    assert (two.upper - two.text_tokens) - (one.upper - one.text_tokens) == 1_000
    assert any("summary" in note for note in one.notes)


def test_the_real_xlsx_bills_file_share_lies_within_the_bounds() -> None:
    """rubyllm-038 (file_inputs.jsonl, gpt-5-nano, 2026-08): a one-sheet xlsx whose text is 16
    o200k tokens added 36 tokens beyond that text to the bill. The bounds of any one-sheet
    spreadsheet's extra (bounds minus text) must hold it."""
    rows = "".join(
        f"<row><c t='inlineStr'><is><t>{a}</t></is></c><c><v>{b}</v></c></row>"
        for a, b in (("Name", "Value"), ("Alpha", 1), ("Beta", 2), ("Gamma", 3))
    )
    (f,) = _estimate(make_xlsx({1: rows})).files
    assert f.text_tokens is not None
    assert f.upper is not None
    assert f.lower - f.text_tokens <= 36 <= f.upper - f.text_tokens


def test_a_truncated_document_has_no_upper_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from _private import ooxml_module

    monkeypatch.setattr(ooxml_module, "MAX_TEXT_CHARS", 5)
    (f,) = _estimate(make_docx("<w:p><w:r><w:t>a long paragraph</w:t></w:r></w:p>")).files
    assert f.upper is None
    assert any("lower bound" in note for note in f.notes)


# --- hostile documents ----------------------------------------------------------------------


def _zip(entries: dict[str, bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def _many_entries() -> bytes:
    """A docx-looking zip with one entry more than ``MAX_ZIP_ENTRIES`` (empty ones)."""
    entries = {"word/document.xml": b"<doc/>"}
    entries.update({f"x/{i}": b"" for i in range(MAX_ZIP_ENTRIES)})
    return _zip(entries, compress=zipfile.ZIP_STORED)


def test_a_zip_with_too_many_entries_is_refused_before_it_is_listed() -> None:
    data = _many_entries()
    start = time.perf_counter()
    with pytest.raises(DocumentBombError, match="entries") as caught:
        inspect_file(data)
    assert time.perf_counter() - start < 1.0
    assert caught.value.entries is not None
    assert caught.value.entries > MAX_ZIP_ENTRIES


def _deflate_bomb(xml_head: bytes, filler: bytes, n_bytes: int) -> bytes:
    """A docx whose ``word/document.xml`` inflates to ``n_bytes`` of well-formed XML, written as
    a raw deflate stream (never held inflated in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(xml_head)
            block = filler * ((1 << 20) // len(filler))
            written = len(xml_head)
            while written < n_bytes:
                part.write(block)
                written += len(block)
    return out.getvalue()


def test_a_zip_bomb_is_refused_from_its_declared_size_quickly() -> None:
    head = f'<w:document xmlns:w="{W}"><w:body>'.encode()
    data = _deflate_bomb(head, b"<w:p/>", MAX_XML_BYTES + (1 << 20))
    assert len(data) < MAX_XML_BYTES // 200  # a real bomb: hundreds of times smaller packed
    start = time.perf_counter()
    with pytest.raises(DocumentBombError, match="zip bomb") as caught:
        inspect_file(data)
    assert time.perf_counter() - start < 1.0
    assert caught.value.n_bytes is not None
    assert caught.value.n_bytes > MAX_XML_BYTES


def test_a_part_whose_declared_size_lies_fails_its_check() -> None:
    """zipfile stops at the declared size and checks the CRC: a lie is a corrupt file."""
    body = "<w:p><w:r><w:t>hi</w:t></w:r></w:p>"
    xml = f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": xml.encode()}))
    # shrink the declared uncompressed size in the central directory entry of document.xml
    name = b"word/document.xml"
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    with pytest.raises(FileError):
        inspect_file(bytes(data))


def test_an_xml_entity_bomb_is_refused_at_its_dtd() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    lol = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    start = time.perf_counter()
    with pytest.raises(DocumentBombError, match="DTD"):
        inspect_file(make_ooxml("word/document.xml", lol))
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "xml",
    ["<w:document><w:body>", "not xml at all", f'<w:document xmlns:w="{W}"><w:p></w:document>'],
)
def test_malformed_xml_is_a_corrupt_file(xml: str) -> None:
    with pytest.raises(CorruptFileError, match="not well-formed"):
        inspect_file(make_ooxml("word/document.xml", xml))


def test_a_broken_zip_is_a_corrupt_file() -> None:
    data = make_docx("<w:p/>")
    cut = data[: data.rfind(b"PK\x05\x06") - 40] + data[data.rfind(b"PK\x05\x06") :]
    with pytest.raises(CorruptFileError):
        inspect_file(cut)


def test_preflight_lists_a_bomb_with_its_code_and_sends_nothing() -> None:
    data = _many_entries()
    url = "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,"
    part = {"type": "input_file", "file_data": url + base64.b64encode(data).decode()}
    with pytest.raises(PreflightError) as caught:
        preflight(model="gpt-4o", input=[{"role": "user", "content": [part]}])
    assert [v.code for v in caught.value.violations] == ["document_bomb"]


def test_the_deflate_helper_really_inflates_to_the_size() -> None:
    """The bomb test's input is what it claims: its part inflates past the limit."""
    head = b"<a>"
    data = _deflate_bomb(head, b"<b/>", 3 << 20)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("word/document.xml").file_size >= 3 << 20
        raw = archive.read("word/document.xml")
    assert raw.startswith(head)
    assert zlib.crc32(raw) == archive.getinfo("word/document.xml").CRC
