"""The cleaning pipeline end to end on tests/fixtures/messy, checked row by row.

orders.csv (UTF-8 with BOM, CRLF):
    row 2  A-1  31/01/2021  X        257      -> kept; platform twitter; notes "Remarks: first list"
    row 3  A-2  ०४/०२/२०२१  Twitter  "1,178"  -> kept (Devanagari digits: 4 Feb 2021)
    row 4  the same as row 3                  -> exact duplicate
    row 5  A-3  31/02/2021                    -> rejected: 31 Feb does not exist
handles.csv (wide: one row per handle, CRLF):
    row 2  @Kisanektamorcha  A-1 withheld + restored 01/02/2021 -> item + 2 events
    row 3  twitter.com/Tractor2twitr  A-1 withheld 01/02/2021   -> item + 1 event
    row 4  " KISANEKTAMORCHA " A-1, no dates                    -> duplicate of row 2
    row 5  @this_handle_is_far_too_long                         -> rejected: longer than 20
    row 6  @someone  Z-9                                        -> rejected: unknown order
    row 7  x.com/someone/status/1356205424589848576?s=20  A-2  -> tweet item + 1 event
"""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.clean.pipeline import clean
from analysis.store.processed import read_tables

UTC = "UTC"


@pytest.fixture
def messy(tmp_path, fixtures_dir):
    raw = tmp_path / "raw"
    shutil.copytree(fixtures_dir / "messy", raw)
    return raw


@pytest.fixture
def cleaned(messy, tmp_path):
    out = tmp_path / "processed"
    result = clean(messy, out)
    return result, read_tables(out), out


def test_orders_are_typed_and_normalised(cleaned):
    _, tables, _ = cleaned
    orders = tables["orders"].set_index("order_id")
    assert list(orders.index) == ["A-1", "A-2"]
    # 31 Jan 2021, local midnight in Asia/Kolkata (UTC+5:30), is 30 Jan 18:30 UTC.
    assert orders.loc["A-1", "issued_at"] == pd.Timestamp("2021-01-30 18:30", tz=UTC)
    assert orders.loc["A-2", "issued_at"] == pd.Timestamp("2021-02-03 18:30", tz=UTC)
    assert set(orders["time_precision"]) == {"day"}
    assert list(orders["platform"]) == ["twitter", "twitter"]
    assert list(orders["country"]) == ["IN", "IN"]
    assert list(orders["items_listed"]) == [257, 1178]
    assert orders.loc["A-1", "notes"] == "Remarks: first list"
    assert orders.loc["A-1", "source_row"] == 2
    assert orders.loc["A-2", "source_row"] == 3


def test_items_and_events_from_the_wide_sheet(cleaned):
    _, tables, _ = cleaned
    items = tables["items"]
    assert list(items["item_id"]) == [
        "@kisanektamorcha",
        "@tractor2twitr",
        "tweet:1356205424589848576",
    ]
    assert list(items["order_id"]) == ["A-1", "A-1", "A-2"]
    tweet = items.iloc[2]
    assert (tweet["item_type"], tweet["handle"], tweet["tweet_id"]) == (
        "tweet",
        "someone",
        "1356205424589848576",
    )
    assert tweet["raw_value"] == "https://x.com/someone/status/1356205424589848576?s=20"
    events = tables["events"]
    assert len(events) == 4
    kem = events[events["item_id"] == "@kisanektamorcha"]
    assert list(kem["event"]) == ["withheld", "restored"]
    assert set(events["n_items"]) == {1}
    assert set(events["source_kind"]) == {"spreadsheet"}


def test_rejects_name_file_row_column_value_and_reason(cleaned):
    _, _, out = cleaned
    rejects = pd.read_csv(out / "rejects.csv", dtype=str)
    got = {(r.source_file, int(r.source_row), r.column) for r in rejects.itertuples()}
    assert got == {
        ("orders.csv", 5, "Date of order"),
        ("handles.csv", 5, "Handle"),
        ("handles.csv", 6, "order_id"),
    }
    by_row = rejects.set_index(["source_file", "source_row"])
    assert by_row.loc[("orders.csv", "5"), "value"] == "31/02/2021"
    assert "does not exist" in by_row.loc[("orders.csv", "5"), "reason"]
    assert "20" in by_row.loc[("handles.csv", "5"), "reason"]
    assert "Z-9" in by_row.loc[("handles.csv", "6"), "reason"]


def test_manifest_accounts_for_every_row(cleaned):
    result, _, _ = cleaned
    sources = {s["path"]: s for s in result.manifest["sources"]}
    assert sources["orders.csv"] | {"messages": None, "sha256": None} == {
        "path": "orders.csv",
        "kind": "orders",
        "sha256": None,
        "rows_read": 4,
        "rows_kept": 2,
        "rows_rejected": 1,
        "rows_duplicate": 1,
        "rows_dropped": 0,
        "items_rejected": 0,
        "messages": None,
    }
    handles = sources["handles.csv"]
    assert (handles["rows_read"], handles["rows_kept"], handles["rows_rejected"]) == (6, 3, 2)
    assert handles["rows_duplicate"] == 1
    assert result.manifest["tables"] == {
        "orders": 2,
        "items": 3,
        "events": 4,
        "checks": 0,
        "transparency": 0,
    }


def test_parquet_types_follow_the_design(cleaned):
    _, _, out = cleaned
    orders = pq.read_schema(out / "orders.parquet")
    assert str(orders.field("issued_at").type) == "timestamp[us, tz=UTC]"
    assert str(orders.field("items_listed").type) == "int64"
    items = pq.read_schema(out / "items.parquet")
    assert str(items.field("tweet_id").type) == "string"
    meta = orders.metadata
    assert b"takedowns.run_id" in meta and b"takedowns.sources" in meta


@pytest.mark.slow
def test_cleaning_twice_gives_identical_tables(messy, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    clean(messy, first)
    clean(messy, second)
    for name in ("orders", "items", "events", "transparency", "rejects"):
        assert (first / f"{name}.parquet").read_bytes() == (second / f"{name}.parquet").read_bytes()
    assert (first / "rejects.csv").read_bytes() == (second / "rejects.csv").read_bytes()
