"""Shared test helpers: one way to make image bytes for every test module, and the ``Side``
that runs one sync/async behaviour test body on both clients.

Importable as ``_helpers`` because pytest puts ``tests/`` (the home of the top ``conftest.py``)
on ``sys.path``.
"""

from __future__ import annotations

import base64
import inspect
import io
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from PIL import Image


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """``image`` saved as ``fmt`` (``"PNG"``, ``"JPEG"``, ``"GIF"``, ...) with Pillow's options."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(size: tuple[int, int], colour: str | tuple[int, int, int] = "green") -> bytes:
    """A solid RGB PNG of ``size`` pixels."""
    return encode(Image.new("RGB", size, colour), "PNG")


def data_url(data: bytes, mime: str = "image/png") -> str:
    """``data`` as a base64 ``data:`` URL (built here, not by the package under test)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


class Side:
    """One side of the sync/async client pair: a behaviour test is one ``async def`` body run
    on both sides through the ``side`` fixture (``tests/conftest.py``), so the async side
    asserts everything the sync side does.

    The sync side's calls return their value and ``run`` passes it through; the async side's
    return awaitables and ``run`` awaits them. ``drain`` and ``enter`` do the same for
    iteration and context managers. The SDK is imported on first use, not by ``_helpers``.
    """

    def __init__(self, name: str) -> None:
        if name not in ("sync", "async"):
            raise ValueError(f"a side is 'sync' or 'async', not {name!r}")
        self.name = name
        self.is_async = name == "async"

    def __repr__(self) -> str:
        return f"Side({self.name!r})"

    def http(self, mock: Any) -> Any:
        """``mock``'s httpx client for this side (``tests/integration/_mock.Mock``)."""
        return mock.async_client() if self.is_async else mock.sync_client()

    @property
    def client_class(self) -> type:
        """Our client class on this side: ``VisionOpenAI`` or ``AsyncVisionOpenAI``."""
        from openai_vision_ext import AsyncVisionOpenAI, VisionOpenAI

        return AsyncVisionOpenAI if self.is_async else VisionOpenAI

    def client(self, mock: Any, **options: Any) -> Any:
        """Our client answering through ``mock``."""
        return self.client_class(
            api_key="sk-test", max_retries=0, http_client=self.http(mock), **options
        )

    def plain(self, mock: Any) -> Any:
        """The SDK's own client for this side, answering through ``mock``."""
        import openai

        cls = openai.AsyncOpenAI if self.is_async else openai.OpenAI
        return cls(api_key="k", max_retries=0, http_client=self.http(mock))

    @property
    def azure_class(self) -> type:
        """Our Azure client class on this side."""
        from openai_vision_ext import AsyncVisionAzureOpenAI, VisionAzureOpenAI

        return AsyncVisionAzureOpenAI if self.is_async else VisionAzureOpenAI

    def azure(self, mock: Any, **options: Any) -> Any:
        """Our Azure client for this side, answering through ``mock``."""
        return self.azure_class(
            api_key="k",
            api_version="2025-04-01-preview",
            azure_endpoint="https://example-resource.openai.azure.com",
            http_client=self.http(mock),
            max_retries=0,
            **options,
        )

    @property
    def stream_type(self) -> type:
        """The SDK's stream class on this side (``openai.Stream`` or ``openai.AsyncStream``)."""
        import openai

        return openai.AsyncStream if self.is_async else openai.Stream

    async def run(self, value: Any) -> Any:
        """``value`` itself on the sync side; awaited on the async side."""
        if self.is_async:
            assert inspect.isawaitable(value), f"the async side returned {value!r}"
            return await value
        assert not inspect.isawaitable(value), f"the sync side returned {value!r}"
        return value

    async def drain(self, iterable: Any) -> list[Any]:
        """Every item of a (sync or async) iterable, e.g. a stream's events."""
        if self.is_async:
            return [item async for item in iterable]
        return list(iterable)

    async def first(self, iterable: Any) -> Any:
        """The next item of a (sync or async) iterator."""
        if self.is_async:
            return await iterable.__anext__()
        return next(iter(iterable))

    @asynccontextmanager
    async def enter(self, manager: Any) -> AsyncIterator[Any]:
        """``with manager`` on the sync side, ``async with manager`` on the async side."""
        if self.is_async:
            async with manager as value:
                yield value
        else:
            with manager as value:
                yield value


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds: for what a background thread does
    (an async client's audit record made where nothing can be awaited)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
