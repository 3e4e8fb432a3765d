"""Every chart function is total: whatever the data (no orders or 500, no items or 5,000, one status
check per item or many, a single day or ten years), each returns a figure, in both drawings,
with no two texts overlapping.

The tables are the canonical ones (built here, seeded by hypothesis), answered by the same
``questions.answer_*`` functions the notebooks call, so the charts see the frames a real report
gives them. Few examples and no deadline: an example of 500 orders takes about twenty seconds,
most of it in the lag answer's per-order curves.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from analysis.core import schema
from analysis.report import charts, questions
from analysis.report.charts.labels import overlaps

START = pd.Timestamp("2013-01-01", tz="UTC")


def _table(name: str, columns: dict) -> pd.DataFrame:
    """A canonical table with ``columns`` given and every other column null, typed as the
    Parquet tables read back."""
    n = len(next(iter(columns.values()))) if columns else 0
    data = {}
    for field in schema.TABLES[name]:
        values = columns.get(field.name)
        if pa.types.is_timestamp(field.type):
            dtype = "datetime64[us, UTC]"
        elif pa.types.is_integer(field.type):
            dtype = "Int64"
        elif pa.types.is_boolean(field.type):
            dtype = "boolean"
        elif pa.types.is_floating(field.type):
            dtype = "float64"
        else:
            dtype = "str"
        data[field.name] = pd.Series([None] * n if values is None else values, dtype=dtype)
    return pd.DataFrame(data)


def tables(n_orders: int, n_items: int, many_checks: bool, span_days: int, seed: int) -> dict:
    """Orders spread over ``span_days`` (0: a single day), items shared among them, and for each
    item either one status check (every action "before the first check") or several events
    (withheld at an exact or bounded time, some restored and re-blocked), plus a few aggregate
    reports."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, max(span_days, 1) * 24 * 60, n_orders)
    issued = START + pd.to_timedelta(np.sort(minutes), unit="min")
    order_ids = [f"IN-{i:03d}-{'x' * int(rng.integers(0, 30))}" for i in range(n_orders)]
    listed = rng.integers(1, 2000, n_orders).astype("float64")
    listed[rng.random(n_orders) < 0.3] = np.nan
    orders = _table(
        "orders",
        {
            "order_id": order_ids,
            "platform": ["twitter"] * n_orders,
            "country": ["IN"] * n_orders,
            "issued_at": issued,
            "items_listed": pd.array(listed, dtype="Float64").round().astype("Int64"),
            "time_precision": rng.choice(["day", "minute"], n_orders).tolist(),
            "source_file": ["orders.csv"] * n_orders,
            "source_row": list(range(1, n_orders + 1)),
        },
    )
    n_items = n_items if n_orders else 0
    owner = rng.integers(0, max(n_orders, 1), n_items)
    item_ids = [f"@acct_{i}" for i in range(n_items)]
    items = _table(
        "items",
        {
            "order_id": [order_ids[o] for o in owner],
            "item_id": item_ids,
            "item_type": ["account"] * n_items,
            "raw_value": item_ids,
            "source_file": ["items.csv"] * n_items,
            "source_row": list(range(1, n_items + 1)),
        },
    )
    rows: dict[str, list] = {
        k: [] for k in ("item", "order", "event", "at", "early", "timing", "n")
    }

    def add(item, order, event, at, early, timing, n=1):
        for key, value in zip(rows, (item, order, event, at, early, timing, n), strict=True):
            rows[key].append(value)

    check = issued.max() + pd.Timedelta(days=30) if n_orders else START
    for item, o in zip(item_ids, owner, strict=True):
        fate = rng.random()
        if not many_checks:
            if fate < 0.6:
                kind = rng.choice(["withheld", "suspended", "deleted"], p=[0.7, 0.1, 0.2])
                add(item, order_ids[o], kind, check, issued[o], "before_first_check")
            continue
        if fate < 0.7:
            at = issued[o] + pd.Timedelta(hours=float(rng.exponential(30)))
            bounded = rng.random() < 0.4
            early = at - pd.Timedelta(hours=6) if bounded else pd.NaT
            add(item, order_ids[o], "withheld", at, early, "bounded" if bounded else "exact")
            if rng.random() < 0.3:
                back = at + pd.Timedelta(hours=float(rng.exponential(12)))
                add(item, order_ids[o], "restored", back, pd.NaT, "exact")
                if rng.random() < 0.5:
                    add(
                        item, order_ids[o], "withheld", back + pd.Timedelta(days=3), pd.NaT, "exact"
                    )
    for o in rng.choice(n_orders, size=min(n_orders, 5), replace=False) if n_orders else []:
        add(None, order_ids[o], "withheld", issued[o] + pd.Timedelta(days=1), pd.NaT, "exact", 50)
    n_events = len(rows["item"])
    events = _table(
        "events",
        {
            "item_id": rows["item"],
            "order_id": rows["order"],
            "event": rows["event"],
            "at": pd.to_datetime(pd.Series(rows["at"], dtype="object"), utc=True),
            "at_earliest": pd.to_datetime(pd.Series(rows["early"], dtype="object"), utc=True),
            "timing": rows["timing"],
            "time_precision": ["minute"] * n_events,
            "n_items": rows["n"],
            "country": ["IN"] * n_events,
            "source_kind": ["snapshot"] * n_events,
            "source_file": ["events.csv"] * n_events,
            "source_row": list(range(1, n_events + 1)),
        },
    )
    empty = {name: _table(name, {}) for name in ("checks", "transparency")}
    return {"orders": orders, "items": items, "events": events, **empty}


def _figures(t: dict) -> list[tuple[str, Figure]]:
    """Every chart of every report, wide with its frame and narrow without, as the page draws
    them; drawing them raises on any warning."""
    common = {"subtitle": "N = x; method", "source": "test data", "lang": "en"}
    drawn = []
    if len(t["orders"]) or len(t["events"]):
        volume = questions.answer_volume(t, country="IN")
        lag = questions.answer_lag(t, deadline_hours=36)
        reversals = questions.answer_reversals(t)
        as_of = lag.as_of
        built = {
            "volume": lambda **kw: charts.volume_chart(
                volume.table,
                context=volume.frames["context"],
                orders=volume.frames["orders"],
                title=volume.title,
                as_of=as_of,
                **common,
                **kw,
            ),
            "survival": lambda **kw: charts.survival_chart(
                lag.frames["curves"],
                bands=lag.frames["bands"],
                outcomes=lag.table,
                deadline=lag.deadline,
                unit=lag.unit,
                title=lag.frames["chart_title"],
                as_of=as_of,
                data_name="survival",
                **common,
                **kw,
            ),
            "reversals": lambda **kw: charts.reversal_timeline(
                reversals.frames["episodes"],
                title=reversals.title,
                as_of=as_of,
                data_name="reversals",
                **common,
                **kw,
            ),
        }
    else:
        built = {}
    for name, draw in built.items():
        # A warning while drawing would be printed on the page: none is allowed.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            wide = draw(size="wide", frame=True)
            narrow = wide.variant(size="narrow", frame=False)
        drawn.append((f"{name} wide", wide.figure))
        drawn.append((f"{name} narrow", narrow.figure))
    return drawn


@pytest.mark.slow  # hypothesis draws every chart on up to 500 orders: about a minute
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    n_orders=st.integers(0, 500),
    n_items=st.integers(0, 5_000),
    many_checks=st.booleans(),
    span_days=st.sampled_from([0, 1, 90, 3_650]),
    seed=st.integers(0, 2**16),
)
@example(n_orders=0, n_items=0, many_checks=False, span_days=0, seed=0)
@example(n_orders=1, n_items=0, many_checks=True, span_days=0, seed=1)
@example(n_orders=500, n_items=5_000, many_checks=True, span_days=3_650, seed=3)
def test_every_chart_draws_any_data_without_overlapping_text(
    n_orders, n_items, many_checks, span_days, seed
):
    t = tables(n_orders, n_items, many_checks, span_days, seed)
    for name, fig in _figures(t):
        assert isinstance(fig, Figure), name
        assert fig.axes, name
        assert overlaps(fig) == [], name


@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_empty_frames_of_every_chart_draw_a_figure(size):
    common = {"title": "t", "subtitle": "s", "source": "x", "as_of": START, "size": size}
    figures = [
        charts.volume_chart(
            pd.DataFrame(columns=["period", "period_start", "period_end", "items"]), **common
        ),
        charts.survival_chart({}, outcomes=pd.DataFrame(columns=["order_id", "items"]), **common),
        charts.reversal_timeline(
            pd.DataFrame(columns=["item_id", "order_id", "withheld_at", "restored_at"]), **common
        ),
        charts.peers_chart(
            pd.DataFrame(columns=["country", "period_end", "value", "highlight"]), **common
        ),
    ]
    for chart in figures:
        assert isinstance(chart.figure, Figure)
        assert chart.data.empty
        assert overlaps(chart.figure) == []
