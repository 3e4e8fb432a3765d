"""Status checks -> change events."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.clean.snapshots import snapshots_to_events
from analysis.core import schema
from analysis.metrics import MetricWarning, lag_items

from support import metric_frames as mf


def checks(*rows):
    """rows: (item_id, local time, state, countries)."""
    return pd.DataFrame(
        {
            "item_id": pd.array([r[0] for r in rows], dtype="str"),
            "checked_at": pd.Series([mf.ts(r[1]) for r in rows], dtype="datetime64[us, UTC]"),
            "state": pd.array([r[2] for r in rows], dtype="str"),
            "countries": pd.array([r[3] for r in rows], dtype="str"),
            "source_file": pd.array(["checks.csv"] * len(rows), dtype="str"),
            "source_row": pd.array(range(1, len(rows) + 1), dtype="Int64"),
        }
    )


def _events(ev):
    return [(r.item_id, r.event, r.at, r.at_earliest) for r in ev.itertuples()]


def test_changes_become_events_with_intervals():
    c = checks(
        ("@a", "2021-02-01 00:00", "visible", None),
        ("@a", "2021-02-01 06:00", "withheld", "IN,PK"),
        ("@a", "2021-02-01 12:00", "withheld", "IN"),  # no change
        ("@a", "2021-02-01 18:00", "visible", None),
        ("@a", "2021-02-02 00:00", "suspended", None),
        ("@a", "2021-02-03 00:00", "visible", None),
        ("@a", "2021-02-04 00:00", "not_found", None),
    )
    ev = snapshots_to_events(c)
    t = mf.ts
    assert _events(ev) == [
        ("@a", "withheld", t("2021-02-01 06:00"), t("2021-02-01 00:00")),
        ("@a", "restored", t("2021-02-01 18:00"), t("2021-02-01 12:00")),
        ("@a", "suspended", t("2021-02-02 00:00"), t("2021-02-01 18:00")),
        ("@a", "reinstated", t("2021-02-03 00:00"), t("2021-02-02 00:00")),
        ("@a", "deleted", t("2021-02-04 00:00"), t("2021-02-03 00:00")),
    ]
    assert list(ev["country"].fillna("-")) == ["IN", "IN", "-", "-", "-"]
    assert (ev["source_kind"] == "snapshot").all() and (ev["time_precision"] == "second").all()
    assert (ev["n_items"] == 1).all()
    assert list(ev["source_row"]) == [2, 4, 5, 6, 7]  # the check that showed the change


def test_first_check_already_withheld_has_unknown_start():
    c = checks(
        ("@b", "2021-02-01 00:00", "withheld", "IN"),
        ("@b", "2021-02-01 06:00", "visible", None),
        ("@s", "2021-02-01 00:00", "suspended", None),
    )
    ev = snapshots_to_events(c)
    first = ev.loc[(ev["item_id"] == "@b") & (ev["event"] == "withheld")].iloc[0]
    assert first["at"] == mf.ts("2021-02-01 00:00") and pd.isna(first["at_earliest"])
    assert "unknown" in first["notes"]
    sus = ev.loc[ev["item_id"] == "@s"].iloc[0]
    assert sus["event"] == "suspended" and pd.isna(sus["at_earliest"])


def test_country_codes_xx_xy_and_other_countries():
    c = checks(
        ("@c", "2021-02-01 00:00", "withheld", "XY"),  # copyright only: visible in India
        ("@c", "2021-02-01 06:00", "withheld", "DE, IN"),
        ("@d", "2021-02-01 00:00", "withheld", "DE"),  # withheld elsewhere only
        ("@e", "2021-02-01 00:00", "withheld", "XX"),  # everywhere
        ("@f", "2021-02-01 00:00", "withheld", "XY,IN"),
    )
    ev = snapshots_to_events(c)
    assert _events(ev) == [
        ("@c", "withheld", mf.ts("2021-02-01 06:00"), mf.ts("2021-02-01 00:00")),
        ("@e", "withheld", mf.ts("2021-02-01 00:00"), pd.NaT),
        ("@f", "withheld", mf.ts("2021-02-01 00:00"), pd.NaT),
    ]
    # the same checks seen from Germany
    de = snapshots_to_events(c, country="DE")
    assert set(de["item_id"]) == {"@c", "@d", "@e"}
    assert (de["country"] == "DE").all()


def test_withholding_seen_through_a_suspension():
    c = checks(
        ("@g", "2021-02-01 00:00", "withheld", "IN"),
        ("@g", "2021-02-02 00:00", "suspended", None),
        ("@g", "2021-02-03 00:00", "visible", None),
    )
    ev = snapshots_to_events(c)
    restored = ev.loc[ev["event"] == "restored"].iloc[0]
    # the last check that showed it withheld was 1 Feb
    assert restored["at"] == mf.ts("2021-02-03 00:00")
    assert restored["at_earliest"] == mf.ts("2021-02-01 00:00")
    assert list(ev["event"]) == ["withheld", "suspended", "restored", "reinstated"]


def test_unsorted_input_unknown_states_and_schema():
    c = checks(
        ("@h", "2021-02-01 12:00", "Visible", None),
        ("@h", "2021-02-01 06:00", "WITHHELD", "in"),
        ("@h", "2021-02-01 09:00", "banana", None),
    )
    with pytest.warns(MetricWarning, match="1 check"):
        ev = snapshots_to_events(c)
    assert list(ev["event"]) == ["withheld", "restored"]
    assert ev["at_earliest"].iloc[1] == mf.ts("2021-02-01 06:00")
    assert list(ev.columns) == schema.columns("events")
    assert str(ev["at"].dtype) == "datetime64[us, UTC]"
    assert str(ev["n_items"].dtype) == "Int64"


def test_snapshot_events_feed_the_lag_metric():
    orders = mf.orders(
        {
            "order_id": "O",
            "issued_at": "2021-02-01 03:00",
            "time_precision": "minute",
            "items_listed": 1,
        }
    )
    c = checks(
        ("@a", "2021-02-01 00:00", "visible", None),
        ("@a", "2021-02-01 06:00", "withheld", "IN"),
    )
    li = lag_items(orders, mf.named_items("O", "@a"), snapshots_to_events(c), as_of="2021-02-02")
    r = li.iloc[0]
    # between the check before the order and the one 3 hours after it: a range, no point
    assert (r["lag_lower"], r["lag_upper"], r["timing"]) == (0, 3, "bounded")
    assert math.isnan(r["lag"])


def test_empty_and_unmutated():
    c = checks(("@a", "2021-02-01 00:00", "withheld", "IN"))
    before = c.copy(deep=True)
    snapshots_to_events(c)
    pd.testing.assert_frame_equal(c, before)
    assert snapshots_to_events(c.iloc[0:0]).empty
