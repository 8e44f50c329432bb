"""Tiny hand-built PDFs for tests: valid ones, lying page trees, huge boxes, encrypted.

``make_pdf`` is the one minimal PDF writer; the package's doctests get it from the root
``conftest.py`` (the package itself never writes PDFs)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "files"
"""Public one-page PDFs that real bills in ``shared/real-usage/file_inputs.jsonl`` used."""


def make_pdf(
    *,
    pages: int = 1,
    count: int | None = None,
    box: tuple[int, int] = (612, 792),
    text: str | None = None,
    encrypt: bool = False,
    kids_repeat: int = 1,
) -> bytes:
    """A PDF with ``pages`` pages of ``box`` points; ``count`` may lie about the page count;
    ``text`` is drawn on every page in Helvetica; ``encrypt`` adds a standard security handler
    whose user password is not empty (so a password is needed)."""
    first_page = 5 if text is not None else 3
    kids = " ".join(f"{first_page + i} 0 R" for i in range(pages) for _ in range(kids_repeat))
    page = f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 {box[0]} {box[1]}]"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        f"<</Type/Pages/Kids[{kids}]/Count {count if count is not None else pages}>>".encode(),
    ]
    if text is not None:
        stream = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
        objects.append(b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
        objects.append(b"<</Length %d>>\nstream\n%s\nendstream" % (len(stream), stream))
        page += "/Resources<</Font<</F1 3 0 R>>>>/Contents 4 0 R"
    objects += [(page + ">>").encode()] * pages
    trailer = f"<</Size {len(objects) + 1}/Root 1 0 R"
    if encrypt:
        objects.append(
            b"<</Filter/Standard/V 1/R 2/O<" + b"ab" * 32 + b">/U<" + b"cd" * 32 + b">/P -4>>"
        )
        trailer = f"<</Size {len(objects) + 1}/Root 1 0 R/Encrypt {len(objects)} 0 R"
        trailer += "/ID[<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += f"trailer\n{trailer}>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_ooxml(part: str, xml: str = "<doc/>", **more: str) -> bytes:
    """A minimal zip holding ``[Content_Types].xml``, ``part`` (e.g. ``word/document.xml``)
    with ``xml``, and the ``more`` parts by name (``**{"xl/sharedStrings.xml": ...}``)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, xml)
        for name, body in more.items():
            archive.writestr(name, body)
    return buf.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def make_docx(body: str) -> bytes:
    """A docx whose ``w:body`` holds ``body`` (``w:`` prefixed WordprocessingML)."""
    return make_ooxml(
        "word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    )


def make_pptx(slides: dict[int, str]) -> bytes:
    """A pptx with ``ppt/slides/slide<N>.xml`` holding ``a:`` paragraphs per slide number."""
    parts = {
        f"ppt/slides/slide{n}.xml": f'<p:sld xmlns:p="p" xmlns:a="{A}"><a:txBody>{xml}'
        "</a:txBody></p:sld>"
        for n, xml in slides.items()
    }
    return make_ooxml("ppt/presentation.xml", "<p:presentation xmlns:p='p'/>", **parts)


def make_xlsx(sheets: dict[int, str], shared: list[str] | None = None) -> bytes:
    """An xlsx with ``xl/worksheets/sheet<N>.xml`` holding ``sheetData`` rows, and shared
    strings."""
    parts = {
        f"xl/worksheets/sheet{n}.xml": f'<worksheet xmlns="{S}"><sheetData>{rows}</sheetData>'
        "</worksheet>"
        for n, rows in sheets.items()
    }
    if shared is not None:
        items = "".join(f"<si><t>{text}</t></si>" for text in shared)
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{S}">{items}</sst>'
    return make_ooxml("xl/workbook.xml", f'<workbook xmlns="{S}"/>', **parts)
