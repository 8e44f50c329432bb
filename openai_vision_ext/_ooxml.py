"""PURE: the text of an OOXML document (docx, xlsx, pptx), read with the standard library only,
within fixed bounds (a zip bomb is refused, never expanded).

What OpenAI sends the model for these documents is "text only" (the File inputs guide); for
spreadsheets "up to the first 1,000 rows per sheet, plus model-generated summary and header
metadata". Its extraction format is not documented, so this one is plain and stated:

* docx: the ``w:t`` runs of ``word/document.xml``, one line per paragraph (tabs and breaks kept);
* pptx: the ``a:t`` runs of each slide (``ppt/slides/slideN.xml``, in slide order), one line per
  paragraph;
* xlsx: each worksheet's cell values (shared strings resolved), tab-separated, one line per row,
  the first :data:`SPREADSHEET_MAX_ROWS` rows of each sheet.

Bounds, checked while reading (the zip's declared sizes are not trusted): at most
:data:`MAX_ZIP_ENTRIES` entries, :data:`MAX_XML_BYTES` of XML decompressed in all, no XML DTD
(OOXML has none; a DTD is how entity-expansion bombs work). Over them: ``DocumentBombError``.
Text beyond :data:`MAX_TEXT_CHARS` (more than any model's context window) is not collected:
``truncated`` says so and the token count is then only a lower bound.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias
from xml.parsers import expat

from ._exceptions import CorruptFileError, DocumentBombError

__all__ = [
    "MAX_TEXT_CHARS",
    "MAX_XML_BYTES",
    "MAX_ZIP_ENTRIES",
    "SPREADSHEET_MAX_ROWS",
    "DocumentFacts",
    "DocumentText",
    "document_facts",
    "document_text",
]

OoxmlKind: TypeAlias = Literal["docx", "xlsx", "pptx"]

MAX_ZIP_ENTRIES: Final = 10_000
"""Most entries an OOXML zip may list (real documents have tens to a few hundred)."""

MAX_XML_BYTES: Final = 256 * 1024 * 1024
"""Most XML bytes decompressed from one document, all parts read together (256 MiB: five times
the largest file the API takes, 50 MB, which text XML compresses about that much at most in
real documents; a zip bomb expands thousands of times)."""

MAX_TEXT_CHARS: Final = 8_000_000
"""Most text characters collected (about 2 million o200k tokens, more than any model's context
window); the rest of a document is not read and the count is a lower bound."""

SPREADSHEET_MAX_ROWS: Final = 1_000
"""Rows of each sheet the API parses (File inputs guide: "up to the first 1,000 rows per
sheet")."""

_CHUNK: Final = 64 * 1024

_STRING_OVERHEAD: Final = 64
"""Charged per shared string kept, beside its characters: a str object's own size, so many
tiny strings cannot use more memory than the text budget allows."""

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True, slots=True)
class DocumentText:
    """The text read from an OOXML document (the text itself is not kept by callers)."""

    text: str
    parts: int
    """XML parts read (paragraph documents, slides, sheets, shared strings)."""
    sheets: int = 0
    """Worksheets read (xlsx)."""
    sheets_cut: int = 0
    """Sheets with more than :data:`SPREADSHEET_MAX_ROWS` rows: the rest is not read (xlsx)."""
    truncated: bool = False
    """More than :data:`MAX_TEXT_CHARS` characters: the rest was not read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentFacts:
    """What an OOXML document's text says about its cost. Never holds the text.

    >>> document_facts(make_docx("<w:p><w:r><w:t>Hello</w:t></w:r></w:p><w:p><w:r><w:t>world</w:t>"
    ...                          "</w:r></w:p>"), "docx")
    DocumentFacts(text_chars=11, text_tokens=3, parts=1, sheets=0, sheets_cut=0, \
truncated=False)
    """

    text_chars: int
    text_tokens: int
    """``o200k_base`` tokens of the text as extracted here (a lower bound if ``truncated``)."""
    parts: int
    sheets: int
    sheets_cut: int
    """Sheets longer than the 1,000 rows the API parses (the rest is neither read nor sent)."""
    truncated: bool


def document_facts(data: bytes, kind: OoxmlKind) -> DocumentFacts:
    """Read the text of a docx, xlsx or pptx and count its tokens (the text is dropped)."""
    from ._text import count_tokens

    read = document_text(data, kind)
    return DocumentFacts(
        text_chars=len(read.text),
        text_tokens=count_tokens(read.text, encoding="o200k_base") if read.text else 0,
        parts=read.parts,
        sheets=read.sheets,
        sheets_cut=read.sheets_cut,
        truncated=read.truncated,
    )


def document_text(data: bytes, kind: OoxmlKind) -> DocumentText:
    """The text of a docx, xlsx or pptx document (see the module docstring for the format).

    >>> para = "<w:p><w:r><w:t>{}</w:t></w:r></w:p>"
    >>> document_text(make_docx(para.format("Hello") + para.format("world")), "docx").text
    'Hello\\nworld'
    """
    reader = _Reader(data)
    if kind == "docx":
        return reader.paragraphs(["word/document.xml"], _W, "p", "t")
    if kind == "pptx":
        return reader.paragraphs(reader.numbered("ppt/slides/slide"), _A, "p", "t")
    return reader.spreadsheet()


class _Reader:
    """One document's zip, with the running totals the bounds are checked against."""

    def __init__(self, data: bytes) -> None:
        listed = data.count(b"PK\x01\x02")  # central directory headers: before zipfile parses
        if listed > MAX_ZIP_ENTRIES:
            raise _too_many_entries(listed)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            names = self.zip.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise CorruptFileError(
                f"the document is not a readable zip archive ({type(exc).__name__}); re-save it "
                "with its office application"
            ) from None
        if len(names) > MAX_ZIP_ENTRIES:
            raise _too_many_entries(len(names))
        self.names = frozenset(names)
        self.xml_bytes = 0
        self.chars = 0
        self.truncated = False

    def numbered(self, prefix: str) -> list[str]:
        """``prefix<N>.xml`` parts in N order (slides, worksheets)."""
        pattern = re.compile(re.escape(prefix) + r"(\d+)\.xml")
        found = [(int(m.group(1)), n) for n in self.names if (m := pattern.fullmatch(n))]
        return [name for _, name in sorted(found)]

    def take(self, text: str, overhead: int = 0) -> bool:
        """Count ``text`` (and ``overhead`` for each object kept) against
        :data:`MAX_TEXT_CHARS`; False once over it."""
        self.chars += len(text) + overhead
        if self.chars > MAX_TEXT_CHARS:
            self.truncated = True
        return not self.truncated

    def paragraphs(self, parts: list[str], ns: str, para: str, run: str) -> DocumentText:
        """Runs of ``ns:run`` text, one line per ``ns:para``, across ``parts`` in order."""
        lines: list[str] = []
        current: list[str] = []
        breaks = {f"{ns} tab": "\t", f"{ns} br": "\n", f"{ns} cr": "\n"}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag in breaks:
                current.append(breaks[tag])

        def end(tag: str) -> None:
            if tag == f"{ns} {para}":
                line = "".join(current)
                current.clear()
                if self.take(line):
                    lines.append(line)

        present = [part for part in parts if part in self.names]
        for part in present:
            if not self.truncated:
                self.parse(part, start, end, {f"{ns} {run}": current.append})
        return DocumentText("\n".join(lines), parts=len(present), truncated=self.truncated)

    def spreadsheet(self) -> DocumentText:
        shared = self.shared_strings()
        sheets = self.numbered("xl/worksheets/sheet")
        lines: list[str] = []
        cut = 0
        for part in sheets:
            if self.truncated:
                break
            rows, longer = self.sheet_rows(part, shared)
            lines.extend(rows)
            cut += longer
        return DocumentText(
            "\n".join(lines),
            parts=len(sheets) + ("xl/sharedStrings.xml" in self.names),
            sheets=len(sheets),
            sheets_cut=cut,
            truncated=self.truncated,
        )

    def shared_strings(self) -> list[str]:
        strings: list[str] = []
        current: list[str] = []
        phonetic = [0]  # phonetic runs (rPh) repeat the text in another script: not text

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == f"{_S} rPh":
                phonetic[0] += 1

        def end(tag: str) -> None:
            if tag == f"{_S} rPh":
                phonetic[0] -= 1
            elif tag == f"{_S} si":
                text = "".join(current)
                current.clear()
                strings.append(text if self.take(text, _STRING_OVERHEAD) else "")

        def text(data: str) -> None:
            if not phonetic[0]:
                current.append(data)

        self.parse("xl/sharedStrings.xml", start, end, {f"{_S} t": text})
        return strings

    def sheet_rows(self, part: str, shared: list[str]) -> tuple[list[str], bool]:
        """The first :data:`SPREADSHEET_MAX_ROWS` rows of one worksheet as lines of
        tab-separated values, and whether the sheet has more (the rest is not parsed)."""
        rows: list[str] = []
        cells: list[str] = []
        value: list[str] = []
        cell_type = [""]
        seen = [0]

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == f"{_S} row":
                seen[0] += 1
                if seen[0] > SPREADSHEET_MAX_ROWS:
                    raise _Enough
            elif tag == f"{_S} c":
                cell_type[0] = attrs.get("t", "")
                value.clear()

        def end(tag: str) -> None:
            if tag == f"{_S} c":
                raw = "".join(value)
                if cell_type[0] == "s":
                    index = int(raw) if raw.strip().isdigit() else -1
                    raw = shared[index] if 0 <= index < len(shared) else ""
                if raw:
                    cells.append(raw)
            elif tag == f"{_S} row":
                line = "\t".join(cells)
                cells.clear()
                if self.take(line):
                    rows.append(line)

        self.parse(part, start, end, {f"{_S} v": value.append, f"{_S} t": value.append})
        return rows, seen[0] > SPREADSHEET_MAX_ROWS

    def parse(
        self,
        part: str,
        start: Callable[[str, dict[str, str]], None],
        end: Callable[[str], None],
        texts: dict[str, Callable[[str], None]],
    ) -> None:
        """Stream ``part`` through expat (namespaces split as ``uri name``); character data
        goes to ``texts[tag]`` of the innermost open element that has a handler."""
        if part not in self.names:
            return
        parser = expat.ParserCreate(namespace_separator=" ")
        open_tags: list[str] = []

        def on_start(tag: str, attrs: dict[str, str]) -> None:
            open_tags.append(tag)
            start(tag, attrs)

        def on_end(tag: str) -> None:
            open_tags.pop()
            end(tag)

        def on_text(data: str) -> None:
            handler = texts.get(open_tags[-1]) if open_tags else None
            if handler is not None:
                handler(data)

        def on_doctype(*_: object) -> None:
            raise DocumentBombError(
                f"the document part {part} declares an XML DTD, which OOXML never does (it is "
                "how entity-expansion bombs work); re-save it with its office application"
            )

        parser.StartElementHandler = on_start
        parser.EndElementHandler = on_end
        parser.CharacterDataHandler = on_text
        parser.StartDoctypeDeclHandler = on_doctype
        parser.buffer_text = True
        try:
            for chunk in self.chunks(part):
                parser.Parse(chunk, False)
                if self.truncated:
                    return
            parser.Parse(b"", True)
        except _Enough:
            return
        except expat.ExpatError as exc:
            raise CorruptFileError(
                f"the document part {part} is not well-formed XML ({expat.ErrorString(exc.code)})"
                "; re-save it with its office application"
            ) from None

    def chunks(self, part: str) -> Iterator[bytes]:
        """``part`` decompressed in chunks, counted against :data:`MAX_XML_BYTES`: first by its
        declared size (a bomb is refused before any byte is inflated), then as read (zipfile
        stops at the declared size, and a lie fails its CRC check)."""
        declared = self.zip.getinfo(part).file_size
        if self.xml_bytes + declared > MAX_XML_BYTES:
            raise _too_much_xml(self.xml_bytes + declared)
        try:
            with self.zip.open(part) as stream:
                while chunk := stream.read(_CHUNK):
                    self.xml_bytes += len(chunk)
                    if self.xml_bytes > MAX_XML_BYTES:
                        raise _too_much_xml(self.xml_bytes)
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise CorruptFileError(
                f"the document part {part} cannot be decompressed ({type(exc).__name__}); "
                "re-save it with its office application"
            ) from None


class _Enough(Exception):
    """Raised by a parse handler that has read all it needs (a sheet's first 1,000 rows)."""


def _too_much_xml(n_bytes: int) -> DocumentBombError:
    return DocumentBombError(
        f"the document expands to {n_bytes:,} bytes of XML, more than {MAX_XML_BYTES:,}; refusing "
        "it as a zip bomb (re-save it with its office application)",
        n_bytes=n_bytes,
    )


def _too_many_entries(entries: int) -> DocumentBombError:
    return DocumentBombError(
        f"the document's zip lists {entries:,} entries, more than {MAX_ZIP_ENTRIES:,}; refusing "
        "it as a zip bomb (re-save it with its office application)",
        entries=entries,
    )
