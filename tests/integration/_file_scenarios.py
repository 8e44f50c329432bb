"""Replayed real file bills: rows of ``real-usage/file_inputs.jsonl`` turned into requests.

Shared by ``test_file_replay.py``, ``_build_cassettes.py`` (recording) and
``benchmarks/replay_file_bills.py`` so that all build byte-identical request bodies (cassettes
match on the body). A row is replayed when every file it sent is one of the public PDFs kept
under ``tests/data/files/`` (matched by sha256) and it carries no image (image bytes are elided
in the data). The request is the row's ``request_skeleton`` with each elided ``file_data``
payload replaced by that very PDF; the answer carries the row's real ``usage``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from _private import bill_day
from _vcr_setup import CASSETTES

__all__ = [
    "FILE_BILLS_FILE",
    "FILE_REPLAY_DIR",
    "FileScenario",
    "file_bills",
    "file_scenarios",
    "replayable",
    "without_payloads",
]

FILE_BILLS_FILE = CASSETTES / "file_bills.json"
"""The replayed rows of ``file_inputs.jsonl``, verbatim."""

FILE_REPLAY_DIR = CASSETTES / "test_file_replay"

PDFS = Path(__file__).resolve().parents[1] / "data" / "files"


@cache
def stored_pdfs() -> dict[str, Path]:
    """sha256 -> the public PDF kept in ``tests/data/files/``."""
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in sorted(PDFS.glob("*.pdf"))}


def replayable(row: Mapping[str, Any]) -> bool:
    """Every file of ``row`` is sent by URL or is a stored PDF, and it carries no image."""
    files = row.get("files") or []
    if not files or row.get("n_images"):
        return False
    return all(
        f.get("source") == "file_url" or f.get("sha256") in stored_pdfs() for f in files
    ) and any(f.get("sha256") in stored_pdfs() for f in files)


def without_payloads(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with each ``file_data`` of its request skeleton replaced by the file's sha256
    (``data:<mime>;sha256,<hex>``, as in the cassettes): the snapshot holds no file bytes."""
    out = copy.deepcopy(dict(row))
    digests = iter(
        f"data:{f.get('declared_mime')};sha256,{f['sha256']}"
        for f in row["files"]
        if f.get("source") == "file_data"
    )
    _replace_file_data(out["request_skeleton"], lambda: next(digests))
    return out


@cache
def file_bills() -> dict[str, dict[str, Any]]:
    """The snapshot of the replayed rows, by id."""
    data: list[dict[str, Any]] = json.loads(FILE_BILLS_FILE.read_text())
    return {row["id"]: row for row in data}


@dataclass(frozen=True)
class FileScenario:
    """One real file bill, replayed."""

    bill_id: str

    @property
    def row(self) -> dict[str, Any]:
        return file_bills()[self.bill_id]

    @property
    def api(self) -> str:
        return str(self.row["api"])

    @property
    def name(self) -> str:
        return self.bill_id

    @property
    def date(self) -> str:
        """The bill's UTC day as the file rule rows date bills (the dated calibration,
        ``_file_calibrate.file_bill``, uses the same)."""
        return bill_day(self.row.get("response_created"), self.row["source_commit_date"]) or ""

    @property
    def billed_input(self) -> int:
        usage = self.row["usage"]
        return int(usage.get("input_tokens", usage.get("prompt_tokens")))

    def file_data(self) -> Iterator[str]:
        """The data URL of each ``file_data`` file of the row, in request order."""
        for f in self.row["files"]:
            if f.get("source") == "file_data":
                data = stored_pdfs()[f["sha256"]].read_bytes()
                yield f"data:{f['declared_mime']};base64,{base64.b64encode(data).decode()}"

    def request(self) -> dict[str, Any]:
        """``create()`` keyword arguments reproducing the recorded request."""
        body = copy.deepcopy(self.row["request_skeleton"])
        body.pop("stream", None)
        body.pop("stream_options", None)
        urls = self.file_data()
        _replace_file_data(body, lambda: next(urls))
        return body


def file_scenarios() -> list[FileScenario]:
    return [FileScenario(bill_id) for bill_id in sorted(file_bills())]


def _replace_file_data(node: Any, next_url: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "file_data" and isinstance(value, str):
                node[key] = next_url()
            else:
                _replace_file_data(value, next_url)
    elif isinstance(node, list):
        for item in node:
            _replace_file_data(item, next_url)
