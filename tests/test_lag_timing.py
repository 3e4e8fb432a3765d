"""Honest compliance lag (issue #16): timing as the data know it, outcomes apart, no invented days.

A researcher's handle list built from Lumen notices, checked once (1 Jul 2021), must give
"acted on by 1 Jul 2021: k of n" and no lag in days; checks every few hours give ranges, never
midpoints; "gone" (not found) is shown but never counted as compliance by default.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from analysis.clean.pipeline import process
from analysis.clean.snapshots import snapshots_to_events
from analysis.metrics import lag_items, lag_summary, survival_band
from analysis.report import questions

from support import metric_frames as mf

WITHHELD = "This account has been withheld in India in response to a legal demand."
SUSPENDED = "Code 63: User has been suspended."
GONE = "Code 50: User not found."
ACTIVE = "active"

# (notice, date received, [statuses of its items]): three notices, one check of every item.
NOTICES = [
    ("https://lumendatabase.org/notices/18001", "21/06/2018", [WITHHELD] * 4 + [GONE] * 3),
    ("https://lumendatabase.org/notices/18002", "10/08/2018", [SUSPENDED] * 2 + [ACTIVE] * 5),
    (
        "https://lumendatabase.org/notices/21003",
        "02/02/2021",
        [WITHHELD] * 6 + [SUSPENDED] + [GONE] * 2 + [ACTIVE] * 3,
    ),
]


def _handle_list_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["URL", "Notice", "Date received", "Status", "Checked at"])
    n = 0
    for notice, received, statuses in NOTICES:
        for status in statuses:
            n += 1
            writer.writerow(
                [f"https://twitter.com/Account{n:03d}", notice, received, status, "01/07/2021"]
            )
    return out.getvalue()


@pytest.fixture(scope="module")
def single_check(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    (raw / "handles.csv").write_text(_handle_list_csv(), encoding="utf-8")
    (raw / "sources.toml").write_text(
        '[[source]]\npath = "handles.csv"\nkind = "handle_list"\n'
        '[source.defaults]\ncountry = "IN"\nplatform = "twitter"\n',
        encoding="utf-8",
    )
    _, combined = process(raw)
    return combined.tables


def _expected(statuses: list[str]) -> dict[str, int]:
    """What a reader counts by hand in the sheet."""
    return {
        "withheld": statuses.count(WITHHELD),
        "suspended": statuses.count(SUSPENDED),
        "gone": statuses.count(GONE),
        "items": len(statuses),
    }


def test_one_check_gives_events_before_the_first_check(single_check):
    events = single_check["events"]
    assert len(events) == sum(
        sum(s in (WITHHELD, SUSPENDED, GONE) for s in statuses) for _, _, statuses in NOTICES
    )
    assert set(events["timing"]) == {"before_first_check"}
    assert events["at_earliest"].isna().all()  # when it began is not known


def test_one_check_gives_no_lag_in_days_only_acted_on_by_the_check(single_check):
    answer = questions.answer_lag(single_check, as_of="2021-07-01", deadline_hours=36)
    table = answer.table.set_index("order_id")
    check_day = pd.Timestamp("2021-06-30 18:30", tz="UTC")  # 1 Jul 2021, midnight in India
    for notice, _, statuses in NOTICES:
        order = "lumen:" + notice.rsplit("/", 1)[1]
        row, want = table.loc[order], _expected(statuses)
        assert row["items"] == want["items"]
        assert row["withheld"] == want["withheld"]
        assert row["suspended"] == want["suspended"]
        assert row["gone"] == want["gone"]
        # gone (not found) is shown, never counted as compliance by default
        assert row["actioned"] == want["withheld"] + want["suspended"]
        if row["actioned"]:
            assert row["timing_basis"] == "before_first_check"
            assert row["acted_by"] == check_day
        for column in table.columns:
            if column.startswith("km_"):
                assert math.isnan(row[column]), column
        # the deadline (36 h) lies inside [order, check]: a range, no share
        assert math.isnan(row["share_within_deadline"])
        assert row["share_within_deadline_min"] == 0
        assert row["share_within_deadline_max"] == pytest.approx(row["actioned"] / row["items"])
    for sentence in answer.findings:
        assert "median time" not in sentence and " days" not in sentence
    first = next(s for s in answer.findings if "lumen:18001" in s)
    assert "first checked (1 Jul 2021)" in first
    assert "4 withheld in India" in first and "3 gone (not found: cause unknown)" in first
    assert "when the platform acted is not known" in first
    acted = sum(_expected(s)["withheld"] + _expected(s)["suspended"] for _, _, s in NOTICES)
    assert f"0 known only between two checks, {acted} already so at the first check" in (
        answer.method
    )


def test_acted_says_which_outcomes_count(single_check):
    only_withheld = questions.answer_lag(single_check, as_of="2021-07-01", acted=["withheld"])
    with_gone = questions.answer_lag(single_check, as_of="2021-07-01", acted=["withheld", "gone"])
    for notice, _, statuses in NOTICES:
        order = "lumen:" + notice.rsplit("/", 1)[1]
        want = _expected(statuses)
        row = only_withheld.table.set_index("order_id").loc[order]
        assert row["actioned"] == want["withheld"]
        assert row["suspended"] == want["suspended"]  # still shown
        row = with_gone.table.set_index("order_id").loc[order]
        assert row["actioned"] == want["withheld"] + want["gone"]
    with pytest.raises(ValueError, match="not an outcome"):
        questions.answer_lag(single_check, acted=["blocked"])


# --- checks every few hours: ranges -----------------------------------------------------------


def _checks(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [r[0] for r in rows],
            "checked_at": pd.to_datetime([r[1] for r in rows]).tz_localize("Asia/Kolkata"),
            "state": [r[2] for r in rows],
            "countries": [r[3] for r in rows],
        }
    ).assign(checked_at=lambda f: f["checked_at"].dt.tz_convert("UTC"))


def _watch_tables(*rows, issued="2021-02-01 08:00") -> dict[str, pd.DataFrame]:
    orders = mf.orders(
        {"order_id": "W", "issued_at": issued, "time_precision": "minute", "items_listed": 1}
    )
    return {
        "orders": orders,
        "items": mf.named_items("W", "@a"),
        "events": snapshots_to_events(_checks(*rows)),
        "transparency": pd.DataFrame(),
    }


def test_visible_at_nine_withheld_at_one_is_within_four_hours():
    tables = _watch_tables(
        ("@a", "2021-02-01 09:00", "visible", None),
        ("@a", "2021-02-01 13:00", "withheld", "IN"),
        issued="2021-02-01 09:00",
    )
    answer = questions.answer_lag(tables, as_of="2021-02-02")
    row = answer.table.iloc[0]
    assert row["timing_basis"] == "bounded"
    assert (row["km_median_earliest"], row["km_median_latest"]) == (0, 4)
    assert math.isnan(row["km_median"])  # never a midpoint
    assert "median time to action within 4.0 hours" in answer.headline


def test_a_range_that_does_not_start_at_zero():
    tables = _watch_tables(
        ("@a", "2021-02-01 10:00", "visible", None),
        ("@a", "2021-02-01 14:00", "withheld", "IN"),
    )
    answer = questions.answer_lag(tables, as_of="2021-02-02")
    row = answer.table.iloc[0]
    assert (row["km_median_earliest"], row["km_median_latest"]) == (2, 6)
    assert "between 2.0 hours and 6.0 hours" in answer.headline
    band = survival_band(answer.frames["items"], "W")
    assert (band["survival_earliest"] <= band["survival_latest"]).all()
    assert band.loc[band["time"] == 2, "survival_earliest"].item() == 0
    assert band.loc[band["time"] == 2, "survival_latest"].item() == 1


def test_withheld_in_another_country_is_not_compliance():
    tables = _watch_tables(
        ("@a", "2021-02-01 09:00", "visible", None),
        ("@a", "2021-02-01 13:00", "withheld", "PK"),
    )
    events = snapshots_to_events(
        _checks(("@a", "2021-02-01 13:00", "withheld", "PK")), country="PK"
    )
    li = lag_items(tables["orders"], tables["items"], events, as_of="2021-02-02")
    assert not li["observed"].iloc[0]  # an Indian order is not complied with in Pakistan


def test_deadline_share_is_a_range_when_timing_straddles_it():
    orders = mf.orders(
        {
            "order_id": "D",
            "issued_at": "2021-02-01 00:00",
            "time_precision": "minute",
            "items_listed": 2,
        }
    )
    items = mf.named_items("D", "@a", "@b")
    events = mf.events(
        # @a certainly within 36 h
        {
            "item_id": "@a",
            "event": "withheld",
            "at": "2021-02-01 10:00",
            "time_precision": "minute",
        },
        # @b somewhere between 30 h and 40 h: straddles the deadline
        {
            "item_id": "@b",
            "event": "withheld",
            "at": "2021-02-02 16:00",
            "at_earliest": "2021-02-02 06:00",
            "time_precision": "minute",
        },
    )
    summary = lag_summary(lag_items(orders, items, events, as_of="2021-03-01"), deadline_hours=36)
    row = summary.iloc[0]
    assert (row["share_within_deadline_min"], row["share_within_deadline_max"]) == (0.5, 1.0)
    assert math.isnan(row["share_within_deadline"])
    assert row["timing_basis"] == "mixed" or row["timing_basis"] == "bounded"
