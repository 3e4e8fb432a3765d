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


# --- the hostile report renders (tests/hostile_reports.py), shared by three test files ---------


@pytest.fixture(scope="session")
def published_reports(tmp_path_factory):
    """tests/fixtures/hostile/_report through `takedowns report` with the network blocked."""
    from hostile_reports import publish

    render = publish(tmp_path_factory.mktemp("published"))
    assert render.result.returncode == 0, render.result.stdout + render.result.stderr
    return render


@pytest.fixture(scope="session")
def report_after_crash(published_reports, tmp_path_factory):
    """Those reports copied, a forced re-render SIGKILLed mid-run, then run to the end."""
    from hostile_reports import crash_and_rerun

    return crash_and_rerun(published_reports, tmp_path_factory.mktemp("crashed"))
