"""``items`` and ``wide_handles``: sheets naming the handles, tweets and URLs in orders.

``items``: one row per item: the handle/URL cell in any of its forms (``@Name``,
``https://x.com/Name/status/123``...) and the order it belongs to, both required -> the
``items`` table. ``wide_handles``: the same row with date columns mapped to event names
(``Withheld on`` -> ``withheld``, ``Restored on`` -> ``restored``; several columns may give one
event) -> its item, and one ``events`` row per filled date cell, in the sheet's order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core import schema
from analysis.core.arrays import str_take
from analysis.core.times import ts_from_us, utc_us
from analysis.ingest.canonical.cells import Cells, join_notes
from analysis.ingest.canonical.events import event_common
from analysis.ingest.canonical.tables import empty_table, take_rows
from analysis.ingest.normalize.handles import long_handle_notes, parse_items


def item_frame(cells: Cells, items: pd.DataFrame, order_id: pd.Series) -> pd.DataFrame:
    """``items`` rows from the parsed item cells and their order ids; ``raw_value`` keeps the
    cell as written, and ``notes`` says when a handle is longer than X's 15 characters."""
    return pd.DataFrame(
        {
            "order_id": order_id,
            "item_id": items["item_id"],
            "item_type": items["item_type"],
            "handle": items["handle"],
            "tweet_id": items["tweet_id"],
            "raw_value": cells.get("item").astype("str"),
            "notes": join_notes(cells.notes(), long_handle_notes(items["handle"])),
            **cells.provenance(),
        }
    )


def build_items(cells: Cells) -> dict[str, pd.DataFrame]:
    """One ``items`` row per sheet row; a blank or unreadable item or a blank order id rejects
    the row."""
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    order_id = cells.text("order_id")
    cells.required("order_id", order_id)
    return {"items": item_frame(cells, items, order_id)}


def build_wide_handles(cells: Cells) -> dict[str, pd.DataFrame]:
    """One ``items`` row per sheet row and one ``events`` row per filled date cell (``n_items``
    1, no ``at_earliest``); an unreadable date rejects its whole row."""
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    order_id = cells.text("order_id")
    cells.required("order_id", order_id)
    common = event_common(cells)
    # Date columns in file order, so a row's same-day "withheld" then "restored" keep the
    # sheet's sequence (the events table is later sorted stably by time).
    date_columns = [(h, name) for name in schema.EVENT_TYPES for h in cells.headers.get(name, [])]
    date_columns.sort(key=lambda pair: cells.frame.columns.get_loc(pair[0]))
    parsed = [cells.dates(name, header) for header, name in date_columns]
    items_frame = item_frame(cells, items, order_id)
    if not parsed:
        return {"items": items_frame, "events": empty_table("events")}
    # One event per filled date cell, in sheet order: by row, then time, then column. Built
    # with one take per column: on a sheet of millions of rows a filter per date column and a
    # sort of the result would copy every column several times.
    n = len(order_id)
    at_us = np.concatenate([utc_us(p["at"]) for p in parsed])
    cell = np.flatnonzero(at_us != np.iinfo("int64").min)
    row, column = cell % n, cell // n
    order = np.lexsort((column, at_us[cell], row))
    cell, row, column = cell[order], row[order], column[order]
    precision = pd.concat([p["time_precision"] for p in parsed], ignore_index=True)
    per_row = {
        "item_id": items["item_id"],
        "order_id": order_id,
        **common,
        **cells.provenance(),
    }
    events = take_rows(pd.DataFrame(per_row, copy=False), row).assign(
        event=str_take([name for _, name in date_columns], column),
        at=ts_from_us(at_us[cell]),
        at_earliest=pd.Series(pd.NaT, index=range(len(cell)), dtype="datetime64[us, UTC]"),
        timing="exact",
        time_precision=precision.take(cell).reset_index(drop=True),
        n_items=1,
        n_items_is_approximate=False,
    )
    return {"items": items_frame, "events": events[schema.columns("events")]}
