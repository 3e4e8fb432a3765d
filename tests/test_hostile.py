"""A corpus of messy and hostile raw folders, run through `takedowns validate` and `clean`.

Each case is a folder under tests/fixtures/hostile/ holding a sources.toml and small hand-made
files; cases whose bytes are binary (encodings, NUL bytes, XLSX, symbolic links) have their files
written into the test's own raw folder. ``_base/orders.csv`` is copied into every case that has no
orders.csv of its own. The cases, their builders and that folder: tests/support/hostile_cases.py.

The table says, per case: the file handed to ``validate``, the exit status of ``validate`` and of
``clean`` (0 fine, 1 bad rows, 2 the input cannot be used; docs/data-safety.md), and either the
substring of the one-line error or the complete set of rejects as (file, row, column). For every
case:

* nothing prints a traceback, and an error is one line naming the file;
* a clean that fails leaves the output folder byte for byte as the previous run left it;
* a clean that succeeds accounts for every row of every source (read = kept + rejected +
  duplicates + dropped), reads back with ``read_tables`` and leaves no temporaries; where the
  table gives ``rows``, the number of rows read is the number of data rows in the file, so no
  row disappeared inside the reader.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.cli import main
from analysis.report import questions
from analysis.store.processed import read_tables

from support.hostile_cases import CASES, HOSTILE, Case, Reject, raw_folder

# --- what a case's tables must show beyond the accounting -----------------------------------------


def _items(out: Path) -> dict[str, str]:
    items = read_tables(out)["items"]
    return dict(zip(items["item_id"], items["order_id"], strict=True))


def _check_cp1252(out: Path, raw: Path) -> None:
    titles = list(read_tables(out)["orders"]["title"])
    assert titles == ["\u201cEmergency\u201d order \u2013 list", "Second list\u2019s \u2026"]


def _check_rtl(out: Path, raw: Path) -> None:
    # Invisible characters do not split one order into two; titles keep them as given.
    assert _items(out) == {"@alice": "A-1", "@bob": "A-2", "@carol": "A-1"}
    assert read_tables(out)["orders"]["title"].iloc[0] == "\u202eFirst list\u202c"


def _check_negative_lag(out: Path, raw: Path) -> None:
    tables = questions.load(out.parent)
    answer = questions.answer_lag(tables, as_of="2021-02-28")
    items = answer.frames["items"].set_index("item_id")
    assert (items["lag"].dropna() >= 0).all()
    assert items.loc["@alice", "n_ignored_before_issued"] == 1
    assert not items.loc["@alice", "observed"]  # censored, not a negative lag


def _check_restored_first(out: Path, raw: Path) -> None:
    tables = questions.load(out.parent)
    anomalies = questions.answer_reversals(tables, as_of="2021-02-28").frames["anomalies"]
    assert list(anomalies["item_id"]) == ["@alice"]
    assert "before" in anomalies["reason"].iloc[0]


def _check_duplicate(out: Path, raw: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"][0]["rows_duplicate"] == 1


def _check_formulas(out: Path, raw: Path) -> None:
    text = (out / "rejects.csv").read_text(encoding="utf-8")
    given = ["@SUM(A1)", '=HYPERLINK("http://evil.example")', "+cmd|' /C calc'!A0", "-2+3"]
    values = [r["value"] for r in csv.DictReader(io.StringIO(text))]
    assert values == ["'" + value for value in given]  # a spreadsheet shows them as text
    assert pq.read_table(out / "rejects.parquet").column("value").to_pylist() == given
    titles = read_tables(out)["orders"].set_index("order_id")["title"]
    assert titles["A-3"] == '=HYPERLINK("http://evil.example","click")'  # the data keep the text


def _check_script(out: Path, raw: Path) -> None:
    titles = read_tables(out)["orders"].set_index("order_id")["title"]
    assert titles["A-3"] == "<script>window.__pwned=1</script>"
    assert titles["A-4"] == '<img src=x onerror="window.__pwned=2">'
    assert _items(out) == {"@alice": "A-3"}


def _check_semicolons(out: Path, raw: Path) -> None:
    assert _items(out) == {"@alice": "A-1", "@bob": "A-2"}
    assert len(read_tables(out)["events"]) == 3


CHECKS: dict[str, Callable[[Path, Path], None]] = {
    "cp1252_smart_quotes": _check_cp1252,
    "rtl_and_zero_width": _check_rtl,
    "negative_lag": _check_negative_lag,
    "restored_before_withheld": _check_restored_first,
    "exact_duplicate_orders": _check_duplicate,
    "formula_text": _check_formulas,
    "script_in_text": _check_script,
    "semicolon_delimiter": _check_semicolons,
    "tab_delimiter": _check_semicolons,
    "utf16_without_bom": _check_semicolons,
}


# --- running a case -------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """The outputs of an earlier, successful clean that every failing clean must leave alone."""
    base = tmp_path_factory.mktemp("previous")
    shutil.copytree(HOSTILE / "_base", base / "raw")
    assert main(["clean", "--raw", str(base / "raw"), "--out", str(base / "processed")]) == 0
    return base / "processed"


def _one_line_error(stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert expected in lines[0], stderr


def _listed(stdout: str, reject: Reject) -> bool:
    file, row, column = reject
    where = f"  {file}, row {row}" + (f", column {column!r}" if column else "")
    return any(
        line.startswith(where) and (column or not line[len(where) :].startswith(", column"))
        for line in stdout.splitlines()
    )


def _accounting_holds(manifest: dict) -> None:
    for source in manifest["sources"]:
        parts = ("rows_kept", "rows_rejected", "rows_duplicate", "rows_dropped")
        assert source["rows_read"] == sum(source[p] for p in parts), source


def _params() -> list:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
        )
        for case in CASES
    ]


def test_the_corpus_is_big_and_every_case_has_its_folder():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    folders = {p.name for p in HOSTILE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == {c.name for c in CASES}


@pytest.mark.slow
@pytest.mark.parametrize("case", _params())
def test_hostile_input(case: Case, tmp_path, previous, capsys):
    raw = raw_folder(case, tmp_path)
    out = tmp_path / "processed"
    shutil.copytree(previous, out)
    before = _snapshot(out)

    status = main(["validate", str(raw / case.target)])
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert status == case.validate, printed
    if status == 2:
        _one_line_error(printed.err, case.expect)
    else:
        assert not printed.err, printed.err
        mine = [r for r in case.expect if r[0] == case.target]
        assert all(_listed(printed.out, r) for r in mine), printed.out
        assert status == (1 if mine else 0)

    status = main(["clean", "--raw", str(raw), "--out", str(out)])
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert status == case.clean, printed
    if status != 0:
        _one_line_error(printed.err, case.expect)
        assert _snapshot(out) == before  # no partial output, no temporaries, nothing replaced
        return

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    _accounting_holds(manifest)
    read_rows = {s["path"]: s["rows_read"] for s in manifest["sources"]}
    assert {name: read_rows[name] for name in case.rows} == case.rows
    rejects = pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False)
    found = {(r.source_file, int(r.source_row), r.column or None) for r in rejects.itertuples()}
    assert found == set(case.expect)
    assert len(rejects) == len(found)  # one line per bad cell, never two for one problem
    assert not [p.name for p in out.iterdir() if p.name.startswith(".tmp-")]
    read_tables(out)  # every table belongs to this run
    if case.name in CHECKS:
        CHECKS[case.name](out, raw)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "command"),
    [("binary_garbage", "clean"), ("multichar_delimiter", "validate"), ("formula_text", "clean")],
)
def test_the_command_never_shows_a_traceback(name, command, tmp_path, previous):
    case = next(c for c in CASES if c.name == name)
    raw = raw_folder(case, tmp_path)
    out = tmp_path / "processed"
    shutil.copytree(previous, out)
    before = _snapshot(out)
    if command == "clean":
        args, status = ["clean", "--raw", str(raw), "--out", str(out)], case.clean
    else:
        args, status = ["validate", str(raw / case.target)], case.validate
    env = {k: v for k, v in os.environ.items() if k != "TAKEDOWNS_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    if status == 2:
        _one_line_error(done.stderr, case.expect)
        assert _snapshot(out) == before
    elif command == "clean":
        assert "4 rows rejected" in done.stdout


def test_strict_clean_exits_1_when_the_corpus_rejects_rows(tmp_path):
    case = next(c for c in CASES if c.name == "impossible_date")
    raw = raw_folder(case, tmp_path)
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "o"), "--strict"]) == 1


def test_terminal_escapes_in_the_data_are_printed_not_obeyed(tmp_path, capsys):
    # An ESC sequence in a cell would recolour, retitle or clear a reporter's terminal.
    raw = tmp_path / "raw"
    shutil.copytree(HOSTILE / "_base", raw)
    with (raw / "orders.csv").open("a", encoding="utf-8") as orders:
        orders.write("A-3\x1b[2J,05/02/2021,twitter,3,Clears the screen\n")
        orders.write("A-4,\x1b]0;pwned\x07,twitter,3,Retitles the terminal\n")
    capsys.readouterr()
    assert main(["validate", str(raw / "orders.csv")]) == 1
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "processed")]) == 0
    assert main(["metrics", "volume", "--data", str(tmp_path)]) == 0
    assert main(["metrics", "lag", "--data", str(tmp_path), "--as-of", "2021-02-28"]) == 0
    printed = capsys.readouterr()
    assert "\x1b" not in printed.out + printed.err and "\x07" not in printed.out + printed.err
    assert "A-3\\x1b[2J" in printed.out  # shown, escaped
    assert "\\x1b]0;pwned\\x07" in printed.out
