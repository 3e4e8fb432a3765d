"""Block / restore / re-block episodes, anomalies and reversal summaries."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.metrics import anomalies, episodes, reversal_summary

from support import metric_frames as mf


def _minute(item, event, at, **kw):
    return {"item_id": item, "event": event, "at": at, "time_precision": "minute", **kw}


def test_block_restore_reblock_sequence():
    events = mf.events(
        _minute("@k", "withheld", "2021-02-01 12:00", order_id="A"),
        _minute("@k", "restored", "2021-02-01 18:30"),
        _minute("@k", "withheld", "2021-02-10 09:00", order_id="B"),
    )
    ep = episodes(events)
    assert len(ep) == 2
    first, second = ep.iloc[0], ep.iloc[1]
    assert first["episode"] == 1 and not first["reblock"]
    assert first["withheld_at"] == mf.ts("2021-02-01 12:00")
    assert first["restored_at"] == mf.ts("2021-02-01 18:30")
    assert first["duration"] == 6.5 and first["unit"] == "hours"
    assert first["reblocked_at"] == mf.ts("2021-02-10 09:00")
    assert second["episode"] == 2 and second["reblock"] and second["order_id"] == "B"
    assert pd.isna(second["restored_at"]) and math.isnan(second["duration"])
    assert pd.isna(second["reblocked_at"])
    s = reversal_summary(ep, by="order")
    # counted under the order of the first block; once as an item, not per episode
    assert list(s["order_id"]) == ["A"]
    row = s.iloc[0]
    assert (row["items_withheld"], row["items_reversed"], row["reblocked"]) == (1, 1, 1)
    assert row["reblocked_share"] == 1 and row["median_time_to_reversal"] == 6.5
    assert row["unit"] == "hours"


def test_same_day_block_and_restore_in_days():
    # 1 Feb 2021: blocked and restored the same evening; the sheet has dates only.
    events = mf.events(
        {"item_id": "@caravan", "event": "restored", "at": "2021-02-01"},  # same time: after
        {"item_id": "@caravan", "event": "withheld", "at": "2021-02-01"},
    )
    ep = episodes(events)
    assert len(ep) == 1
    assert ep["duration"].iloc[0] == 0 and ep["unit"].iloc[0] == "days"
    assert anomalies(events).empty


def test_restored_before_withheld_and_double_restore_are_reported_not_raised():
    events = mf.events(
        _minute("@x", "restored", "2021-03-01 10:00"),
        _minute("@x", "withheld", "2021-03-02 10:00"),
        _minute("@x", "restored", "2021-03-02 16:30"),
        _minute("@x", "restored", "2021-03-03 16:30"),
        _minute("@t", "withheld", "2021-02-01 10:00"),
        _minute("@t", "withheld", "2022-06-26 10:00"),
    )
    an = anomalies(events)
    reasons = dict(zip(an["item_id"] + " " + an["at"].astype(str), an["reason"], strict=True))
    assert len(an) == 3
    assert "restored before any withheld" in reasons["@x 2021-03-01 04:30:00+00:00"]
    assert "restored again while already restored" in reasons["@x 2021-03-03 11:00:00+00:00"]
    assert "withheld again while already withheld" in reasons["@t 2022-06-26 04:30:00+00:00"]
    # the source row is there for fact-checkers, and the conflicting earlier event
    assert set(an["source_row"]) == {1, 4, 6}
    assert an.set_index("item_id").loc["@t", "related_at"] == mf.ts("2021-02-01 10:00")
    # episodes still come out, built from the events that make sense
    ep = episodes(events)
    x = ep.loc[ep["item_id"] == "@x"].iloc[0]
    assert x["withheld_at"] == mf.ts("2021-03-02 10:00")
    assert x["restored_at"] == mf.ts("2021-03-02 16:30")
    t = ep.loc[ep["item_id"] == "@t"]
    assert len(t) == 1 and pd.isna(t["restored_at"].iloc[0])  # the repeat starts nothing


def test_exact_duplicates_are_merged_silently():
    row = _minute("@d", "withheld", "2021-02-01 10:00")
    events = mf.events(row, dict(row, source_kind="news_report"))
    assert len(episodes(events)) == 1
    assert anomalies(events).empty


def test_suspension_pairs_and_backwards_intervals_are_checked_too():
    events = mf.events(
        _minute("@s", "reinstated", "2021-03-01 10:00"),
        _minute("@w", "withheld", "2021-03-01 10:00", at_earliest="2021-03-02 10:00"),  # backwards
    )
    an = anomalies(events)
    assert len(an) == 2
    assert any("reinstated before any suspended" in r for r in an["reason"])
    assert any("at_earliest is later than at" in r for r in an["reason"])
    sus = mf.events(
        _minute("@s", "suspended", "2021-03-01 10:00"),
        _minute("@s", "reinstated", "2021-03-02 10:00"),
    )
    ep = episodes(sus, kind="suspended")
    assert ep["duration"].iloc[0] == 24


def test_aggregate_reports_matched_first_in_first_out():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-01", "n_items": 250},
        {"order_id": "A", "event": "restored", "at": "2021-02-01", "n_items": 250},
        {"order_id": "A", "event": "withheld", "at": "2021-02-10", "n_items": 126},
        {"order_id": "A", "event": "withheld", "at": "2021-02-12", "n_items": 220},
    )
    ep = episodes(events, orders)
    assert (ep["basis"] == "aggregate").all() and ep["item_id"].isna().all()
    first = ep.loc[~ep["reblock"]]
    # 250 blocked and restored on 1 Feb; of them 126 re-blocked on 10 Feb (the tally of 126)
    # and 94 more on 12 Feb (the tally rose to 220), oldest restores first.
    assert list(first["n_items"]) == [126, 94, 30]
    assert first["restored_at"].eq(mf.ts("2021-02-01")).all()
    assert list(first["reblocked_at"]) == [mf.ts("2021-02-10"), mf.ts("2021-02-12"), pd.NaT]
    again = ep.loc[ep["reblock"]]
    assert list(again["n_items"]) == [126, 94] and again["restored_at"].isna().all()
    assert ep["issued_at"].eq(mf.ts("2021-01-31")).all()
    s = reversal_summary(ep).iloc[0]
    assert s["basis"] == "aggregate"
    assert (s["items_withheld"], s["items_reversed"], s["reblocked"]) == (250, 250, 220)
    assert s["reblocked_share"] == pytest.approx(220 / 250)
    assert s["median_time_to_reversal"] == 0 and s["unit"] == "days"


def test_aggregate_restore_of_more_than_withheld_is_an_anomaly():
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-01", "n_items": 10},
        {"order_id": "A", "event": "restored", "at": "2021-02-02", "n_items": 12},
    )
    an = anomalies(events)
    assert len(an) == 1 and "only 10" in an["reason"].iloc[0]
    ep = episodes(events)
    assert ep["n_items"].sum() == 10 and ep["restored_at"].notna().all()


def test_summary_uses_named_or_aggregate_per_order_never_both():
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-01", "n_items": 250},
        {"order_id": "A", "event": "restored", "at": "2021-02-01", "n_items": 250},
        {"item_id": "@k", "order_id": "A", "event": "withheld", "at": "2021-02-01"},
        {"item_id": "@k", "order_id": "A", "event": "restored", "at": "2021-02-01"},
        {"item_id": "@k", "event": "withheld", "at": "2022-06-26"},
        {"item_id": "@z", "order_id": "Z", "event": "withheld", "at": "2021-03-05"},
    )
    ep = episodes(events)
    s = reversal_summary(ep, by="order").set_index("order_id")
    assert s.loc["A", "basis"] == "aggregate" and s.loc["A", "items_withheld"] == 250
    assert s.loc["Z", "basis"] == "named" and s.loc["Z", "items_reversed"] == 0
    assert math.isnan(s.loc["Z", "reblocked_share"])  # nothing reversed: no share
    overall = reversal_summary(ep, by="all").iloc[0]
    assert overall["items_withheld"] == 251 and overall["basis"] == "mixed"


def test_summary_by_month():
    events = mf.events(
        _minute("@a", "withheld", "2021-02-01 10:00"),
        _minute("@a", "restored", "2021-02-01 20:00"),
        _minute("@b", "withheld", "2021-02-03 10:00"),
        _minute("@b", "restored", "2021-02-04 16:00"),
        _minute("@c", "withheld", "2021-04-01 10:00"),
    )
    s = reversal_summary(episodes(events), by="M")
    assert list(s["period"]) == ["2021-02", "2021-04"]
    feb = s.iloc[0]
    assert feb["items_withheld"] == 2 and feb["items_reversed"] == 2
    assert feb["median_time_to_reversal"] == 20  # median of 10 h and 30 h
    assert s.iloc[1]["items_reversed"] == 0 and pd.isna(s.iloc[1]["unit"])


def test_empty_and_unmutated():
    events = mf.events(_minute("@a", "withheld", "2021-02-01 10:00"))
    before = events.copy(deep=True)
    ep = episodes(events)
    anomalies(events)
    reversal_summary(ep, by="W")
    pd.testing.assert_frame_equal(events, before)
    assert episodes(mf.empty_events()).empty
    assert anomalies(mf.empty_events()).empty
    assert reversal_summary(episodes(mf.empty_events())).empty
