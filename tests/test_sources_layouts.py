"""Publishers' real layouts (tests/fixtures/layouts/), every figure checked against a sum this
test makes itself with the csv module, and every row accounted for.

The files have the headers exactly as published and values written for these tests:
google-historical.csv   Google's historical file: requests by branch (All Requests, Court
                        Orders, Other Requests), "<10", "?" (China), Europol/Interpol with no
                        code, European Union "EU", Kosovo "XK", former names, a branch split
                        that does not add up (Spain), and a Total row (Google prints none;
                        copies edited in a spreadsheet gain one)
google-detailed.csv     the product x reason file, whose "Total" counts requests
google-requester.csv    an older download of the current export ("Requester"), with "?", an
                        all-blank row and "nine"
x-removal-requests-jan-jun-2018.csv
                        X's per-period file: Windows-1252 "GOV’T", "-", "29%", "1,694",
                        "543*", "13,456 (9,402)", UK for the United Kingdom, a TOTAL row
x-compilation.csv       a researcher's compilation (ttrall.csv): court + other, NA, a rate as a
                        fraction of 1, misspelt countries
x-country-india.csv     X's per-country download, whose own Total row the kept rows add up to
facebook-government-report-2013-H2.csv
                        Facebook's government-requests download: Content Restrictions, data
                        requests (not takedowns), "12,000 - 13,000", the period in the file name
lumen-handle-list.csv   a handle list built from Lumen notices: active_status (the account) and
                        india_tweet_text (what the tweet's page shows in India)
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.pipeline import build_manifest, process, read_source
from analysis.cli import main
from analysis.core.errors import InputError
from analysis.ingest.canonical import effective_source
from analysis.ingest.sources import load_sources

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"


def _ist(day: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize("Asia/Kolkata").tz_convert("UTC")


def _rows(name: str, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The file's data rows with the csv module, each with its spreadsheet row number."""
    with open(LAYOUTS / name, encoding=encoding, newline="") as f:
        return [{**row, "_row": str(i)} for i, row in enumerate(csv.DictReader(f), start=2)]


def _number(cell: str | None) -> int | None:
    """A report cell as the number printed first: "1,694" -> 1694, "543*" -> 543,
    "13,456 (9,402)" -> 13456; "-", "NA", "?", blank and "<10" -> None."""
    found = re.match(r"^\s*([0-9][0-9,]*)\s*\*?\s*(?:\([0-9,]+\))?\s*$", cell or "")
    return int(found.group(1).replace(",", "")) if found else None


@pytest.fixture(scope="module")
def cleaned():
    results, combined = process(LAYOUTS)
    manifest = build_manifest(LAYOUTS, results, combined)
    return combined, {s["path"]: s for s in manifest["sources"]}


def _table(cleaned, name: str) -> pd.DataFrame:
    combined, _ = cleaned
    table = combined.tables["transparency"]
    return table[table["source_file"] == name]


def _rejected(cleaned, name: str) -> dict[int, str]:
    combined, _ = cleaned
    rejects = combined.rejects[combined.rejects["source_file"] == name]
    return {int(r.source_row): r.reason for r in rejects.itertuples()}


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("google-historical.csv", "utf-8-sig"),
        ("google-detailed.csv", "utf-8-sig"),
        ("google-requester.csv", "utf-8-sig"),
        ("x-removal-requests-jan-jun-2018.csv", "cp1252"),
        ("x-compilation.csv", "utf-8-sig"),
        ("x-country-india.csv", "utf-8-sig"),
        ("facebook-government-report-2013-H2.csv", "utf-8-sig"),
        ("lumen-handle-list.csv", "utf-8-sig"),
    ],
)
def test_nothing_is_lost(cleaned, name, encoding):
    _, sources = cleaned
    entry = sources[name]
    assert entry["rows_read"] == len(_rows(name, encoding))
    assert entry["rows_read"] == (
        entry["rows_kept"]
        + entry["rows_rejected"]
        + entry["rows_duplicate"]
        + entry["rows_dropped"]
    )
    if name != "lumen-handle-list.csv":
        table = _table(cleaned, name)
        figures = {c: int(table[c].notna().sum()) for c in entry["figures_read"]}
        assert entry["figures_read"] == figures
        assert sum(figures.values()) > 0


# --- Google ------------------------------------------------------------------------------------

BRANCH = "{}: Number of Requests"
ITEMS = "{}: Items Requested To Be Removed"


def test_google_historical_branches_never_double_count(cleaned):
    table = _table(cleaned, "google-historical.csv")
    rows = [r for r in _rows("google-historical.csv") if r["Period Ending"] != "Total"]
    # Independent sums over the file: exact "All Requests" cells, and the "<10" ones.
    exact = [_number(r[BRANCH.format("All Requests")]) for r in rows]
    bounded = sum(r[BRANCH.format("All Requests")] == "<10" for r in rows)
    kept = table[table["requests_bound"].isna()]
    assert kept["requests"].sum() == sum(n for n in exact if n is not None)
    assert (table["requests_bound"] == "upper").sum() == bounded
    items = [_number(r[ITEMS.format("All Requests")]) for r in rows]
    exact_items = table[table["items_requested_bound"].isna()]["items_requested"]
    assert exact_items.sum() == sum(n for n in items if n is not None)
    # A source row gives either its branches or its total, never both.
    for row, group in table.groupby("source_row"):
        kinds = set(group["requestor"])
        assert kinds == {"All Requests"} or "All Requests" not in kinds, row
    # Every figure is the cell of its own branch.
    by_row = {int(r["_row"]): r for r in rows}
    for t in table.itertuples():
        cell = by_row[t.source_row][BRANCH.format(t.requestor)]
        assert (t.requests if pd.isna(t.requests_bound) else f"<{t.requests}") == (
            _number(cell) if _number(cell) is not None else cell
        )


def test_google_historical_countries_and_rejects(cleaned):
    table = _table(cleaned, "google-historical.csv").set_index("source_row")
    assert set(table.loc[[19], "country"]) == {"XK"}  # Kosovo, as Google codes it
    assert "(not a country)" in table.loc[28, "notes"]  # European Union, EU
    assert table.loc[[21, 22], "country"].isna().all()  # Europol, Interpol: no code
    assert set(table.loc[[24], "country"]) == {"SZ"}  # the code is read, not "Swaziland"
    spain = table.loc[14]
    assert (spain["requestor"], spain["requests"], spain["items_requested"]) == (
        "All Requests",
        39,
        400,
    )
    assert spain["notes"].startswith("the branches do not account for All Requests")
    rejected = _rejected(cleaned, "google-historical.csv")
    assert set(rejected) == {4, 7}  # China "?": no figure at all
    assert all(r.startswith("no figure in this row") for r in rejected.values())
    _, sources = cleaned
    assert sources["google-historical.csv"]["rows_dropped"] == 1  # the Total row


def test_google_detailed_total_is_requests(cleaned):
    table = _table(cleaned, "google-detailed.csv")
    sums: dict[tuple[str, str], int] = {}
    for r in _rows("google-detailed.csv"):
        key = (r["Period Ending"], r["CLDR Territory Code"])
        sums[key] = sums.get(key, 0) + int(r["Total"])
    got = table.groupby(
        [table["period_end"].dt.tz_convert("Asia/Kolkata").dt.strftime("%Y-%m-%d"), "country"]
    )["requests"].sum()
    assert got.to_dict() == sums
    assert table["items_requested"].isna().all()
    # Japan 2020-12-31: 118 requests, as its requestor rows give in the current export.
    assert sums[("2020-12-31", "JP")] == 118
    assert set(table["scope"]) >= {"Web Search: Autocomplete", "orkut", "My Business Website"}


def test_google_requester_download(cleaned):
    table = _table(cleaned, "google-requester.csv")
    rejected = _rejected(cleaned, "google-requester.csv")
    assert set(rejected) == {26, 28, 30}  # "?" and "?", all blank, "nine"
    kept = [r for r in _rows("google-requester.csv") if int(r["_row"]) not in rejected]
    assert table["requests"].sum() == sum(_number(r["Number of Requests"]) for r in kept)
    assert table["items_requested"].sum() == sum(
        _number(r["Items Requested To Be Removed"]) for r in kept
    )
    assert set(table["requestor"]) == {r["Requester"] for r in kept}
    macedonia = table[table["source_row"] == 24].iloc[0]
    assert macedonia["country"] == "MK"  # the code; the name is not read


# --- X -----------------------------------------------------------------------------------------

GOV = "REMOVAL REQUESTS (GOV\u2019T AGENCY, POLICE, OTHER)"
COURT = "REMOVAL REQUESTS (COURT ORDERS)"


def test_x_per_period_file(cleaned):
    name = "x-removal-requests-jan-jun-2018.csv"
    table = _table(cleaned, name).set_index("source_row")
    rows = {int(r["_row"]): r for r in _rows(name, "cp1252")}
    for row, t in table.iterrows():
        r = rows[row]
        assert t["requests"] == (_number(r[COURT]) or 0) + (_number(r[GOV]) or 0)
        assert t["accounts_specified"] == _number(r["ACCOUNTS SPECIFIED"])
        assert t["tweets_withheld"] == _number(r["TWEETS WITHHELD"])
        assert t["compliance_rate"] == float(
            r["PERCENTAGE WHERE SOME CONTENT WITHHELD"].rstrip("%")
        )
    assert table.loc[26, "country"] == "GB"  # X writes UK
    assert table.loc[25, ["requests", "accounts_specified"]].tolist() == [8989, 13456]
    assert "ACCOUNTS SPECIFIED: 13,456 (9,402)" in table.loc[25, "notes"]
    # The ISO code is the authority: the misspelt name beside it is not read.
    assert table.loc[17, "country"] == "LU" and "Luxemburg" not in table.loc[17, "notes"]
    assert set(_rejected(cleaned, name)) == {2, 16, 24}  # every figure "-"
    _, sources = cleaned
    assert sources[name]["rows_dropped"] == 1  # TOTAL
    assert "read as cp1252" in sources[name]["messages"]


def test_x_compilation_sums_court_and_other_and_reads_the_fraction(cleaned):
    name = "x-compilation.csv"
    table = _table(cleaned, name).set_index("source_row")
    rows = {int(r["_row"]): r for r in _rows(name)}
    for row, t in table.iterrows():
        r = rows[row]
        court, other = _number(r["removal_request_court"]), _number(r["removal_request_other"])
        assert t["requests"] == (court or 0) + (other or 0)
        assert f"removal_request_court: {r['removal_request_court']}" in t["notes"]
        rate = r["percent_of_witheld_content"]
        assert t["compliance_rate"] == pytest.approx(float(rate) * 100)
        assert t["accounts_specified"] == _number(r["accounts_specified"])
    assert table.loc[10, "country"] == "HR"  # Crotia
    assert 'country "Crotia" read as HR (misspelling)' in table.loc[10, "notes"]
    assert 'country "Turkey" read as TR (former name)' in table.loc[9, "notes"]
    assert table.loc[32, "country"] == "XK"  # Kosovo
    assert table.loc[20, "compliance_rate"] == 100  # Germany: 1 of 1
    assert "read as a fraction of 1 (unit inferred): 29%" in table.loc[4, "notes"]
    _, sources = cleaned
    assert any("the unit was inferred" in m for m in sources[name]["messages"])
    assert set(_rejected(cleaned, name)) == {3, 13, 22, 24, 33}  # all NA


def test_x_country_rows_add_up_to_the_files_total(cleaned):
    name = "x-country-india.csv"
    table = _table(cleaned, name)
    rows = _rows(name)
    total = next(r for r in rows if r["Time period"] == "Total")
    for column, header in (
        ("requests", "Combined removal requests"),
        ("accounts_specified", "Combined accounts specified"),
        ("accounts_withheld", "Combined accounts withheld"),
        ("tweets_withheld", "Combined tweets withheld"),
    ):
        assert table[column].sum() == _number(total[header])
    assert set(table["country"]) == {"IN"}
    assert table["period_start"].min() == _ist("2013-07-01")
    assert set(_rejected(cleaned, name)) == {17}  # January - June 2014: all "-"


# --- Meta --------------------------------------------------------------------------------------


def test_meta_content_restrictions(cleaned):
    name = "facebook-government-report-2013-H2.csv"
    table = _table(cleaned, name).set_index("source_row")
    rows = _rows(name)
    given = [r for r in rows if r["Content Restrictions"].strip()]
    assert table["items_withheld"].sum() == sum(_number(r["Content Restrictions"]) for r in given)
    assert sorted(table.index) == sorted(int(r["_row"]) for r in given)
    assert table["requests"].isna().all()  # requests for user data are not takedowns
    assert set(table["period_start"]) == {_ist("2013-07-01")}
    assert set(table["period_end"]) == {_ist("2013-12-31")}
    assert set(table["platform"]) == {"facebook"}
    serbia = table.loc[26]
    assert serbia["country"] == "RS"
    assert 'Country "Serbia and Montenegro" read as "RS"' in serbia["notes"]
    rejected = _rejected(cleaned, name)
    assert len(rejected) == len(rows) - len(given)


# --- the handle list ---------------------------------------------------------------------------


def test_every_tweet_whose_text_says_withheld_has_a_withheld_check(cleaned):
    combined, _ = cleaned
    checks = combined.tables["checks"]
    mine = checks[checks["source_file"] == "lumen-handle-list.csv"]
    rejected = _rejected(cleaned, "lumen-handle-list.csv")
    assert set(rejected) == {25, 27}  # "This Tweet is unavailable."; a 26-character handle
    said = {
        int(r["_row"])
        for r in _rows("lumen-handle-list.csv")
        if "has been withheld in India" in r["india_tweet_text"]
        and "/status/" in r["tweet_url"]
        and int(r["_row"]) not in rejected
    }
    withheld = mine[(mine["state"] == "withheld") & mine["item_id"].str.startswith("tweet:")]
    assert set(withheld["source_row"]) == said
    assert set(withheld["countries"]) == {"IN"}
    # The accounts of those tweets are active: their own checks say visible, beside.
    accounts = mine[mine["item_id"].str.startswith("@") & mine["source_row"].isin(said)]
    assert set(accounts["state"]) == {"visible"}
    items = combined.tables["items"]
    legacy = items[items["handle"] == "adarsh__samarpit"]
    assert len(legacy) == 1 and "longer than X's 15 characters" in legacy["notes"].iloc[0]


# --- loud when nothing can be read -------------------------------------------------------------


def test_a_source_with_no_readable_figure_exits_2_naming_headers(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "g.csv").write_text(
        "Period Ending,Country/Region,CLDR Territory Code,Demands lodged,Share complied\n"
        "2020-06-30,India,IN,12,50\n2020-06-30,Kosovo,XK,1,0\n",
        encoding="utf-8",
    )
    (raw / "sources.toml").write_text(
        '[[source]]\npath = "g.csv"\nkind = "transparency_google"\n', encoding="utf-8"
    )
    status = main(["clean", "--raw", str(raw), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "no figure could be read from any row" in err
    assert "'Demands lodged', 'Share complied'" in err  # not recognised
    assert "'Number of Requests'" in err  # expected
    assert not (tmp_path / "out").exists()

    status = main(["validate", str(raw / "g.csv")])
    printed = capsys.readouterr()
    assert status == 2
    assert '"Demands lodged"      = "requests"' in printed.out
    assert '"CLDR Territory Code" = "country"' in printed.out


def test_validate_suggests_a_column_map_for_unmapped_headers(tmp_path, capsys):
    (tmp_path / "o.csv").write_text(
        "Order No.,Date of order,No. of URLs,Ministry,Remarks,Colour\nA-1,01/02/2021,3,MeitY,x,y\n",
        encoding="utf-8",
    )
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "o.csv"\nkind = "orders"\n[source.columns]\n'
        '"Date of order" = "issued_at"\n',
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path / "o.csv")]) == 0
    out = capsys.readouterr().out
    block = out[out.index("\n[source.columns]") + 1 :]
    assert '"Order No."     = "order_id"' in block
    assert '"No. of URLs"   = "items_listed"' in block
    assert '"Ministry"      = "authority"' in block
    assert '# "Colour"        = ""  # no guess' in block
    # The block pastes into sources.toml as it is.
    assert tomllib.loads(block)["source"]["columns"]["Remarks"] == "notes"


def test_source_values_fix_a_cell_without_touching_the_file(tmp_path):
    raw = "Time period,Country,Removal requests\nH1 2020,Narnia,4\nH1 2020,Crotia,2\n"
    (tmp_path / "t.csv").write_text(raw, encoding="utf-8")
    toml = '[[source]]\npath = "t.csv"\nkind = "transparency_x"\n'
    (tmp_path / "sources.toml").write_text(
        toml + '[source.values.country]\n" narnia " = "HR"\n', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    canonical = read_source(source).canonical
    table = canonical.tables["transparency"].set_index("source_row")
    assert table["country"].to_dict() == {2: "HR", 3: "HR"}
    assert table.loc[2, "notes"] == (
        'Country "Narnia" read as "HR" ([source.values] in sources.toml)'
    )
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == raw

    for block, words in (
        ('[source.values]\ncountry = "HR"\n', "must map cells to values"),
        ('[source.values.colour]\n"a" = "b"\n', "'colour', which is not a column"),
        ('[source.values.country]\n"a" = ["b"]\n', "must map to a plain value"),
    ):
        (tmp_path / "sources.toml").write_text(toml + block, encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(words)):
            load_sources(tmp_path)


def test_no_suggestion_for_a_standard_export(capsys):
    # Google's current export: the headers it does not map (the other percentages) are kept
    # in notes on purpose and there is nothing to guess, so nothing is suggested.
    path = Path(__file__).parent / "fixtures" / "sources" / "google-current.csv"
    main(["validate", str(path)])
    assert "[source.columns]" not in capsys.readouterr().out


def test_a_country_table_without_a_country_is_one_sentence(tmp_path):
    (tmp_path / "t.csv").write_text("Time period,Removal requests\nH1 2020,4\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "t.csv"\nkind = "transparency_x"\n', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    with pytest.raises(InputError) as err:
        read_source(source)
    assert "no column gives 'country'" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "header",
    [
        "REMOVAL REQUESTS (GOV\u2019T AGENCY, POLICE, OTHER)",  # read as Windows-1252
        "REMOVAL REQUESTS (GOV\ufffdT AGENCY, POLICE, OTHER)",  # read as UTF-8, replaced
        "REMOVAL REQUESTS (GOV\u00e2\u20ac\u2122T AGENCY, POLICE, OTHER)",  # UTF-8 read as 1252
        "REMOVAL REQUESTS (GOVERNMENT AGENCY, POLICE, OTHER) ",  # another period's spelling
    ],
)
def test_x_branch_headers_however_the_apostrophe_came_through(tmp_path, header):
    (tmp_path / "t.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "t.csv"\nkind = "transparency_x"\n', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    headers = ["TIME PERIOD", "COUNTRY", "REMOVAL REQUESTS (COURT ORDERS)", header]
    columns = effective_source(source, headers).columns
    assert [columns[h] for h in headers[2:]] == ["requests_part", "requests_part"]
