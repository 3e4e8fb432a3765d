"""Platform names and countries as reporters write them -> canonical codes.

Both functions work on the distinct values of a column (a few dozen even in millions of rows)
and map the result back, so the per-value work (a dictionary, pycountry) runs once per
distinct spelling.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pycountry

from analysis.ingest.normalize.handles import STRING, clean_text, parse_distinct, split_by_type

__all__ = ["PLATFORM_ALIASES", "normalize_country", "normalize_platform"]

#: Spellings of a platform (lower-case, without ``https://``/``www.``/trailing ``/``) -> the
#: canonical lower-case name. Anything not listed is kept as its own lower-case name.
PLATFORM_ALIASES = {
    **dict.fromkeys(
        [
            "x",
            "x.com",
            "twitter",
            "twitter.com",
            "mobile.twitter.com",
            "x (formerly twitter)",
            "x, formerly twitter",
            "x formerly twitter",
            "x (twitter)",
            "twitter (x)",
            "x/twitter",
            "twitter/x",
            "x corp",
            "x corp.",
            "twitter inc",
            "twitter inc.",
            "twitter, inc.",
        ],
        "twitter",
    ),
    **dict.fromkeys(
        [
            "facebook",
            "facebook.com",
            "fb",
            "fb.com",
            "meta",
            "meta platforms",
            "meta platforms inc",
            "meta platforms, inc.",
            "meta (facebook)",
            "facebook (meta)",
        ],
        "facebook",
    ),
    **dict.fromkeys(["instagram", "instagram.com", "ig", "insta"], "instagram"),
    **dict.fromkeys(["youtube", "youtube.com", "youtu.be", "yt"], "youtube"),
    **dict.fromkeys(["google", "google.com", "google llc", "google inc"], "google"),
    **dict.fromkeys(["whatsapp", "whatsapp.com"], "whatsapp"),
    **dict.fromkeys(["telegram", "telegram.org", "t.me"], "telegram"),
    **dict.fromkeys(["linkedin", "linkedin.com"], "linkedin"),
}

# Names pycountry does not know (or knows only in another form), keyed by casefolded text.
_COUNTRY_NAMES = {
    "भारत": "IN",
    "hindustan": "IN",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "russia": "RU",
    "turkey": "TR",
    "north korea": "KP",
}


def _frame(values: pd.Series, value: pd.Series, reason: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"value": value.astype(STRING), "reason": reason.astype(STRING)}, index=values.index
    )


def _not_text_reason(values: pd.Series, kind: np.ndarray, what: str) -> pd.Series:
    reason = pd.Series(np.nan, index=values.index, dtype=STRING)
    odd = np.isin(kind, ["float", "bool", "datetime", "date", "other"])
    if odd.any():
        reason[odd] = "value " + ('"' + values[odd].map(str) + '"') + f" is not {what}"
    return reason


def normalize_platform(values: pd.Series) -> pd.DataFrame:
    """Platform names -> canonical lower-case names.

    Returns a DataFrame with the input's index and columns ``value`` and ``reason`` (both
    :data:`~analysis.ingest.normalize.handles.STRING`). ``X``, ``x.com``, ``Twitter``,
    ``twitter.com``, ``X (formerly Twitter)`` give ``twitter``; ``Facebook``, ``fb``, ``Meta``
    give ``facebook``; ``Instagram``, ``YouTube``, ``Google`` give ``instagram``, ``youtube``,
    ``google`` (see :data:`PLATFORM_ALIASES`). Any other name is kept, lower-cased with spaces
    tidied, and is not an error. Numbers, booleans and dates are rejected with a reason.
    Nulls and blanks give missing ``value`` and ``reason``. The input is not modified.
    """
    return parse_distinct(values, _normalize_platform)


def _normalize_platform(values: pd.Series) -> pd.DataFrame:
    text, kind = split_by_type(values)
    key = (
        clean_text(text)
        .str.lower()
        .str.replace("[ \t\n\r]+", " ", regex=True)
        .str.replace(r"^(?:https?://)?(?:www\.)?", "", regex=True)
        .str.replace("/+$", "", regex=True)
    )
    canonical = key.map(PLATFORM_ALIASES).astype(STRING)
    value = canonical.where(canonical.notna(), key.astype(STRING))
    value = value.where(kind == "text")
    return _frame(values, value, _not_text_reason(values, kind, "a platform name"))


@functools.lru_cache(maxsize=4096)
def _country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code for a code or name, or None. Cached: called per distinct value."""
    folded = name.casefold()
    if folded in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[folded]
    if len(name) == 2 and name.isascii() and name.isalpha():
        country = pycountry.countries.get(alpha_2=name.upper())
    elif len(name) == 3 and name.isascii() and name.isalpha():
        country = pycountry.countries.get(alpha_3=name.upper())
    else:
        try:
            # Exact, case-insensitive match on codes, names, official and common names.
            country = pycountry.countries.lookup(name)
        except LookupError:
            country = None
    return None if country is None else country.alpha_2


def normalize_country(values: pd.Series) -> pd.DataFrame:
    """Countries -> ISO 3166-1 alpha-2 codes, upper-case (``IN``).

    Returns a DataFrame with the input's index and columns ``value`` and ``reason`` (both
    :data:`~analysis.ingest.normalize.handles.STRING`). Accepts alpha-2 (``in``, ``IN``), alpha-3
    (``IND``), numeric (``356``) codes and English names, official names and common names
    known to ``pycountry`` (``India``, ``Republic of India``), case-insensitively, plus a few
    hand-mapped names (``भारत``, ``UK``, ``Russia``, ``Turkey``...). There is no fuzzy
    matching: anything else is rejected with a reason (``country "Narnia" is not a known
    country name or ISO code``). Lookups run once per distinct value. Nulls and blanks give
    missing ``value`` and ``reason``. The input is not modified.
    """
    return parse_distinct(values, _normalize_country)


def _normalize_country(values: pd.Series) -> pd.DataFrame:
    text, kind = split_by_type(values)
    key = clean_text(text).str.replace("[ \t\n\r]+", " ", regex=True)
    distinct = key.dropna().unique()
    codes = {name: _country_code(name) for name in distinct}
    value = key.map(codes).astype(STRING)
    unknown = (key.notna() & value.isna()).to_numpy(dtype=bool)
    reason = _not_text_reason(values, kind, "a country")
    if unknown.any():
        reason[unknown] = (
            'country "' + key[unknown].astype(STRING) + '" is not a known country name or ISO code'
        )
    return _frame(values, value, reason)
