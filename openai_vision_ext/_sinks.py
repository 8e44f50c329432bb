"""Audit sinks: one log line per record, or one JSON line per record appended to a file.

``LoggingSink`` logs to ``openai_vision_ext.audit`` with the whole record under one namespaced
``extra`` key, so JSON formatters and structlog's stdlib bridge pick it up as a nested object.
``JsonlSink`` appends each record as one ``write(2)`` to a file opened with ``O_APPEND`` under an
exclusive ``flock``: lines never interleave across threads or processes, and because the file is
opened per record, logrotate's rename-and-create (or copytruncate) needs no signal.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Final

from ._audit import AuditRecord

try:  # POSIX; elsewhere O_APPEND alone keeps whole lines per write on local disks
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["AUDIT_LOGGER", "EXTRA_KEY", "JsonlSink", "LoggingSink", "read_jsonl"]

AUDIT_LOGGER: Final = "openai_vision_ext.audit"
EXTRA_KEY: Final = "openai_vision_ext"
"""The ``extra`` key (a ``LogRecord`` attribute) that holds ``record.to_dict()``."""

_FLAGS: Final = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Characters that could break a log line in two (or hide text) if a model name held them."""

_LINE_BREAKS: Final = re.compile("[\x85\u2028\u2029]")
"""Line breaks for ``str.splitlines()`` that ``json.dumps(ensure_ascii=False)`` leaves as is."""

_MESSAGE: Final = (
    "vision audit api=%s model=%s status=%s images=%d estimated_input=%s billed_input=%s "
    "delta=%s cost_usd=%s request_id=%s"
)


class LoggingSink:
    """Log each record as one line, with the full record in ``extra={EXTRA_KEY: ...}``.

    >>> import logging
    >>> from openai_vision_ext.testing import make_record
    >>> sink = LoggingSink(logger=logging.getLogger("doctest.audit"))
    >>> sink.emit(make_record())  # one INFO line on "doctest.audit"
    """

    name = "LoggingSink"

    def __init__(self, *, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger(AUDIT_LOGGER)
        self.level = level

    def emit(self, record: AuditRecord) -> None:
        """Log ``record`` (lazily formatted: nothing is built if the level is disabled)."""
        if not self.logger.isEnabledFor(self.level):
            return
        cost = None if record.cost is None else f"{record.cost.total_usd:.6f}"
        self.logger.log(
            self.level,
            _MESSAGE,
            _one_line(record.api),
            _one_line(record.model_served or record.model_requested),
            _one_line(record.status),
            len(record.images),
            record.estimated_input_tokens,
            record.billed_input_tokens,
            _signed(record.delta_input_tokens),
            cost,
            _one_line(record.request_id),
            extra={EXTRA_KEY: record.to_dict()},
        )


class JsonlSink:
    """Append each record as one JSON line; safe across threads and processes.

    ``fsync=True`` flushes every line to disk before ``emit`` returns (slower, durable).
    New files are created with mode ``0o600``: audit logs are for their owner only.

    >>> import pathlib, tempfile
    >>> from openai_vision_ext.testing import make_record
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
    >>> sink = JsonlSink(path)
    >>> sink.emit(make_record()); sink.emit(make_record())
    >>> len(path.read_text().splitlines())
    2
    """

    name = "JsonlSink"

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, mode: int = 0o600
    ) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        self.mode = mode

    def emit(self, record: AuditRecord) -> None:
        """Serialise ``record`` and append it as a single line."""
        self.write_line(record.to_dict())

    def write_line(self, data: object) -> None:
        """Append ``data`` as one JSON line with a single locked ``O_APPEND`` write."""
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if _LINE_BREAKS.search(line):  # valid JSON, but str.splitlines() would cut the line
            line = _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
        payload = memoryview(f"{line}\n".encode())
        fd = os.open(self.path, _FLAGS, self.mode)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by close()
            while payload:
                payload = payload[os.write(fd, payload) :]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[AuditRecord]:
    """Read back the records a ``JsonlSink`` wrote, in file order.

    >>> import pathlib, tempfile
    >>> from openai_vision_ext.testing import make_record
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
    >>> JsonlSink(path).emit(make_record(request_id="req_7"))
    >>> [r.request_id for r in read_jsonl(path)]
    ['req_7']
    """
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield AuditRecord.from_dict(json.loads(line))


def _one_line(value: str | None) -> str | None:
    """``value`` with line breaks and other control characters escaped (``\\n``...)."""
    if value is None or not _CONTROL.search(value):
        return value
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def _signed(value: int | None) -> str | None:
    return None if value is None else f"{value:+d}"
