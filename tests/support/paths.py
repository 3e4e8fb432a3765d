"""Where the tests' own files are, built from this file's location (never the working
directory), so the tests run the same from any folder."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PROJECT = TESTS.parent
FIXTURES = TESTS / "fixtures"
