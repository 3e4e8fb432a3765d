"""Parameters of `takedowns metrics` and `takedowns report`, checked in one place before anything
runs (`questions.check_parameters`): a mistyped value is exit 2 with one sentence and nothing
written; names are normalised as `clean` normalises the data; an empty answer says why (issue 20).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.core.errors import InputError
from analysis.report import questions

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """The messy fixture cleaned: orders A-1 (31 Jan 2021) and A-2 (4 Feb 2021), from IN, to
    twitter."""
    base = tmp_path_factory.mktemp("data")
    shutil.copytree(FIXTURES / "messy", base / "raw")
    assert main(["clean", "--raw", str(base / "raw"), "--out", str(base / "processed")]) == 0
    return base


def _error(capsys, *parts: str) -> str:
    printed = capsys.readouterr()
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), printed
    assert "Traceback" not in printed.out + printed.err
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


# --- metrics -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "args", "expected"),
    [
        ("volume", ["--freq", "Z"], "freq 'Z' is not one of D (day)"),
        ("lag", ["--as-of", "notadate"], "as_of 'notadate' is not a date that exists"),
        ("volume", ["--start", "2021-02-30"], "start '2021-02-30' is not a date that exists"),
        ("volume", ["--end", "31/31/2021"], "end '31/31/2021' is not a date"),
        ("lag", ["--deadline-hours", "-5"], "deadline_hours -5.0 is not a number of hours"),
        ("lag", ["--deadline-hours", "0"], "deadline_hours 0.0 is not a number of hours"),
        ("lag", ["--deadline-hours", "nan"], "deadline_hours nan is not a number of hours"),
        ("lag", ["--deadline-hours", "inf"], "deadline_hours inf is not a number of hours"),
        (
            "volume",
            ["--start", "2021-03-01", "--end", "2021-01-01"],
            "start '2021-03-01' is after end '2021-01-01'",
        ),
        ("volume", ["--country", "Narnia"], 'country "Narnia" is not a known country name'),
    ],
)
def test_impossible_metrics_arguments_are_one_sentence(data, capsys, question, args, expected):
    assert main(["metrics", question, "--data", str(data), *args]) == 2
    _error(capsys, expected)


@pytest.mark.parametrize(
    "args",
    [
        ["--country", "India"],
        ["--country", "in"],
        ["--country", "IND"],
        ["--platform", "X"],
        ["--platform", "x.com"],
        ["--platform", "Twitter"],
    ],
)
def test_names_are_read_as_clean_reads_them(data, capsys, args):
    assert main(["metrics", "volume", "--data", str(data), "--format", "csv", *args]) == 0
    printed = capsys.readouterr()
    assert not printed.err
    rows = printed.out.strip().splitlines()
    assert len(rows) == 3 and rows[1].startswith("2021-01,"), printed.out  # both orders


@pytest.mark.parametrize(
    ("question", "args", "because"),
    [
        ("volume", ["--country", "PK"], "No orders from PK: the data hold orders from IN."),
        ("volume", ["--platform", "facebook"], "No orders to facebook: the orders chosen went to"),
        (
            "volume",
            ["--start", "2022-01-01"],
            "No orders were issued from 2022-01-01: the orders chosen were issued between "
            "31 Jan 2021 and 4 Feb 2021.",
        ),
        (
            "lag",
            ["--as-of", "2020-06-01"],
            "No order was issued by the as-of date 1 Jun 2020: the first of the 2 orders chosen "
            "was issued on 31 Jan 2021",
        ),
        ("reversals", ["--as-of", "2020-06-01"], "No order was issued by the as-of date"),
    ],
)
def test_an_empty_answer_says_why_in_words(data, capsys, question, args, because):
    assert main(["metrics", question, "--data", str(data), *args]) == 0
    printed = capsys.readouterr()
    assert because in printed.out, printed.out
    assert "Empty DataFrame" not in printed.out
    assert printed.out.count("\n") == 1  # the one sentence, nothing else


def test_an_empty_answer_as_csv_keeps_stdout_a_table(data, capsys):
    assert (
        main(["metrics", "volume", "--data", str(data), "--country", "PK", "--format", "csv"]) == 0
    )
    printed = capsys.readouterr()
    assert printed.out.startswith("period,")  # the header, no rows
    assert "No orders from PK" in printed.err


def test_check_parameters_normalises_and_passes_the_rest_through():
    given = {"country": "India", "platform": "X", "deadline_hours": "36", "source": "mine"}
    assert questions.check_parameters(given) == {
        "country": "IN",
        "platform": "twitter",
        "deadline_hours": 36.0,
        "source": "mine",
    }
    assert questions.check_parameters({"as_of": "", "deadline_hours": None, "freq": "month"}) == {
        "as_of": "",
        "deadline_hours": None,
        "freq": "month",
    }
    for bad in ({"lang": "fr"}, {"engine": "spark"}, {"redact_handles": "yes"}, {"freq": 7}):
        with pytest.raises(InputError):
            questions.check_parameters(bad)


def test_notebook_filters_read_a_country_name_too(data):
    tables = questions.load(data)
    scope = questions.select_orders(tables, country="India", platform="X")
    assert len(scope["orders"]) == 2
    answer = questions.answer_volume(scope, country="India", platform="X")
    assert answer.n == 2


# --- report ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("freq", "Z", "freq 'Z' is not one of"),
        ("as_of", "notadate", "as_of 'notadate' is not a date"),
        ("start", "2021-02-30", "start '2021-02-30' is not a date"),
        ("deadline_hours", "-5", "deadline_hours -5 is not a number of hours"),
        ("country", "Narnia", "is not a known country name"),
        ("redact_handles", "maybe", "redact_handles 'maybe' must be true or false"),
    ],
)
def test_a_mistyped_report_parameter_stops_before_anything_runs(
    data, tmp_path, capsys, name, value, expected
):
    out = tmp_path / "rep0"
    out.mkdir()
    (out / "index.html").write_text("the good reports", encoding="utf-8")
    (out / "01-volume").mkdir()
    (out / "01-volume" / "volume.png").write_bytes(b"png")
    (data / "processed" / "marker").write_text("untouched", encoding="utf-8")
    before = sorted(p for p in out.rglob("*"))
    processed = {p.name: p.stat().st_mtime_ns for p in (data / "processed").iterdir()}
    args = ["report", "-p", "data_dir", str(data), "-p", name, value, "--out", str(out)]
    assert main(args) == 2
    _error(capsys, expected)
    assert sorted(p for p in out.rglob("*")) == before
    assert (out / "index.html").read_text(encoding="utf-8") == "the good reports"
    assert {p.name: p.stat().st_mtime_ns for p in (data / "processed").iterdir()} == processed
    (data / "processed" / "marker").unlink()
