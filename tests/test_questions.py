"""The three answers on the built-in 2021 data: the figures the reports quote, pinned.

Sources (data/raw, compiled from the reporting in ../shared/reference): the 31 Jan 2021 order
listed 257 items; ~250 were withheld on 1 Feb and restored the same evening; the 4 Feb list had
1,178 items, of which 583 were reported actioned on 10 Feb.
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from analysis.clean.pipeline import clean
from analysis.core.errors import InputError
from analysis.report import questions

JAN31, FEB4 = "IN-MeitY-2021-01-31", "IN-MeitY-2021-02-04"


@pytest.fixture(scope="module")
def data(tmp_path_factory, request):
    root = request.config.rootpath
    base = tmp_path_factory.mktemp("data")
    shutil.copytree(root / "data" / "raw", base / "raw")
    clean(base / "raw", base / "processed")
    return base


@pytest.fixture(scope="module")
def tables(data):
    return questions.load(data)


def test_lag_31_jan_order_was_actioned_within_about_a_day(tables):
    answer = questions.answer_lag(tables, as_of="2021-02-28")
    row = answer.table.set_index("order_id").loc[JAN31]
    assert (row["items"], row["actioned"], row["censored"]) == (257, 250, 7)
    assert (row["km_median"], row["unit"]) == (1, "days")  # bare dates: whole days, not hours


def test_lag_4_feb_order_partly_actioned_by_10_feb_rest_censored(tables):
    answer = questions.answer_lag(tables, as_of="2021-02-28")
    row = answer.table.set_index("order_id").loc[FEB4]
    assert (row["items"], row["actioned"], row["censored"]) == (1178, 583, 595)
    assert math.isnan(row["km_median"])  # fewer than half actioned: the median is not reached
    assert row["km_q25"] == 6  # 4 Feb -> 10 Feb
    assert "595 (censored)" in answer.headline
    assert answer.method.startswith("Kaplan-Meier; 602 items still unactioned are censored; ")
    # 257 - 7 + 583 actions, every one dated in a report: exact times, no ranges
    assert "times of 833 actions known, 0 known only between two checks" in answer.method


def test_reversals_1_feb_block_reversed_the_same_day(tables):
    answer = questions.answer_reversals(tables, as_of="2021-02-28")
    row = answer.table.set_index("order_id").loc[JAN31]
    assert row["items_reversed"] == 250
    assert (row["median_time_to_reversal"], row["unit"]) == (0, "days")
    assert bool(row["approximate"])  # "~250" stays approximate in the sentence
    assert answer.headline.startswith(f"Order {JAN31}: ~250 items withheld, ~250 restored")
    named = answer.frames["episodes"].set_index(["item_id", "episode"])
    assert named.loc[("@kisanektamorcha", 1), "duration"] == 0
    assert ("@kisanektamorcha", 2) not in named.index  # the 2022 re-block is after as_of


def test_reversals_kisan_ekta_morcha_blocked_restored_and_blocked_again(tables):
    episodes = questions.answer_reversals(tables).frames["episodes"]
    kem = episodes[episodes["item_id"] == "@kisanektamorcha"].set_index("episode")
    assert kem.loc[1, "restored_at"] == kem.loc[1, "withheld_at"]  # the same day, 1 Feb 2021
    assert kem.loc[2, "withheld_at"] == pd.Timestamp("2022-06-25 18:30", tz="UTC")  # 26 Jun IST
    assert bool(kem.loc[2, "reblock"])


def test_volume_by_month_in_2021(tables):
    answer = questions.answer_volume(tables, freq="M", start="2021-01-01", end="2021-04-30")
    got = answer.table.set_index("period")[["orders", "items"]]
    assert got.to_dict("index") == {
        "2021-01": {"orders": 1, "items": 257},
        "2021-02": {"orders": 2, "items": 1178},  # the 3 Feb notice lists no items
        "2021-03": {"orders": 0, "items": 0},  # an empty month is a zero, not missing
        "2021-04": {"orders": 1, "items": 52},
    }
    assert answer.title == "Most items were ordered blocked in 2021-02: 1,178"


def test_hindi_sentences(tables):
    answer = questions.answer_lag(tables, as_of="2021-02-28", lang="hi")
    assert "4 फ़रवरी 2021" in answer.headline and "सेंसर्ड" in answer.headline


def test_as_of_blank_means_the_end_of_the_latest_day_in_the_data(tables):
    as_of = questions.as_of_time(tables, "")
    assert as_of == pd.Timestamp("2022-06-26 23:59:59.999999", tz="Asia/Kolkata")


def test_load_says_which_command_to_run_when_raw_data_changed(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    orders = copy / "raw" / "orders-india-2021.csv"
    orders.write_bytes(orders.read_bytes() + b"\n")
    with pytest.raises(InputError, match="older than orders-india-2021.csv.*takedowns clean"):
        questions.load(copy)


def test_load_says_which_command_to_run_when_nothing_was_cleaned(tmp_path):
    with pytest.raises(InputError, match="run `takedowns clean`"):
        questions.load(tmp_path)


def test_redacted_reports_carry_only_pseudonyms(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    allow = copy / "raw" / "public-accounts.csv"
    allow.write_text("handle,category\n@thecaravanindia,media\n", encoding="utf-8")
    tables = questions.load(copy, redact_handles=True)
    episodes = questions.answer_reversals(tables).frames["episodes"]
    named = set(episodes["item_id"].dropna())
    assert "@thecaravanindia" in named  # on the allow-list
    assert {"[account 1]", "[account 2]", "[account 3]"} <= named
    assert not any(i.startswith("@") and i != "@thecaravanindia" for i in named)


def _transparency(rows):
    frame = pd.DataFrame(
        rows, columns=["country", "period_end", "requests", "requestor", "platform"]
    )
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.tz_localize("UTC")
    frame["period_start"] = frame["period_end"] - pd.DateOffset(months=6)
    for column in questions.PEER_MEASURES[1:]:
        frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    for column in questions.PEER_MEASURES:
        frame[f"{column}_bound"] = pd.Series([None] * len(frame), dtype="str")
    frame.loc[frame["requests"] == 9, "requests_bound"] = "upper"  # a "<10" cell
    return frame


def test_peer_comparison_ranks_the_chosen_country_among_the_busiest():
    rows = [
        # country, period end, requests, requestor, platform: two requestors for India are summed
        ("IN", "2020-12-31", 741, "Police", "google"),
        ("IN", "2020-12-31", 249, "Other", "google"),
        ("RU", "2020-12-31", 5000, "Other", "google"),
        ("TR", "2020-12-31", 600, "Other", "google"),
        ("PK", "2020-12-31", 9, "Other", "google"),
        ("IN", "2020-06-30", 400, "Police", "google"),
        ("RU", "2020-06-30", 4000, "Other", "google"),
    ]
    answer = questions.peer_comparison(_transparency(rows), country="IN", top=2)
    latest = answer.table[answer.table["period_end"] == answer.table["period_end"].max()]
    assert latest.set_index("country")["value"].to_dict() == {"IN": 990, "RU": 5000}
    # Ranked among all 4 countries reporting that half-year, though only 2 are drawn (top=2).
    assert answer.headline == "IN ranked 2 of 4 countries by requests in the period to 31 Dec 2020"
    assert list(answer.table["highlight"]) == [True, False, True, False]  # IN, RU per period
    pk = questions.peer_comparison(_transparency(rows), country="PK", top=1)
    assert pk.table.loc[pk.table["country"] == "PK", "bounded"].all()  # "<10" stays a bound


def test_a_period_in_two_report_files_is_counted_once():
    # Google's historical export ends with the half-year its current export starts with: the
    # same period in two downloads, figures revised between them.
    historical = [
        ("IN", "2019-06-30", 300, "Court Orders", "google"),
        ("IN", "2019-06-30", 100, "Other Requests (Executive, Police, etc.)", "google"),
        ("RU", "2019-06-30", 3000, "All Requests", "google"),
        ("IN", "2018-12-31", 250, "All Requests", "google"),
        ("RU", "2018-12-31", 2500, "All Requests", "google"),
    ]
    current = [
        ("IN", "2019-06-30", 420, "Courts", "google"),  # revised: 420, not 300 + 100
        ("RU", "2019-06-30", 3100, "Police", "google"),
        ("IN", "2019-12-31", 500, "Courts", "google"),
        ("RU", "2019-12-31", 2900, "Police", "google"),
    ]
    frame = _transparency(historical + current)
    frame["source_file"] = ["historical.csv"] * len(historical) + ["current.csv"] * len(current)
    answer = questions.peer_comparison(frame, country="IN", top=2)
    june = answer.table[answer.table["period_end"] == pd.Timestamp("2019-06-30", tz="UTC")]
    # the newer download's figures, once: not 300 + 100 + 420
    assert june.set_index("country")["value"].to_dict() == {"IN": 420, "RU": 3100}
    december = answer.table[answer.table["period_end"] == pd.Timestamp("2018-12-31", tz="UTC")]
    assert december.set_index("country")["value"].to_dict() == {"IN": 250, "RU": 2500}
    assert "2 country-periods appear in two report files" in answer.method


def test_peer_comparison_needs_two_countries(tables):
    # The built-in yearly s.69A counts are India's alone: nothing to compare.
    assert questions.peer_comparison(tables["transparency"], country="IN").table.empty


# --- what the charts draw beside the numbers ------------------------------------------------------


def _utc(*values):
    return pd.Series(
        pd.to_datetime(list(values), format="ISO8601"), dtype="datetime64[us]"
    ).dt.tz_localize("UTC")


def test_key_events_marks_issues_first_blocks_and_restorations():
    orders = pd.DataFrame({"order_id": ["A", "B", "C"]})
    orders["issued_at"] = _utc("2021-01-31", "2021-02-04", None)  # C: no time, no mark
    events = pd.DataFrame(
        {
            "order_id": ["A", "A", "A", "B", None, "A"],
            "event": [" Withheld", "withheld", "restored", "suspended", "withheld", "deleted"],
        }
    )
    events["at"] = _utc(
        "2021-02-01 08:30",
        "2021-02-01 08:30",
        "2021-02-01 14:30",
        "2021-02-05",
        "2021-02-06",
        "2021-02-07",
    )
    t = pd.Timestamp
    assert questions.key_events(orders, events) == [
        (t("2021-01-31", tz="UTC"), "order_issued"),
        (t("2021-02-01 08:30", tz="UTC"), "blocked"),  # two items at one time: one mark
        (t("2021-02-01 14:30", tz="UTC"), "restored"),
        (t("2021-02-04", tz="UTC"), "order_issued"),
        (t("2021-02-05", tz="UTC"), "blocked"),  # suspended counts as blocked
        (t("2021-02-06", tz="UTC"), "blocked"),  # no order: kept unless orders are chosen
    ]  # "deleted" is not a mark
    assert [k for _, k in questions.key_events(orders, events, order_ids=["B"])] == [
        "order_issued",
        "blocked",
    ]
    assert questions.key_events() == []


def test_yearly_context_sums_per_year_and_scope_and_flags_partial_years():
    t = pd.DataFrame(
        {
            "country": ["IN", "IN", "IN", "IN", "PK"],
            "scope": ["twitter", "twitter", None, "twitter", "twitter"],
            "platform": ["twitter", "twitter", "google", "twitter", "twitter"],
            "items_withheld": [100, 50, 7, None, 3],
        }
    )
    # IST dates stored as UTC: H1 and H2 of 2021 (the H2 end is an exclusive 1 January), Jan-Oct
    # 2023 for Google (no scope: its platform), a row without a count, a Pakistani row.
    t["period_start"] = _utc(
        "2020-12-31 18:30", "2021-06-30 18:30", "2022-12-31 18:30", "2021-12-31 18:30", "2021-01-01"
    )
    t["period_end"] = _utc(
        "2021-06-29 18:30", "2021-12-31 18:30", "2023-10-30 18:30", "2022-12-30 18:30", "2021-12-31"
    )
    got = questions.yearly_context(t, country="IN")
    assert list(got.columns) == [
        "year",
        "scope",
        "items_withheld",
        "partial",
        "period_start",
        "period_end",
    ]
    rows = got[["year", "scope", "items_withheld", "partial"]].to_dict("records")
    assert rows == [
        {"year": 2021, "scope": "twitter", "items_withheld": 150, "partial": False},
        {"year": 2023, "scope": "google", "items_withheld": 7, "partial": True},
    ]
    assert got["period_end"].iloc[0] == pd.Timestamp("2021-12-31")  # local, inclusive
    assert questions.yearly_context(t, scopes=["google"])["scope"].tolist() == ["google"]
    with pytest.raises(ValueError, match="items_withheld"):
        questions.yearly_context(t.drop(columns="items_withheld"))


def test_answers_carry_what_their_charts_draw(tables):
    volume = questions.answer_volume(tables, country="IN")
    context = volume.frames["context"].set_index(["year", "scope"])
    assert context.loc[(2021, "twitter"), "items_withheld"] == 2851
    assert bool(context.loc[(2022, "twitter"), "partial"])  # Jan-Jun 2022 only
    assert {k for _, k in volume.key_events} == {"order_issued"}
    assert len(volume.key_events) == len(tables["orders"])
    # The deadline drawn is that of the order naming the most items (4 Feb, 1,178 items):
    # 36 hours, in whole days as its lags are, rounded up.
    lag = questions.answer_lag(tables, as_of="2021-02-28")
    assert (lag.deadline, lag.unit) == (2, "days")
    reversals = questions.answer_reversals(tables, as_of="2021-02-28")
    kinds = [k for _, k in reversals.key_events]
    assert {"order_issued", "blocked", "restored"} <= set(kinds)
    assert reversals.key_events == sorted(reversals.key_events, key=lambda p: p[0])
