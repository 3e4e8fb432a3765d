"""Shared fixtures. Fixture files are small and written by hand; see tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"


@pytest.fixture
def fixtures_dir() -> Path:
    return TESTS / "fixtures"


@pytest.fixture
def project_dir() -> Path:
    return PROJECT
