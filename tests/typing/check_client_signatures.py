"""Checked by ``mypy`` (``files`` in pyproject.toml) and pyright, never run: type checkers see
every SDK parameter of our clients' ``__init__``, ``copy()`` and ``with_options()``, typed, plus
ours. A misspelled or mistyped argument must be an error: each ``# type: ignore[...]`` below is
needed, or mypy's ``warn_unused_ignores`` (strict) and pyright's
``reportUnnecessaryTypeIgnoreComment`` fail the check.
"""

# pyright: strict, reportUnnecessaryTypeIgnoreComment=true

from __future__ import annotations

from typing import assert_type

import httpx2
from openai import NotGiven, Timeout

from openai_vision_ext import (
    AsyncVisionAzureOpenAI,
    AsyncVisionOpenAI,
    Budget,
    VisionAzureOpenAI,
    VisionOpenAI,
)


def sync_client() -> None:
    client = VisionOpenAI(api_key="sk-test", timeout=Timeout(5.0), max_retries=3, preflight="warn")
    assert_type(client, VisionOpenAI)
    assert_type(client.with_options(timeout=10, budget=Budget(max_usd=0.01)), VisionOpenAI)
    assert_type(client.copy(max_retries=NotGiven(), audit=[print]), VisionOpenAI)
    VisionOpenAI(api_key="sk-test", max_retrys=3)  # type: ignore[call-arg]
    VisionOpenAI(api_key="sk-test", max_retries="3")  # type: ignore[arg-type]
    VisionOpenAI(preflight="loud")  # type: ignore[arg-type]
    client.with_options(timout=5)  # type: ignore[call-arg]
    client.copy(exact_count="yes")  # type: ignore[arg-type]


def async_client() -> None:
    client = AsyncVisionOpenAI(api_key="sk-test", organization="org", exact_count=True)
    assert_type(client.with_options(max_retries=0), AsyncVisionOpenAI)
    AsyncVisionOpenAI(http_client=httpx2.Client())  # type: ignore[arg-type]
    client.copy(default_header={"x": "y"})  # type: ignore[call-arg]


def azure_clients() -> None:
    client = VisionAzureOpenAI(
        azure_endpoint="https://example.openai.azure.com",
        api_version="2025-04-01-preview",
        model_map={"prod-4o": "gpt-4o"},
    )
    assert_type(client.with_options(azure_ad_token="t"), VisionAzureOpenAI)
    VisionAzureOpenAI(azure_endpoint="https://e", api_verison="v")  # type: ignore[call-overload]
    aclient = AsyncVisionAzureOpenAI(base_url="https://e/openai/deployments/d", preflight="off")
    assert_type(aclient.copy(api_version="v"), AsyncVisionAzureOpenAI)
    aclient.with_options(azure_deployment="d")  # type: ignore[call-arg]
