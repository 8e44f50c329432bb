"""``estimate`` and ``validate`` take PDFs and Office documents beside images."""

from __future__ import annotations

import json
from pathlib import Path

from _pdfs import DATA, make_ooxml, make_pdf
from _private import cli
from click.testing import CliRunner


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_estimate_a_pdf_prints_its_tokens_and_bounds() -> None:
    """`estimate doc.pdf --model M`: kind, pages, text and page tokens, bounds, rule."""
    code, out = _run("estimate", str(DATA / "rubyllm-001.pdf"), "--model", "gpt-4o")
    assert code == 0
    assert "pdf, 1 page(s), 18,810 bytes" in out
    assert "(text 737, pages " in out
    assert "rule responses/pdf/low@" in out


def test_estimate_json_lists_files_beside_images(tmp_path: Path) -> None:
    """--json carries a ``files`` list (no text, no name beyond the path given)."""
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_pdf(pages=2))
    code, out = _run(
        "estimate", str(pdf), "--model", "gpt-4o", "--api", "chat.completions", "--json"
    )
    assert code == 0
    (row,) = json.loads(out)["files"]
    assert (row["kind"], row["pages"], row["text_tokens"]) == ("pdf", 2, 0)
    assert row["lower"] <= row["tokens"] <= row["upper"]


def test_validate_lists_each_document_problem(tmp_path: Path) -> None:
    """Encrypted, bomb and (on Chat Completions) non-PDF documents each get their code."""
    paths = {
        "enc.pdf": make_pdf(encrypt=True),
        "bomb.pdf": make_pdf(count=5_000_000),
        "doc.docx": make_ooxml("word/document.xml"),
        "fine.pdf": make_pdf(),
    }
    for name, data in paths.items():
        (tmp_path / name).write_bytes(data)
    args = [str(tmp_path / n) for n in paths]
    code, out = _run("validate", *args, "--model", "gpt-4o", "--api", "chat.completions", "--json")
    assert code == 1
    found = {(Path(p["where"]).name, p["code"]) for p in json.loads(out)["problems"]}
    assert found == {
        ("enc.pdf", "encrypted_pdf"),
        ("bomb.pdf", "pdf_bomb"),
        ("doc.docx", "unsupported_file_type"),
    }


def test_validate_passes_a_good_pdf_on_responses() -> None:
    """A readable PDF has no problem."""
    code, out = _run("validate", str(DATA / "mirascope-003.pdf"), "--model", "gpt-4o")
    assert code == 0
    assert "no problems" in out
