"""User text reaching the package's log lines is escaped: no forged lines, no secrets."""

from __future__ import annotations

import base64
import logging

import pytest

from openai_vision_ext import AsyncVisionOpenAI
from openai_vision_ext.testing import fake_openai_server

pytestmark = [pytest.mark.anyio, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

GIF = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")


async def test_a_data_urls_declared_type_cannot_forge_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """preflight='warn' logs the violation with the declared MIME's newline escaped."""
    url = "data:image/png\nERROR forged line;base64," + base64.b64encode(GIF).decode()
    content = [{"type": "input_image", "image_url": url}]
    caplog.set_level(logging.WARNING, logger="openai_vision_ext")
    async with fake_openai_server() as base_url:
        client = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url, preflight="warn")
        try:
            await client.responses.create(
                model="gpt-4o", input=[{"role": "user", "content": content}]
            )
        finally:
            await client.close()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("openai_vision_ext")]
    assert any("preflight" in m for m in messages)
    for message in messages:
        assert "\n" not in message
        assert "\r" not in message
