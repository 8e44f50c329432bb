"""A local fake OpenAI server (stdlib ``http.server`` on 127.0.0.1) and SDK-valid bodies.

Used by ``_build_cassettes.py`` (to record cassettes whose responses carry the REAL billed usage
of an observation from ``/work/shared/real-usage``); ``_mock.py`` reuses its bodies.
It answers ``POST /v1/responses``, ``/v1/chat/completions`` (also Azure's
``/openai/deployments/<name>/chat/completions``) and ``/v1/responses/input_tokens``, JSON or
server-sent events. What it answers is set by ``FakeOpenAI.reply`` (a ``Reply``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAI",
    "Reply",
    "chat_body",
    "chat_sse",
    "response_body",
    "responses_sse",
]

OUTPUT_TEXT = "[replayed response: the observation kept the billed usage, not the output text]"


@dataclass(frozen=True)
class Reply:
    """What the fake server answers next."""

    api: str
    """``responses`` or ``chat.completions``."""
    model: str
    """The model the server reports (the observation's ``response_model``)."""
    usage: Mapping[str, Any]
    """The real billed usage, verbatim."""
    response_id: str
    created: int
    request_id: str
    text: str = OUTPUT_TEXT
    counted_input_tokens: int | None = None
    """Answer for ``/v1/responses/input_tokens`` (``exact_count``)."""


def response_body(reply: Reply, *, status: str = "completed") -> dict[str, Any]:
    """A Responses API ``response`` object (as the API returns it) carrying ``reply.usage``."""
    return {
        "id": reply.response_id,
        "object": "response",
        "created_at": reply.created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": reply.model,
        "output": [_message_item(reply)] if status == "completed" else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": dict(reply.usage) if status == "completed" else None,
        "user": None,
        "metadata": {},
    }


def _message_item(reply: Reply) -> dict[str, Any]:
    return {
        "id": "msg_" + reply.response_id.removeprefix("resp_"),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
    }


def responses_sse(reply: Reply, *, cut_after: int | None = None) -> Iterator[bytes]:
    """The Responses event stream of ``reply``, ending in ``response.completed``."""
    item = _message_item(reply)
    empty_item = {**item, "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    in_progress = {**response_body(reply, status="in_progress")}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": in_progress},
        {"type": "response.in_progress", "response": in_progress},
        {"type": "response.output_item.added", "output_index": 0, "item": empty_item},
        {
            "type": "response.content_part.added",
            "item_id": item["id"],
            "output_index": 0,
            "content_index": 0,
            "part": part,
        },
        {
            "type": "response.output_text.delta",
            "item_id": item["id"],
            "output_index": 0,
            "content_index": 0,
            "delta": reply.text,
            "logprobs": [],
        },
        {
            "type": "response.output_text.done",
            "item_id": item["id"],
            "output_index": 0,
            "content_index": 0,
            "text": reply.text,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": item["id"],
            "output_index": 0,
            "content_index": 0,
            "part": {**part, "text": reply.text},
        },
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": response_body(reply)},
    ]
    for n, event in enumerate(events[:cut_after]):
        event = {**event, "sequence_number": n}
        yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def chat_body(reply: Reply) -> dict[str, Any]:
    """A ``chat.completion`` object carrying ``reply.usage``."""
    return {
        "id": reply.response_id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": dict(reply.usage),
        "service_tier": "default",
        "system_fingerprint": None,
    }


def chat_sse(reply: Reply, *, include_usage: bool, cut_after: int | None = None) -> Iterator[bytes]:
    """The ``chat.completion.chunk`` stream of ``reply`` (usage chunk last, then ``[DONE]``)."""

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": reply.response_id,
            "object": "chat.completion.chunk",
            "created": reply.created,
            "model": reply.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": None,
        }

    chunks = [
        chunk({"role": "assistant", "content": "", "refusal": None}, None),
        chunk({"content": reply.text}, None),
        chunk({}, "stop"),
    ]
    if include_usage:
        chunks.append({**chunk({}, None), "choices": [], "usage": dict(reply.usage)})
    lines = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
    yield from lines[:cut_after]


@dataclass
class FakeOpenAI:
    """A threaded stdlib HTTP server on 127.0.0.1 answering with ``self.reply``."""

    reply: Reply | None = None
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append((self.path, body))
                fake.answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, body: Mapping[str, Any]) -> None:
        reply = self.reply
        assert reply is not None, "set FakeOpenAI.reply before calling"
        path = handler.path.split("?")[0]
        if path.endswith("/responses/input_tokens"):
            payload = {
                "object": "response.input_tokens",
                "input_tokens": reply.counted_input_tokens,
            }
            _send_json(handler, reply, payload)
        elif body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = (
                responses_sse(reply)
                if path.endswith("/responses")
                else chat_sse(reply, include_usage=include_usage)
            )
            _send_sse(handler, reply, chunks)
        elif path.endswith("/responses"):
            _send_json(handler, reply, response_body(reply))
        else:
            _send_json(handler, reply, chat_body(reply))


def _send_json(handler: BaseHTTPRequestHandler, reply: Reply, payload: Mapping[str, Any]) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("x-request-id", reply.request_id)
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _send_sse(handler: BaseHTTPRequestHandler, reply: Reply, chunks: Iterator[bytes]) -> None:
    data = b"".join(chunks)
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream; charset=utf-8")
    handler.send_header("x-request-id", reply.request_id)
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
