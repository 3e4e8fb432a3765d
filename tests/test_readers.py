"""Readers: encodings, delimiters, spreadsheets and JSON into raw frames with source rows."""

from __future__ import annotations

import codecs
import json

import pytest

from analysis.core.errors import InputError
from analysis.ingest.readers.tabular import read_table

CSV = "Handle,Date\n@one,31/01/2021\n@two,01/02/2021\n"


def _rows(table):
    return table.frame.reset_index().values.tolist()


@pytest.mark.parametrize(
    ("data", "note"),
    [
        (CSV.encode("utf-8"), None),
        (codecs.BOM_UTF8 + CSV.replace("\n", "\r\n").encode("utf-8"), None),
        (CSV.encode("utf-16"), "read as utf-16"),  # with BOM
        (CSV.encode("utf-16-le"), "read as utf-16-le"),  # without BOM
        (CSV.encode("cp1252"), None),  # pure ASCII is also valid UTF-8
    ],
)
def test_encodings(tmp_path, data, note):
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert _rows(table) == [[2, "@one", "31/01/2021"], [3, "@two", "01/02/2021"]]
    assert (note in table.messages) if note else not table.messages


def test_cp1252_smart_quotes(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("Title\n\u201cFarmers\u201d order\n".encode("cp1252"))
    table = read_table(path)
    assert table.frame.iloc[0, 0] == "\u201cFarmers\u201d order"
    assert "read as cp1252" in table.messages


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, sep):
    path = tmp_path / "h.csv"
    path.write_text(CSV.replace(",", sep), encoding="utf-8")
    assert _rows(read_table(path))[0] == [2, "@one", "31/01/2021"]


def test_blank_lines_keep_row_numbers_and_blank_cells_become_missing(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Handle,Date\n@one,\n\n@two,01/02/2021\n", encoding="utf-8")
    frame = read_table(path).frame
    assert list(frame.index) == [2, 4]
    assert list(frame.dtypes) == ["str", "str"]  # Arrow-backed text, not Python objects
    assert frame["Handle"].tolist() == ["@one", "@two"]
    assert frame["Date"].isna().tolist() == [True, False]


def test_a_cell_with_a_line_break_is_still_one_spreadsheet_row(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('Handle,Notes\n@one,"two\nlines"\n@two,x\n', encoding="utf-8")
    assert [r[0] for r in _rows(read_table(path))] == [2, 3]


def test_an_unclosed_quote_sets_aside_its_row_and_reading_goes_on(tmp_path):
    path = tmp_path / "h.csv"
    # A quote inside an unquoted cell (b"c) is literal; only "@two's quote opens a cell.
    path.write_text('Handle,Notes\n@one,b"c\n"@two,A\n@three,A\n', encoding="utf-8")
    table = read_table(path)
    assert _rows(table) == [[2, "@one", 'b"c'], [4, "@three", "A"]]
    assert [p.row for p in table.problems] == [3]
    assert "never closed" in table.problems[0].reason
    assert table.rows_read == 3


def test_a_row_with_extra_cells_is_a_row_problem_not_an_error(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Handle,Date\n@one,31/01/2021,surprise\n@two,01/02/2021\n", encoding="utf-8")
    table = read_table(path)
    assert [p.row for p in table.problems] == [2]
    assert "3 cells but the header has 2" in table.problems[0].reason
    assert table.rows_read == 2


def test_duplicate_headers_are_kept_apart(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Date,Date\n1,2\n", encoding="utf-8")
    table = read_table(path)
    assert list(table.frame.columns) == ["Date", "Date (2)"]
    assert table.duplicate_headers == {"Date"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"Handle\n@one\x00\n", "NUL byte"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_unreadable_files_raise_one_sentence(tmp_path, data, expected):
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=expected):
        read_table(path)


def test_xlsx_named_sheet_keeps_types_and_sheet_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Orders")
    sheet.append(["Order No.", "Date of order", "No. of URLs"])
    sheet.append(["A-1", dt.datetime(2021, 1, 31), 257])
    sheet.append([None, None, None])
    sheet.append(["A-2", "04/02/2021", "1,178"])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    table = read_table(path, sheet="Orders")
    rows = _rows(table)
    assert [r[0] for r in rows] == [2, 4]
    # calamine gives a midnight datetime as a date and every number as a float.
    assert rows[0][1:] == ["A-1", dt.date(2021, 1, 31), 257.0]
    assert rows[1][1:] == ["A-2", "04/02/2021", "1,178"]
    with pytest.raises(InputError, match="no sheet named 'Missing'; sheets are 'Notes', 'Orders'"):
        read_table(path, sheet="Missing")


def test_truncated_xlsx_is_one_sentence(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputError, match="cannot open as a spreadsheet"):
        read_table(path)


def test_json_records_keep_big_integers_exact(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(
        json.dumps({"records": [{"id": 1356205424589848576, "tags": ["a"]}, {"id": None}]}),
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.frame.loc[1, "id"] == 1356205424589848576
    assert table.frame.loc[1, "tags"] == '["a"]'


def test_jsonl_bad_line_is_a_row_problem(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"a": 1}\n{oops\n\n{"a": 2}\n', encoding="utf-8")
    table = read_table(path)
    assert list(table.frame.index) == [1, 4]
    assert [p.row for p in table.problems] == [2]
