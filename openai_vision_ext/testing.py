"""Helpers for users' tests: capture audit records, build sample reports, scan for secrets.

>>> from openai_vision_ext.testing import capture_audit
>>> with capture_audit() as records:
...     pass  # call your code that uses VisionOpenAI here
>>> records
[]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from ._audit import AuditRecord, _capture
from ._estimate import ImageEstimate
from ._report import VisionReport
from ._sinks import EXTRA_KEY

__all__ = [
    "SECRET_PATTERNS",
    "SecretScanHandler",
    "capture_audit",
    "fake_openai_server",
    "find_secrets",
    "make_record",
    "make_report",
]


@contextmanager
def capture_audit(*, all_threads: bool = False) -> Iterator[list[AuditRecord]]:
    """Collect the audit records emitted inside the block (after processors, as sinks see them).

    By default only records emitted in this context count: the current thread or task and the
    tasks it starts (``asyncio.to_thread`` and ``contextvars.copy_context().run`` carry it too),
    so concurrent tests do not see each other's records. ``all_threads=True`` also collects
    records from any other thread of the process. Blocks nest: each sees its own records.

    >>> from openai_vision_ext._audit import emit_report
    >>> with capture_audit() as outer:
    ...     emit_report(make_report(), None)
    ...     with capture_audit() as inner:
    ...         emit_report(make_report(status="error"), None)
    >>> [r.status for r in outer], [r.status for r in inner]
    (['ok', 'error'], ['error'])
    """
    with _capture(all_threads=all_threads) as records:
        yield records


def make_report(**overrides: Any) -> VisionReport:
    """A realistic ``VisionReport`` (one 640x480 PNG on gpt-4o-mini, Responses API), for tests.

    >>> make_report(status="incomplete").status
    'incomplete'
    """
    image = ImageEstimate(
        index=0,
        location="input[0].content[1]",
        source="data_url",
        detail="auto",
        width=640,
        height=480,
        mime="image/png",
        n_bytes=12_345,
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        tokens=8_500,
    )
    report = VisionReport(
        api="responses",
        model_requested="gpt-4o-mini",
        model_served="gpt-4o-mini-2024-07-18",
        request_id="req_0123456789abcdef",
        response_id="resp_0123456789abcdef",
        images=(image,),
        estimated_image_tokens=8_500,
        estimated_text_tokens=14,
        estimated_input_tokens=8_514,
        billed_input_tokens=8_514,
        billed_cached_tokens=0,
        billed_output_tokens=12,
        billed_reasoning_tokens=0,
        billed_image_tokens=8_500,
        delta_input_tokens=0,
        attribution="estimate",
        stream=False,
        status="ok",
    )
    return replace(report, **overrides)


def make_record(*, text: str | None = None, **overrides: Any) -> AuditRecord:
    """The ``AuditRecord`` of ``make_report(**overrides)`` at a fixed time, for tests.

    >>> make_record().time
    '2026-01-01T00:00:00.000Z'
    """
    return AuditRecord.from_report(
        make_report(**overrides),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        include_text=text is not None,
        text=text,
    )


SECRET_PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    "api_key": re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    "bearer": re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
    "auth_header": re.compile(
        r"\b(authorization|api-key|openai-organization|openai-project)[\"']?\s*[:=]\s*(?:-\s+)?"
        r"[\"']?(?!redacted|null|none|\*|\[)[A-Za-z0-9._~+/=-]{8,}",
        re.IGNORECASE,
    ),
    "org_id": re.compile(r"\borg-[A-Za-z0-9]{20,}"),
    "project_id": re.compile(r"\bproj_[A-Za-z0-9]{20,}"),
    "data_url": re.compile(r"data:image/[a-z0-9.+-]+;base64,[A-Za-z0-9+/]{40}", re.IGNORECASE),
    "base64_run": re.compile(r"[A-Za-z0-9+/]{200,}={0,2}"),
}
"""What ``find_secrets`` looks for: API keys, bearer tokens, auth header values, organization and
project ids (``org-``/``proj_`` + 20 or more characters, as OpenAI issues them), image data URLs
with a payload (40+ base64 characters; an elided ``data:image/png;base64,iVBOR...`` stub is
fine) and long base64 runs (200+ characters: far longer than any hash or id we log)."""


def find_secrets(text: str) -> list[str]:
    """Where ``text`` holds something that looks like a secret or an image payload.

    Each finding shows the pattern name, the offset and only the first 6 characters, so a
    failing test does not print the secret it found.

    >>> find_secrets('{"sha256": "' + "9f86d081" * 8 + '", "request_id": "req_1"}')
    []
    >>> find_secrets("Authorization: Bearer sk-proj-abcdefghijklmnopqrstuvwx")
    ['api_key at 22: sk-pro...', 'bearer at 15: Bearer...']
    """
    found: list[str] = []
    for name, pattern in SECRET_PATTERNS.items():
        found += [f"{name} at {m.start()}: {m.group(0)[:6]}..." for m in pattern.finditer(text)]
    return found


class SecretScanHandler(logging.Handler):
    """A logging handler that scans every record (message and audit extra) with ``find_secrets``.

    Attach it to ``logging.getLogger("openai_vision_ext")`` for a whole test session and assert
    ``findings == []`` at the end: no log line the package wrote leaked a key or an image.

    >>> import logging
    >>> scan = SecretScanHandler()
    >>> log = logging.getLogger("doctest.scan")
    >>> log.addHandler(scan)
    >>> log.warning("request req_1 ok"); log.warning("key sk-abcdefghijklmnopqrstuv")
    >>> scan.seen, scan.findings
    (2, ['doctest.scan: api_key at 4: sk-abc...'])
    >>> log.removeHandler(scan)
    """

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.seen = 0
        """Records scanned."""
        self.findings: list[str] = []
        """``"<logger>: <finding>"`` for each match, the secret itself cut to 6 characters."""

    def emit(self, record: logging.LogRecord) -> None:
        """Scan ``record``'s message and its ``EXTRA_KEY`` attribute (the audit record)."""
        self.seen += 1
        text = f"{record.getMessage()} {json.dumps(getattr(record, EXTRA_KEY, None), default=str)}"
        self.findings += [f"{record.name}: {found}" for found in find_secrets(text)]


@asynccontextmanager
async def fake_openai_server(
    *, model: str = "gpt-4o-mini-2024-07-18", input_tokens: int = 100, output_tokens: int = 2
) -> AsyncIterator[str]:
    """A local HTTP server answering every Responses or Chat Completions call with fixed usage.

    Yields the ``base_url`` to give a client (``http://127.0.0.1:<port>/v1``). Each answer has a
    unique ``x-request-id`` (``req_fake_<n>``) and response id. For tests and benchmarks that
    must not touch the network; it checks nothing about the request. Typical use::

        async with fake_openai_server(input_tokens=42) as url:
            client = AsyncVisionOpenAI(api_key="test", base_url=url, audit=pipeline)
            response = await client.responses.create(model="gpt-4o-mini", input="hi")
            assert response.usage.input_tokens == 42

    (Under ``pytest --block-network``, allow the loopback:
    ``pytest.mark.block_network(allowed_hosts=[r"127\\.0\\.0\\.1$"])``.)

    >>> import asyncio
    >>> async def demo():
    ...     async with fake_openai_server() as url:
    ...         return url.startswith("http://127.0.0.1:") and url.endswith("/v1")
    >>> asyncio.run(demo())
    True
    """
    counter = itertools.count()
    handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            handlers[task] = writer
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(_content_length(head))
                n = next(counter)
                chat = b"/chat/completions" in head.split(b"\r\n", 1)[0]
                body = json.dumps(
                    _chat_body(n, model, input_tokens, output_tokens)
                    if chat
                    else _responses_body(n, model, input_tokens, output_tokens)
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"x-request-id: req_fake_%d\r\ncontent-length: %d\r\n\r\n%s"
                    % (n, len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            if task is not None:
                handlers.pop(task, None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()
        for writer in list(handlers.values()):
            writer.close()  # idle keep-alive connections: their handlers see EOF and return
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _responses_body(n: int, model: str, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "id": f"resp_fake_{n}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": model,
        "output": [
            {
                "type": "message",
                "id": f"msg_fake_{n}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "ok", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _chat_body(n: int, model: str, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "ok"},
            }
        ],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
