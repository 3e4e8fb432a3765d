"""Times: the default time zone, user-given times, and int64-microsecond arithmetic.

The canonical tables hold UTC instants (``timestamp[us, UTC]``). Vectorised code works on int64
microseconds since the epoch, where the int64 minimum (:data:`NAT_US`) stands for a missing
time. Local calendar arithmetic (days, periods) uses the *wall-clock* time in a zone, India's by
default (:data:`DEFAULT_TZ`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.core.arrays import map_small

#: The time zone of times given without one, and of calendar days, unless a source or a
#: report says otherwise (India's orders are dated in Indian time).
DEFAULT_TZ = "Asia/Kolkata"

SEC_US = 1_000_000
HOUR_US = 3600 * SEC_US
DAY_US = 24 * HOUR_US
#: Microseconds in one unit of each ``time_precision``.
PRECISION_US = {"day": DAY_US, "hour": HOUR_US, "minute": 60 * SEC_US, "second": SEC_US}
#: int64 microseconds standing for a missing time (numpy's NaT).
NAT_US = np.iinfo("int64").min


def as_utc(values) -> pd.Series:
    """A Series of UTC timestamps at microsecond resolution; naive values are taken as UTC."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype) or str(s.dtype.tz) != "UTC":
        s = pd.to_datetime(s, utc=True)
    return s.dt.as_unit("us")


def utc_us(values) -> np.ndarray:
    """int64 microseconds since the epoch (UTC); NaT becomes the int64 minimum."""
    return as_utc(values).to_numpy(dtype="datetime64[us]").view("int64")


def in_zone(values, tz: str) -> pd.Series:
    """Timestamps as aware times in ``tz`` (naive input is UTC, as in the canonical tables)."""
    s = pd.to_datetime(pd.Series(values))
    if s.dt.tz is None:
        s = s.dt.tz_localize("UTC")
    return s.dt.tz_convert(tz)


def wall_clock(at: pd.Series, tz: str) -> pd.Series:
    """UTC instants -> naive wall-clock times in ``tz``."""
    return at.dt.tz_convert(tz).dt.tz_localize(None)


def from_wall_clock(local: pd.Series, tz: str) -> pd.Series:
    """Naive wall-clock times in ``tz`` -> UTC instants (``datetime64[us, UTC]``); a wall time
    that does not exist or is ambiguous there (a DST change) becomes NaT."""
    at = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return at.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def local_us(values, tz: str) -> np.ndarray:
    """int64 microseconds of the *local wall-clock* time in ``tz`` (NaT -> int64 minimum)."""
    local = as_utc(values).dt.tz_convert(tz).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[us]").view("int64")


def local_from_us(us: np.ndarray, tz: str) -> np.ndarray:
    """:func:`local_us` of int64 UTC microseconds (the int64 minimum is NaT); only the values
    that are not NaT are converted, so an all-NaT column costs nothing."""
    us = np.asarray(us, dtype="int64")
    out = np.full(len(us), NAT_US, dtype="int64")
    ok = us != NAT_US
    if ok.any():
        stamps = pd.DatetimeIndex(us[ok].view("datetime64[us]")).tz_localize("UTC")
        local = stamps.tz_convert(tz).tz_localize(None)
        out[ok] = local.to_numpy(dtype="datetime64[us]").view("int64")
    return out


def local_days(values, tz: str) -> np.ndarray:
    """Local calendar date as whole days since 1970-01-01 (int64; meaningless where NaT)."""
    return local_us(values, tz) // DAY_US


def parse_instant(value, tz: str) -> tuple[pd.Timestamp, bool]:
    """Parse a user-given time (a parameter, an option): the one parser of user times.

    Returns (UTC instant, given as a date only). Naive values are local time in ``tz``. A
    ``datetime.date``, a string of at most 10 characters (``"2021-02-28"``) or a naive midnight
    counts as "a date only". Raises ``ValueError`` naming the value when it is not a time.
    """
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str) and len(value.strip()) <= 10:
        date_only = True
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise ValueError(f"not a date or time: {value!r}")
    if ts.tzinfo is None:
        if ts == ts.normalize():
            date_only = True
        ts = ts.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
    return ts.tz_convert("UTC").as_unit("us"), date_only


def local_instant(value, tz: str) -> pd.Timestamp:
    """A user-given time as an aware time in ``tz`` (naive values are local there)."""
    return parse_instant(value, tz)[0].tz_convert(tz)


def start_bound(value, tz: str) -> pd.Timestamp:
    """Inclusive lower bound (UTC) for a user ``start``."""
    return parse_instant(value, tz)[0]


def as_of_instant(value, tz: str) -> pd.Timestamp:
    """A user's "as of" time (UTC): a date means the *end* of that local day, so what happened
    on the as-of day counts."""
    ts, date_only = parse_instant(value, tz)
    if date_only:
        return end_bound_exclusive(value, tz) - pd.Timedelta(microseconds=1)
    return ts


def end_bound_exclusive(value, tz: str) -> pd.Timestamp:
    """Exclusive upper bound (UTC) for a user ``end``: a date includes that whole local day."""
    ts, date_only = parse_instant(value, tz)
    if date_only:
        next_day = ts.tz_convert(tz).tz_localize(None).normalize() + pd.Timedelta(days=1)
        ts = next_day.tz_localize(tz, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")
        return ts.as_unit("us")
    return ts + pd.Timedelta(microseconds=1)


def precision_us(values) -> np.ndarray:
    """Microseconds in one unit of each row's ``time_precision`` (unknown/missing -> second)."""
    return map_small(values, PRECISION_US, SEC_US).astype("int64")


def elapsed(
    start_us: np.ndarray,
    start_local: np.ndarray,
    end_us: np.ndarray,
    end_local: np.ndarray,
    in_days: np.ndarray,
) -> np.ndarray:
    """Elapsed time, >= 0: whole local calendar days where ``in_days``, else hours (float)."""
    days = (end_local // DAY_US - start_local // DAY_US).astype("float64")
    hours = (end_us - start_us).astype("float64") / HOUR_US
    return np.maximum(np.where(in_days, days, hours), 0.0)


def ts_from_us(us: np.ndarray) -> pd.Series:
    """UTC timestamps from int64 microseconds (the int64 minimum is NaT in numpy)."""
    return pd.Series(np.asarray(us, dtype="int64").view("datetime64[us]")).dt.tz_localize("UTC")
