"""Compliance lag: censoring, day precision, aggregate reports and the tally rule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import MetricWarning, lag_items, lag_summary, survival_curve

from support import metric_frames as mf

AS_OF = "2021-02-20"  # local midnight, 20 Feb 2021


def _row(df: pd.DataFrame, order_id: str, item_id: str) -> pd.Series:
    hit = df.loc[(df["order_id"] == order_id) & (df["item_id"] == item_id)]
    assert len(hit) == 1
    return hit.iloc[0]


def _no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetricWarning)
        return fn(*args, **kwargs)


# --- censoring --------------------------------------------------------------------------------


def test_censored_items_are_kept_and_not_zero():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 3})
    items = mf.named_items("A", "@a", "@b", "@c")
    events = mf.events({"item_id": "@a", "event": "withheld", "at": "2021-02-01"})
    li = _no_warnings(lag_items, orders, items, events, as_of=AS_OF)
    assert len(li) == 3  # nobody dropped
    a = _row(li, "A", "@a")
    assert a["observed"] and a["lag"] == 1 and a["unit"] == "days"
    for item in ("@b", "@c"):
        r = _row(li, "A", item)
        assert not r["observed"]
        assert r["lag"] == 20  # 31 Jan -> 20 Feb: censored at as_of, not 0
        assert r["censored_at"] == mf.ts("2021-02-20")
        assert pd.isna(r["actioned_at"])
    s = lag_summary(li)
    assert s["items"].iloc[0] == 3
    assert s["actioned"].iloc[0] == 1 and s["censored"].iloc[0] == 2
    assert s["share_unactioned_at_as_of"].iloc[0] == pytest.approx(2 / 3)
    # Only 1 of 3 acted on: the median is not reached (NaN), never 0 or 1 day.
    assert math.isnan(s["km_median"].iloc[0])
    assert s["km_q25"].iloc[0] == 1


def test_events_after_as_of_are_not_yet_known():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 1})
    items = mf.named_items("A", "@a")
    events = mf.events({"item_id": "@a", "event": "withheld", "at": "2021-03-01"})
    r = lag_items(orders, items, events, as_of=AS_OF).iloc[0]
    assert not r["observed"] and r["lag"] == 20


def test_orders_issued_after_as_of_are_out_of_scope():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-03-01", "items_listed": 5})
    li = lag_items(orders, mf.named_items("A", "@a"), mf.empty_events(), as_of=AS_OF)
    assert li.empty


# --- units and precision ----------------------------------------------------------------------


def test_day_precision_gives_whole_local_days():
    orders = mf.orders(
        # issued late in the evening, IST, known to the minute
        {
            "order_id": "M",
            "issued_at": "2021-01-31 23:30",
            "time_precision": "minute",
            "items_listed": 2,
        },
    )
    items = mf.named_items("M", "@a", "@b")
    events = mf.events(
        # only the date is known: 1 Feb (IST midnight = 18:30 UTC on 31 Jan)
        {"item_id": "@a", "event": "withheld", "at": "2021-02-01", "time_precision": "day"},
        {"item_id": "@b", "event": "suspended", "at": "2021-02-03", "time_precision": "day"},
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    a, b = _row(li, "M", "@a"), _row(li, "M", "@b")
    # Local calendar days: 31 Jan -> 1 Feb is 1 day (UTC dates would both be 31 Jan).
    assert a["lag"] == 1 and a["unit"] == "days"
    assert b["lag"] == 3 and b["action"] == "suspended"
    assert li["lag"].eq(li["lag"].round()).all()


def test_same_day_event_counts_as_day_zero_not_before_the_order():
    orders = mf.orders(
        {
            "order_id": "M",
            "issued_at": "2021-02-01 14:00",
            "time_precision": "minute",
            "items_listed": 1,
        }
    )
    events = mf.events({"item_id": "@a", "event": "withheld", "at": "2021-02-01"})
    r = lag_items(orders, mf.named_items("M", "@a"), events, as_of=AS_OF).iloc[0]
    # The day-precision event (stored as local midnight) is on the order's date: 0 days.
    assert r["observed"] and r["lag"] == 0 and r["n_ignored_before_issued"] == 0


def test_exact_times_give_hours():
    orders = mf.orders(
        {
            "order_id": "H",
            "issued_at": "2021-02-04 10:00",
            "time_precision": "minute",
            "items_listed": 2,
        }
    )
    items = mf.named_items("H", "@a", "@b")
    events = mf.events(
        {"item_id": "@a", "event": "withheld", "at": "2021-02-05 22:00", "time_precision": "minute"}
    )
    li = lag_items(orders, items, events, as_of="2021-02-06 10:00")
    assert _row(li, "H", "@a")["lag"] == 36 and _row(li, "H", "@a")["unit"] == "hours"
    assert _row(li, "H", "@b")["lag"] == 48  # censored at as_of
    # unit="days" forces calendar days everywhere
    li_days = lag_items(orders, items, events, as_of="2021-02-06 10:00", unit="days")
    assert list(li_days.sort_values("item_id")["lag"]) == [1, 2]


def test_interval_bounds_give_a_range_not_a_midpoint():
    orders = mf.orders(
        {
            "order_id": "H",
            "issued_at": "2021-02-04 10:00",
            "time_precision": "minute",
            "items_listed": 2,
        }
    )
    items = mf.named_items("H", "@a", "@b")
    events = mf.events(
        # snapshot: visible at 12:00 on 4 Feb, withheld at 12:00 on 5 Feb
        {
            "item_id": "@a",
            "event": "withheld",
            "at": "2021-02-05 12:00",
            "at_earliest": "2021-02-04 12:00",
            "time_precision": "second",
        },
        # previous check was before the order: the lower bound is 0, never negative
        {
            "item_id": "@b",
            "event": "withheld",
            "at": "2021-02-04 16:00",
            "at_earliest": "2021-02-04 06:00",
            "time_precision": "second",
        },
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    a, b = _row(li, "H", "@a"), _row(li, "H", "@b")
    assert (a["lag_lower"], a["lag_upper"], a["timing"]) == (2, 26, "bounded")
    assert (b["lag_lower"], b["lag_upper"], b["timing"]) == (0, 6, "bounded")
    # a range, never a midpoint presented as the lag
    assert math.isnan(a["lag"]) and math.isnan(b["lag"])


# --- which events count -----------------------------------------------------------------------


def test_events_before_the_order_are_ignored_and_counted():
    orders = mf.orders({"order_id": "B", "issued_at": "2021-02-04", "items_listed": 1})
    events = mf.events(
        {"item_id": "@a", "event": "withheld", "at": "2021-02-01"},
        {"item_id": "@a", "event": "withheld", "at": "2021-02-06"},
    )
    r = lag_items(orders, mf.named_items("B", "@a"), events, as_of=AS_OF).iloc[0]
    assert r["lag"] == 2 and r["lag"] >= 0
    assert r["n_ignored_before_issued"] == 1
    assert "before the order" in r["notes"]


def test_event_without_order_id_and_event_citing_another_order_both_count():
    orders = mf.orders(
        {"order_id": "A", "issued_at": "2021-01-31", "items_listed": 2},
        {"order_id": "B", "issued_at": "2021-02-04", "items_listed": 1},
    )
    items = pd.concat([mf.named_items("A", "@a", "@b"), mf.named_items("B", "@b")])
    events = mf.events(
        {"item_id": "@a", "event": "withheld", "at": "2021-02-02"},  # no order_id
        {"item_id": "@b", "order_id": "B", "event": "withheld", "at": "2021-02-05"},
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    assert _row(li, "A", "@a")["lag"] == 2 and pd.isna(_row(li, "A", "@a")["action_order_id"])
    b_for_a = _row(li, "A", "@b")
    assert b_for_a["lag"] == 5 and b_for_a["action_order_id"] == "B"
    assert _row(li, "B", "@b")["lag"] == 1


def test_unattributable_events_are_ignored():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 10})
    events = mf.events(
        # "more than 500 accounts suspended" - no order, no item
        {"event": "suspended", "at": "2021-02-10", "n_items": 500, "n_items_is_approximate": True}
    )
    li = lag_items(orders, None, events, as_of=AS_OF)
    assert li["observed"].sum() == 0 and li["weight"].sum() == 10


# --- aggregate reports ------------------------------------------------------------------------


def test_aggregate_report_is_weighted_by_n_items():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    events = mf.events({"order_id": "A", "event": "withheld", "at": "2021-02-10", "n_items": 126})
    li = lag_items(orders, None, events, as_of=AS_OF)
    assert list(li["basis"]) == ["aggregate", "aggregate"]
    acted = li.loc[li["observed"]].iloc[0]
    assert acted["weight"] == 126 and acted["lag"] == 10 and pd.isna(acted["item_id"])
    waiting = li.loc[~li["observed"]].iloc[0]
    assert waiting["weight"] == 257 - 126 and waiting["lag"] == 20
    s = lag_summary(li)
    assert s["actioned"].iloc[0] == 126
    assert s["share_actioned"].iloc[0] == pytest.approx(126 / 257)
    assert math.isnan(s["km_median"].iloc[0])  # 126 < 128.5: not reached


def test_tally_rule_126_then_220_of_257_is_220_not_346():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-10", "n_items": 126},
        {"order_id": "A", "event": "withheld", "at": "2021-02-12", "n_items": 220},
    )
    li = _no_warnings(lag_items, orders, None, events, as_of=AS_OF)
    acted = li.loc[li["observed"]]
    assert list(acted["weight"]) == [126, 94]  # the second report adds 220 - 126
    assert list(acted["lag"]) == [10, 12]
    assert li["weight"].sum() == 257
    s = lag_summary(li)
    assert s["actioned"].iloc[0] == 220
    assert s["censored"].iloc[0] == 37
    # 126/257 acted on by day 10 (49%), 220/257 by day 12: the median is 12 days
    assert s["km_median"].iloc[0] == 12
    assert s["km_q25"].iloc[0] == 10


def test_a_lower_later_tally_does_not_undo_earlier_actions():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-01", "n_items": 250},
        {"order_id": "A", "event": "restored", "at": "2021-02-01", "n_items": 250},
        {"order_id": "A", "event": "withheld", "at": "2021-02-10", "n_items": 126},
    )
    s = lag_summary(lag_items(orders, None, events, as_of=AS_OF))
    assert s["actioned"].iloc[0] == 250  # first action counts; see reversals for the restore


def test_tally_above_items_listed_is_capped_with_a_warning_naming_the_order():
    orders = mf.orders(
        {"order_id": "IN-MeitY-2021-01-31", "issued_at": "2021-01-31", "items_listed": 257}
    )
    events = mf.events(
        {
            "order_id": "IN-MeitY-2021-01-31",
            "event": "withheld",
            "at": "2021-02-12",
            "n_items": 300,
        }
    )
    with pytest.warns(MetricWarning, match="IN-MeitY-2021-01-31"):
        li = lag_items(orders, None, events, as_of=AS_OF)
    assert li.loc[li["observed"], "weight"].sum() == 257
    assert li["weight"].sum() == 257


def test_named_items_and_aggregate_report_are_not_added_together():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    items = mf.named_items("A", "@k", "@t", "@c", "@b")
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-01", "n_items": 250},
        *[
            {"item_id": h, "event": "withheld", "at": "2021-02-01"}
            for h in ("@k", "@t", "@c", "@b")
        ],
    )
    li = _no_warnings(lag_items, orders, items, events, as_of=AS_OF)
    s = lag_summary(li)
    assert s["actioned"].iloc[0] == 250  # max(4 named, 250 reported), not 254
    assert li.loc[(li["basis"] == "aggregate") & li["observed"], "weight"].sum() == 246
    assert li["weight"].sum() == 257


def test_named_items_seen_after_a_tally_that_already_counted_them():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 10})
    items = mf.named_items("A", *[f"@n{i}" for i in range(10)])  # every item is named
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-05", "n_items": 4},
        {"item_id": "@n0", "event": "withheld", "at": "2021-02-08"},
        {"item_id": "@n1", "event": "withheld", "at": "2021-02-08"},
    )
    li = _no_warnings(lag_items, orders, items, events, as_of=AS_OF)
    # 4 acted on by 5 Feb (the report); @n0/@n1 first seen on 8 Feb are among those 4.
    assert li["weight"].sum() == pytest.approx(10)
    seen = li.loc[li["item_id"].isin(["@n0", "@n1"])]
    assert list(seen["weight"]) == [0, 0] and seen["notes"].str.contains("aggregate").all()
    # The 2 other items the report counted are spread over the 8 named items never seen.
    waiting = li.loc[(li["basis"] == "named") & ~li["observed"]]
    assert len(waiting) == 8
    assert waiting["weight"].to_numpy() == pytest.approx(np.full(8, 1 - 2 / 8))
    s = lag_summary(li)
    assert s["actioned"].iloc[0] == pytest.approx(4)
    km = survival_curve(li, "A")  # weight-0 rows drop out of the estimate
    assert list(km["time"]) == [5, 20]
    assert list(km["events"]) == pytest.approx([4, 0])
    assert km["survival"].iloc[0] == pytest.approx(0.6)


def test_items_of_unknown_orders_warn():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 1})
    items = pd.concat([mf.named_items("A", "@a"), mf.named_items("ZZ", "@z")])
    with pytest.warns(MetricWarning, match="ZZ"):
        li = lag_items(orders, items, mf.empty_events(), as_of=AS_OF)
    assert list(li["item_id"]) == ["@a"]


# --- summaries --------------------------------------------------------------------------------


def test_share_within_deadline_hours_and_days():
    orders = mf.orders(
        {
            "order_id": "H",
            "issued_at": "2021-02-04 10:00",
            "time_precision": "minute",
            "items_listed": 4,
        },
        {"order_id": "D", "issued_at": "2021-02-04", "items_listed": 2},
    )
    items = pd.concat(
        [mf.named_items("H", "@a", "@b", "@c", "@d"), mf.named_items("D", "@e", "@f")]
    )
    events = mf.events(
        {
            "item_id": "@a",
            "event": "withheld",
            "at": "2021-02-04 20:00",
            "time_precision": "minute",
        },
        {
            "item_id": "@b",
            "event": "withheld",
            "at": "2021-02-05 22:00",
            "time_precision": "minute",
        },
        {
            "item_id": "@c",
            "event": "withheld",
            "at": "2021-02-07 10:00",
            "time_precision": "minute",
        },
        {"item_id": "@e", "event": "withheld", "at": "2021-02-06"},  # day 2
        {"item_id": "@f", "event": "withheld", "at": "2021-02-07"},  # day 3
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    s = lag_summary(li, deadline_hours=36).set_index("order_id")
    # H: lags 10 h, 36 h, 72 h, censored -> 2 of 4 within 36 h
    assert s.loc["H", "unit"] == "hours" and s.loc["H", "deadline"] == 36
    assert s.loc["H", "share_within_deadline"] == 0.5
    # D: days; 36 h becomes ceil(1.5) = 2 days -> @e (2 days) in time, @f (3) late
    assert s.loc["D", "unit"] == "days" and s.loc["D", "deadline"] == 2
    assert s.loc["D", "share_within_deadline"] == 0.5
    assert (s["deadline_basis"] == "deadline_hours").all()
    # the order's own deadline_at takes precedence
    orders2 = orders.copy()
    orders2.loc[0, "deadline_at"] = mf.ts("2021-02-06 10:00")  # 48 h after H was issued
    s2 = lag_summary(li, deadline_hours=36, orders=orders2).set_index("order_id")
    assert s2.loc["H", "deadline"] == 48 and s2.loc["H", "deadline_basis"] == "deadline_at"
    assert s2.loc["H", "share_within_deadline"] == 0.5
    # no deadline known at all -> NA, not 0
    s3 = lag_summary(li)
    assert s3["share_within_deadline"].isna().all() and s3["deadline_basis"].isna().all()


def test_share_within_deadline_unknown_until_the_deadline_has_passed():
    orders = mf.orders(
        {
            "order_id": "H",
            "issued_at": "2021-02-04 10:00",
            "time_precision": "minute",
            "items_listed": 2,
        }
    )
    events = mf.events(
        {"item_id": "@a", "event": "withheld", "at": "2021-02-04 12:00", "time_precision": "minute"}
    )
    li = lag_items(orders, mf.named_items("H", "@a", "@b"), events, as_of="2021-02-04 22:00")
    s = lag_summary(li, deadline_hours=36)
    assert pd.isna(s["share_within_deadline"].iloc[0])
    assert "not passed" in s["notes"].iloc[0]


def test_summary_median_with_interval_and_survival_curve():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 4})
    items = mf.named_items("A", "@a", "@b", "@c", "@d")
    events = mf.events(
        {"item_id": "@a", "event": "withheld", "at": "2021-02-01"},
        {"item_id": "@b", "event": "withheld", "at": "2021-02-02"},
        {"item_id": "@c", "event": "withheld", "at": "2021-02-04"},
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    s = lag_summary(li).iloc[0]
    assert (s["km_q25"], s["km_median"], s["km_q75"]) == (1, 2, 4)
    assert s["km_median_ci_lower"] <= 2 and s["unit"] == "days"
    km = survival_curve(li)
    assert list(km["time"]) == [1, 2, 4, 20]
    assert list(km["survival"]) == pytest.approx([0.75, 0.5, 0.25, 0.25])
    assert (km["unit"] == "days").all()


def test_survival_curve_pooling_days_and_hours_warns():
    orders = mf.orders(
        {"order_id": "D", "issued_at": "2021-02-01", "items_listed": 1},
        {
            "order_id": "H",
            "issued_at": "2021-02-01 10:00",
            "time_precision": "minute",
            "items_listed": 1,
        },
    )
    items = pd.concat([mf.named_items("D", "@a"), mf.named_items("H", "@b")])
    events = mf.events(
        {"item_id": "@b", "event": "withheld", "at": "2021-02-02 10:00", "time_precision": "minute"}
    )
    li = lag_items(orders, items, events, as_of=AS_OF)
    with pytest.warns(MetricWarning, match="days and in hours"):
        km = survival_curve(li)
    assert km["time"].iloc[0] == 1  # 24 hours -> 1 day


def test_inputs_are_not_mutated():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257})
    items = mf.named_items("A", "@a", "@b")
    events = mf.events(
        {"order_id": "A", "event": "withheld", "at": "2021-02-10", "n_items": 126},
        {"item_id": "@a", "event": "withheld", "at": "2021-02-01"},
    )
    copies = [f.copy(deep=True) for f in (orders, items, events)]
    li = lag_items(orders, items, events, as_of=AS_OF)
    li_copy = li.copy(deep=True)
    lag_summary(li, deadline_hours=36, orders=orders)
    survival_curve(li)
    for before, after in zip(copies, (orders, items, events), strict=True):
        pd.testing.assert_frame_equal(before, after)
    pd.testing.assert_frame_equal(li, li_copy)


def test_output_columns_and_types():
    orders = mf.orders({"order_id": "A", "issued_at": "2021-01-31", "items_listed": 2})
    li = lag_items(orders, mf.named_items("A", "@a"), mf.empty_events(), as_of=AS_OF)
    assert list(li.columns) == [
        "order_id",
        "item_id",
        "basis",
        "weight",
        "issued_at",
        "actioned_at",
        "action",
        "action_order_id",
        "lag",
        "lag_lower",
        "lag_upper",
        "timing",
        "outcome",
        "unit",
        "observed",
        "censored_at",
        "approximate",
        "n_ignored_before_issued",
        "notes",
    ]
    assert str(li["issued_at"].dtype) == "datetime64[us, UTC]"
    assert li["observed"].dtype == bool
    assert li["lag"].dtype == "float64"
    assert list(li["basis"]) == ["named", "aggregate"]  # the unnamed item is a group row
