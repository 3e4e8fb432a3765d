"""normalize_platform and normalize_country: names as reporters type them -> canonical codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.normalize.platforms import normalize_country, normalize_platform


def first(frame: pd.DataFrame) -> tuple:
    """``value`` and ``reason`` of the first row (None for missing)."""
    return tuple(None if pd.isna(v) else v for v in frame[["value", "reason"]].iloc[0])


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("X", "twitter"),
        ("x", "twitter"),
        ("x.com", "twitter"),
        ("Twitter", "twitter"),
        ("twitter.com", "twitter"),
        ("https://www.twitter.com/", "twitter"),
        ("X (formerly Twitter)", "twitter"),
        ("  TWITTER  ", "twitter"),
        ("Facebook", "facebook"),
        ("fb", "facebook"),
        ("Meta", "facebook"),
        ("Instagram", "instagram"),
        ("YouTube", "youtube"),
        ("Google", "google"),
        ("Koo", "koo"),  # unknown platforms are kept, lower-cased
        ("Share  Chat", "share chat"),
    ],
)
def test_platforms(raw, value):
    assert first(normalize_platform(pd.Series([raw]))) == (value, None)


@pytest.mark.parametrize("blank", [None, np.nan, "", "  "])
def test_platform_blanks(blank):
    assert first(normalize_platform(pd.Series([blank], dtype=object))) == (None, None)


def test_platform_numbers_are_rejected():
    assert first(normalize_platform(pd.Series([5.0]))) == (
        None,
        'value "5.0" is not a platform name',
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("in", "IN"),
        ("IN", "IN"),
        ("India", "IN"),
        (" india ", "IN"),
        ("IND", "IN"),
        ("Republic of India", "IN"),
        ("356", "IN"),
        (356, "IN"),
        ("भारत", "IN"),
        ("UK", "GB"),
        ("United States", "US"),
        ("Russia", "RU"),
        ("Türkiye", "TR"),
    ],
)
def test_countries(raw, code):
    assert first(normalize_country(pd.Series([raw], dtype=object))) == (code, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("Narnia", 'country "Narnia" is not a known country name or ISO code'),
        ("XX", 'country "XX" is not a known country name or ISO code'),
        ("EU", 'country "EU" is not a known country name or ISO code'),
    ],
)
def test_unknown_countries(raw, reason):
    assert first(normalize_country(pd.Series([raw]))) == (None, reason)


@pytest.mark.parametrize(
    ("raw", "code", "note"),
    [
        # Names publishers print that pycountry does not know as such: no note needed.
        ("Bosnia & Herzegovina", "BA", None),
        ("St. Vincent & Grenadines", "VC", None),
        ("St. Kitts & Nevis", "KN", None),
        ("U.S. Virgin Islands", "VI", None),
        ("Congo - Kinshasa", "CD", None),
        ("Côte d’Ivoire", "CI", None),
        ("Korea, Rep.", "KR", None),
        ("Hong Kong SAR China", "HK", None),
        ("The Bahamas", "BS", None),
        # Former names, misspellings in X's tables, and Kosovo's CLDR code: kept in the note.
        ("Macedonia", "MK", 'country "Macedonia" read as MK (former name)'),
        ("Macedonia [FYROM]", "MK", 'country "Macedonia [FYROM]" read as MK (former name)'),
        ("Swaziland", "SZ", 'country "Swaziland" read as SZ (former name)'),
        ("Burma", "MM", 'country "Burma" read as MM (former name)'),
        ("Turkey", "TR", 'country "Turkey" read as TR (former name)'),
        ("Tunisla", "TN", 'country "Tunisla" read as TN (misspelling)'),
        ("Czech Republuc", "CZ", 'country "Czech Republuc" read as CZ (misspelling)'),
        ("Luxemburg", "LU", 'country "Luxemburg" read as LU (misspelling)'),
        ("Crotia", "HR", 'country "Crotia" read as HR (misspelling)'),
        (
            "XK",
            "XK",
            'country "XK" kept (Kosovo: ISO 3166-1 has no code for it; XK is the CLDR '
            "user-assigned code)",
        ),
        ("Czech Republic", "CZ", None),
    ],
)
def test_publishers_names_former_names_and_typos(raw, code, note):
    got = normalize_country(pd.Series([raw], dtype=object)).iloc[0]
    assert got["value"] == code and pd.isna(got["reason"])
    assert (None if pd.isna(got["note"]) else got["note"]) == note


@pytest.mark.parametrize("blank", [None, np.nan, "", "  "])
def test_country_blanks(blank):
    assert first(normalize_country(pd.Series([blank], dtype=object))) == (None, None)


def test_columns_dtypes_index_and_no_mutation():
    values = pd.Series(["X", None, "India"], index=[4, 4, 2], dtype=object)
    before = values.copy()
    for func, columns in (
        (normalize_platform, ["value", "reason"]),
        (normalize_country, ["value", "reason", "note"]),
    ):
        out = func(values)
        assert list(out.columns) == columns
        assert out.index.equals(values.index)
        assert (out.dtypes == "str").all()
    pd.testing.assert_series_equal(values, before)


def test_long_columns_keep_row_order():
    values = pd.Series(["X", "India", None, "fb"] * 500)
    platforms = normalize_platform(values)["value"].fillna("-")
    assert platforms.tolist() == ["twitter", "india", "-", "facebook"] * 500
    countries = normalize_country(values)["value"].fillna("-")
    assert countries.tolist() == ["-", "IN", "-", "-"] * 500
