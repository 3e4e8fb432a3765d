"""The last gate before Parquet: rows that break an invariant become rejects, in every table."""

from __future__ import annotations

import pandas as pd

from analysis.clean.combine import Combined
from analysis.clean.validate import validate_tables
from analysis.ingest.canonical import empty_rejects, empty_table


def _items(rows: list[dict]) -> pd.DataFrame:
    empty = empty_table("items")
    blank = dict.fromkeys(empty.columns)
    frame = pd.DataFrame([{**blank, "source_file": "h.csv", **r} for r in rows])
    return frame.astype(empty.dtypes.to_dict())


def _combined(items: pd.DataFrame, events: pd.DataFrame | None = None) -> Combined:
    tables = {name: empty_table(name) for name in ("orders", "events", "checks", "transparency")}
    tables["items"] = items
    if events is not None:
        tables["events"] = events
    duplicates = pd.DataFrame({"source_file": [], "source_row": []})
    return Combined(tables, empty_rejects(), duplicates)


def test_broken_invariants_become_row_rejects_naming_column_value_and_check():
    ok = {"order_id": "A-1", "item_id": "@ok", "item_type": "account", "handle": "ok"}
    items = _items(
        [
            {**ok, "source_row": 2},
            {**ok, "item_id": "@has space", "source_row": 3},
            {**ok, "handle": "UPPER", "source_row": 4},
            # Devanagari digits are digits to Python's re, not to a tweet id
            {**ok, "item_id": "tweet:१२", "item_type": "tweet", "tweet_id": "१२", "source_row": 5},
        ]
    )
    checked = validate_tables(_combined(items))
    assert checked.tables["items"]["source_row"].tolist() == [2]
    rejects = checked.rejects.sort_values(["source_row", "column"])
    assert rejects[["source_row", "column", "value"]].values.tolist() == [
        [3, "item_id", "@has space"],
        [4, "handle", "UPPER"],
        [5, "item_id", "tweet:१२"],
        [5, "tweet_id", "१२"],
    ]
    assert rejects["reason"].tolist() == [
        "items.item_id fails the check item id format",
        "items.handle fails the check valid handle",
        "items.item_id fails the check item id format",
        "items.tweet_id fails the check digits only",
    ]
    assert set(rejects["level"]) == {"row"}


def test_a_row_rejected_in_one_table_leaves_the_others():
    ok = {"order_id": "A-1", "item_id": "@ok", "item_type": "account", "handle": "ok"}
    items = _items([{**ok, "source_row": 2}, {**ok, "handle": "BAD", "source_row": 3}])
    empty = empty_table("events")
    events = pd.DataFrame(
        {
            "item_id": ["@ok", "@ok"],
            "order_id": ["A-1", "A-1"],
            "event": ["withheld", "withheld"],
            "at": pd.to_datetime(["2021-02-01", "2021-02-02"], utc=True),
            "timing": ["exact", "exact"],
            "time_precision": ["day", "day"],
            "n_items": [1, 1],
            "n_items_is_approximate": [False, False],
            "source_file": ["h.csv", "h.csv"],
            "source_row": [2, 3],
        }
    ).reindex(columns=empty.columns)
    checked = validate_tables(_combined(items, events.astype(empty.dtypes.to_dict())))
    assert checked.tables["events"]["source_row"].tolist() == [2]
