"""Calendar periods (day, ISO week, month, quarter, half-year, year) in a local time zone.

A period is numbered by an integer *ordinal* (consecutive periods differ by 1) computed from the
local wall-clock time, so an order issued at 00:30 IST on 1 February falls in February although
it is 31 January in UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core.times import DAY_US

#: Accepted ``freq`` spellings -> canonical code.
FREQS = {
    "D": "D",
    "DAY": "D",
    "W": "W",
    "WEEK": "W",
    "M": "M",
    "MS": "M",
    "ME": "M",
    "MONTH": "M",
    "Q": "Q",
    "QS": "Q",
    "QE": "Q",
    "QUARTER": "Q",
    "H": "H",
    "6M": "H",
    "HALF": "H",
    "HALF-YEAR": "H",
    "Y": "Y",
    "YS": "Y",
    "YE": "Y",
    "A": "Y",
    "YEAR": "Y",
}


def normalize_freq(freq: str) -> str:
    """Canonical period code (``D``, ``W``, ``M``, ``Q``, ``H``, ``Y``) for a ``freq`` spelling."""
    code = FREQS.get(str(freq).strip().upper())
    if code is None:
        raise ValueError(
            f"freq {freq!r} is not one of D (day), W (ISO week), M (month), Q (quarter), "
            "H (half-year), Y (year)"
        )
    return code


def period_ordinals(local_us: np.ndarray, code: str) -> np.ndarray:
    """Integer period number of each local wall-clock time (consecutive periods differ by 1)."""
    days = local_us // DAY_US
    if code == "D":
        return days
    if code == "W":  # ISO weeks start on Monday; 1970-01-01 was a Thursday
        return (days + 3) // 7
    months = local_us.astype("datetime64[us]").astype("datetime64[M]").astype("int64")
    return months // {"M": 1, "Q": 3, "H": 6, "Y": 12}[code]


def period_start_local(ordinals: np.ndarray, code: str) -> np.ndarray:
    """Local wall-clock start (datetime64[us]) of each period ordinal."""
    ordinals = np.asarray(ordinals, dtype="int64")
    if code == "D":
        return ordinals.astype("datetime64[D]").astype("datetime64[us]")
    if code == "W":
        return (ordinals * 7 - 3).astype("datetime64[D]").astype("datetime64[us]")
    months = ordinals * {"M": 1, "Q": 3, "H": 6, "Y": 12}[code]
    return months.astype("datetime64[M]").astype("datetime64[us]")


def period_labels(ordinals: np.ndarray, code: str) -> list[str]:
    starts = pd.DatetimeIndex(period_start_local(ordinals, code))
    if code == "D":
        return list(starts.strftime("%Y-%m-%d"))
    if code == "W":
        iso = starts.isocalendar()
        return [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    if code == "M":
        return list(starts.strftime("%Y-%m"))
    years = starts.year
    if code == "Q":
        return [f"{y}-Q{(m - 1) // 3 + 1}" for y, m in zip(years, starts.month, strict=True)]
    if code == "H":
        return [f"{y}-H{(m - 1) // 6 + 1}" for y, m in zip(years, starts.month, strict=True)]
    return [str(y) for y in years]


def localize_starts(local: np.ndarray, tz: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(local)
    return (
        idx.tz_localize(tz, nonexistent="shift_forward", ambiguous=np.ones(len(idx), dtype=bool))
        .tz_convert("UTC")
        .as_unit("us")
    )


def period_table(ordinals, code: str, tz: str) -> pd.DataFrame:
    """``period`` label, ``period_start`` and ``period_end`` (UTC; end exclusive) per ordinal."""
    ordinals = np.asarray(ordinals, dtype="int64")
    start = localize_starts(period_start_local(ordinals, code), tz)
    end = localize_starts(period_start_local(ordinals + 1, code), tz)
    return pd.DataFrame(
        {
            "ordinal": ordinals,
            "period": pd.array(period_labels(ordinals, code), dtype="str"),
            "period_start": start,
            "period_end": end,
        }
    )
