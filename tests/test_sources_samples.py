"""The real public files in ../shared/samples, read with no column map, figures pinned.

A fresh clone has no ../shared folder: these tests then skip and say why.

twitter-transparency-india.csv (Twitter transparency report, India, Jul-Dec 2012..Jul-Dec 2020;
BOM, thousands separators, "-" for not reported, a Total row): July - December 2020 has 6,971
combined removal requests, 19,128 accounts specified, 60 accounts withheld, 598 tweets withheld
and a 9% combined compliance rate; the 17 half-years add up to the file's own Total row.
google-government-removal-requests.csv (Google, 3,800 rows, half-years ending 2019-06-30 ..
2025-06-30): India's half-year ending 2020-12-31 has 7 requestor rows, 990 requests and 7,023
items; Police 741 requests / 4,483 items, 5% + 2% removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.pipeline import build_manifest, process

SAMPLES = Path(__file__).parents[2] / "shared" / "samples"
X_SAMPLE = SAMPLES / "twitter-transparency-india.csv"
GOOGLE_SAMPLE = SAMPLES / "google-government-removal-requests.csv"


def _ist(day: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize("Asia/Kolkata").tz_convert("UTC")


def _clean(tmp_path, sample: Path, block: str):
    if not sample.is_file():
        pytest.skip(f"{sample} is absent (a fresh clone has no ../shared/samples)")
    shutil.copy(sample, tmp_path / sample.name)
    toml = f'[[source]]\npath = "{sample.name}"\n{block}'
    (tmp_path / "sources.toml").write_text(toml, encoding="utf-8")
    results, combined = process(tmp_path)
    (accounting,) = build_manifest(tmp_path, results, combined)["sources"]
    return combined, accounting


@pytest.fixture(scope="module")
def x_report(tmp_path_factory):
    block = 'kind = "transparency_x"\n[source.defaults]\ncountry = "IN"\n'
    return _clean(tmp_path_factory.mktemp("x"), X_SAMPLE, block)


@pytest.fixture(scope="module")
def google(tmp_path_factory):
    return _clean(
        tmp_path_factory.mktemp("google"), GOOGLE_SAMPLE, 'kind = "transparency_google"\n'
    )


def test_x_india_july_december_2020(x_report):
    combined, _ = x_report
    table = combined.tables["transparency"].set_index("period_start")
    h2 = table.loc[_ist("2020-07-01")]
    assert h2["period_end"] == _ist("2020-12-31")
    assert (h2["platform"], h2["country"]) == ("twitter", "IN")
    assert (h2["requests"], h2["accounts_specified"]) == (6971, 19128)
    assert (h2["accounts_withheld"], h2["tweets_withheld"], h2["compliance_rate"]) == (60, 598, 9)
    assert pd.isna(table.loc[_ist("2019-01-01"), "compliance_rate"])  # "-" is not reported


def test_x_total_row_dropped_and_rows_add_up_to_it(x_report):
    combined, accounting = x_report
    assert {k: accounting[k] for k in ("rows_read", "rows_kept", "rows_rejected")} == {
        "rows_read": 18,
        "rows_kept": 17,
        "rows_rejected": 0,
    }
    assert accounting["rows_dropped"] == 1
    assert any("row 19 dropped: a Total row" in m for m in accounting["messages"])
    table = combined.tables["transparency"]
    # The file's own Total row: 12,435 requests, 48,341 accounts specified, 298 / 3,357 withheld.
    assert table["requests"].sum() == 12435
    assert table["accounts_specified"].sum() == 48341
    assert (table["accounts_withheld"].sum(), table["tweets_withheld"].sum()) == (298, 3357)
    assert table["period_start"].min() == _ist("2012-07-01")


def test_google_india_second_half_of_2020(google):
    combined, accounting = google
    assert (accounting["rows_read"], accounting["rows_kept"], accounting["rows_rejected"]) == (
        3800,
        3800,
        0,
    )
    table = combined.tables["transparency"]
    india = table[(table["country"] == "IN") & (table["period_end"] == _ist("2020-12-31"))]
    assert len(india) == 7
    assert (india["requests"].sum(), india["items_requested"].sum()) == (990, 7023)
    assert set(india["period_start"]) == {_ist("2020-07-01")}
    by = india.set_index("requestor")
    assert by.loc["Police", ["requests", "items_requested", "compliance_rate"]].tolist() == [
        741,
        4483,
        7,
    ]
    ica = by.loc["Information and Communications Authority"]
    assert (ica["requests"], ica["items_requested"], ica["compliance_rate"]) == (90, 2191, 60)
    assert by.loc["Government Officials", "compliance_rate"] == 0  # only "% Content Not Found"


def test_google_whole_file(google):
    combined, _ = google
    table = combined.tables["transparency"]
    assert set(table["platform"]) == {"google"}
    # Half-years ending 30 June start on 1 January.
    first = table[table["period_end"] == _ist("2019-06-30")]
    assert set(first["period_start"]) == {_ist("2019-01-01")}
    assert table["period_end"].nunique() == 13
    assert table["country"].isna().sum() == 2  # Europol: a requestor, not a country
    assert table["notes"].str.contains("capped at 100").sum() == 3  # 101% from rounding
    assert table["compliance_rate"].between(0, 100).all()


def test_google_india_next_to_other_countries(google):
    from analysis.report.questions import peer_comparison

    combined, _ = google
    answer = peer_comparison(combined.tables["transparency"], country="IN")
    assert set(answer.table["measure"]) == {"requests"}
    h2_2020 = answer.table[answer.table["period_end"] == _ist("2020-12-31")]
    assert h2_2020.set_index("country").loc["IN", "value"] == 990
    assert answer.table.loc[answer.table["highlight"], "country"].unique().tolist() == ["IN"]
    assert answer.headline.startswith("IN ranked ")
