"""Takedown volume: orders and items per period, optionally by country, platform, authority or
legal basis.

Periods are calendar periods in the *local* time zone (``tz``, India by default): an order issued
at 00:30 IST on 1 February is a February order, although it is 31 January in UTC. A day-precision
``issued_at`` is stored as local midnight, so it always falls on its own local date.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.core.periods import normalize_freq, period_ordinals, period_table
from analysis.core.times import DEFAULT_TZ, as_utc, end_bound_exclusive, local_us, start_bound

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
    o["issued_at"] = as_utc(o["issued_at"])
    keep = o["issued_at"].notna().to_numpy().copy()
    countries = _as_list(country)
    if countries is not None:
        wanted = {str(c).strip().upper() for c in countries}
        keep &= o["country"].astype("str").str.strip().str.upper().isin(wanted).to_numpy()
    platforms = _as_list(platform)
    if platforms is not None:
        wanted = {str(p).strip().lower() for p in platforms}
        keep &= o["platform"].astype("str").str.strip().str.lower().isin(wanted).to_numpy()
    lo = start_bound(start, tz) if start is not None else None
    hi_exclusive = end_bound_exclusive(end, tz) if end is not None else None
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
    o["ordinal"] = period_ordinals(local_us(o["issued_at"], tz), code)

    # Range of periods.
    if lo is not None:
        first = int(period_ordinals(local_us(pd.Series([lo]), tz), code)[0])
    elif len(o):
        first = int(o["ordinal"].min())
    else:
        first = None
    if hi_exclusive is not None:
        last_instant = hi_exclusive - pd.Timedelta(microseconds=1)
        last = int(period_ordinals(local_us(pd.Series([last_instant]), tz), code)[0])
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
