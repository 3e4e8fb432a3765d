"""Counts and percentages as typed into spreadsheets and transparency reports.

:func:`parse_counts` reads item counts such as ``1,178``, ``1,17,800`` (Indian grouping),
``257.0`` (Excel), ``~250``, ``500+`` or ``<10`` into an integer and a bound;
:func:`parse_rates` reads percentages such as ``73%``. Both are vectorised: one RE2 regex over
the column via ``Series.str.extract``, then numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.normalize.handles import (
    ARROW_TEXT,
    STRING,
    clean_text,
    parse_distinct,
    split_by_type,
)

__all__ = ["BOUNDS", "COUNT_COLUMNS", "RATE_COLUMNS", "ascii_digits", "parse_counts", "parse_rates"]

#: Output columns of :func:`parse_counts` and :func:`parse_rates`, in order.
COUNT_COLUMNS = ["value", "bound", "reason"]
RATE_COLUMNS = ["value", "reason"]
#: What ``bound`` says about ``value``.
BOUNDS = ("exact", "approx", "lower", "upper")

_DEVANAGARI_DIGITS = "०१२३४५६७८९"
# Cells that mean "not known / not reported": null, not an error.
_NULL_TOKENS = r"[-–—−?]+|n/?a|n\.[ ]?a\.?|nan|null|not available|unknown"
# Cells that mean zero in Indian official tables ("Nil").
_ZERO_TOKENS = r"nil|none|zero"

_APPROX = ("~", "∼", "≈", "about", "approx", "approx.", "approximately", "around", "roughly")
_APPROX += ("nearly", "almost", "c.", "ca", "ca.", "circa")
_LOWER = ("more than", "over", "above", ">", ">=", "≥", "at least", "min", "min.", "minimum")
_UPPER = ("<", "less than", "fewer than", "under", "below")
_QUALIFIER = {**dict.fromkeys(_APPROX, "approx"), **dict.fromkeys(_LOWER, "lower")}
_QUALIFIER |= dict.fromkeys(_UPPER, "upper")


def _alternation(words) -> str:
    # Longest first, escaped, so "approx." is not read as "approx" followed by junk.
    return "|".join(
        "".join("\\" + ch if ch in ".+?()[]{}|^$*\\" else ch for ch in w)
        for w in sorted(words, key=len, reverse=True)
    )


_COUNT = (
    r"^(?:(?P<pre>" + _alternation(_QUALIFIER) + r")[ ]*)?"
    r"(?P<neg>[-−–][ ]*)?(?P<num>[0-9][0-9, ]*?)(?P<dec>\.[0-9]*)?[ ]*(?P<plus>\+)?$"
)
# Plain digits, western 1,178,000, Indian 11,78,000, or spaced 1 178 000.
_GROUPED = (
    r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})*,[0-9]{3}|[0-9]{1,3}(?: [0-9]{3})+"
)
_RATE = r"^(?P<neg>[-−–][ ]*)?(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ ]*(?:%|percent|per cent)?$"
_MAX_DIGITS = 18  # fits int64 with room to spare


def _mask(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool, copy=True)


def ascii_digits(text: pd.Series) -> pd.Series:
    """Replace Devanagari digits (U+0966..U+096F, ``०१२३४५६७८९``) with ``0-9``.

    Takes and returns a string Series (:data:`~analysis.ingest.normalize.handles.ARROW_TEXT`), same
    index; NA stays NA. Only values holding such digits are touched.
    """
    s = text.astype(ARROW_TEXT)
    has = _mask(s.str.contains("[" + _DEVANAGARI_DIGITS + "]"))
    if has.any():
        sub = s[has]
        for digit, devanagari in enumerate(_DEVANAGARI_DIGITS):
            sub = sub.str.replace(devanagari, str(digit), regex=False)
        s = s.copy()
        s[has] = sub
    return s


def _prepared_text(values: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(shown, matchable, kind): cleaned text as given, lower-case ASCII-digit text, kinds."""
    text, kind = split_by_type(values)
    shown = clean_text(text)
    t = ascii_digits(shown).str.lower().str.replace("[ \t\n\r]+", " ", regex=True)
    return shown, t, kind


def _quote(prefix: str, shown, suffix: str) -> np.ndarray:
    return (prefix + '"' + shown + '"' + suffix).to_numpy(dtype=object)


def parse_counts(values: pd.Series) -> pd.DataFrame:
    """Parse a column of counts (items, requests, accounts...) into integers with a bound.

    Returns a DataFrame with the input's index and columns

    - ``value`` (``Int64``): the count, or the bound when the cell gives one.
    - ``bound`` (:data:`~analysis.ingest.normalize.handles.STRING`): what ``value`` means:

      - ``exact``: ``1178``, ``1,178``, ``1,17,800`` (Indian grouping), ``1 178``, ``257.0``;
        ``Nil``/``None``/``zero`` are an exact 0 (Indian official tables write "Nil");
      - ``approx``: about that many: ``~250``, ``about 250``, ``approx. 250``, ``c. 250``,
        ``around``/``roughly``/``nearly``/``circa``;
      - ``lower``: at least that many: ``more than 500``, ``over 500``, ``500+``, ``>500``,
        ``>=500``, ``at least 500``. "More than 500" is stored as 500, a safe lower bound;
      - ``upper``: STRICTLY FEWER than ``value``: ``<10``, ``fewer than 10``, ``less than
        10``, ``under 10``, ``below 10`` all give value 10, bound ``upper``, meaning the true
        count is in 0..9. (Transparency reports print ``<10`` for suppressed small counts.)

    - ``reason`` (:data:`~analysis.ingest.normalize.handles.STRING`): NA when understood, otherwise
      one phrase quoting the value (negative, fractional, unreadable, misplaced separators,
      too large, contradictory bounds such as ``<500+``).

    Devanagari digits are read as digits. Nulls, blank cells and the "not known" marks ``-``,
    ``–``, ``NA``, ``n/a``, ``?``, ``unknown`` give NA value and bound with no reason: whether
    the column is required is the caller's decision. The input is not modified.
    """
    return parse_distinct(values, _parse_counts)


def _parse_counts(values: pd.Series) -> pd.DataFrame:
    index = values.index
    values = values.reset_index(drop=True)
    n = len(values)
    value = np.zeros(n, dtype=np.int64)
    has_value = np.zeros(n, dtype=bool)
    bound = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)

    shown, t, kind = _prepared_text(values)
    _numeric_counts(values, kind, value, has_value, bound, reason)

    rows = np.flatnonzero(shown.notna().to_numpy(dtype=bool))
    if len(rows):
        st, ss = t.iloc[rows], shown.iloc[rows]
        todo = ~_mask(st.str.fullmatch(_NULL_TOKENS))
        zero = _mask(st.str.fullmatch(_ZERO_TOKENS))
        value[rows[zero]], has_value[rows[zero]], bound[rows[zero]] = 0, True, "exact"
        todo &= ~zero

        g = st.str.extract(_COUNT)
        g = g.mask(g == "")
        num = g["num"].str.strip()
        matched = _mask(num.notna())
        grouped = _mask(num.str.fullmatch(_GROUPED))
        digits = num.str.replace("[, ]", "", regex=True)
        too_long = _mask(digits.str.len() > _MAX_DIGITS)
        whole = _mask(g["dec"].isna() | g["dec"].str.fullmatch(r"\.0*"))
        negative = _mask(g["neg"].notna())
        qualifier = g["pre"].map(_QUALIFIER).to_numpy(dtype=object, na_value=None)
        plus = _mask(g["plus"].notna())
        conflict = plus & (qualifier == "upper")
        parsed = np.zeros(len(rows), dtype=np.int64)
        ok_digits = matched & grouped & ~too_long
        if ok_digits.any():
            parsed[ok_digits] = digits[ok_digits].astype("int64[pyarrow]").to_numpy(np.int64)
        negative &= parsed != 0

        checks = [
            (~matched, "count ", " is not a number"),
            (~grouped, "count ", " has misplaced thousands separators"),
            (too_long, "count ", " is too large"),
            (~whole, "count ", " is not a whole number"),
            (negative, "count ", " is negative"),
            (conflict, "count ", " has contradictory bounds"),
        ]
        for bad, prefix, suffix in checks:
            hit = todo & bad
            if hit.any():
                reason[rows[hit]] = _quote(prefix, ss[hit], suffix)
                todo &= ~hit
        kinds = np.where(pd.isna(qualifier), "exact", qualifier)
        kinds = np.where(plus, "lower", kinds)
        good = rows[todo]
        value[good], has_value[good], bound[good] = parsed[todo], True, kinds[todo]

    return pd.DataFrame(
        {
            "value": pd.arrays.IntegerArray(value, ~has_value),
            "bound": pd.array(bound, dtype=STRING),
            "reason": pd.array(reason, dtype=STRING),
        },
        index=index,
    )


def _numeric_counts(values, kind, value, has_value, bound, reason) -> None:
    """Counts that arrive as floats (Excel stores every number as one) or non-numbers."""
    # Integers are not handled here: split_by_type already made them digit text.
    is_float = kind == "float"
    if is_float.any():
        floats = values[is_float].astype(float).to_numpy()
        rows = np.flatnonzero(is_float)
        shown = pd.Series(floats).astype(str).astype(ARROW_TEXT)
        finite = np.isfinite(floats) & (np.abs(floats) < 10.0**_MAX_DIGITS)
        whole = finite & (np.floor(floats) == floats)
        neg = finite & (floats < 0)
        for bad, suffix in (
            (~finite, " is not a number"),
            (finite & ~whole, " is not a whole number"),
            (neg & whole, " is negative"),
        ):
            reason[rows[bad]] = _quote("count ", shown[bad], suffix)
        ok = whole & ~neg
        value[rows[ok]] = floats[ok].astype(np.int64)
        has_value[rows[ok]], bound[rows[ok]] = True, "exact"
    other = np.isin(kind, ["bool", "datetime", "date", "other"])
    if other.any():
        shown = values[other].map(str).astype(ARROW_TEXT)
        reason[other] = _quote("count ", shown, " is not a number")


def parse_rates(values: pd.Series) -> pd.DataFrame:
    """Parse a column of percentages (e.g. compliance rates) into numbers of percent.

    Returns a DataFrame with the input's index and columns ``value`` (``float64``, in percent,
    0-100: ``73``, ``73%``, ``73 %``, ``13.8``, ``73 percent`` all give 73 or 13.8; a
    fraction such as ``0.73`` is taken as 0.73 percent, not 73) and ``reason``
    (:data:`~analysis.ingest.normalize.handles.STRING`, NA when understood; otherwise one phrase
    quoting the value: outside 0-100, or not a number, which includes bounds such as ``<1%``).
    Devanagari digits are read as digits. Nulls, blanks and ``-``/``NA``/``n/a``/``?`` give
    NaN with no reason. The input is not modified.
    """
    return parse_distinct(values, _parse_rates)


def _parse_rates(values: pd.Series) -> pd.DataFrame:
    index = values.index
    values = values.reset_index(drop=True)
    n = len(values)
    value = np.full(n, np.nan)
    reason = np.full(n, None, dtype=object)

    shown, t, kind = _prepared_text(values)
    is_num = (kind == "int") | (kind == "float")
    if is_num.any():
        # Numbers are read from the values themselves (integers already have digit text).
        value[is_num] = values[is_num].astype(float).to_numpy()
        is_float = kind == "float"
        if is_float.any():
            shown = shown.copy()
            shown[is_float] = values[is_float].astype(float).astype(str).astype(ARROW_TEXT)
    other = np.isin(kind, ["bool", "datetime", "date", "other"])
    if other.any():
        reason[other] = _quote(
            "rate ", values[other].map(str).astype(ARROW_TEXT), " is not a number"
        )

    rows = np.flatnonzero(shown.notna().to_numpy(dtype=bool) & ~is_num)
    if len(rows):
        st, ss = t.iloc[rows], shown.iloc[rows]
        null = _mask(st.str.fullmatch(_NULL_TOKENS))
        g = st.str.extract(_RATE)
        g = g.mask(g == "")
        num = g["num"]
        matched = _mask(num.notna())
        bad = ~matched & ~null
        reason[rows[bad]] = _quote("rate ", ss[bad], " is not a number")
        parsed = num[matched].astype("float64[pyarrow]").to_numpy(dtype=float)
        sign = np.where(_mask(g["neg"].notna())[matched], -1.0, 1.0)
        value[rows[matched]] = sign * parsed

    out_of_range = ~np.isnan(value) & ((value < 0) | (value > 100))
    if out_of_range.any():
        reason[out_of_range] = _quote("rate ", shown[out_of_range], " is outside 0-100%")
        value[out_of_range] = np.nan
    return pd.DataFrame(
        {"value": value, "reason": pd.array(reason, dtype=STRING)},
        index=index,
    )
