"""kinds transparency_x and transparency_google: platform reports -> the transparency table.

transparency-x.csv (BOM; "witheld" in two headers; no [source.columns]):
    row 2  July - December 2020  "6,971" "19,128" 60 598 9    -> kept
    row 3  January - June 2020   "2,772" "13,200" 17 377 13.9 -> kept
    row 4  Jan - Jun 2019        504 "2,484" 73 241 -         -> kept, rate not reported
    row 5  Sometime in 2018                                    -> rejected: not a period
    row 6  Total                                               -> dropped, counted
google-current.csv (the current export, "% Not Enough Information " with a trailing space):
    row 2  2020-06-30 IN Police "1,200" 4483 5+2          -> rate 7
    row 3  2020-06-30 IN Government Officials, only % Content Not Found -> rate 0 (blank = 0)
    row 4  2020-12-31 IN Other 60+41                      -> rate capped at 100, said in notes
    row 5  2020-12-31 Europol (no code), Police           -> country null, name in notes
    row 6  requests "nine"                                -> rejected
google-historical.csv: "<10" is an upper bound, "?" unknown.
google-detailed.csv: Product -> scope, Reason -> reason (rows differing only there stay apart).
google-by-branch.csv: court orders + executive/police summed into requests.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.pipeline import read_source
from analysis.core.errors import InputError
from analysis.ingest.canonical import report_periods
from analysis.ingest.sources import load_sources

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _ist(day: str) -> pd.Timestamp:
    """Local midnight in India as stored (UTC)."""
    return pd.Timestamp(day).tz_localize("Asia/Kolkata").tz_convert("UTC")


@pytest.fixture(scope="module")
def results():
    return {s.name: read_source(s) for s in load_sources(FIXTURES) if "transparency" in s.kind}


def _table(results, name):
    result = results[name]
    return result.canonical.tables["transparency"].set_index("source_row"), result


def test_x_report_without_any_column_map(results):
    table, result = _table(results, "transparency-x.csv")
    assert list(table.index) == [2, 3, 4]
    h2 = table.loc[2]
    assert (h2["period_start"], h2["period_end"]) == (_ist("2020-07-01"), _ist("2020-12-31"))
    assert (h2["requests"], h2["accounts_specified"]) == (6971, 19128)
    assert (h2["accounts_withheld"], h2["tweets_withheld"], h2["compliance_rate"]) == (60, 598, 9)
    assert (h2["platform"], h2["country"]) == ("twitter", "IN")
    assert h2["notes"] == "% change: 151"
    assert pd.isna(table.loc[4, "compliance_rate"])  # "-": not reported, never zero
    assert table.loc[4, "period_start"] == _ist("2019-01-01")


def test_x_total_row_is_dropped_and_counted(results):
    _, result = _table(results, "transparency-x.csv")
    canonical = result.canonical
    assert list(canonical.dropped["source_row"]) == [6]
    assert "row 6 dropped: a Total row" in " ".join(canonical.messages)
    (reject,) = canonical.rejects.itertuples()
    assert (reject.source_row, reject.column, reject.value) == (
        5,
        "Time period",
        "Sometime in 2018",
    )
    assert result.rows_read == 5  # 3 kept + 1 rejected + 1 dropped


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("July - December 2020", "2020-07-01", "2020-12-31"),
        ("january – june 2020", "2020-01-01", "2020-06-30"),
        ("Jul-Dec 2019", "2019-07-01", "2019-12-31"),
        ("July 2020 - June 2021", "2020-07-01", "2021-06-30"),
        ("H1 2021", "2021-01-01", "2021-06-30"),
        ("2020 H2", "2020-07-01", "2020-12-31"),
        ("February 2020 - February 2020", "2020-02-01", "2020-02-29"),
    ],
)
def test_report_periods(text, start, end):
    got = report_periods(pd.Series([text], dtype="str"), "Asia/Kolkata").iloc[0]
    assert (got["start"], got["end"]) == (_ist(start), _ist(end))
    assert pd.isna(got["reason"])


def test_google_current_schema(results):
    table, result = _table(results, "google-current.csv")
    assert list(table.index) == [2, 3, 4, 5]
    police = table.loc[2]
    # The half-year ending 30 June starts on 1 January (end + 1 day - 6 months).
    assert (police["period_start"], police["period_end"]) == (
        _ist("2020-01-01"),
        _ist("2020-06-30"),
    )
    assert (police["platform"], police["country"], police["requestor"]) == (
        "google",
        "IN",
        "Police",
    )
    assert (police["requests"], police["items_requested"], police["compliance_rate"]) == (
        1200,
        4483,
        7,
    )
    assert "% Not Enough Information: 19" in police["notes"]  # header's trailing space gone
    assert table.loc[3, "compliance_rate"] == 0  # blank % cells are zero when any is given
    assert table.loc[4, "compliance_rate"] == 100
    assert "capped at 100 (the rounded percentages add up to 101)" in table.loc[4, "notes"]
    assert table.loc[4, "period_start"] == _ist("2020-07-01")
    assert pd.isna(table.loc[5, "country"]) and "Country/Region: Europol" in table.loc[5, "notes"]
    (reject,) = result.canonical.rejects.itertuples()
    assert (reject.source_row, reject.column, reject.value) == (6, "Number of Requests", "nine")


def test_google_historical_bounds_and_unknowns(results):
    table, _ = _table(results, "google-historical.csv")
    india, argentina = table.loc[2], table.loc[3]
    assert (india["requests"], india["compliance_rate"], india["items_requested"]) == (30, 79, 125)
    # "<10" is kept as the bound 10 (fewer than 10); "?" is unknown, never a number.
    assert (argentina["requests"], argentina["requests_bound"]) == (10, "upper")
    assert pd.isna(argentina["compliance_rate"])
    assert pd.isna(india["requests_bound"])


def test_google_detailed_product_and_reason(results):
    table, _ = _table(results, "google-detailed.csv")
    got = list(zip(table["scope"], table["reason"], table["items_requested"], strict=True))
    assert got == [
        ("YouTube", "Defamation", 12),
        ("YouTube", "National Security", 40),
        ("Web Search", "Defamation", 12),
    ]
    assert table["requests"].isna().all()


def test_google_branch_counts_are_summed_with_their_bounds(results):
    table, _ = _table(results, "google-by-branch.csv")
    assert (table.loc[2, "requests"], table.loc[2, "requests_bound"]) == (13, "upper")  # 3 + <10
    assert (table.loc[3, "requests"], table.loc[3, "requests_bound"]) == (19, "upper")  # <10 + <10
    assert pd.isna(table.loc[4, "requests"])  # 2 + ?: unknown
    assert table.loc[4, "notes"] == "Court Orders: 2; Executive, Police, etc.: ?"


def test_a_column_map_still_wins(tmp_path):
    (tmp_path / "t.csv").write_text(
        "Half,Country,Demands,Withheld posts\nH2 2021,Brazil,5,3\n", encoding="utf-8"
    )
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "t.csv"\nkind = "transparency_x"\n'
        '[source.columns]\n"Half" = "period"\n"Demands" = "requests"\n'
        '"Withheld posts" = "tweets_withheld"\n',
        encoding="utf-8",
    )
    (source,) = load_sources(tmp_path)
    row = read_source(source).canonical.tables["transparency"].iloc[0]
    assert (row["country"], row["requests"], row["tweets_withheld"]) == ("BR", 5, 3)


def test_a_missing_period_column_is_one_sentence(tmp_path):
    (tmp_path / "t.csv").write_text("When,Requests\nH2 2021,5\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "t.csv"\nkind = "transparency_x"\n[source.defaults]\ncountry = "IN"\n',
        encoding="utf-8",
    )
    (source,) = load_sources(tmp_path)
    with pytest.raises(InputError) as err:
        read_source(source)
    message = str(err.value)
    assert "no column gives 'period'" in message and "'Time period'" in message
    assert "\n" not in message
