"""The vectorised helpers behind the metrics at scale give what the plain pandas/numpy calls
they replace give (counting sorts, Arrow hashing and takes, local times from microseconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core import arrays as arrays_module
from analysis.core.arrays import (
    duplicated_pairs,
    factorize_text,
    label_codes,
    map_small,
    order_by,
    stable_group_order,
    str_column_take,
)
from analysis.core.times import local_from_us, local_us
from analysis.metrics import lag_items
from analysis.metrics.lag import _timeline
from analysis.metrics.reversals import _unique_inverse

RNG = np.random.default_rng(20210131)
NAT = np.iinfo("int64").min


@pytest.mark.parametrize("high", [1, 50, 5_000, 10**12])
def test_stable_group_order_is_a_stable_argsort(high):
    groups = RNG.integers(0, high, 20_000)
    assert (stable_group_order(groups) == np.argsort(groups, kind="stable")).all()
    keys = RNG.integers(0, 100, 20_000)
    assert (order_by(groups, keys) == np.lexsort((keys, groups))).all()


def test_stable_group_order_without_pandas_counting_sort(monkeypatch):
    monkeypatch.setattr(arrays_module, "_groupsort_indexer", None)
    groups = RNG.integers(0, 30, 1000)
    assert (stable_group_order(groups) == np.argsort(groups, kind="stable")).all()


def test_duplicated_pairs_keeps_the_first():
    a, b = RNG.integers(0, 20, 5000), RNG.integers(0, 300, 5000)
    expected = pd.DataFrame({"a": a, "b": b}).duplicated().to_numpy()
    assert (duplicated_pairs(a, b) == expected).all()
    assert duplicated_pairs(np.zeros(0, "int64"), np.zeros(0, "int64")).shape == (0,)


@pytest.mark.parametrize("key", [RNG.integers(-5, 40, 3000), RNG.integers(0, 10**15, 3000)])
def test_unique_inverse_is_np_unique(key):
    keys, inverse = _unique_inverse(key)
    want_keys, want_inverse = np.unique(key, return_inverse=True)
    assert (keys == want_keys).all() and keys.dtype == want_keys.dtype
    assert (inverse == want_inverse).all()


def test_timeline_is_groupby_sum_and_max():
    o, t = RNG.integers(0, 30, 4000), RNG.integers(0, 50, 4000)
    k = RNG.integers(0, 2, 4000).astype(float)
    tally = np.where(RNG.random(4000) < 0.7, np.nan, RNG.integers(0, 100, 4000))
    want = (
        pd.DataFrame({"o": o, "t": t, "k": k, "tally": tally})
        .groupby(["o", "t"], sort=True)
        .agg(k=("k", "sum"), tally=("tally", "max"))
        .reset_index()
    )
    got = _timeline(o, t, k, tally)
    for column, values in zip(("o", "t", "k", "tally"), got, strict=True):
        np.testing.assert_array_equal(values, want[column].to_numpy())


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "Europe/London", "America/New_York"])
def test_local_from_us_is_local_us(tz):
    us = RNG.integers(1_500_000_000_000_000, 1_700_000_000_000_000, 2000)
    us[::7] = NAT
    stamps = pd.Series(us.view("datetime64[us]")).dt.tz_localize("UTC")
    assert (local_from_us(us, tz) == local_us(stamps, tz)).all()
    assert (local_from_us(np.full(3, NAT), tz) == NAT).all()


@pytest.mark.parametrize("dtype", ["str", object, "string[pyarrow]"])
def test_map_small_is_the_same_on_arrow_and_object_columns(dtype):
    words = np.array(["Withheld ", "restored", None, "SUSPENDED", "bogus"], dtype=object)
    values = pd.Series(words[RNG.integers(0, 5, 3000)], dtype=dtype)
    want = label_codes(pd.Series(values.astype(object), dtype=object), ["withheld", "suspended"])
    assert (label_codes(values, ["withheld", "suspended"]) == want).all()
    assert (map_small(values.iloc[:0], {}, -1) == np.zeros(0)).all()


def test_factorize_text_is_factorize_of_the_concatenation():
    items = pd.Series([f"@u{i}" for i in RNG.integers(0, 300, 2000)], dtype="str")
    events = pd.Series([f"@u{i}" for i in RNG.integers(0, 400, 5000)], dtype="str")
    rows_i, rows_e = np.arange(0, 2000, 3), RNG.permutation(5000)[:3000]
    joint = pd.concat(
        [items.take(rows_i).reset_index(drop=True), events.take(rows_e).reset_index(drop=True)],
        ignore_index=True,
    )
    want, _ = pd.factorize(joint)
    assert (factorize_text([(items, rows_i), (events, rows_e)]) == want).all()
    as_object = [(items.astype(object), rows_i), (events.astype(object), rows_e)]
    assert (factorize_text(as_object) == want).all()


def test_str_column_take_fills_minus_one_with_missing():
    values = pd.Series(["a", None, "c", "d"] * 50, dtype="str")
    positions = RNG.integers(-1, 200, 500)
    want = pd.array(values, dtype="str").take(positions, allow_fill=True)
    pd.testing.assert_extension_array_equal(str_column_take(values, positions), want)


def test_lag_action_is_missing_exactly_for_censored_rows():
    # Regression: the action was read through the sorted mask of acted rows from unsorted
    # events, so some acted-on rows had no action and some censored rows had one.
    n = 400
    day = pd.Timedelta(days=1)
    start = pd.Timestamp("2021-02-01", tz="UTC")
    orders = pd.DataFrame(
        {
            "order_id": pd.array([f"O{i}" for i in range(4)], dtype="str"),
            "issued_at": pd.Series([start + i * day for i in range(4)]).astype(
                "datetime64[us, UTC]"
            ),
            "time_precision": pd.array(["day"] * 4, dtype="str"),
            "items_listed": pd.array([None] * 4, dtype="Int64"),
        }
    )
    order_of = RNG.integers(0, 4, n)
    items = pd.DataFrame(
        {
            "order_id": pd.array([f"O{i}" for i in order_of], dtype="str"),
            "item_id": pd.array([f"@u{i}" for i in range(n)], dtype="str"),
        }
    )
    acted = np.flatnonzero(RNG.random(n) < 0.6)
    events = pd.DataFrame(
        {
            "item_id": pd.array([f"@u{i}" for i in acted], dtype="str"),
            "order_id": pd.array([f"O{order_of[i]}" for i in acted], dtype="str"),
            "event": pd.array(RNG.choice(["withheld", "suspended"], len(acted)), dtype="str"),
            "at": pd.Series(
                [start + (order_of[i] + RNG.integers(0, 30)) * day for i in acted]
            ).astype("datetime64[us, UTC]"),
            "time_precision": pd.array(["day"] * len(acted), dtype="str"),
        }
    ).sample(frac=1, random_state=1)
    out = lag_items(orders, items, events, as_of="2021-04-30")
    assert (out["action"].notna() == out["observed"]).all()
    assert out["observed"].sum() == len(acted)
