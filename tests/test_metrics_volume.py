"""Takedown volume per period: counts, item basis, empty periods, local calendar, filters."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.metrics.volume import volume

from support import metric_frames as mf


@pytest.fixture
def orders():
    return mf.orders(
        # Jan 2021: one order naming 257 items (stated)
        {"order_id": "A", "issued_at": "2021-01-31", "items_listed": 257},
        # Feb 2021: 1,178 stated, plus one without a count whose named items are counted (3)
        {"order_id": "B", "issued_at": "2021-02-04", "items_listed": 1178},
        {"order_id": "C", "issued_at": "2021-02-03", "platform": "x"},
        # (March 2021: nothing)
        # April 2021: no count and no named items -> 0 items, flagged as unknown
        {
            "order_id": "D",
            "issued_at": "2021-04-22",
            "items_listed": None,
            "authority": None,
            "legal_basis": None,
        },
    )


@pytest.fixture
def items():
    return mf.named_items("C", "@a", "@b", "@c", "@c")  # @c twice: counted once


def test_monthly_counts_with_empty_month_as_zero(orders, items):
    v = volume(orders, items, freq="M")
    assert list(v["period"]) == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert list(v["orders"]) == [1, 2, 0, 1]
    assert list(v["items"]) == [257, 1178 + 3, 0, 0]
    assert list(v["cumulative_orders"]) == [1, 3, 3, 4]
    assert list(v["cumulative_items"]) == [257, 1438, 1438, 1438]
    assert v["items_basis"].tolist()[:2] == ["items_listed", "mixed"]
    assert pd.isna(v["items_basis"].iloc[2])  # empty period
    assert v["items_basis"].iloc[3] == "named items"
    assert list(v["orders_items_unknown"]) == [0, 0, 0, 1]


def test_periods_are_local_calendar_periods(orders, items):
    v = volume(orders, items, freq="M")
    # February starts at local (IST) midnight = 18:30 UTC the day before; end is exclusive.
    feb = v.loc[v["period"] == "2021-02"].iloc[0]
    assert feb["period_start"] == pd.Timestamp("2021-01-31 18:30", tz="UTC")
    assert feb["period_end"] == pd.Timestamp("2021-02-28 18:30", tz="UTC")
    assert str(v["period_start"].dtype) == "datetime64[us, UTC]"


def test_an_order_just_after_local_midnight_is_in_the_local_month():
    o = mf.orders(
        {"order_id": "X", "issued_at": "2021-02-01 00:30", "time_precision": "minute"},
    )
    # 00:30 IST on 1 Feb is 19:00 UTC on 31 Jan; the local month is February.
    assert o["issued_at"].iloc[0] == pd.Timestamp("2021-01-31 19:00", tz="UTC")
    v = volume(o, None, freq="M")
    assert list(v["period"]) == ["2021-02"]


def test_week_half_year_and_year_labels(orders, items):
    w = volume(orders, items, freq="W")
    # 31 Jan 2021 was a Sunday (ISO week 4); 4 Feb a Thursday in week 5.
    assert w["period"].iloc[0] == "2021-W04"
    assert w.set_index("period").loc["2021-W05", "orders"] == 2
    assert w.set_index("period").loc["2021-W06", "orders"] == 0
    assert (w["period_end"] - w["period_start"]).eq(pd.Timedelta(days=7)).all()
    h = volume(orders, items, freq="H")
    assert list(h["period"]) == ["2021-H1"] and list(h["orders"]) == [4]
    y = volume(orders, items, freq="Y")
    assert list(y["period"]) == ["2021"] and list(y["items"]) == [1438]
    d = volume(orders, items, freq="D", end="2021-02-04")
    assert list(d["period"][:2]) == ["2021-01-31", "2021-02-01"]
    assert len(d) == 5 and d["orders"].sum() == 3


def test_by_groups_fill_empty_periods_per_group(orders, items):
    v = volume(orders, items, freq="M", by="platform")
    assert set(v["platform"]) == {"twitter", "x"}
    x = v.loc[v["platform"] == "x"]
    assert list(x["period"]) == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert list(x["orders"]) == [0, 1, 0, 0]
    assert list(x["items"]) == [0, 3, 0, 0]
    tw = v.loc[v["platform"] == "twitter"]
    assert list(tw["cumulative_orders"]) == [1, 2, 2, 3]


def test_missing_group_values_are_their_own_group(orders, items):
    v = volume(orders, items, freq="Y", by=["authority"])
    assert v["authority"].isna().sum() == 1
    assert v.loc[v["authority"].isna(), "orders"].iloc[0] == 1


def test_start_end_filters_and_partial_periods(orders, items):
    v = volume(orders, items, freq="M", start="2021-02-04", end="2021-03-31")
    assert list(v["period"]) == ["2021-02", "2021-03"]
    assert list(v["orders"]) == [1, 0]  # C (3 Feb) is before start
    assert list(v["partial"]) == [True, False]
    # an end given as a date includes that whole day
    v2 = volume(orders, items, freq="M", start="2021-01-01", end="2021-01-31")
    assert list(v2["orders"]) == [1]
    # no orders in range but bounds given: the periods are still listed, as zeros
    v3 = volume(orders, items, freq="M", start="2022-01-01", end="2022-03-31")
    assert list(v3["orders"]) == [0, 0, 0]


def test_country_and_platform_filters(orders, items):
    assert volume(orders, items, platform="X")["orders"].sum() == 1
    assert volume(orders, items, platform=["twitter"])["orders"].sum() == 3
    assert volume(orders, items, country="in")["orders"].sum() == 4
    assert volume(orders, items, country="PK").empty


def test_bad_arguments_raise(orders, items):
    with pytest.raises(ValueError, match="freq"):
        volume(orders, items, freq="fortnight")
    with pytest.raises(ValueError, match="by"):
        volume(orders, items, by=["title"])


def test_inputs_are_not_mutated(orders, items):
    before_o, before_i = orders.copy(deep=True), items.copy(deep=True)
    volume(orders, items, freq="W", by=["country", "platform"], start="2021-01-01")
    pd.testing.assert_frame_equal(orders, before_o)
    pd.testing.assert_frame_equal(items, before_i)
