"""Integration fixtures: VCR replay from the top-level ``cassettes/`` (one folder per module)."""

from __future__ import annotations

from typing import Any

import pytest
from _vcr_setup import CASSETTES, vcr_settings


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """pytest-recording settings; ``record_mode`` comes from the command line only."""
    return vcr_settings()


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<test module name>/``."""
    return str(CASSETTES / request.module.__name__.rpartition(".")[2])
