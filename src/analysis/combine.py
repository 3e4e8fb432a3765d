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
- A source row that is rejected anywhere is removed from every table (a wide-handle row gives an
  item and events: they stand or fall together).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.canonical import Canonical, empty_rejects, empty_table, rejects_frame

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
TRANSPARENCY_KEY = ["platform", "country", "requestor", "scope", "period_start", "period_end"]


@dataclass
class Combined:
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    duplicates: pd.DataFrame  # source_file, source_row of rows set aside as exact duplicates


def combine(parts: list[Canonical]) -> Combined:
    tables = {}
    for name in ("orders", "items", "events", "transparency"):
        frames = [p.tables[name] for p in parts if name in p.tables and len(p.tables[name])]
        tables[name] = (
            pd.concat(frames, ignore_index=True) if frames else empty_table(name)
        ).astype(empty_table(name).dtypes.to_dict())
    rejects = [p.rejects for p in parts if len(p.rejects)]
    duplicates: list[pd.DataFrame] = []

    orders, order_rejects, order_dupes = _orders(tables["orders"])
    rejects.append(order_rejects)
    duplicates.append(order_dupes)
    known = set(orders["order_id"])

    items = tables["items"]
    items, unknown = _known_orders(items, known, "item")
    rejects.append(unknown)
    dup = items.duplicated(["order_id", "item_id"], keep="first")
    duplicates.append(items.loc[dup, ["source_file", "source_row"]])
    items = items[~dup]

    events = tables["events"]
    events, unknown = _known_orders(events, known, "event")
    rejects.append(unknown)
    dup = events.duplicated(EVENT_KEY, keep="first")
    duplicates.append(events.loc[dup, ["source_file", "source_row"]])
    events = events[~dup]

    transparency = tables["transparency"]
    dup = transparency.duplicated(
        [c for c in transparency.columns if c not in ("source_file", "source_row", "notes")]
    )
    duplicates.append(transparency.loc[dup, ["source_file", "source_row"]])
    transparency = transparency[~dup]

    all_rejects = pd.concat([r for r in rejects if len(r)] or [empty_rejects()], ignore_index=True)
    # One line per bad cell: a wide-handle row's item and events share the same order cell.
    all_rejects = all_rejects.drop_duplicates(["source_file", "source_row", "column", "value"])
    bad = _row_keys(all_rejects)
    final = {}
    for name, frame in {
        "orders": orders,
        "items": items,
        "events": events,
        "transparency": transparency,
    }.items():
        keep = ~_row_keys(frame).isin(bad)
        final[name] = _sorted(name, frame[keep.to_numpy()])
    dupes = pd.concat(duplicates, ignore_index=True).drop_duplicates()
    return Combined(final, _sorted_rejects(all_rejects), dupes)


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["source_file"].astype("str") + "\x1f" + frame["source_row"].astype("str")


def _orders(orders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dup_id = orders["order_id"].duplicated(keep=False)
    if not dup_id.any():
        return orders, empty_rejects(), orders.iloc[:0][["source_file", "source_row"]]
    same = orders.duplicated(["order_id", *ORDER_FIELDS], keep="first")
    duplicates = orders.loc[same, ["source_file", "source_row"]]
    rest = orders[~same]
    variants = rest.groupby("order_id")["order_id"].transform("size")
    conflicting = rest[variants > 1]
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
    keep = rest[variants == 1]
    return keep, rejects_frame(rejects), duplicates


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "blank" if pd.isna(value) else str(value)


def _known_orders(frame: pd.DataFrame, known: set[str], what: str):
    order = frame["order_id"]
    unknown = order.notna() & ~order.isin(known)
    rejects = pd.DataFrame(
        {
            "source_file": frame.loc[unknown, "source_file"],
            "source_row": frame.loc[unknown, "source_row"],
            "column": "order_id",
            "value": order[unknown],
            "reason": order[unknown].map(
                lambda o: (
                    f"{what} names order {o!r}, which no orders source declares "
                    "(or whose rows were rejected)"
                )
            ),
        }
    ).drop_duplicates(["source_file", "source_row"])
    return frame[~unknown], rejects_frame(rejects)


_SORT = {
    "orders": ["issued_at", "order_id"],
    "items": ["order_id", "item_id"],
    # Ties in time keep source order (a sheet's same-day withheld -> restored).
    "events": ["at", "order_id", "item_id"],
    "transparency": ["platform", "country", "period_start"],
}


def _sorted(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A fixed row order, so the same inputs always give byte-identical tables."""
    keys = [*_SORT[name], "source_file", "source_row"]
    return frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def _sorted_rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    return rejects.sort_values(
        ["source_file", "source_row", "column", "reason"], kind="stable", na_position="first"
    ).reset_index(drop=True)
