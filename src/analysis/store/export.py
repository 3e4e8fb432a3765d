"""CSV files for people: safe to open in a spreadsheet program.

Every CSV the package writes (rejects, chart data, report tables, ``metrics --format csv``) goes
through :func:`safe_csv`, so a cell such as ``=HYPERLINK(...)`` from a hostile source is shown
as text, never run as a formula. The Parquet tables keep the original text.
"""

from __future__ import annotations

import csv

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Prefix a cell that a spreadsheet would run as a formula with ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV text that is safe to open in Excel; the Parquet data keep the original text."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_formula)
    return safe.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
