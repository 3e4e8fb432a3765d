"""A corpus of messy and hostile raw folders, run through `takedowns validate` and `clean`.

Each case is a folder under tests/fixtures/hostile/ holding a sources.toml and small hand-made
files; cases whose bytes are binary (encodings, NUL bytes, XLSX, symbolic links) have their files
written by the builders below into the test's own raw folder. ``_base/orders.csv`` is copied into
every case that has no orders.csv of its own.

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
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.cli import main
from analysis.report import questions
from analysis.store.processed import read_tables

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
HEADER = "Handle,Order,Withheld on,Restored on\n"

Reject = tuple[str, int, str | None]  # source_file, source_row, column (the file's header)


@dataclass(frozen=True)
class Case:
    name: str
    target: str  # the file `takedowns validate` is given
    validate: int
    clean: int
    expect: str | tuple[Reject, ...] = ()  # the error's substring, or every reject
    rows: dict[str, int] = field(default_factory=dict)  # rows_read per source, when clean runs
    xfail: str = ""  # a known bug in a file this suite may not change: which, and why


HND, ORD, EVT, XLSX = "handles.csv", "orders.csv", "events.csv", "orders.xlsx"
# fmt: off
CASES = [
    # The input cannot be used: exit 2 from both commands, one sentence, nothing written.
    #    name                        validate   clean   substring of the error
    Case("empty_file",               HND, 2, 2, "handles.csv: the file is empty"),
    Case("blank_file",               HND, 2, 2, "handles.csv: the file is empty"),
    Case("no_header",                HND, 2, 2, "handles.csv: header 'Handle' (mapped to 'item'"),
    Case("nul_byte",                 HND, 2, 2, "handles.csv: line 3 contains a NUL byte"),
    Case("binary_garbage",           HND, 2, 2, "handles.csv: line 1 contains a NUL byte"),
    Case("binary_without_nul",       HND, 2, 2, "handles.csv: looks like binary data, not text"),
    Case("xlsx_named_csv",           HND, 2, 2, "handles.csv: line 1 contains a NUL byte"),
    Case("truncated_xlsx",           XLSX, 2, 2, "orders.xlsx: cannot open as a spreadsheet"),
    Case("xlsx_no_matching_sheet",   XLSX, 2, 2, "no sheet named 'Orders'; sheets are 'Data'"),
    Case("xlsx_empty_sheet",         XLSX, 2, 2, "orders.xlsx: sheet 'Orders' is empty"),
    Case("missing_required_column",  HND, 2, 2, "is mapped to the required column 'order_id'"),
    Case("mapped_header_missing",    HND, 2, 2, "header 'Handel' (mapped to 'item' in sources."),
    Case("duplicate_header_names",   HND, 2, 2, "header 'Withheld on' appears more than once"),
    Case("two_headers_one_column",   HND, 2, 2, "headers 'Handle' and 'URL' both map to 'item'"),
    Case("unknown_kind",             HND, 2, 2, "(handles.csv): unknown kind 'handles'"),
    Case("unknown_key",              HND, 2, 2, "source 2: unknown key 'colums'"),
    Case("unknown_canonical_column", HND, 2, 2, "column 'Handle' maps to 'handel', which is not"),
    Case("unknown_default_column",   HND, 2, 2, "(handles.csv): default for unknown column"),
    Case("toml_syntax_error",        HND, 2, 2, "sources.toml: TOML syntax error"),
    Case("toml_not_utf8",            HND, 2, 2, "sources.toml: not UTF-8 text"),
    Case("no_source_blocks",         HND, 2, 2, "sources.toml: declares no [[source]] blocks"),
    Case("path_outside_raw",         ORD, 2, 2, "path '../../etc/passwd' points outside"),
    Case("absolute_path",            ORD, 2, 2, "path '/etc/passwd' points outside"),
    Case("symlink_outside",          ORD, 2, 2, "path 'handles.csv' points outside"),
    Case("path_is_folder",           ORD, 2, 2, "handles.csv is a folder, not a file"),
    Case("multichar_delimiter",      HND, 2, 2, "delimiter must be one character, not '||'"),
    Case("unknown_encoding",         HND, 2, 2, "(handles.csv): unknown encoding 'klingon'"),
    Case("wrong_encoding",           HND, 2, 2, "handles.csv: cannot decode as utf-8"),
    Case("json_not_records",  "events.json", 2, 2, "events.json: expected a list of records"),
    Case("declared_twice",           HND, 2, 2, "source 3 declares 'handles.csv' again"),
    Case("declared_sheet_twice",     XLSX, 2, 2,
         "source 2 declares 'orders.xlsx' sheet 'Data' again (first in source 1)"),
    Case("kind_is_a_list",           HND, 2, 2, "(handles.csv): kind must be text"),
    Case("encoding_punycode",        HND, 2, 2, "'punycode' is not an encoding of text files"),
    Case("symlink_loop",             HND, 2, 2, "'handles.csv' is a symbolic link that loops"),
    Case("header_cell_huge",         HND, 2, 2, "handles.csv: the header row has a cell over"),
    Case("json_nested_deeply", "events.json", 2, 2, "the JSON is nested too deeply to read"),
    # Readable, with quirks: every row accounted for (rows = rows read per source).
    #    name                        validate   clean   every reject
    Case("header_only",              HND, 0, 0, (), rows={HND: 0}),
    Case("semicolon_delimiter",      HND, 0, 0, (), rows={HND: 2}),
    Case("tab_delimiter",            HND, 0, 0, (), rows={HND: 2}),
    Case("utf16_without_bom",        HND, 0, 0, (), rows={HND: 2}),
    Case("cp1252_smart_quotes",      ORD, 0, 0, (), rows={ORD: 2}),
    Case("mixed_line_endings",       HND, 1, 0, ((HND, 3, "Withheld on"), (HND, 5, "Withheld on")),
         rows={HND: 4}),
    Case("blank_lines_between",      HND, 1, 0, ((HND, 5, "Withheld on"),), rows={HND: 2}),
    Case("rtl_and_zero_width",       HND, 0, 0, (), rows={HND: 3, ORD: 2}),
    Case("exact_duplicate_orders",   ORD, 0, 0, (), rows={ORD: 3}),
    Case("negative_lag",             HND, 0, 0, (), rows={HND: 2}),
    Case("restored_before_withheld", HND, 0, 0, (), rows={HND: 1}),
    # Bad rows: validate exits 1 and lists those of its file; clean lists all in rejects.csv.
    Case("impossible_date",          HND, 1, 0, ((HND, 2, "Withheld on"), (HND, 3, "Withheld on")),
         rows={HND: 3}),
    Case("date_year_1900",          ORD, 1, 0, ((ORD, 4, "Date of order"), (HND, 2, "Withheld on")),
         rows={ORD: 3, HND: 1}),
    Case("date_year_2099",          ORD, 1, 0, ((ORD, 4, "Date of order"), (HND, 2, "Withheld on")),
         rows={ORD: 3, HND: 1}),
    Case("negative_count",           ORD, 1, 0, ((ORD, 4, "No. of URLs"),), rows={ORD: 3}),
    Case("fractional_count",         ORD, 1, 0, ((ORD, 4, "No. of URLs"),), rows={ORD: 3}),
    Case("deadline_before_order",    ORD, 1, 0, ((ORD, 3, "Deadline"),), rows={ORD: 2}),
    Case("conflicting_duplicate_orders", ORD, 1, 0,
         ((ORD, 2, "order_id"), (ORD, 4, "order_id"), (ORD, 5, "order_id"), (HND, 2, "order_id")),
         rows={ORD: 4, HND: 2}),
    Case("unknown_order",            HND, 1, 0, ((HND, 3, "order_id"),), rows={HND: 2}),
    Case("ragged_row",               HND, 1, 0, ((HND, 3, None),), rows={HND: 3}),
    Case("formula_text",             HND, 1, 0,
         ((HND, 3, "Handle"), (HND, 4, "Handle"), (HND, 5, "Handle"), (HND, 6, "Handle")),
         rows={HND: 5, ORD: 3}),
    Case("script_in_text",           HND, 1, 0, ((HND, 2, "Handle"),), rows={HND: 2, ORD: 4}),
    Case("huge_cell",                HND, 1, 0, ((HND, 2, None),), rows={HND: 2}),
    Case("events_bad_values",        EVT, 1, 0,
         ((EVT, 3, "Event"), (EVT, 4, "Items"), (EVT, 5, "Items"), (EVT, 6, "Items"),
          (EVT, 7, "order_id"), (EVT, 8, "Date")),
         rows={EVT: 7}),
    Case("jsonl_broken_line", "events.jsonl", 1, 0, (("events.jsonl", 2, None),),
         rows={"events.jsonl": 3}),
    Case("unclosed_quote",           HND, 1, 0, ((HND, 3, None),), rows={HND: 4}),
    Case("quoted_line_break",        HND, 1, 0, ((HND, 3, "Withheld on"),), rows={HND: 2}),
]
# fmt: on


# --- files whose bytes cannot live in a text fixture -------------------------------------------


def _xlsx(sheet: str, rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ORDER_ROWS = [
    ["Order No.", "Date of order", "Platform", "No. of URLs", "Title"],
    ["A-1", "31/01/2021", "twitter", 257, "First list"],
]


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda raw: (raw / name).write_bytes(data)


def _symlink(raw: Path) -> None:
    (raw / "handles.csv").symlink_to("/etc/passwd")


def _toml_not_utf8(raw: Path) -> None:
    text = '# Liste des ordres \u2013 r\xe9sum\xe9\n[[source]]\npath = "handles.csv"\n'
    (raw / "sources.toml").write_bytes(text.encode("cp1252"))


BUILD: dict[str, Callable[[Path], None]] = {
    "nul_byte": _write(HND, (HEADER + "@alice,A-1,01/02/2021,\n@b\0ob,A-1,01/02/2021,\n").encode()),
    "binary_garbage": _write(HND, random.Random(6).randbytes(4096)),
    "binary_without_nul": _write(HND, bytes(range(1, 32)) * 40),
    "xlsx_named_csv": _write(HND, _xlsx("Sheet1", [["Handle", "Order"], ["@alice", "A-1"]])),
    "truncated_xlsx": lambda raw: (raw / "orders.xlsx").write_bytes(
        _xlsx("Orders", ORDER_ROWS)[:2000]
    ),
    "xlsx_no_matching_sheet": _write("orders.xlsx", _xlsx("Data", ORDER_ROWS)),
    "xlsx_empty_sheet": _write("orders.xlsx", _xlsx("Orders", [])),
    "declared_sheet_twice": _write("orders.xlsx", _xlsx("Data", ORDER_ROWS)),
    "symlink_loop": lambda raw: (raw / "handles.csv").symlink_to("handles.csv"),
    "header_cell_huge": _write(
        HND,
        (
            "Handle,Order,Withheld on,Restored on," + "x" * 200_000 + "\n@alice,A-1,01/02/2021,,\n"
        ).encode(),
    ),
    "json_nested_deeply": _write("events.json", b"[" * 100_000 + b"]" * 100_000),
    "toml_not_utf8": _toml_not_utf8,
    "symlink_outside": _symlink,
    "wrong_encoding": _write(
        HND,
        "Handle,Order,Withheld on,Restored on,Remarks\n@alice,A-1,01/02/2021,,caf\xe9\n".encode(
            "cp1252"
        ),
    ),
    "utf16_without_bom": _write(
        HND,
        (HEADER + "@alice,A-1,01/02/2021,\n@bob,A-2,05/02/2021,06/02/2021\n").encode("utf-16-le"),
    ),
    "cp1252_smart_quotes": _write(
        ORD,
        (
            "Order No.,Date of order,Platform,No. of URLs,Title\r\n"
            "A-1,31/01/2021,twitter,257,\u201cEmergency\u201d order \u2013 list\r\n"
            "A-2,04/02/2021,twitter,1178,Second list\u2019s \u2026\r\n"
        ).encode("cp1252"),
    ),
    "mixed_line_endings": _write(
        HND,
        b"Handle,Order,Withheld on,Restored on\r\n@alice,A-1,01/02/2021,\r@bob,A-1,31/02/2021,\n"
        b"@carol,A-1,02/02/2021,\r\n@dave,A-1,2099-01-01,\n",
    ),
    "huge_cell": _write(
        HND,
        (
            "Handle,Order,Withheld on,Restored on,Remarks\n@alice,A-1,01/02/2021,,"
            + "x" * 1_000_000
            + "\n@carol,A-1,02/02/2021,,short\n"
        ).encode(),
    ),
}


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


def _raw_folder(case: Case, base: Path) -> Path:
    raw = base / "raw"
    shutil.copytree(HOSTILE / case.name, raw, symlinks=True)
    if not (raw / "orders.csv").exists():
        shutil.copy(HOSTILE / "_base" / "orders.csv", raw / "orders.csv")
    if case.name in BUILD:
        BUILD[case.name](raw)
    return raw


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


@pytest.mark.parametrize("case", _params())
def test_hostile_input(case: Case, tmp_path, previous, capsys):
    raw = _raw_folder(case, tmp_path)
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


@pytest.mark.parametrize(
    ("name", "command"),
    [("binary_garbage", "clean"), ("multichar_delimiter", "validate"), ("formula_text", "clean")],
)
def test_the_command_never_shows_a_traceback(name, command, tmp_path, previous):
    case = next(c for c in CASES if c.name == name)
    raw = _raw_folder(case, tmp_path)
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
    raw = _raw_folder(case, tmp_path)
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
