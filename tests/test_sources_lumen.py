"""kind = "lumen": Lumen notices -> orders and items (tests/fixtures/sources/lumen/).

notice-24001.json  {"court_order": {...}}, read as row 1:
    date_sent 2021-04-22T00:00:00.000Z (a bare date)  -> issued_at 22 Apr 2021 IST, precision day
    targetted_urls: a status URL, a mobile profile URL -> tweet + account items
                    "not a url at all"                 -> item-level reject; the notice is kept
search-page-1.json {"notices": [...], "meta": {"total_entries": 40}}, rows 2 and 3:
    24002  no date_sent, date_received 10:30Z; only counts by domain (12 + 3) -> items_listed 15
    24003  jurisdictions ["Narnia"]                                            -> row rejected
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.combine import combine
from analysis.clean.pipeline import read_source
from analysis.ingest.canonical import to_canonical
from analysis.ingest.readers import read_raw
from analysis.ingest.readers.lumen import read_lumen
from analysis.ingest.sources import load_sources

UTC = "UTC"
FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@pytest.fixture(scope="module")
def lumen():
    (source,) = [s for s in load_sources(FIXTURES) if s.kind == "lumen"]
    result = read_source(source)
    return result, combine([result.canonical])


def test_reader_numbers_notices_across_the_folder():
    raw = read_lumen(FIXTURES / "lumen")
    assert list(raw.frame.index) == [1, 2, 3]
    assert list(raw.frame["id"]) == ["24001", "24002", "24003"]  # JSON ints -> exact digits
    assert raw.frame.loc[1, "type"] == "CourtOrder"
    assert raw.frame.loc[1, "body"] == "Blocking order under section 69A."  # "explanation"
    assert list(raw.urls["column"][:3]) == [
        "works[0].targetted_urls[0].url",
        "works[0].targetted_urls[1].url",
        "works[0].targetted_urls[2].url",
    ]
    restricted = raw.urls[raw.urls["fqdn"].notna()]
    assert list(zip(restricted["fqdn"], restricted["count"], strict=True)) == [
        ("twitter.com", 12),
        ("t.co", 3),
    ]
    assert raw.rows_read == 3
    assert any("matched 40 notices; this page holds 2" in m for m in raw.messages)


def test_a_notice_becomes_an_order(lumen):
    _, combined = lumen
    orders = combined.tables["orders"].set_index("order_id")
    assert list(orders.index) == ["lumen:24002", "lumen:24001"]  # sorted by issued_at
    court = orders.loc["lumen:24001"]
    # Lumen's midnight-UTC timestamp is a bare date: local midnight in India, day precision.
    assert court["issued_at"] == pd.Timestamp("2021-04-21 18:30", tz=UTC)
    assert court["time_precision"] == "day"
    assert (court["platform"], court["country"]) == ("twitter", "IN")
    assert court["authority"] == "Ministry of Electronics and Information Technology"
    assert court["legal_basis"] == "IT Act s.69A"
    assert court["items_listed"] == 3  # as listed, the unreadable URL included
    assert court["source_url"] == "https://lumendatabase.org/notices/24001"
    assert court["notes"] == (
        "Lumen type: CourtOrder; action taken: Partial; language: en; file: notice-24001.json"
    )


def test_received_date_principal_and_unnamed_items(lumen):
    _, combined = lumen
    request = combined.tables["orders"].set_index("order_id").loc["lumen:24002"]
    assert request["issued_at"] == pd.Timestamp("2021-02-04 10:30", tz=UTC)
    assert request["time_precision"] == "second"
    assert request["authority"] == "Government of India"  # principal before sender
    assert request["items_listed"] == 15  # 12 on twitter.com + 3 on t.co, none named
    notes = request["notes"]
    assert "sent by MeitY" in notes
    assert "issued_at is the date received (no date sent)" in notes
    assert "items unnamed: Lumen gave only counts by domain (twitter.com 12, t.co 3)" in notes


def test_urls_become_items_and_a_bad_url_is_an_item_reject(lumen):
    result, combined = lumen
    items = combined.tables["items"]
    assert list(items["item_id"]) == ["@anotherone", "tweet:1385152733478453251"]
    assert set(items["order_id"]) == {"lumen:24001"}
    assert items.set_index("item_id").loc["tweet:1385152733478453251", "handle"] == "someone"
    rejects = combined.rejects.set_index("source_row")
    bad_url = rejects.loc[1]
    assert bad_url["level"] == "item"
    assert bad_url["column"] == "works[0].targetted_urls[2].url"
    assert bad_url["value"] == "not a url at all"
    assert bad_url["reason"].endswith("the notice is kept without this item")
    narnia = rejects.loc[3]
    assert (narnia["level"], narnia["column"], narnia["value"]) == (
        "row",
        "jurisdictions",
        "Narnia",
    )
    assert result.rows_read == 3


def test_wrapped_notices_jsonl_and_a_broken_line(tmp_path):
    lines = [
        json.dumps({"government_request": {"id": 7, "date_sent": "2021-02-01", "works": []}}),
        "{not json",
        json.dumps({"id": 8, "type": "Other", "date_sent": "2021-02-02"}),
    ]
    path = tmp_path / "notices.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_lumen(path)
    assert list(raw.frame.index) == [1, 3]
    assert raw.frame.loc[1, "type"] == "government_request"  # the wrapper key names the type
    assert [(p.row, p.reason.split(":")[0]) for p in raw.problems] == [(2, "notices.jsonl line 2")]
    assert raw.rows_read == 3


def test_defaults_fill_what_a_notice_lacks(tmp_path):
    notice = {"id": 9, "date_sent": "2021-02-01T00:00:00Z", "works": []}
    (tmp_path / "n.json").write_text(json.dumps({"dmca": notice}), encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "n.json"\nkind = "lumen"\n'
        '[source.defaults]\ncountry = "IN"\nplatform = "X"\nauthority = "MeitY"\n',
        encoding="utf-8",
    )
    (source,) = load_sources(tmp_path)
    order = to_canonical(source, read_raw(source)).tables["orders"].iloc[0]
    assert (order["country"], order["platform"], order["authority"]) == ("IN", "twitter", "MeitY")
    assert pd.isna(order["items_listed"])  # no URLs at all: not stated
