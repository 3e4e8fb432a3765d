"""Checks across sources: duplicates, conflicting orders, references to unknown orders.

Input is the canonical rows of every source; output is the final tables plus the rows rejected or
set aside as duplicates here. Rules (docs/data-dictionary.md repeats them for readers):

- orders: rows with the same ``order_id`` and the same substantive fields are duplicates
  (the first is kept); rows with the same ``order_id`` but different substantive fields
  conflict, and *all* of them are rejected naming every row, so no arbitrary copy wins.
- items: the same ``(order_id, item_id)`` twice is a duplicate (``@Name`` and ``name`` are one
  item); an item naming an order that no source declares (or whose rows were rejected) is rejected.
- events: identical events (every substantive column equal) are duplicates; an event naming an
  unknown order is rejected.
- orders a handle list implies (``implied_orders``) are used only for order ids no other source
  declares: a declared order always wins.
- checks: identical checks (item, order, time, state, countries) are duplicates; a check naming
  an unknown order is rejected. The checks that remain become ``withheld``/``restored``/
  ``suspended``/``reinstated``/``deleted`` events through
  :func:`analysis.clean.snapshots.snapshots_to_events`, over all sources together (so a
  second file of lookups continues the first), per tracked country; each event takes the
  ``time_precision`` of the check that showed the change.
- A source row that is rejected anywhere is removed from every table (a wide-handle row gives an
  item and events: they stand or fall together). Item-level rejects (``level = "item"``, a bad
  URL inside a Lumen notice) leave their row in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.clean.snapshots import snapshots_to_events
from analysis.ingest.canonical import (
    Canonical,
    empty_rejects,
    empty_table,
    rejects_frame,
    take_rows,
)

ORDER_FIELDS = [
    "platform",
    "country",
    "authority",
    "legal_basis",
    "issued_at",
    "deadline_at",
    "items_listed",
]
EVENT_KEY = ["item_id", "order_id", "event", "at", "at_earliest", "n_items", "country"]
CHECK_KEY = ["item_id", "order_id", "checked_at", "state", "countries"]
TABLE_NAMES = ("orders", "items", "events", "checks", "transparency")
TRANSPARENCY_KEY = ["platform", "country", "requestor", "scope", "period_start", "period_end"]


@dataclass
class Combined:
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    duplicates: pd.DataFrame  # source_file, source_row of rows set aside as exact duplicates


def combine(parts: list[Canonical]) -> Combined:
    """The final tables from every source's canonical rows (rules in the module docstring).

    The parts' tables are handed over: they are removed from each part as they are gathered,
    so on a sheet of millions of rows their memory goes as soon as the sorted tables exist.
    Rejects, dropped rows and messages stay in the parts.
    """
    tables = {name: _concat(parts, name) for name in TABLE_NAMES}
    implied = _concat(parts, "implied_orders", "orders")
    implied = implied[~isin(implied["order_id"], tables["orders"]["order_id"])]
    if len(implied):
        tables["orders"] = pd.concat([tables["orders"], implied], ignore_index=True)
    rejects = [p.rejects for p in parts if len(p.rejects)]
    duplicates: list[pd.DataFrame] = []

    orders, order_rejects, order_dupes = _orders(tables["orders"])
    rejects.append(order_rejects)
    duplicates.append(order_dupes)
    known = orders["order_id"]
    tables["orders"] = orders

    # Masks first and one take per table at the end: on millions of rows every filter of a
    # frame is a copy of all its columns.
    keep = {"orders": np.ones(len(orders), dtype=bool)}
    for name, what, key in (
        ("items", "item", ["order_id", "item_id"]),
        ("events", "event", EVENT_KEY),
        ("checks", "status check", CHECK_KEY),
    ):
        keep[name] = _known_and_unique(tables[name], known, what, key, rejects, duplicates)

    transparency = tables["transparency"]
    dup = transparency.duplicated(
        [c for c in transparency.columns if c not in ("source_file", "source_row", "notes")]
    ).to_numpy()
    duplicates.append(transparency.loc[dup, ["source_file", "source_row"]])
    keep["transparency"] = ~dup

    all_rejects = finish_rejects(rejects)
    bad = all_rejects[all_rejects["level"] == "row"]
    for name in TABLE_NAMES:
        keep[name] &= ~rows_among(tables[name], bad)

    checks = tables.pop("checks").take(np.flatnonzero(keep["checks"]))
    del transparency  # each unsorted table goes as soon as its sorted copy exists
    final = {
        name: sort_table(name, tables.pop(name), keep[name])
        for name in ("orders", "items", "transparency")
    }
    from_checks = snapshot_events(checks)
    if len(from_checks):
        events = tables.pop("events").take(np.flatnonzero(keep["events"]))
        final["events"] = sort_table("events", pd.concat([events, from_checks], ignore_index=True))
    else:
        final["events"] = sort_table("events", tables.pop("events"), keep["events"])
    final["checks"] = sort_table("checks", checks.drop(columns="_country", errors="ignore"))
    final = {name: final[name] for name in TABLE_NAMES}
    dupes = pd.concat(duplicates, ignore_index=True).drop_duplicates()
    return Combined(final, all_rejects, dupes)


def _concat(parts: list[Canonical], name: str, table: str | None = None) -> pd.DataFrame:
    """Every part's ``name`` frame in one, typed as the canonical ``table`` (default ``name``)."""
    empty = empty_table(table or name)
    frames = [p.tables.pop(name) for p in parts if name in p.tables]
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty
    return pd.concat(frames, ignore_index=True).astype(empty.dtypes.to_dict())


def snapshot_events(checks: pd.DataFrame) -> pd.DataFrame:
    """Events from status checks, per tracked country (``_country``), with each event's
    ``time_precision`` taken from the check that showed the change."""
    if checks.empty:
        return empty_table("events")
    country = checks["_country"] if "_country" in checks else pd.Series("IN", index=checks.index)
    frames = [
        snapshots_to_events(group.drop(columns="_country", errors="ignore"), country=code)
        for code, group in checks.groupby(country, sort=True)
    ]
    events = pd.concat(frames, ignore_index=True).astype(empty_table("events").dtypes.to_dict())
    key = ["source_file", "source_row", "item_id"]
    precision = checks.drop_duplicates([*key, "checked_at"]).set_index([*key, "checked_at"])[
        "time_precision"
    ]
    found = pd.MultiIndex.from_arrays([events[c] for c in key] + [events["at"]])
    events["time_precision"] = precision.reindex(found).to_numpy()
    return events


def rows_among(frame: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """True where a row of ``frame`` has the ``(source_file, source_row)`` of a row of ``rows``.

    Vectorised on integer keys (file position << 32 | row + 1), so it costs a hash of the few
    distinct file names, not a string per row.
    """
    if frame.empty or rows.empty:
        return np.zeros(len(frame), dtype=bool)
    files = _arrow_text(rows["source_file"]).unique()

    def keys(part: pd.DataFrame) -> np.ndarray:
        file = pc.index_in(_arrow_text(part["source_file"]), value_set=files)
        file = np.asarray(pc.fill_null(file, -1), dtype="int64")
        row = part["source_row"].astype("Int64").to_numpy(dtype="int64", na_value=-1)
        return np.where(file >= 0, (file << 32) | (row + 1), -1)

    wanted = keys(rows)
    return np.isin(keys(frame), wanted[wanted >= 0])


def _orders(orders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dup_id = orders["order_id"].duplicated(keep=False)
    if not dup_id.any():
        return orders, empty_rejects(), orders.iloc[:0][["source_file", "source_row"]]
    # An id given with two sets of fields conflicts: every row giving it is rejected, exact
    # copies included (a copy of a rejected row is not a duplicate of anything kept).
    variants = orders.drop_duplicates(["order_id", *ORDER_FIELDS]).groupby("order_id").size()
    conflict = isin(orders["order_id"], pd.Series(variants.index[variants > 1], dtype="str"))
    conflicting, rest = orders[conflict], orders[~conflict]
    same = rest.duplicated(["order_id", *ORDER_FIELDS], keep="first")
    duplicates = rest.loc[same, ["source_file", "source_row"]]
    rejects = []
    for order_id, group in conflicting.groupby("order_id", sort=True):
        rows = ", ".join(
            f"{f} row {r}" for f, r in zip(group.source_file, group.source_row, strict=True)
        )
        differing = [c for c in ORDER_FIELDS if group[c].nunique(dropna=False) > 1]
        detail = "; ".join(
            f"{c}: " + " vs ".join(_show(v) for v in group[c].drop_duplicates()) for c in differing
        )
        for f, r in zip(group.source_file, group.source_row, strict=True):
            rejects.append(
                {
                    "source_file": f,
                    "source_row": r,
                    "column": "order_id",
                    "value": order_id,
                    "reason": f"order {order_id} is given differently in {rows} ({detail})",
                }
            )
    return rest[~same], rejects_frame(rejects), duplicates


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "blank" if pd.isna(value) else str(value)


def isin(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` for text, by Arrow (pandas walks ``allowed`` in Python, which
    costs seconds when a Lumen export declares 100,000 orders). Missing values are never in."""
    found = pc.is_in(_arrow_text(values), value_set=_arrow_text(allowed), skip_nulls=True)
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def _arrow_text(series: pd.Series) -> pa.Array:
    array = pa.array(series.astype("str").array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _known_and_unique(
    frame: pd.DataFrame,
    known: pd.Series,
    what: str,
    key: list[str],
    rejects: list[pd.DataFrame],
    duplicates: list[pd.DataFrame],
) -> np.ndarray:
    """Which rows to keep: those that name a known order (others rejected), first of each
    ``key`` (others set aside as duplicates). ``key`` holds ``order_id``, so a row and its
    copies are all known or all unknown and one ``duplicated`` over the frame suffices."""
    unknown, found = unknown_orders(frame, known, what)
    rejects.append(found)
    dup = frame.duplicated(key, keep="first").to_numpy() & ~unknown
    duplicates.append(frame.loc[dup, ["source_file", "source_row"]])
    return ~unknown & ~dup


def unknown_orders(
    frame: pd.DataFrame, known: pd.Series, what: str
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows of ``frame`` naming an order not in ``known``: the mask, and one reject per row."""
    order = frame["order_id"]
    unknown = order.notna().to_numpy() & ~isin(order, known)
    if not unknown.any():
        return unknown, empty_rejects()
    found = frame.loc[unknown, ["source_file", "source_row", "order_id"]]
    reasons = {
        o: f"{what} names order {o!r}, which no orders source declares "
        "(or whose rows were rejected)"
        for o in found["order_id"].unique()
    }
    return unknown, rejects_frame(
        pd.DataFrame(
            {
                "source_file": found["source_file"],
                "source_row": found["source_row"],
                "column": "order_id",
                "value": found["order_id"],
                "reason": found["order_id"].map(reasons),
            }
        ).drop_duplicates(["source_file", "source_row"])
    )


def finish_rejects(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """All rejects in one table: level ``row`` unless said, one line per bad cell (a
    wide-handle row's item and events share the same order cell), in a fixed order."""
    rejects = pd.concat([r for r in frames if len(r)] or [empty_rejects()], ignore_index=True)
    rejects["level"] = rejects["level"].fillna("row")
    rejects = rejects.drop_duplicates(["source_file", "source_row", "column", "value"])
    return _sorted_rejects(rejects)


SORT_KEYS = {
    "checks": ["checked_at", "item_id"],
    "orders": ["issued_at", "order_id"],
    "items": ["order_id", "item_id"],
    # Ties in time keep source order (a sheet's same-day withheld -> restored).
    "events": ["at", "order_id", "item_id"],
    "transparency": ["platform", "country", "period_start"],
}


def sort_table(name: str, frame: pd.DataFrame, keep: np.ndarray | None = None) -> pd.DataFrame:
    """The rows of ``frame`` where ``keep`` (default all) in a fixed order, so the same inputs
    always give byte-identical tables. Arrow's stable multi-key sort, then one take."""
    keys = [*SORT_KEYS[name], "source_file", "source_row"]
    rows = np.arange(len(frame)) if keep is None else np.flatnonzero(keep)
    table = pa.Table.from_pandas(frame[keys], preserve_index=False)
    if keep is not None:
        table = table.take(rows)
    order = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_end") for k in keys])
    return take_rows(frame, rows[order.to_numpy()])


def _sorted_rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    return rejects.sort_values(
        ["source_file", "source_row", "column", "reason"], kind="stable", na_position="first"
    ).reset_index(drop=True)
