"""Dates and times as typed into spreadsheets -> UTC timestamps with a stated precision.

:func:`parse_datetimes` reads a whole column at once, once per distinct value: each format
family is recognised by one RE2 regex over the column (``Series.str.match``/``extract``), the
captured numbers are checked and assembled with numpy, and local times are localised with
pandas. Devanagari digits and Hindi month names are replaced column-wide before matching.
Python runs per value only for NFKC-normalising non-ASCII text and for Python datetimes inside
mixed ``object`` columns, both rare.

Day-first guessing by ``pd.to_datetime`` is never used: it silently swaps day and month when
the day is 12 or less. Which number is the day is decided by ``dayfirst`` alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core.times import DEFAULT_TZ
from analysis.ingest.normalize.handles import (
    ARROW_TEXT,
    STRING,
    clean_text,
    parse_distinct,
    split_by_type,
)
from analysis.ingest.normalize.numbers import ascii_digits

__all__ = ["DATE_COLUMNS", "MAX_DATE", "MIN_DATE", "parse_datetimes"]

#: Earliest accepted calendar date (inclusive), compared with the date as written (local).
MIN_DATE = dt.date(2000, 1, 1)
#: First calendar date no longer accepted (exclusive), compared with the date as written.
MAX_DATE = dt.date(2040, 1, 1)

#: Output columns of :func:`parse_datetimes`, in order.
DATE_COLUMNS = ["at", "time_precision", "reason"]

_UTC_US = pd.DatetimeTZDtype("us", "UTC")
_NAT = np.datetime64("NaT", "us")
_MIN = np.datetime64(MIN_DATE, "us")
_MAX = np.datetime64(MAX_DATE, "us")
# Excel's 1900 date system counts from 1899-12-30 once its fictitious 29 Feb 1900 is passed.
_EXCEL_EPOCH = np.datetime64("1899-12-30", "us")
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# Hindi month names (nukta already removed, so फ़रवरी and फरवरी are one) -> English.
_HINDI_MONTHS = {
    "जनवरी": "jan",
    "फरवरी": "feb",
    "मार्च": "mar",
    "अप्रैल": "apr",
    "मई": "may",
    "जून": "jun",
    "जुलाई": "jul",
    "अगस्त": "aug",
    "सितंबर": "sep",
    "सितम्बर": "sep",
    "अक्टूबर": "oct",
    "अक्तूबर": "oct",
    "नवंबर": "nov",
    "नवम्बर": "nov",
    "दिसंबर": "dec",
    "दिसम्बर": "dec",
}
_NUKTA = "\u093c"

# Optional time after a date: "T10:30", " 10:30:15.5", ", 10.30 pm", " at 10 am", with an
# optional zone: Z, UTC, GMT, IST (India, +05:30), +05:30, +0530, +05.
_TIME = (
    r"(?:(?:,?[ ]+(?:at[ ]+)?|,|t)"
    r"(?P<H>[0-9]{1,2})(?:[:.](?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<F>[0-9]+))?)?)?"
    r"[ ]*(?P<ampm>[ap]\.?m\.?)?(?:[ ]*(?:hrs|hours|hr|h)\.?)?"
    r"(?:[ ]*(?P<tz>z|utc|gmt|ist|(?:utc|gmt)?[+-][0-9]{1,2}(?::?[0-9]{2})?))?"
    r")?$"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# One regex per family of date layouts; the first family to match a value decides it.
_FAMILIES = {
    "ymd": r"^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})" + _TIME,
    "ymd_compact": r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",
    "numeric": r"^(?P<a>[0-9]{1,2})[-/.](?P<b>[0-9]{1,2})[-/.](?P<y>[0-9]{4}|[0-9]{2})" + _TIME,
    "d_month_y": (
        r"^(?P<d>[0-9]{1,2})" + _ORDINAL + r"[ .,/-]*(?:of[ ]+)?(?P<mon>[a-z]+)\.?[ .,/-]*"
        r"(?P<y>[0-9]{4})" + _TIME
    ),
    "month_d_y": (
        r"^(?P<mon>[a-z]+)\.?[ .,/-]*(?P<d>[0-9]{1,2})" + _ORDINAL + r"[ .,/-]*"
        r"(?P<y>[0-9]{4})" + _TIME
    ),
    "number": r"^(?P<number>[0-9]+(?:\.[0-9]+)?)$",
}
_WEEKDAY = r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?[ ]+"
# Precision labels are kept as small codes while parsing (-1: none) and turned into text once.
_PRECISIONS = ("day", "hour", "minute", "second")
_PRECISION_CODE = {label: code for code, label in enumerate(_PRECISIONS)}
_DAY, _HOUR, _MINUTE, _SECOND = range(4)


class _State:
    """Per-row results, filled family by family; the first to decide a row wins.

    ``wall`` is the clock time as written and ``offset`` the UTC offset the value itself
    states (minutes east of UTC; NaN means "local time in the ``timezone`` argument").
    """

    def __init__(self, values: pd.Series, shown: pd.Series):
        n = len(values)
        self.values = values
        self.shown = shown
        self.wall = np.full(n, _NAT)
        self.offset = np.full(n, np.nan)
        self.precision = np.full(n, -1, dtype=np.int8)
        self.reason = np.full(n, None, dtype=object)
        self.has_reason = np.zeros(n, dtype=bool)
        self.todo = np.zeros(n, dtype=bool)

    def quoted(self, rows: np.ndarray) -> pd.Series:
        """The values at ``rows`` as text for a reason: cleaned text, else ``str(value)``."""
        text = self.shown.iloc[rows]
        missing = text.isna().to_numpy(dtype=bool)
        if missing.any():
            text = text.copy()
            text[missing] = self.values.iloc[rows[missing]].map(str).astype(ARROW_TEXT)
        return '"' + text + '"'

    def reject(self, rows: np.ndarray, prefix: str, suffix: str) -> None:
        rows = rows[self.todo[rows]]
        if len(rows):
            self.reason[rows] = (prefix + self.quoted(rows) + suffix).to_numpy(dtype=object)
            self.has_reason[rows] = True
            self.todo[rows] = False

    def accept(self, rows, wall, precision, offset=None) -> None:
        """``precision``: a label, or an array of codes (see :data:`_PRECISIONS`)."""
        self.wall[rows] = wall
        self.precision[rows] = (
            _PRECISION_CODE[precision] if isinstance(precision, str) else precision
        )
        if offset is not None:
            self.offset[rows] = offset
        self.todo[rows] = False

    def accept_or_reject(self, rows, wall, ok, precision, offset=None) -> None:
        self.reject(rows[~ok], "date ", " does not exist")
        keep = ok & self.todo[rows]
        self.accept(
            rows[keep],
            wall[keep],
            precision[keep] if isinstance(precision, np.ndarray) else precision,
            None if offset is None else offset[keep],
        )


def _num(s: pd.Series) -> np.ndarray:
    return s.astype("float64[pyarrow]").to_numpy(dtype=float, na_value=np.nan)


def _is(s: pd.Series, text: str) -> np.ndarray:
    return (s == text).fillna(False).to_numpy(dtype=bool)


def _wall_time(y, mo, d, h=0.0, mi=0.0, s=0.0, us=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Assemble clock times from float component arrays (NaN = missing); return (wall, ok)."""
    ok = (mo >= 1) & (mo <= 12) & (d >= 1) & (h >= 0) & (h <= 23)
    ok &= (mi >= 0) & (mi <= 59) & (s >= 0) & (s <= 59) & ~np.isnan(y)
    month = np.where(ok, (y - 1970) * 12 + mo - 1, 0).astype(np.int64).astype("datetime64[M]")
    start = month.astype("datetime64[D]")
    days_in_month = ((month + 1).astype("datetime64[D]") - start).astype(np.int64)
    ok &= d <= days_in_month
    day = np.where(ok, d - 1, 0).astype(np.int64).astype("timedelta64[D]")
    seconds = np.where(ok, h * 3600 + mi * 60 + s, 0).astype(np.int64)
    wall = (start + day).astype("datetime64[us]") + seconds.astype("timedelta64[s]")
    wall = wall + np.where(ok, us, 0).astype(np.int64).astype("timedelta64[us]")
    return np.where(ok, wall, _NAT), ok


def _time_parts(g: pd.DataFrame) -> dict[str, np.ndarray]:
    """Hours/minutes/seconds/microseconds, precision, offset and validity of the time groups."""
    h, mi, s = _num(g["H"]), _num(g["M"]), _num(g["S"])
    frac = g["F"].str.slice(0, 6).str.pad(6, side="right", fillchar="0")
    us = np.nan_to_num(_num(frac))
    first = g["ampm"].str.slice(0, 1)
    pm, am = _is(first, "p"), _is(first, "a")
    has_h, has_m = ~np.isnan(h), ~np.isnan(mi)
    # A bare hour means nothing without am/pm ("31/01/2021 10" is not a time).
    bare_hour = has_h & ~has_m & ~(am | pm)
    ok = ~((am | pm) & (h > 12))
    h = np.where(pm & (h < 12), h + 12, np.where(am & (h == 12), 0, h))
    precision = np.where(
        ~np.isnan(s), _SECOND, np.where(has_m, _MINUTE, np.where(has_h, _HOUR, _DAY))
    ).astype(np.int8)

    tz = g["tz"]
    tzp = tz.str.extract(r"^(?:utc|gmt)?(?P<sign>[+-])(?P<oh>[0-9]{1,2}):?(?P<om>[0-9]{2})?$")
    tzp = tzp.mask(tzp == "")
    sign = np.where(_is(tzp["sign"], "-"), -1.0, 1.0)
    offset = sign * (_num(tzp["oh"]) * 60 + np.nan_to_num(_num(tzp["om"])))
    offset = np.where(_is(tz, "z") | _is(tz, "utc") | _is(tz, "gmt"), 0.0, offset)
    offset = np.where(_is(tz, "ist"), 330.0, offset)
    ok &= ~(np.abs(offset) > 14 * 60)
    return {
        "h": np.nan_to_num(h),
        "mi": np.nan_to_num(mi),
        "s": np.nan_to_num(s),
        "us": us,
        "precision": precision,
        "offset": offset,
        "ok": ok,
        "unreadable": bare_hour,
    }


def _normalise_text(c: pd.Series) -> pd.Series:
    """Lower-case, Devanagari digits and Hindi month names to ASCII, tidy spacing."""
    t = c.copy()
    non_ascii = (~t.str.isascii()).fillna(False).to_numpy(dtype=bool)
    if non_ascii.any():
        sub = ascii_digits(t[non_ascii]).str.replace(_NUKTA, "", regex=False)
        for hindi, english in _HINDI_MONTHS.items():
            sub = sub.str.replace(hindi, english, regex=False)
        t[non_ascii] = sub
    t = t.str.lower().str.replace("[ \t\n\r]+", " ", regex=True)
    return t.str.replace(_WEEKDAY, "", regex=True)


def _parse_texts(st: _State, t: pd.Series, dayfirst: bool) -> None:
    for family, pattern in _FAMILIES.items():
        rows = np.flatnonzero(st.todo)
        if not len(rows):
            return
        sub = t.iloc[rows]
        # A yes/no match is much cheaper than an extract, so extract only what matches.
        hit = sub.str.match(pattern).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        rows = rows[hit]
        g = sub[hit].str.extract(pattern)
        g = g.mask(g == "")
        if family == "number":
            _from_numbers(st, rows, _num(g["number"]))
            continue
        y = _num(g["y"])
        if family == "numeric":
            a, b = _num(g["a"]), _num(g["b"])
            d, mo = (a, b) if dayfirst else (b, a)
            # Two digits are this century (21 is 2021); four digits are the year as written,
            # so 0021 is the year 21 and is rejected as before 2000, never read as 2021.
            two_digits = (g["y"].str.len() == 2).fillna(False).to_numpy(dtype=bool)
            y = np.where(two_digits, y + 2000, y)
        else:
            d = _num(g["d"])
            if "mon" in g:
                mo = g["mon"].map(_MONTHS).to_numpy(dtype=float, na_value=np.nan)
                st.reject(rows[np.isnan(mo)], "cannot read ", " as a date")
            else:
                mo = _num(g["m"])
        if "H" not in g:
            wall, ok = _wall_time(y, mo, d)
            st.accept_or_reject(rows, wall, ok, "day")
            continue
        tp = _time_parts(g)
        st.reject(rows[tp["unreadable"]], "cannot read ", " as a date")
        wall, ok = _wall_time(y, mo, d, tp["h"], tp["mi"], tp["s"], tp["us"])
        st.accept_or_reject(rows, wall, ok & tp["ok"], tp["precision"], tp["offset"])


def _from_numbers(st: _State, rows: np.ndarray, number: np.ndarray) -> None:
    """Excel 1900-system serial day numbers (the fraction is the time of day) or yyyymmdd."""
    serial = (number >= _SERIAL_MIN) & (number < _SERIAL_MAX)
    seconds = np.round(np.where(serial, number, 0) * 86400).astype(np.int64)
    wall = _EXCEL_EPOCH + seconds.astype("timedelta64[s]")
    precision = np.where(
        seconds % 86400 == 0, _DAY, np.where(seconds % 60 == 0, _MINUTE, _SECOND)
    ).astype(np.int8)
    st.accept(rows[serial], wall[serial], precision[serial])

    compact = ~serial & (number >= 1000_01_01) & (number < 1_0000_00_00)
    compact &= np.floor(number) == number
    if compact.any():
        n = number[compact]
        wall, ok = _wall_time(n // 10000, n // 100 % 100, n % 100)
        st.accept_or_reject(rows[compact], wall, ok, "day")
    st.reject(
        rows[~serial & ~compact],
        "number ",
        f" is not a date (Excel serials run {_SERIAL_MIN}-{_SERIAL_MAX})",
    )


def _precision_of(wall: np.ndarray) -> np.ndarray:
    # A datetime object says nothing about how exact it is: midnight is taken to be a bare
    # date (spreadsheets store dates as midnight), otherwise minutes or seconds as stored.
    micros = (wall - wall.astype("datetime64[D]")).astype(np.int64)
    return np.where(micros == 0, _DAY, np.where(micros % 60_000_000 == 0, _MINUTE, _SECOND)).astype(
        np.int8
    )


def _from_datetimes(st: _State, kind: np.ndarray) -> None:
    is_dt = (kind == "datetime") | (kind == "date")
    if not is_dt.any():
        return
    rows = np.flatnonzero(is_dt)
    sub = st.values.iloc[rows]
    offset = None
    if isinstance(sub.dtype, pd.DatetimeTZDtype):
        local = sub.dt.tz_localize(None)
        utc = sub.dt.tz_convert("UTC").dt.tz_localize(None)
        offset = ((local - utc).dt.total_seconds() / 60).to_numpy(dtype=float)
        wall = local.to_numpy(dtype="datetime64[us]")
    elif pd.api.types.is_datetime64_dtype(sub.dtype):
        wall = sub.to_numpy(dtype="datetime64[us]")
    else:
        # Mixed object column (python datetimes/dates, Timestamps, numpy datetime64): a rare
        # shape, and zone-aware values need their own offset, so value by value.
        stamps = [pd.Timestamp(v) for v in sub]
        wall = np.array(
            [ts.tz_localize(None).to_datetime64() for ts in stamps], dtype="datetime64[us]"
        )
        offset = np.array(
            [ts.utcoffset().total_seconds() / 60 if ts.tzinfo else np.nan for ts in stamps]
        )
    precision = _precision_of(wall)
    precision[kind[rows] == "date"] = _DAY
    st.accept(rows, wall, precision, offset)


def parse_datetimes(
    values: pd.Series, *, timezone: str = DEFAULT_TZ, dayfirst: bool = True
) -> pd.DataFrame:
    """Parse a column of dates / date-times into UTC instants with a precision label.

    Returns a DataFrame with the input's index and columns

    - ``at`` (``datetime64[us, UTC]``): the instant, in UTC. A value without its own offset is
      a wall-clock time in ``timezone`` (an IANA name, default India's ``Asia/Kolkata``) and is
      converted from it; a bare date is local midnight (so ``31/01/2021`` in Kolkata is
      ``2021-01-30 18:30 UTC``). A value with an offset or ``Z``/``UTC``/``GMT``/``IST`` uses
      that and ignores ``timezone``. ``IST`` is India Standard Time, +05:30.
    - ``time_precision`` (:data:`STRING`): ``day`` | ``hour`` | ``minute`` | ``second``, how
      exact ``at`` is as written (``10 PM`` is ``hour``, ``10:30`` is ``minute``).
    - ``reason`` (:data:`STRING`): missing when understood, else one phrase quoting the value.

    Accepted: ISO ``2021-01-31``, ``2021-01-31T10:30``, ``2021-01-31 10:30:15(.ffffff)`` with an
    optional ``Z`` / ``+05:30`` / ``+0530``, ``2021/01/31``, ``20210131``; numeric day-month-year
    ``31/01/2021``, ``31-01-2021 10:30``, ``31.01.2021``, ``31/01/21`` (two-digit years are
    20xx; a four-digit year is that year, so ``01/02/0021`` is the year 21 and is rejected),
    where ``dayfirst`` decides what ``04/02/2021`` means (True: 4 Feb; False: 2 Apr) and an
    impossible reading is rejected, never swapped; month names ``31 Jan 2021``,
    ``31 January 2021``, ``31st of January, 2021``, ``Jan 31, 2021``, ``31-Jan-2021 10:30``,
    with an optional leading weekday; 12-hour times ``10:30 PM``, ``10 pm``, ``10.30 a.m.``,
    and ``10:30 hrs``; Devanagari digits (``३१/०१/२०२१``) and Hindi month names (``31 जनवरी
    2021``, ``16 फ़रवरी 2021`` with or without the nukta); Excel serial day numbers from 20000
    to 80000 (1900 date system) as numbers or numeric text, where a fraction is the time of
    day (precision ``minute``, or ``second`` when it has seconds; ``day`` when whole);
    Python/numpy/pandas datetimes, Timestamps and dates (naive ones are local ``timezone``
    time, zone-aware ones keep their zone, dates are precision ``day``; a datetime at exactly
    midnight is taken as a bare date, ``day``, otherwise ``minute`` or ``second``).

    Rejected, with a reason: impossible dates or times (``31/02/2021``, ``2021-13-01``,
    ``25:00``), dates as written outside [:data:`MIN_DATE`, :data:`MAX_DATE`), local times
    skipped or repeated by a daylight-saving change, numbers that are not Excel serials,
    booleans and anything else (``cannot read "xyz" as a date``).

    Nulls and blank cells give NaT / missing / missing, with no reason: whether the column
    is required is the caller's decision. The input is not modified. Raises ``ValueError``
    for an unknown ``timezone`` (a configuration error, not a data error).
    """
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {timezone!r}") from err
    parse = functools.partial(_parse_datetimes, timezone=timezone, dayfirst=dayfirst)
    return parse_distinct(values, parse)


def _parse_datetimes(values: pd.Series, *, timezone: str, dayfirst: bool) -> pd.DataFrame:
    index = values.index
    values = values.reset_index(drop=True)
    text, kind = split_by_type(values)
    # The bulk of a big sheet is one fixed layout (31/01/2021 10:30, 2021-01-31): read those
    # straight from the bytes, and clean and match only the rest.
    fixed = _fixed_layouts(text)
    if fixed is None:
        shown = clean_text(text)
    else:
        shown = clean_text(text.where(~fixed.mask)).where(~fixed.mask, text)
    # Ints went to text as digits (44227, 20210131) and are read with the text families.
    st = _State(values, shown)
    _from_datetimes(st, kind)

    is_float = np.flatnonzero(kind == "float")
    if len(is_float):
        st.todo[is_float] = True
        _from_numbers(st, is_float, values.iloc[is_float].astype(float).to_numpy())
    other = np.flatnonzero(np.isin(kind, ["bool", "other"]))
    st.todo[other] = True
    st.reject(other, "cannot read ", " as a date")

    st.todo |= st.shown.notna().to_numpy(dtype=bool)
    if fixed is not None:
        fixed.apply(st, dayfirst)
    if st.todo.any():
        _parse_texts(st, _normalise_text(st.shown.where(st.todo)), dayfirst)
        st.reject(np.flatnonzero(st.todo), "cannot read ", " as a date")

    _check_range(st)
    at = _to_utc(st, timezone)
    return pd.DataFrame(
        {
            "at": at,
            "time_precision": _PRECISION_LABELS.take(st.precision.astype(np.intp), allow_fill=True),
            "reason": _reasons(st),
        },
        index=index,
    )


# --- fixed layouts, read from the bytes --------------------------------------------------------

_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_DATE_SEP = np.zeros(256, dtype=bool)
_DATE_SEP[[ord(c) for c in "-/."]] = True
_TIME_SEP = np.zeros(256, dtype=bool)
_TIME_SEP[[ord(c) for c in " Tt"]] = True
#: Layouts the fast path reads: ``DD/MM/YYYY`` (``-`` or ``.`` too; day and month swap when
#: not ``dayfirst``) and ``YYYY-MM-DD``, each alone, with `` HH:MM`` or with `` HH:MM:SS``
#: (``T`` may stand for the space). Exactly what the ``numeric`` and ``ymd`` families read
#: from such text, with the same precision; anything else goes through the families.
_FIXED_LENGTHS = {10: "day", 16: "minute", 19: "second"}


class _Fixed:
    """Rows in a fixed layout, with their clock-time parts (float, as :func:`_wall_time`
    takes them)."""

    def __init__(self, n: int):
        self.mask = np.zeros(n, dtype=bool)
        self.parts: list[tuple[np.ndarray, bool, dict[str, np.ndarray], str]] = []

    def apply(self, st: _State, dayfirst: bool) -> None:
        for rows, ymd, p, precision in self.parts:
            if ymd:
                y, mo, d = p["a"], p["b"], p["c"]
            else:
                y = p["c"]
                d, mo = (p["a"], p["b"]) if dayfirst else (p["b"], p["a"])
            wall, ok = _wall_time(y, mo, d, p["h"], p["mi"], p["s"])
            st.accept_or_reject(rows, wall, ok, precision)


def _fixed_layouts(text: pd.Series) -> _Fixed | None:
    """Find the rows of ``text`` in one of :data:`_FIXED_LENGTHS`' layouts (numpy on the
    Arrow bytes); ``None`` when there are none."""
    if len(text) < 64:
        return None
    arr = pa.array(text.array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = arr.cast(pa.large_string())
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    if data_buf is None:
        return None
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    valid = np.asarray(pc.is_valid(arr), dtype=bool)
    lengths = np.diff(offsets)
    fixed = _Fixed(n)
    for length, precision in _FIXED_LENGTHS.items():
        rows = np.flatnonzero(valid & (lengths == length))
        if not len(rows):
            continue
        starts = offsets[rows]

        def char(p: int, starts=starts) -> np.ndarray:
            return data[starts + p]

        def digits(*positions: int, starts=starts) -> np.ndarray:
            ok = np.ones(len(starts), dtype=bool)
            for p in positions:
                ok &= _DIGIT[char(p)]
            return ok

        dmy = digits(0, 1, 3, 4, 6, 7, 8, 9) & _DATE_SEP[char(2)] & _DATE_SEP[char(5)]
        ymd = digits(0, 1, 2, 3, 5, 6, 8, 9) & _DATE_SEP[char(4)] & _DATE_SEP[char(7)]
        ok = dmy | ymd
        if length >= 16:
            ok &= _TIME_SEP[char(10)] & digits(11, 12, 14, 15) & (char(13) == ord(":"))
        if length == 19:
            ok &= (char(16) == ord(":")) & digits(17, 18)
        for is_ymd, layout in ((False, dmy & ok), (True, ymd & ok)):
            if not layout.any():
                continue
            at = starts[layout]

            def num(*positions: int, at=at) -> np.ndarray:
                out = np.zeros(len(at), dtype=np.int32)
                for p in positions:
                    out *= 10
                    out += data[at + p]
                    out -= ord("0")
                return out.astype(np.float64)

            zero = np.zeros(len(at))
            parts = (
                {"a": num(0, 1, 2, 3), "b": num(5, 6), "c": num(8, 9)}
                if is_ymd
                else {"a": num(0, 1), "b": num(3, 4), "c": num(6, 7, 8, 9)}
            )
            parts["h"] = num(11, 12) if length >= 16 else zero
            parts["mi"] = num(14, 15) if length >= 16 else zero
            parts["s"] = num(17, 18) if length == 19 else zero
            fixed.parts.append((rows[layout], is_ymd, parts, precision))
            fixed.mask[rows[layout]] = True
    return fixed if fixed.mask.any() else None


def _undo(st: _State, rows: np.ndarray) -> None:
    st.todo[rows] = True
    st.wall[rows] = _NAT
    st.precision[rows] = -1
    st.offset[rows] = np.nan


_PRECISION_LABELS = pd.array(list(_PRECISIONS), dtype=STRING)


def _reasons(st: _State) -> pd.api.extensions.ExtensionArray:
    """The reasons as :data:`STRING`, without a pass over the rows that have none."""
    rows = np.flatnonzero(st.has_reason)
    if len(rows) == len(st.reason):
        return pd.array(st.reason, dtype=STRING)
    out = pa.nulls(len(st.reason), pa.large_string())
    if len(rows):
        positions = np.full(len(st.reason), -1, dtype=np.int64)
        positions[rows] = np.arange(len(rows))
        found = pa.array(list(st.reason[rows]), pa.large_string())
        out = found.take(pa.array(positions, mask=positions < 0))
    return pd.array(out, dtype=STRING)


def _check_range(st: _State) -> None:
    has = ~np.isnat(st.wall)
    for rows, message in (
        (np.flatnonzero(has & (st.wall < _MIN)), f" is before {MIN_DATE.year}"),
        (np.flatnonzero(has & (st.wall >= _MAX)), f" is after {MAX_DATE.year - 1}"),
    ):
        if len(rows):
            _undo(st, rows)
            st.reject(rows, "date ", message)


def _to_utc(st: _State, timezone: str) -> pd.api.extensions.ExtensionArray:
    at = np.full(len(st.wall), _NAT)
    stated = ~np.isnan(st.offset)
    if stated.any():
        minutes = st.offset[stated].astype(np.int64).astype("timedelta64[m]")
        at[stated] = st.wall[stated] - minutes
    local = ~stated & ~np.isnat(st.wall)
    if local.any():
        localised = pd.DatetimeIndex(st.wall[local]).tz_localize(
            timezone, ambiguous="NaT", nonexistent="NaT"
        )
        utc = localised.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[us]")
        at[local] = utc
        lost = np.flatnonzero(local)[np.isnat(utc)]
        if len(lost):
            _undo(st, lost)
            st.reject(lost, "local time ", f" is skipped or repeated in {timezone}")
    return pd.DatetimeIndex(at).tz_localize("UTC").astype(_UTC_US).array
