"""Shared fixtures. Fixture files are small and written by hand (tests/fixtures/); the plain
helpers the fixtures and test files share are in tests/support/."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.paths import FIXTURES, PROJECT


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def project_dir() -> Path:
    return PROJECT


# --- the hostile report renders (tests/support/hostile_reports.py), shared by three test files --


@pytest.fixture(scope="session")
def published_reports(tmp_path_factory):
    """tests/fixtures/hostile/_report through `takedowns report` with the network blocked."""
    from support.hostile_reports import publish

    render = publish(tmp_path_factory.mktemp("published"))
    assert render.result.returncode == 0, render.result.stdout + render.result.stderr
    return render


@pytest.fixture(scope="session")
def report_after_crash(published_reports, tmp_path_factory):
    """Those reports copied, a forced re-render SIGKILLed mid-run, then run to the end."""
    from support.hostile_reports import crash_and_rerun

    return crash_and_rerun(published_reports, tmp_path_factory.mktemp("crashed"))


# --- a real browser, for the pages we publish ---------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (which cannot download its own browser here)."""
    import os

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                "CI must install Debian's chromium (apt-get install chromium); .ci/run does"
            )
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
