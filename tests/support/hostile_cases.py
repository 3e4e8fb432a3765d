"""The hostile corpus: one raw folder per case under tests/fixtures/hostile/, and the table of
what `takedowns validate` and `clean` must do with each (tests/test_hostile.py runs it;
tests/test_clean_in_pieces.py cleans every case again in pieces).

Per case the table gives the file handed to ``validate``, the exit status of ``validate`` and of
``clean`` (0 fine, 1 bad rows, 2 the input cannot be used; docs/data-safety.md), and either the
substring of the one-line error or the complete set of rejects as (file, row, column). Cases
whose bytes are binary (encodings, NUL bytes, XLSX, symbolic links) have their files written by
the builders below (``BUILD``) into the test's own raw folder.
"""

from __future__ import annotations

import io
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from support.paths import FIXTURES

HOSTILE = FIXTURES / "hostile"
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


def raw_folder(case: Case, base: Path) -> Path:
    """The case's raw folder, complete, at ``base/raw`` (fixture files copied, built files
    written, ``_base/orders.csv`` added where the case has none)."""
    raw = base / "raw"
    shutil.copytree(HOSTILE / case.name, raw, symlinks=True)
    if not (raw / "orders.csv").exists():
        shutil.copy(HOSTILE / "_base" / "orders.csv", raw / "orders.csv")
    if case.name in BUILD:
        BUILD[case.name](raw)
    return raw
