"""Tiny canonical frames for the metrics tests, built by hand.

Times are written as local India time (Asia/Kolkata, UTC+05:30) strings, e.g. ``"2021-01-31"``
(a day-precision date: local midnight) or ``"2021-02-01 14:00"``; the helpers convert them to
``datetime64[us, UTC]`` as the Parquet tables hold them. Columns not given are null, with the
dtypes the canonical tables have when read back from Parquet.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from analysis.core import schema

TZ = "Asia/Kolkata"


def ts(value: str | None) -> pd.Timestamp:
    """A local India time string -> UTC timestamp (None -> NaT)."""
    if value is None:
        return pd.NaT
    return pd.Timestamp(value).tz_localize(TZ).tz_convert("UTC").as_unit("us")


def _frame(table: str, rows: list[dict], defaults: dict) -> pd.DataFrame:
    arrow = schema.TABLES[table]
    data = {}
    for field in arrow:
        values = [row.get(field.name, defaults.get(field.name)) for row in rows]
        if pa.types.is_timestamp(field.type):
            data[field.name] = pd.Series(
                [ts(v) if isinstance(v, str) or v is None else v for v in values],
                dtype="datetime64[us, UTC]",
            )
        elif pa.types.is_integer(field.type):
            data[field.name] = pd.Series(values, dtype="Int64")
        elif pa.types.is_boolean(field.type):
            data[field.name] = pd.Series(values, dtype="bool")
        else:
            data[field.name] = pd.Series(values, dtype="str")
    return pd.DataFrame(data)


def orders(*rows: dict) -> pd.DataFrame:
    """Orders; defaults: platform twitter, country IN, precision day, provenance filled."""
    defaults = {
        "platform": "twitter",
        "country": "IN",
        "authority": "MeitY",
        "legal_basis": "IT Act s.69A",
        "time_precision": "day",
        "source_file": "orders.csv",
    }
    rows = [{"source_row": i + 1, **r} for i, r in enumerate(rows)]
    return _frame("orders", rows, defaults)


def items(*rows: dict) -> pd.DataFrame:
    """Items; ``item_type`` account and ``raw_value`` = item_id unless given."""
    rows = [
        {
            "item_type": "account",
            "raw_value": r["item_id"],
            "source_file": "items.csv",
            "source_row": i + 1,
            **r,
        }
        for i, r in enumerate(rows)
    ]
    return _frame("items", rows, {})


def named_items(order_id: str, *item_ids: str) -> pd.DataFrame:
    """Items of one order, by id."""
    return items(*[{"order_id": order_id, "item_id": i} for i in item_ids])


def events(*rows: dict) -> pd.DataFrame:
    """Events; defaults: precision day, n_items 1, not approximate, country IN."""
    defaults = {
        "time_precision": "day",
        "n_items": 1,
        "n_items_is_approximate": False,
        "country": "IN",
        "source_kind": "spreadsheet",
        "source_file": "events.csv",
    }
    rows = [{"source_row": i + 1, **r} for i, r in enumerate(rows)]
    return _frame("events", rows, defaults)


def empty_events() -> pd.DataFrame:
    return events().iloc[0:0]
