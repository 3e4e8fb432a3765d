"""Reading a big CSV in pieces gives, piece by piece, exactly the rows ``read_table`` gives.

``read_chunks`` is how a file larger than memory is read (``takedowns append`` uses it), so
its pieces must join to the same frame, row numbers, problems and messages as one whole read,
wherever the block and piece boundaries fall; a file whose row numbers turn out wrong only at
its end must say so rather than hand over renumbered rows.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_perf_readers import FALLBACK, TRICKY, messy_sheet

from analysis.ingest.readers import tabular
from analysis.ingest.readers.tabular import ChunksUntrusted, read_chunks, read_table


@pytest.fixture
def tiny_blocks(monkeypatch):
    """pyarrow parses 64 bytes at a time, so even a small file spans many blocks."""
    monkeypatch.setattr(tabular, "_BLOCK_BYTES", 64)


def _joined(pieces: list[tabular.RawTable]) -> tabular.RawTable:
    frame = pd.concat([p.frame for p in pieces]) if len(pieces) > 1 else pieces[0].frame
    problems = [problem for p in pieces for problem in p.problems]
    return tabular.RawTable(pieces[0].path, frame, problems, pieces[0].messages)


def _same(whole: tabular.RawTable, joined: tabular.RawTable) -> None:
    assert list(joined.frame.columns) == list(whole.frame.columns)
    assert list(joined.frame.index) == list(whole.frame.index)
    assert joined.frame.index.name == "source_row"
    assert list(joined.frame.dtypes) == list(whole.frame.dtypes)
    assert joined.frame.reset_index().values.tolist() == whole.frame.reset_index().values.tolist()
    assert joined.problems == whole.problems
    assert joined.messages == whole.messages
    assert joined.rows_read == whole.rows_read


def _sheet(rows: int) -> bytes:
    """Handles with blank lines, rows with too many or too few cells and quoted commas."""
    return messy_sheet(rows, (17, 23, 29))


@pytest.mark.parametrize("rows", [1, 3, 50])
def test_pieces_join_to_the_whole_file(tmp_path, tiny_blocks, rows):
    path = tmp_path / "sheet.csv"
    path.write_bytes(_sheet(400))
    pieces = list(read_chunks(path, rows=rows))
    assert len(pieces) > 1
    # A piece holds whole blocks: at least ``rows`` records, except the last one.
    assert all(p.rows_read >= rows for p in pieces[:-1])
    _same(read_table(path), _joined(pieces))
    assert all(p.messages == pieces[0].messages for p in pieces)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_files_in_pieces(tmp_path, tiny_blocks, name):
    path = tmp_path / "sheet.csv"
    path.write_bytes(TRICKY[name])
    _same(read_table(path), _joined(list(read_chunks(path, rows=1))))


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_a_file_the_fast_path_cannot_number_comes_whole_from_the_exact_reader(
    tmp_path, tiny_blocks, name
):
    path = tmp_path / "sheet.csv"
    path.write_bytes(FALLBACK[name])
    pieces = list(read_chunks(path, rows=1_000))  # nothing given before the end: no restart
    assert len(pieces) == 1
    _same(read_table(path), pieces[0])


def test_a_record_spanning_lines_after_pieces_were_given_says_so(tmp_path, tiny_blocks):
    path = tmp_path / "sheet.csv"
    path.write_bytes(_sheet(200) + b'@late,01/02/2021,"two\nlines"\n')
    pieces = read_chunks(path, rows=5)
    first = next(pieces)
    assert list(first.frame.index[:2]) == [3, 4]  # row 2 is blank
    with pytest.raises(ChunksUntrusted, match="sheet.csv: a record spans lines"):
        list(pieces)
    assert list(read_table(path).frame.index[-1:]) == [len(_sheet(200).splitlines()) + 1]


def test_spreadsheets_and_json_come_as_one_piece(tmp_path):
    path = tmp_path / "checks.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    pieces = list(read_chunks(path, rows=1))
    assert len(pieces) == 1
    assert pieces[0].frame.equals(read_table(path).frame)


def test_a_big_file_is_never_held_whole(tmp_path, monkeypatch):
    """With the default block size, a piece is about ``rows`` records, not the file."""
    path = tmp_path / "sheet.csv"
    path.write_bytes(_sheet(60_000))
    monkeypatch.setattr(tabular, "_BLOCK_BYTES", 64 * 1024)
    sizes = [len(p.frame) for p in read_chunks(path, rows=10_000)]
    assert len(sizes) >= 5
    assert max(sizes) < 15_000
    assert sum(sizes) == len(read_table(path).frame)
