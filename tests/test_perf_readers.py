"""The fast CSV reader (pyarrow.csv) gives exactly the frame the exact reader (csv module) gives.

The fast path must never change what a source row is called or what a cell holds, so every
tricky input is read both ways and compared cell by cell, with row numbers, problems and
messages; inputs whose row numbers the fast path cannot trust must fall back to the exact path.
"""

from __future__ import annotations

import codecs
import os

import pytest

from analysis.core import progress
from analysis.core.errors import InputError
from analysis.ingest.readers import tabular
from analysis.ingest.readers.tabular import (
    PY_WHITESPACE,
    _read_csv_exact,
    _read_csv_fast,
    read_table,
)

HEADER = "Handle,Date,Notes"
TRICKY = {
    "plain": b"Handle,Date\n@one,31/01/2021\n@two,01/02/2021\n",
    "bom_crlf": codecs.BOM_UTF8 + b"Handle,Date\r\n@one,31/01/2021\r\n\r\n@two,\r\n",
    "cr_only": b"Handle,Date\r@one,1\r\r@two,2",
    "blank_lines": b"Handle,Date\n@one,\n\n@two,01/02/2021\n\n\n",
    "whitespace_rows": "Handle,Date\n@one,\n   \n , \n\t,\u00a0\n\u3000,\u2003\n@two,x\n".encode(),
    "ragged": (
        b"Handle,Date,Notes\n@one,31/01/2021,a,surprise\n@two\n@three,x,y,,\n,,,,\n"
        b'@four," q,","z"\n@five,"a,b"\n'
    ),
    "quoted_commas": b'Handle,Notes\n@one,"a, b, c"\n"@two, x",\'q,r\'\n@three,"say ""hi"""\n',
    "odd_quotes": b'Handle,Notes\n@one,b"c\n@two,"b"c\n@three,"b" \n',
    "utf16_bom": "Handle,Date\n@one,31/01/2021\n@two,01/02/2021\n".encode("utf-16"),
    "utf16le_no_bom": "Handle,Date\n@one,31/01/2021\n\n@two,01/02/2021\n".encode("utf-16-le"),
    "cp1252": "Title,Count\n\u201cFarmers\u201d order,1\ncaf\u00e9,2\n".encode("cp1252"),
    "semicolons": b"Handle;Date\n@one;31/01/2021\n@two;\n",
    "tabs": b"Handle\tDate\n@one\t31/01/2021\n",
    "duplicate_and_blank_headers": b"Date,Date, ,\n1,2,3,4\n5,6,7,8\n",
    "no_final_newline": b"a,b\n1,2",
    "header_only": b"a,b\n",
    "cells_keep_their_spaces": "Handle,Date\n NAME ,\u3000x\u3000\n".encode(),
    "hindi": "हैंडल,तारीख\n@एक,३१/०१/२०२१\n\n@दो,३१ जनवरी २०२१\n".encode(),
}
FALLBACK = {
    "open_quote_at_end": b'a,b\n1,"2\n',  # the exact reader sets the row aside and says why
    "quoted_newline": b'Handle,Notes\n@one,"two\nlines"\n@two,x\n',
    "quoted_crlf": b'Handle,Notes\r\n@one,"two\r\nlines"\r\n@two,x\r\n',
    "two_boms": codecs.BOM_UTF8 * 2 + b"a,b\n1,2\n",
}


def _both(tmp_path, data: bytes, **kwargs):
    path = tmp_path / "sheet.csv"
    path.write_bytes(data)
    exact = _read_csv_exact(path, kwargs.get("encoding"), kwargs.get("delimiter"))
    fast = _read_csv_fast(path, kwargs.get("encoding"), kwargs.get("delimiter"))
    return exact, fast


def _same(exact, fast) -> None:
    assert list(fast.frame.columns) == list(exact.frame.columns)
    assert list(fast.frame.index) == list(exact.frame.index)
    assert fast.frame.index.name == exact.frame.index.name == "source_row"
    assert list(fast.frame.dtypes) == list(exact.frame.dtypes)
    # Cell for cell, None for blank (not NaN), same strings.
    rows_exact = exact.frame.reset_index().values.tolist()
    rows_fast = fast.frame.reset_index().values.tolist()
    assert rows_fast == rows_exact
    assert [type(c) for r in rows_fast for c in r] == [type(c) for r in rows_exact for c in r]
    assert fast.problems == exact.problems
    assert fast.messages == exact.messages
    assert fast.rows_read == exact.rows_read


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_path_reads_tricky_files_exactly_like_the_csv_module(tmp_path, name):
    exact, fast = _both(tmp_path, TRICKY[name])
    assert fast is not None, "the fast path should handle this file"
    _same(exact, fast)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_untrusted_row_numbers_fall_back_to_the_exact_path(tmp_path, name):
    exact, fast = _both(tmp_path, FALLBACK[name])
    assert fast is None
    path = tmp_path / "sheet.csv"
    assert read_table(path).frame.equals(exact.frame)


def test_quoted_newline_rows_keep_their_spreadsheet_row_number(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(FALLBACK["quoted_newline"])
    assert list(read_table(path).frame.index) == [2, 3]  # the cell's line break is not a row


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (b"Handle;Date\n@one;x\n", {"delimiter": ";"}),
        ("Handle,Date\n@one,x\n".encode("utf-16-le"), {"encoding": "utf-16-le"}),
        ("Handle,Date\n\ufeff@one,x\n".encode(), {"encoding": "UTF-8"}),
        (codecs.BOM_UTF8 + b"Handle,Date\n@one,x\n", {"encoding": "utf-8-sig"}),
        ("Title\n\u201cx\u201d\n".encode("cp1252"), {"encoding": "cp1252"}),
    ],
)
def test_declared_encoding_and_delimiter(tmp_path, data, kwargs):
    exact, fast = _both(tmp_path, data, **kwargs)
    assert fast is not None
    _same(exact, fast)


@pytest.mark.parametrize(
    "data", [b"", b"   \n", b"Handle\n@one\x00\n", bytes(range(1, 32)) * 20, b"\n\na,b\n"]
)
def test_files_the_exact_reader_rejects_are_left_to_it(tmp_path, data):
    path = tmp_path / "sheet.csv"
    path.write_bytes(data)
    assert _read_csv_fast(path, None, None) is None
    with pytest.raises(InputError):
        read_table(path)


def test_non_utf8_bytes_past_the_start_are_read_as_cp1252(tmp_path):
    # The head is ASCII; the cp1252 byte comes after the part decoded up front.
    data = b"Title,n\n" + b"plain,1\n" * 20_000 + "caf\u00e9,2\n".encode("cp1252")
    exact, fast = _both(tmp_path, data)
    assert fast is not None
    _same(exact, fast)
    assert fast.frame.iloc[-1, 0] == "caf\u00e9"


def messy_sheet(rows: int, every: tuple[int, int, int], newline: str = "\n") -> bytes:
    """Handles with quoted commas; every ``every[0]``-th line blank, every ``every[1]``-th with
    a cell too many, every ``every[2]``-th with cells missing."""
    blank, extra, short = every
    lines = [HEADER]
    for i in range(rows):
        if i % blank == 0:
            lines.append("")
        elif i % extra == 0:
            lines.append(f"@u{i},x,y,extra")
        elif i % short == 0:
            lines.append(f"@u{i}")
        else:
            lines.append(f'@u{i},{i % 28 + 1:02d}/01/2021,"note, {i}"')
    return (newline.join(lines) + newline).encode()


def test_many_blocks_and_line_breaks_split_across_scan_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "_BLOCK_BYTES", 4096)
    monkeypatch.setattr(tabular, "_SCAN_BYTES", 7)  # a CRLF is split between chunks
    data = messy_sheet(3000, (97, 89, 83), "\r\n")
    exact, fast = _both(tmp_path, data)
    assert fast is not None
    _same(exact, fast)
    assert len(fast.problems) > 10


def test_whitespace_list_is_what_str_strip_removes():
    import sys

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert spaces == PY_WHITESPACE


def test_progress_bar_only_on_a_terminal_outside_ci(tmp_path, monkeypatch):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"a\n1\n")
    monkeypatch.setattr(tabular, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setenv("CI", "true")
    assert isinstance(tabular._progress(path, 2), progress.Silent)
    monkeypatch.delenv("CI")
    if not os.isatty(2):
        assert isinstance(tabular._progress(path, 2), progress.Silent)


def test_a_percent_bar_shows_whole_percents(monkeypatch, capsys):
    from analysis.core import progress

    monkeypatch.setenv(progress.PROGRESS_ENV, "1")
    with progress.bar(100, "sorting", unit="%", scale=False) as shown:
        shown.delay = 0  # draw at once, as a phase longer than a second would
        shown.update(40.232136800000006)
        shown.refresh()
    drawn = capsys.readouterr().err
    assert "40%" in drawn
    assert "40.23" not in drawn and "/100" not in drawn
