"""Shared test configuration.

- Async tests run on asyncio through anyio's pytest plugin.
- ``side`` runs one behaviour test body against both the sync and the async client.
- Every log line the package writes during the whole suite is scanned for API keys, auth
  headers, org/project ids and image payloads: one leak anywhere fails the session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from _helpers import Side

from openai_vision_ext.testing import SecretScanHandler


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> Side:
    """Each behaviour test that takes ``side`` runs once with the sync client and once with the
    async one, from one body (``async def``, marked ``anyio``): see ``_helpers.Side``."""
    return Side(request.param)


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_package_log_line() -> Iterator[None]:
    """Every log line the package writes during the whole suite is free of keys and images."""
    scan = SecretScanHandler()
    logger = logging.getLogger("openai_vision_ext")
    old_level = logger.level
    logger.addHandler(scan)
    logger.setLevel(logging.DEBUG)
    yield
    logger.removeHandler(scan)
    logger.setLevel(old_level)
    assert scan.findings == [], scan.findings
