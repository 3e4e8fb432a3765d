"""parse_counts and parse_rates: counts and percentages as governments and platforms print them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.normalize.numbers import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    ascii_digits,
    parse_counts,
    parse_rates,
)


def count(value) -> tuple:
    row = parse_counts(pd.Series([value], dtype=object)).iloc[0]
    return tuple(None if pd.isna(v) else v for v in row)


def rate(value) -> tuple:
    row = parse_rates(pd.Series([value], dtype=object)).iloc[0]
    return tuple(None if pd.isna(v) else v for v in row)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (1178, 1178),
        ("1178", 1178),
        ("1,178", 1178),
        ("1,178,000", 1178000),
        ("1,17,800", 117800),  # Indian grouping: 1 lakh 17 thousand 800
        ("11,78,000", 1178000),
        ("1 178", 1178),
        (257.0, 257),  # Excel stores every number as a float
        ("257.0", 257),
        ("  1,178 ", 1178),
        ("१२३", 123),
        ("१,१७८", 1178),
        ("0", 0),
        ("Nil", 0),  # Indian official tables write Nil for zero
        ("none", 0),
    ],
)
def test_exact_counts(raw, value):
    assert count(raw) == (value, "exact", None)


@pytest.mark.parametrize(
    ("raw", "value", "bound"),
    [
        ("~250", 250, "approx"),
        ("about 250", 250, "approx"),
        ("approx. 250", 250, "approx"),
        ("Approximately 250", 250, "approx"),
        ("c. 250", 250, "approx"),
        ("around 1,200", 1200, "approx"),
        ("more than 500", 500, "lower"),
        ("500+", 500, "lower"),
        ("500 +", 500, "lower"),
        (">500", 500, "lower"),
        ("> 500", 500, "lower"),
        ("at least 500", 500, "lower"),
        ("over 1,000", 1000, "lower"),
        ("<10", 10, "upper"),
        ("fewer than 10", 10, "upper"),
        ("less than 10", 10, "upper"),
        ("under 10", 10, "upper"),
    ],
)
def test_bounded_counts(raw, value, bound):
    assert count(raw) == (value, bound, None)


@pytest.mark.parametrize(
    "blank", [None, np.nan, "", "  ", "-", "–", "—", "NA", "n/a", "N/A", "?", "unknown"]
)
def test_not_known_is_null_without_a_reason(blank):
    assert count(blank) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-3", 'count "-3" is negative'),
        (-3, 'count "-3" is negative'),
        (-3.0, 'count "-3.0" is negative'),
        ("2.5", 'count "2.5" is not a whole number'),
        (2.5, 'count "2.5" is not a whole number'),
        ("abc", 'count "abc" is not a number'),
        ("12 accounts", 'count "12 accounts" is not a number'),
        ("1,2", 'count "1,2" has misplaced thousands separators'),
        ("1,2345", 'count "1,2345" has misplaced thousands separators'),
        ("<500+", 'count "<500+" has contradictory bounds'),
        ("12345678901234567890", 'count "12345678901234567890" is too large'),
        (float("inf"), 'count "inf" is not a number'),
        (True, 'count "True" is not a number'),
    ],
)
def test_count_rejects(raw, reason):
    assert count(raw) == (None, None, reason)


def test_count_columns_dtypes_and_index():
    values = pd.Series(["1,178", None, "<10", "x"], index=[9, 3, 3, 1])
    out = parse_counts(values)
    assert list(out.columns) == COUNT_COLUMNS
    assert out.index.equals(values.index)
    assert out["value"].dtype == "Int64"
    assert out["bound"].dtype == "str"
    assert out["reason"].dtype == "str"
    assert out["value"].tolist() == [1178, pd.NA, 10, pd.NA]


def test_integer_and_float_columns():
    assert parse_counts(pd.Series([1, 2, 3]))["value"].tolist() == [1, 2, 3]
    floats = parse_counts(pd.Series([1.0, np.nan, 2.5]))
    assert floats["value"].tolist() == [1, pd.NA, pd.NA]
    assert floats["reason"][2] == 'count "2.5" is not a whole number'


def test_counts_do_not_modify_input():
    values = pd.Series([" 1,178 ", 257.0, None], dtype=object)
    before = values.copy()
    parse_counts(values)
    pd.testing.assert_series_equal(values, before)


def test_long_count_columns_keep_row_order():
    base = ["1,178", "<10", None, "x", "~5"]
    values = pd.Series(base * 400)
    expected = pd.concat([parse_counts(pd.Series(base))] * 400, ignore_index=True)
    pd.testing.assert_frame_equal(parse_counts(values), expected)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("73", 73.0),
        ("73%", 73.0),
        ("73 %", 73.0),
        ("13.8", 13.8),
        ("13.8%", 13.8),
        ("0", 0.0),
        ("100%", 100.0),
        (73, 73.0),
        (13.8, 13.8),
        ("७३%", 73.0),
        ("0.5", 0.5),  # half a percent, not 50%
    ],
)
def test_rates(raw, value):
    assert rate(raw) == (value, None)


@pytest.mark.parametrize("blank", [None, np.nan, "", "-", "NA", "n/a", "?"])
def test_rate_blanks(blank):
    assert rate(blank) == (None, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("120", 'rate "120" is outside 0-100%'),
        ("-5%", 'rate "-5%" is outside 0-100%'),
        (150.0, 'rate "150.0" is outside 0-100%'),
        ("abc", 'rate "abc" is not a number'),
        ("<1%", 'rate "<1%" is not a number'),
    ],
)
def test_rate_rejects(raw, reason):
    assert rate(raw) == (None, reason)


def test_rate_columns_dtypes_and_index():
    values = pd.Series(["73%", None], index=[5, 6])
    out = parse_rates(values)
    assert list(out.columns) == RATE_COLUMNS
    assert out.index.equals(values.index)
    assert out["value"].dtype == "float64"
    assert out["reason"].dtype == "str"


def test_ascii_digits():
    out = ascii_digits(pd.Series(["०१२३४५६७८९", "12", None]))
    assert out.tolist()[:2] == ["0123456789", "12"]
    assert pd.isna(out[2])
