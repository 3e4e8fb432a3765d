"""Helpers the test files share: builders of small frames and data, the hostile report renders,
a page opened offline in the test browser. Plain functions and constants only; the pytest
fixtures that use them live in tests/conftest.py.

``tests/`` is on ``sys.path`` when pytest runs (it holds the root conftest.py), so test files
import these as ``from support.scale_data import synthetic_checks``.
"""
