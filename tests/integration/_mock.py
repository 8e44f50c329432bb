"""``httpx2.MockTransport`` helpers for the error-path and behaviour tests (no sockets)."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
from _fake_openai import Reply, chat_body, chat_sse, response_body, responses_sse
from _scenarios import IMAGES

__all__ = ["IMAGE", "Mock", "chat_request", "reply", "responses_request"]

IMAGE = (IMAGES / "mirascope-001_img0.png").read_bytes()
"""A real 100x100 PNG (mirascope-001)."""

IMAGE_URL = "data:image/png;base64," + base64.b64encode(IMAGE).decode()


_IDS = itertools.count(1)


def reply(model: str = "gpt-4o-2024-08-06") -> Reply:
    """mirascope-002's real bill (269 in, 20 out) as the mock's answer."""
    usage = {
        "input_tokens": 269,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 289,
    }
    return Reply(
        api="responses",
        model=model,
        usage=usage,
        response_id=f"resp_mock_{next(_IDS)}",
        created=1_761_176_627,
        request_id="req_mock_1",
    )


def chat_reply() -> Reply:
    usage = {
        "prompt_tokens": 269,
        "completion_tokens": 21,
        "total_tokens": 290,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    return Reply(
        api="chat.completions",
        model="gpt-4o-2024-08-06",
        usage=usage,
        response_id=f"chatcmpl-mock{next(_IDS)}",
        created=1_761_176_627,
        request_id="req_mock_2",
    )


def responses_request(
    *, detail: str = "auto", model: str = "gpt-4o", **extra: Any
) -> dict[str, Any]:
    """mirascope-002's request: one sentence of text and the 100x100 PNG."""
    part = {"type": "input_image", "image_url": IMAGE_URL, "detail": detail}
    text = {"type": "input_text", "text": "Describe the following image in one sentence"}
    return {
        "model": model,
        "input": [{"role": "user", "type": "message", "content": [text, part]}],
        **extra,
    }


def chat_request(**extra: Any) -> dict[str, Any]:
    part = {"type": "image_url", "image_url": {"url": IMAGE_URL, "detail": "auto"}}
    text = {"type": "text", "text": "Describe the following image in one sentence"}
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": [text, part]}], **extra}


Handler = Callable[[httpx2.Request], httpx2.Response]


@dataclass
class Mock:
    """A transport answering every request with ``handler``; records what was sent."""

    handler: Handler
    sent: list[httpx2.Request] = field(default_factory=list)

    def _handle(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append(request)
        return self.handler(request)

    def sync_client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self._handle))

    def async_client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self._handle))

    @classmethod
    def json(cls, payload: dict[str, Any], *, status: int = 200) -> Mock:
        data = json.dumps(payload).encode()
        headers = {"content-type": "application/json", "x-request-id": "req_mock_1"}
        return cls(lambda _: httpx2.Response(status, content=data, headers=headers))

    @classmethod
    def ok(cls) -> Mock:
        """Answers a Responses create with mirascope-002's real bill (SSE when streaming)."""

        def handle(request: httpx2.Request) -> httpx2.Response:
            body = json.loads(request.content or b"{}")
            chat = request.url.path.endswith("/chat/completions")
            r = chat_reply() if chat else reply()
            headers = {"x-request-id": r.request_id}
            if body.get("stream"):
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                chunks = chat_sse(r, include_usage=include) if chat else responses_sse(r)
                return httpx2.Response(
                    200,
                    content=b"".join(chunks),
                    headers={**headers, "content-type": "text/event-stream"},
                )
            payload = chat_body(r) if chat else response_body(r)
            return httpx2.Response(200, json=payload, headers=headers)

        return cls(handle)

    @classmethod
    def sse(cls, chunks: Iterator[bytes] | list[bytes]) -> Mock:
        data = b"".join(chunks)
        headers = {"content-type": "text/event-stream", "x-request-id": "req_mock_1"}
        return cls(lambda _: httpx2.Response(200, content=data, headers=headers))

    @classmethod
    def raising(cls, exc: Exception) -> Mock:
        def handle(request: httpx2.Request) -> httpx2.Response:
            raise exc

        return cls(handle)
