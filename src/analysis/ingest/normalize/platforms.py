"""Platform names and countries as reporters write them -> canonical codes.

Both functions work on the distinct values of a column (a few dozen even in millions of rows)
and map the result back, so the per-value work (a dictionary, pycountry) runs once per
distinct spelling.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pycountry

from analysis.ingest.normalize.handles import STRING, clean_text, parse_distinct, split_by_type

__all__ = [
    "PLATFORM_ALIASES",
    "SUPRANATIONAL",
    "is_supranational",
    "normalize_country",
    "normalize_platform",
]

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

# Names pycountry does not know (or knows only in another form), keyed by casefolded text,
# with ``None`` where the name is simply another current name (no note needed).
_COUNTRY_NAMES: dict[str, tuple[str, str | None]] = {
    name: (code, None)
    for code, names in {
        "IN": ("भारत", "hindustan"),
        "GB": ("uk", "u.k.", "great britain", "britain"),
        "US": ("u.s.", "u.s.a.", "usa", "america", "united states of america"),
        "RU": ("russia",),
        "KP": ("north korea", "korea, dem. people's rep.", "korea, dpr"),
        "KR": ("south korea", "korea, rep.", "republic of korea"),
        "AE": ("uae",),
        "BN": ("brunei",),
        "CD": ("congo - kinshasa", "congo (kinshasa)", "dr congo", "drc", "congo, dem. rep."),
        "CG": ("congo - brazzaville", "congo (brazzaville)", "congo, rep."),
        "CI": ("ivory coast", "côte d’ivoire", "cote d'ivoire", "cote d’ivoire"),
        "EG": ("egypt, arab rep.",),
        "FK": ("falkland islands",),
        "FM": ("micronesia", "micronesia, fed. sts."),
        "GM": ("the gambia", "gambia, the"),
        "BS": ("the bahamas", "bahamas, the"),
        "HK": ("hong kong sar china", "hong kong sar, china", "hong kong sar"),
        "IR": ("iran, islamic rep.",),
        "LA": ("lao pdr",),
        "MO": ("macau", "macao sar china", "macao sar, china"),
        "MF": ("saint martin", "st. martin"),
        "SX": ("sint maarten",),
        "BQ": ("caribbean netherlands",),
        "MM": ("myanmar (burma)",),
        "NL": ("the netherlands", "holland"),
        "PS": ("palestine", "palestinian territories", "west bank and gaza"),
        "SK": ("slovak republic",),
        "SH": ("st. helena", "saint helena"),
        "UM": ("u.s. outlying islands",),
        "VA": ("vatican city", "vatican"),
        "VE": ("venezuela, rb",),
        "VI": ("u.s. virgin islands", "us virgin islands"),
        "YE": ("yemen, rep.",),
        "VC": ("st. vincent & grenadines", "saint vincent and grenadines"),
        "ST": ("são tomé & príncipe", "sao tome & principe"),
        "HM": ("heard & mcdonald islands",),
    }.items()
    for name in names
}
# Former names: read as today's code, and the builders keep the name as given in ``notes``.
_COUNTRY_NAMES |= {
    name: (code, "former name")
    for code, names in {
        "MK": (
            "macedonia",
            "macedonia [fyrom]",
            "fyrom",
            "macedonia, fyr",
            "the former yugoslav republic of macedonia",
        ),
        "SZ": ("swaziland",),
        "MM": ("burma",),
        "TR": ("turkey",),
        "CV": ("cape verde",),
        "TL": ("east timor",),
        "CD": ("zaire",),
    }.items()
    for name in names
}
# Misspellings found in published reports (X's transparency tables and their compilations).
_COUNTRY_NAMES |= {
    name: (code, "misspelling")
    for code, names in {
        "TN": ("tunisla",),
        "CZ": ("czech republuc",),
        "LU": ("luxemburg",),
        "HR": ("crotia",),
    }.items()
    for name in names
}
# Codes outside ISO 3166-1 that publishers use for a territory.
_COUNTRY_NAMES |= {
    name: ("XK", "Kosovo: ISO 3166-1 has no code for it; XK is the CLDR user-assigned code")
    for name in ("xk", "kosovo")
}

#: Bodies that publishers list beside countries (Google's removal requests: ``Europol``,
#: ``Interpol``, ``European Union`` with code ``EU``): not a country, so no country code.
SUPRANATIONAL = frozenset({"eu", "european union", "europol", "interpol"})


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
def _country_code(name: str) -> tuple[str | None, str | None]:
    """ISO 3166-1 alpha-2 code for a code or name (or ``XK``), and why it needed a note (a
    former name, a misspelling, a code outside ISO); ``(None, None)`` when unknown. Cached:
    called per distinct value."""
    for variant in _spellings(name):
        folded = variant.casefold()
        if folded in _COUNTRY_NAMES:
            return _COUNTRY_NAMES[folded]
        code = _pycountry_code(variant)
        if code is not None:
            return code, None
    return None, None


def _spellings(name: str) -> list[str]:
    """The name as written, then as the CLDR short forms publishers use spell it out:
    ``Bosnia & Herzegovina``, ``St. Kitts & Nevis``, ``The Bahamas``, a curly apostrophe."""
    plain = name.replace("’", "'").replace("&", " and ")
    plain = re.sub(r"(?i)^st\.?\s+|(?<=\s)st\.?\s+", "Saint ", plain)
    plain = re.sub(r"(?i)^the\s+", "", " ".join(plain.split()))
    return [name] if plain == name else [name, plain]


def _pycountry_code(name: str) -> str | None:
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

    Returns a DataFrame with the input's index and columns ``value``, ``reason`` and ``note``
    (all :data:`~analysis.ingest.normalize.handles.STRING`). Accepts alpha-2 (``in``, ``IN``),
    alpha-3 (``IND``), numeric (``356``) codes and English names, official names and common
    names known to ``pycountry`` (``India``, ``Republic of India``), case-insensitively; the
    CLDR short forms publishers print (``Bosnia & Herzegovina``, ``St. Lucia``, ``Congo -
    Kinshasa``, ``Hong Kong SAR China``) and World Bank forms (``Korea, Rep.``); a few
    hand-mapped names (``भारत``, ``UK``, ``Russia``); former names (``Macedonia``,
    ``Swaziland``, ``Burma``, ``Turkey``, ``Zaire``); misspellings found in X's published
    tables (``Tunisla``, ``Czech Republuc``, ``Luxemburg``, ``Crotia``); and Kosovo as the
    CLDR user-assigned code ``XK``, which publishers use (ISO 3166-1 has no code for it).
    ``note`` says when a value was read through a former name, a misspelling or ``XK``
    (``country "Macedonia" read as MK (former name)``), so the builders can keep the
    original. There is no fuzzy matching: anything else is rejected with a reason
    (``country "Narnia" is not a known country name or ISO code``). Lookups run once per
    distinct value. Nulls and blanks give missing ``value``, ``reason`` and ``note``. The input
    is not modified.
    """
    return parse_distinct(values, _normalize_country)


def _normalize_country(values: pd.Series) -> pd.DataFrame:
    text, kind = split_by_type(values)
    key = clean_text(text).str.replace("[ \t\n\r]+", " ", regex=True)
    distinct = key.dropna().unique()
    found = {name: _country_code(name) for name in distinct}
    value = key.map({k: v[0] for k, v in found.items()}).astype(STRING)
    why = key.map({k: v[1] for k, v in found.items()}).astype(STRING)
    same = key.str.upper() == value
    read_as = (" read as " + value).where(~same.fillna(False), " kept")
    note = ('country "' + key.astype(STRING) + '"' + read_as + " (" + why + ")").where(why.notna())
    unknown = (key.notna() & value.isna()).to_numpy(dtype=bool)
    reason = _not_text_reason(values, kind, "a country")
    if unknown.any():
        reason[unknown] = (
            'country "' + key[unknown].astype(STRING) + '" is not a known country name or ISO code'
        )
    out = _frame(values, value, reason)
    out["note"] = note.astype(STRING).array
    return out


def is_supranational(values: pd.Series) -> pd.Series:
    """True where a country cell names a body rather than a country (:data:`SUPRANATIONAL`:
    ``EU``, ``European Union``, ``Europol``, ``Interpol``); missing -> False."""
    key = clean_text(split_by_type(values)[0]).str.strip().str.casefold()
    return key.isin(SUPRANATIONAL).fillna(False).astype(bool)
