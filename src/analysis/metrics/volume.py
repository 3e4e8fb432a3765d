"""Takedown volume: orders and items per period, optionally by country, platform, authority or
legal basis.

Periods are calendar periods in the *local* time zone (``tz``, India by default): an order issued
at 00:30 IST on 1 February is a February order, although it is 31 January in UTC. A day-precision
``issued_at`` is stored as local midnight, so it always falls on its own local date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

DEFAULT_TZ = "Asia/Kolkata"

_DAY_US = 86_400_000_000

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

BY_COLUMNS = ("country", "platform", "authority", "legal_basis")

VOLUME_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "orders",
    "items",
    "items_basis",
    "orders_items_unknown",
    "cumulative_orders",
    "cumulative_items",
    "partial",
]


def normalize_freq(freq: str) -> str:
    """Canonical period code (``D``, ``W``, ``M``, ``Q``, ``H``, ``Y``) for a ``freq`` spelling."""
    code = FREQS.get(str(freq).strip().upper())
    if code is None:
        raise ValueError(
            f"freq {freq!r} is not one of D (day), W (ISO week), M (month), Q (quarter), "
            "H (half-year), Y (year)"
        )
    return code


# ----------------------------------------------------------------------------------------------
# Time helpers shared by the metrics modules (all vectorised; int64 microseconds)
# ----------------------------------------------------------------------------------------------


def _as_utc(values) -> pd.Series:
    """A Series of UTC timestamps at microsecond resolution; naive values are taken as UTC."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype) or str(s.dtype.tz) != "UTC":
        s = pd.to_datetime(s, utc=True)
    return s.dt.as_unit("us")


def _utc_us(values) -> np.ndarray:
    """int64 microseconds since the epoch (UTC); NaT becomes the int64 minimum."""
    return _as_utc(values).to_numpy(dtype="datetime64[us]").view("int64")


def _local_us(values, tz: str) -> np.ndarray:
    """int64 microseconds of the *local wall-clock* time in ``tz`` (NaT -> int64 minimum)."""
    local = _as_utc(values).dt.tz_convert(tz).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[us]").view("int64")


def _local_from_us(us: np.ndarray, tz: str) -> np.ndarray:
    """:func:`_local_us` of int64 UTC microseconds (the int64 minimum is NaT); only the values
    that are not NaT are converted, so an all-NaT column costs nothing."""
    us = np.asarray(us, dtype="int64")
    nat = np.iinfo("int64").min
    out = np.full(len(us), nat, dtype="int64")
    ok = us != nat
    if ok.any():
        stamps = pd.DatetimeIndex(us[ok].view("datetime64[us]")).tz_localize("UTC")
        local = stamps.tz_convert(tz).tz_localize(None)
        out[ok] = local.to_numpy(dtype="datetime64[us]").view("int64")
    return out


def _local_days(values, tz: str) -> np.ndarray:
    """Local calendar date as whole days since 1970-01-01 (int64; meaningless where NaT)."""
    return _local_us(values, tz) // _DAY_US


def _parse_instant(value, tz: str) -> tuple[pd.Timestamp, bool]:
    """Parse a user-given time. Returns (UTC instant, given as a date only).

    Naive values are local time in ``tz``. A ``datetime.date``, a string of at most 10
    characters (``"2021-02-28"``) or a naive midnight counts as "a date only".
    """
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str) and len(value.strip()) <= 10:
        date_only = True
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        if ts == ts.normalize():
            date_only = True
        ts = ts.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
    return ts.tz_convert("UTC").as_unit("us"), date_only


def _start_bound(value, tz: str) -> pd.Timestamp:
    """Inclusive lower bound (UTC) for a user ``start``."""
    return _parse_instant(value, tz)[0]


def _end_bound_exclusive(value, tz: str) -> pd.Timestamp:
    """Exclusive upper bound (UTC) for a user ``end``: a date includes that whole local day."""
    ts, date_only = _parse_instant(value, tz)
    if date_only:
        next_day = ts.tz_convert(tz).tz_localize(None).normalize() + pd.Timedelta(days=1)
        ts = next_day.tz_localize(tz, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")
        return ts.as_unit("us")
    return ts + pd.Timedelta(microseconds=1)


def _period_ordinals(local_us: np.ndarray, code: str) -> np.ndarray:
    """Integer period number of each local wall-clock time (consecutive periods differ by 1)."""
    days = local_us // _DAY_US
    if code == "D":
        return days
    if code == "W":  # ISO weeks start on Monday; 1970-01-01 was a Thursday
        return (days + 3) // 7
    months = local_us.astype("datetime64[us]").astype("datetime64[M]").astype("int64")
    return months // {"M": 1, "Q": 3, "H": 6, "Y": 12}[code]


def _period_start_local(ordinals: np.ndarray, code: str) -> np.ndarray:
    """Local wall-clock start (datetime64[us]) of each period ordinal."""
    ordinals = np.asarray(ordinals, dtype="int64")
    if code == "D":
        return ordinals.astype("datetime64[D]").astype("datetime64[us]")
    if code == "W":
        return (ordinals * 7 - 3).astype("datetime64[D]").astype("datetime64[us]")
    months = ordinals * {"M": 1, "Q": 3, "H": 6, "Y": 12}[code]
    return months.astype("datetime64[M]").astype("datetime64[us]")


def _period_labels(ordinals: np.ndarray, code: str) -> list[str]:
    starts = pd.DatetimeIndex(_period_start_local(ordinals, code))
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


def _localize_starts(local: np.ndarray, tz: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(local)
    return (
        idx.tz_localize(tz, nonexistent="shift_forward", ambiguous=np.ones(len(idx), dtype=bool))
        .tz_convert("UTC")
        .as_unit("us")
    )


def period_table(ordinals, code: str, tz: str) -> pd.DataFrame:
    """``period`` label, ``period_start`` and ``period_end`` (UTC; end exclusive) per ordinal."""
    ordinals = np.asarray(ordinals, dtype="int64")
    start = _localize_starts(_period_start_local(ordinals, code), tz)
    end = _localize_starts(_period_start_local(ordinals + 1, code), tz)
    return pd.DataFrame(
        {
            "ordinal": ordinals,
            "period": pd.array(_period_labels(ordinals, code), dtype="str"),
            "period_start": start,
            "period_end": end,
        }
    )


def _as_list(value) -> list | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


# ----------------------------------------------------------------------------------------------
# Volume
# ----------------------------------------------------------------------------------------------


def volume(
    orders: pd.DataFrame,
    items: pd.DataFrame | None,
    *,
    freq: str = "M",
    by: str | Iterable[str] = (),
    start=None,
    end=None,
    country=None,
    platform=None,
    tz: str = DEFAULT_TZ,
) -> pd.DataFrame:
    """Orders and items per period.

    Parameters
    ----------
    orders, items
        Canonical tables. ``items`` may be ``None`` (no named items known).
    freq
        ``D`` day, ``W`` ISO week (Monday start), ``M`` month, ``Q`` quarter, ``H`` half-year,
        ``Y`` year. Periods are local calendar periods in ``tz``.
    by
        Zero or more of ``country``, ``platform``, ``authority``, ``legal_basis``. A missing
        value is its own group (shown as NA).
    start, end
        Optional bounds on ``issued_at``; naive values are local time in ``tz``. ``end`` given as
        a date includes that whole day. Every period from the one holding ``start`` to the one
        holding ``end`` is listed (zeros where nothing was issued); without bounds the range
        runs from the first to the last order. A period cut by a bound has ``partial`` True.
    country, platform
        Keep only these (a value or a list; country compared upper-case, platform lower-case).

    Returns
    -------
    One row per period (per ``by`` group), sorted by group and period:

    * ``period``: label (``2021-02-01``, ``2021-W05``, ``2021-02``, ``2021-Q1``, ``2021-H1``,
      ``2021``); ``period_start`` / ``period_end``: UTC instants of the local period's start and
      the next period's start (``period_end`` is exclusive);
    * the ``by`` columns;
    * ``orders``: orders issued in the period;
    * ``items``: items those orders covered - the order's ``items_listed`` where stated, else
      the number of distinct named items in ``items`` for that order (0 if none);
    * ``items_basis``: ``items_listed``, ``named items`` or ``mixed`` (NA for empty periods);
    * ``orders_items_unknown``: orders with neither ``items_listed`` nor any named item (their
      items count as 0, so ``items`` is a lower bound when this is above 0);
    * ``cumulative_orders``, ``cumulative_items``: running totals within the group;
    * ``partial``: the period is only partly inside ``start``/``end``.
    """
    code = normalize_freq(freq)
    by = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in by if c not in BY_COLUMNS]
    if unknown:
        raise ValueError(f"by must be chosen from {', '.join(BY_COLUMNS)}; got {unknown}")

    cols = ["order_id", "issued_at", "items_listed", *[c for c in by if c not in ("order_id",)]]
    for c in ("country", "platform"):
        if c not in cols:
            cols.append(c)
    o = orders.reindex(columns=cols).copy()
    o["issued_at"] = _as_utc(o["issued_at"])
    keep = o["issued_at"].notna().to_numpy().copy()
    countries = _as_list(country)
    if countries is not None:
        wanted = {str(c).strip().upper() for c in countries}
        keep &= o["country"].astype("str").str.strip().str.upper().isin(wanted).to_numpy()
    platforms = _as_list(platform)
    if platforms is not None:
        wanted = {str(p).strip().lower() for p in platforms}
        keep &= o["platform"].astype("str").str.strip().str.lower().isin(wanted).to_numpy()
    lo = _start_bound(start, tz) if start is not None else None
    hi_exclusive = _end_bound_exclusive(end, tz) if end is not None else None
    if lo is not None:
        keep &= (o["issued_at"] >= lo).to_numpy()
    if hi_exclusive is not None:
        keep &= (o["issued_at"] < hi_exclusive).to_numpy()
    o = o.loc[keep]

    # Items per order: items_listed where stated, else distinct named items.
    if items is not None and len(items):
        named = (
            items[["order_id", "item_id"]]
            .dropna()
            .drop_duplicates()
            .groupby("order_id", sort=False)
            .size()
        )
    else:
        named = pd.Series(dtype="int64")
    n_named = o["order_id"].map(named).fillna(0).astype("int64")
    listed = pd.array(o["items_listed"], dtype="Int64")
    has_listed = ~pd.isna(listed)
    o["_items"] = np.where(
        has_listed, listed.to_numpy(dtype="float64", na_value=0), n_named
    ).astype("int64")
    o["_listed"] = has_listed.astype("int64")
    o["_unknown"] = (~has_listed & (n_named.to_numpy() == 0)).astype("int64")
    o["ordinal"] = _period_ordinals(_local_us(o["issued_at"], tz), code)

    # Range of periods.
    if lo is not None:
        first = int(_period_ordinals(_local_us(pd.Series([lo]), tz), code)[0])
    elif len(o):
        first = int(o["ordinal"].min())
    else:
        first = None
    if hi_exclusive is not None:
        last_instant = hi_exclusive - pd.Timedelta(microseconds=1)
        last = int(_period_ordinals(_local_us(pd.Series([last_instant]), tz), code)[0])
    elif len(o):
        last = int(o["ordinal"].max())
    else:
        last = None
    out_cols = ["period", "period_start", "period_end", *by, *VOLUME_COLUMNS[3:]]
    if first is None or last is None or last < first:
        return _empty_volume(out_cols, by)

    periods = period_table(np.arange(first, last + 1), code, tz)
    periods["partial"] = False
    if lo is not None:
        periods.loc[periods["period_start"] < lo, "partial"] = True
    if hi_exclusive is not None:
        periods.loc[periods["period_end"] > hi_exclusive, "partial"] = True

    agg = (
        o.groupby([*by, "ordinal"], dropna=False, sort=False)
        .agg(
            orders=("order_id", "size"),
            items=("_items", "sum"),
            n_listed=("_listed", "sum"),
            orders_items_unknown=("_unknown", "sum"),
        )
        .reset_index()
    )
    if by:
        groups = o[by].drop_duplicates().reset_index(drop=True)
        if groups.empty:
            return _empty_volume(out_cols, by)
        grid = groups.merge(periods, how="cross")
    else:
        grid = periods
    table = grid.merge(agg, on=[*by, "ordinal"], how="left")
    for c in ("orders", "items", "n_listed", "orders_items_unknown"):
        table[c] = table[c].fillna(0).astype("int64")
    basis = np.select(
        [table["orders"] == 0, table["n_listed"] == table["orders"], table["n_listed"] == 0],
        ["", "items_listed", "named items"],
        default="mixed",
    )
    table["items_basis"] = pd.array(basis, dtype="str")
    table.loc[table["orders"] == 0, "items_basis"] = pd.NA
    table = table.sort_values([*by, "ordinal"], kind="stable", na_position="last")
    if by:
        grouped = table.groupby(by, dropna=False, sort=False)
        table["cumulative_orders"] = grouped["orders"].cumsum()
        table["cumulative_items"] = grouped["items"].cumsum()
    else:
        table["cumulative_orders"] = table["orders"].cumsum()
        table["cumulative_items"] = table["items"].cumsum()
    return table[out_cols].reset_index(drop=True)


def _empty_volume(out_cols: list[str], by: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="int64") for c in out_cols})
    frame["period"] = frame["period"].astype("str")
    frame["period_start"] = pd.Series(dtype="datetime64[us, UTC]")
    frame["period_end"] = pd.Series(dtype="datetime64[us, UTC]")
    frame["items_basis"] = frame["items_basis"].astype("str")
    frame["partial"] = frame["partial"].astype("bool")
    for c in by:
        frame[c] = frame[c].astype("str")
    return frame
