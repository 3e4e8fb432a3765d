"""Read CSV, XLSX and JSON/JSONL files into raw frames: original headers, no cleaning.

A raw frame has one column per file header (in file order) and its index is ``source_row``:
for CSV and spreadsheets the row number a spreadsheet program shows (the header is row 1, so
the first data row is 2); for JSON the 1-based record number. Values are left as the file gives
them: CSV columns are pandas ``str`` (Arrow-backed; a blank cell is NaN), XLSX and JSON columns
are ``object`` holding numbers, datetimes and strings (a blank cell is ``None``).

Row-level problems that prevent reading a row at all (a row with more cells than the header)
are returned as :class:`RowProblem` so the caller can reject that row; whole-file problems raise
:class:`~analysis.ingest.sources.InputError` with one sentence.

CSV has two readers that give the same frame. The fast one streams the file through
``pyarrow.csv`` in blocks (all cells read as text, no per-row Python) and numbers the rows
from the file's line breaks; it is used only when those numbers can be trusted, that is when
every record is exactly one line. Anything it cannot vouch for (a quoted line break, an
undecodable or binary file, a field past :func:`csv.field_size_limit`) is left to the exact
reader, which walks the file with :mod:`csv` row by row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from analysis.core import progress
from analysis.core.errors import InputError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_DELIMITERS = ",;\t|"


@dataclass
class RowProblem:
    row: int
    column: str | None
    value: str | None
    reason: str


@dataclass
class RawTable:
    """What a reader returns: the rows it could read and the rows it could not."""

    path: Path
    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: Physical lines of the whole file, when a piece of it knows (:func:`read_chunks`): for a
    #: progress bar over the pieces.
    file_lines: int | None = None

    @property
    def duplicate_headers(self) -> set[str]:
        """Headers the file repeats; :func:`_unique_headers` renamed the repeats ``Name (2)``."""
        return {c.rsplit(" (", 1)[0] for c in self.frame.columns if c.endswith(")")} & set(
            self.frame.columns
        )

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len({p.row for p in self.problems})


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> RawTable:
    """Read one raw file by its extension; see the module docstring for the frame's shape."""
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, sheet)
    if suffix in JSON_SUFFIXES:
        return _read_json(path, encoding)
    return _read_csv(path, encoding, delimiter)


#: Records per piece when a file is read in pieces (:func:`read_chunks`).
CHUNK_ROWS = 500_000


class ChunksUntrusted(Exception):
    """Raised by :func:`read_chunks` after it has given pieces of a file whose rows turn out to
    need the exact reader (a record spanning lines, seen only at the end): discard the pieces
    and read the file whole with :func:`read_table`."""


def read_chunks(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    rows: int = CHUNK_ROWS,
    progress: bool = True,
) -> Iterator[RawTable]:
    """Read one raw file in pieces of about ``rows`` records, in file order.

    Together the pieces hold exactly the rows, numbers, problems and messages
    :func:`read_table` gives (each piece repeats the file's messages). ``progress=False``: no
    bar over the reading (the caller shows its own; each piece's ``file_lines`` says how many
    lines the file has). Only a CSV file the fast
    path reads from disk is read in pieces, so at most a piece of it is in memory at a time;
    any other file (a spreadsheet, JSON, a file needing the exact reader or transcoding) comes
    as one piece.

    Raises
    ------
    ChunksUntrusted
        After giving pieces, when the file turns out to need the exact reader.
    InputError
        As :func:`read_table`.
    """
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES or suffix in JSON_SUFFIXES:
        yield read_table(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
        return
    source = _utf8_source(path, encoding)
    stream = None
    if source is not None and isinstance(source.open, str):  # read from disk, not transcoded
        stream = _open_utf8(path, source, delimiter)
    if stream is None:
        yield _read_csv(path, encoding, delimiter)
        return
    stream.progress = progress
    pending: list[_Block] = []
    held, given = 0, False
    try:
        for block in stream.blocks():
            pending.append(block)
            held += len(block.numbers) + len(block.invalid)
            if held >= rows:
                piece, pending, held = stream.table(pending), [], 0
                yield piece
                given = True
    except (_Untrusted, _NotUtf8):
        if given:
            raise ChunksUntrusted(
                f"{path}: a record spans lines; the file must be read whole"
            ) from None
        yield _read_csv(path, encoding, delimiter)
        return
    if pending or not given:
        yield stream.table(pending)


# --- CSV ---------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file's bytes, detecting UTF-8 (BOM or not), UTF-16 and cp1252.

    Returns ``(text, encoding_used)``. Refuses NUL bytes in 8-bit text and binary data, because
    reading them as cp1252 would "succeed" and fill the tables with garbage.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as err:
            raise InputError(f"{path}: cannot decode as {encoding}: {err}") from None
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", path), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", path), "utf-16"
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 4:
        # UTF-16 without a BOM: ASCII text has a NUL in every other byte.
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        if max(odd_nuls, even_nuls) >= len(sample) // 4:
            enc = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
            return _decode(data, enc, path), enc
    if 0 in data:
        line = data[: data.index(0)].count(b"\n") + 1
        raise InputError(f"{path}: line {line} contains a NUL byte; this is not a text file")
    try:
        text, used = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, used = _decode(data, "cp1252", path), "cp1252"
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > 8:
        raise InputError(f"{path}: looks like binary data, not text")
    return text, used


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: cannot decode byte {err.start} as {encoding}; save the file as UTF-8"
        ) from None


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the header into the most fields (ties go to comma)."""
    header = next(iter(text.splitlines()), "")
    counts = {d: _cells_in(header, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _cells_in(line: str, delimiter: str) -> int:
    """How many cells ``delimiter`` splits ``line`` into (0 when csv cannot read it, e.g. a
    cell over the field limit: the reader says so, with the file's name)."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return 0


#: Why a JSON document cannot be read when Python's parser runs out of stack.
TOO_DEEP = "nested too deeply to read (lists or objects inside each other thousands of levels deep)"


def _read_csv(path: Path, encoding: str | None, delimiter: str | None) -> RawTable:
    table = _read_csv_fast(path, encoding, delimiter)
    return table if table is not None else _read_csv_exact(path, encoding, delimiter)


def _open_quote_lines(text: str, sep: str) -> tuple[str, set[int]]:
    """Find records whose quote is never closed; blank their first line and return its number.

    Left alone, Python's csv module reads everything after such a quote, to the end of the file,
    as one cell, silently merging every later row. In strict mode it says "unexpected end of
    data" instead, which tells us where the open record starts; that line is set aside (as a
    blank line, so the rows after it keep their numbers) and reading goes on after it.
    """
    lines: list[str] | None = None
    found: set[int] = set()
    while True:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        previous, opened = 0, None
        while True:
            try:
                next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                if "unexpected end of data" in str(err):
                    opened = previous + 1
                    break
            previous = reader.line_num
        if opened is None:
            return text, found
        lines = text.splitlines(keepends=True) if lines is None else lines
        lines[opened - 1] = "\n"
        found.add(opened)
        text = "".join(lines)


def _keep_record(
    number: int,
    record: list[str],
    width: int,
    rows: list[list[str | None]],
    numbers: list[int],
    problems: list[RowProblem],
) -> None:
    """Add one parsed CSV record: blank ones are layout, not data; one with more filled cells
    than the header is a row problem; short ones are padded; blank cells become ``None``."""
    if not record or all(not cell.strip() for cell in record):
        return
    if len(record) > width and any(cell.strip() for cell in record[width:]):
        extra = next(cell for cell in record[width:] if cell.strip())
        reason = f"row has {len(record)} cells but the header has {width}"
        problems.append(RowProblem(number, None, _clip(extra), reason))
        return
    record = record[:width] + [""] * (width - len(record))
    rows.append([cell if cell.strip() else None for cell in record])
    numbers.append(number)


def _records_frame(rows: list, numbers: list[int], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype=object).astype("str")
    frame.index = pd.Index(numbers, name="source_row", dtype="int64")
    return frame


def _read_csv_exact(path: Path, encoding: str | None, delimiter: str | None) -> RawTable:
    """The reference CSV reader: Python's :mod:`csv`, row by row, in memory."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    text, used = decode_text(data, path, encoding)
    text = text.lstrip("\ufeff")
    sep = delimiter or _sniff_delimiter(text)
    text, open_quotes = _open_quote_lines(text, sep)
    if 1 in open_quotes:
        raise InputError(f"{path}: the header row (row 1) opens a quote that is never closed")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise InputError(
                f"{path}: the header row has a cell over {csv.field_size_limit() // 1024} KiB, "
                "the most a cell may hold; is row 1 really the header?"
            ) from None
        raise InputError(f"{path}: cannot read the header row: {err}") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError(f"{path}: the header row (row 1) is blank")
    columns = _unique_headers(header)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: list[RowProblem] = []
    width = len(columns)
    # Rows are numbered as a spreadsheet shows them: one per record (a cell holding a line break
    # does not add a row), blank lines included, the header being row 1.
    start = 1
    while True:
        start += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(RowProblem(start, None, None, f"unreadable CSV row: {err}"))
            continue
        if reader.line_num in open_quotes:
            reason = 'a quote (") opens in this row and is never closed; the row is not read'
            problems.append(RowProblem(start, None, None, reason))
            continue
        _keep_record(start, record, width, rows, numbers, problems)
    frame = _records_frame(rows, numbers, columns)
    messages = [] if used in ("utf-8", "utf-8-sig") else [f"read as {used}"]
    if sep != ",":
        messages.append(f"delimiter {sep!r}")
    return RawTable(path, frame, problems, messages)


# --- CSV: the fast path -------------------------------------------------------------------------

#: A file at least this big shows a progress bar while it is read, on a terminal and outside CI.
PROGRESS_MIN_BYTES = 64 * 1024 * 1024
#: How much of the file pyarrow parses at a time; the file is never held in memory whole.
_BLOCK_BYTES = 1024 * 1024
_SCAN_BYTES = 16 * 1024 * 1024
#: What the fast path decodes up front: the header, the delimiter and the binary-data check.
_HEAD_BYTES = 64 * 1024
#: Every character Python's ``str.strip()`` removes (``str.isspace``); a cell of only these is
#: blank. Spelled out: RE2's ``\s`` and Arrow's ``utf8_trim_whitespace`` know other sets.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK_CELL = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]*$"
# First UTF-8 byte of each whitespace character: only cells starting with one can be blank.
_SPACE_FIRST_BYTE = np.zeros(256, dtype=bool)
_SPACE_FIRST_BYTE[[c.encode("utf-8")[0] for c in PY_WHITESPACE]] = True


@dataclass
class _Utf8Source:
    """UTF-8 CSV bytes for pyarrow: the file itself or a transcoded copy in memory."""

    open: object  # what pyarrow reads: the file's path, or a reader over the transcoded bytes
    used: str  # the encoding as the exact reader would name it
    head: str  # the decoded start of the text (leading BOMs removed)
    lines: int  # physical lines, a last line without a line break included


def _read_csv_fast(path: Path, encoding: str | None, delimiter: str | None) -> RawTable | None:
    """The CSV through ``pyarrow.csv``, or ``None`` when only the exact reader can be trusted
    with it: the rows would be numbered differently, or the file is one the exact reader
    rejects (it then says why)."""
    source = _utf8_source(path, encoding)
    if source is None:
        return None
    try:
        return _parse_utf8(path, source, delimiter)
    except _NotUtf8:
        if encoding:
            return None  # the exact reader says where the file is not UTF-8
    # Bytes that are not UTF-8 past the decoded head: cp1252, as the exact reader decides
    # after decoding it all.
    source = _transcoded(path, encoding)
    try:
        return None if source is None else _parse_utf8(path, source, delimiter)
    except _NotUtf8:
        return None


class _NotUtf8(Exception):
    """pyarrow met bytes that are not UTF-8."""


def _utf8_source(path: Path, encoding: str | None) -> _Utf8Source | None:
    """Decide the encoding as :func:`decode_text` would, without decoding a UTF-8 file whole."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            return None
        if codec not in ("utf-8", "utf-8-sig"):
            return _transcoded(path, encoding)
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
        whole = len(head) < _HEAD_BYTES or not handle.read(1)
    if not encoding and (
        head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head)
    ):
        return _transcoded(path, encoding)
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if body.startswith(codecs.BOM_UTF8):
        return None  # more than one BOM: rare, and pyarrow skips only the first
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=whole)
    except UnicodeDecodeError:
        return None if encoding else _transcoded(path, encoding)
    if encoding:
        used = encoding
    else:
        if _binary(text):
            return None
        used = "utf-8-sig" if body is not head else "utf-8"
    lines = _count_lines(path)
    return None if lines is None else _Utf8Source(str(path), used, text, lines)


def _transcoded(path: Path, encoding: str | None) -> _Utf8Source | None:
    """A non-UTF-8 file decoded whole (by :func:`decode_text`) and re-encoded as UTF-8."""
    data = path.read_bytes()
    if not data.strip():
        return None
    try:
        text, used = decode_text(data, path, encoding)
        utf8 = text.lstrip("\ufeff").encode("utf-8")
    except (InputError, UnicodeError):
        return None
    del data, text
    if b"\0" in utf8:
        return None
    lines = _count_lines_in([utf8])
    if lines is None:
        return None
    head = utf8[:_HEAD_BYTES].decode("utf-8", errors="ignore")
    return _Utf8Source(pa.BufferReader(pa.py_buffer(utf8)), used, head, lines)


def _looks_utf16(head: bytes) -> bool:
    sample = head[:4096]
    return len(sample) >= 4 and sample.count(0) >= len(sample) // 4


def _binary(text: str) -> bool:
    return sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n") > 8


def _count_lines(path: Path) -> int | None:
    with path.open("rb") as handle:
        return _count_lines_in(iter(lambda: handle.read(_SCAN_BYTES), b""))


def _count_lines_in(chunks) -> int | None:
    """Physical lines as :mod:`csv` numbers them (``\\n``, ``\\r\\n`` and a lone ``\\r`` end
    one; a last line without a break counts), or ``None`` for a file the exact reader rejects
    (blank, or holding a NUL byte)."""
    breaks, text, last = 0, False, b""
    for chunk in chunks:
        if b"\0" in chunk:
            return None
        breaks += chunk.count(b"\n")
        if b"\r" in chunk:
            breaks += chunk.count(b"\r") - chunk.count(b"\r\n")
        if last == b"\r" and chunk[:1] == b"\n":
            breaks -= 1
        text = text or bool(chunk.strip())
        last = chunk[-1:]
    if not text:
        return None
    return breaks + (last not in (b"\n", b"\r"))


def _parse_utf8(path: Path, source: _Utf8Source, delimiter: str | None) -> RawTable | None:
    stream = _open_utf8(path, source, delimiter)
    if stream is None:
        return None
    try:
        blocks = list(stream.blocks())
    except _Untrusted:
        return None
    return stream.table(blocks)


class _Untrusted(Exception):
    """Found while reading: the fast path cannot vouch for this file's rows."""


@dataclass
class _Block:
    """One block of records as pyarrow parsed it."""

    numbers: np.ndarray  # source_row of each record kept (blank records are left out)
    arrays: list[pa.Array]  # one per column, blank cells null
    invalid: list[tuple[int, str, int]]  # (line, text, cells) of the rows with the wrong width


@dataclass
class _Utf8Stream:
    """A UTF-8 CSV whose header the fast path accepts; :meth:`blocks` reads the rest."""

    path: Path
    source: _Utf8Source
    sep: str
    header_cells: list[str]
    columns: list[str]
    progress: bool = True  # a bar of its own over the rows read

    def blocks(self) -> Iterator[_Block]:
        """The records, block by block, numbered from the file's line breaks.

        The numbers hold only if every record is one line, which is known only at the end: a
        generator that ends without raising has vouched for every block it gave. Raises
        :class:`_Untrusted` (or :class:`_NotUtf8`) when the exact reader must decide.
        """
        width = len(self.columns)
        limit = csv.field_size_limit()
        invalid: list[tuple[int | None, str, int]] = []

        def on_invalid(row) -> str:
            invalid.append((row.number, row.text, row.actual_columns))
            return "skip"

        try:
            reader = pa_csv.open_csv(
                self.source.open,
                read_options=pa_csv.ReadOptions(
                    use_threads=False, block_size=_BLOCK_BYTES, autogenerate_column_names=True
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=self.sep,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={f"f{i}": pa.string() for i in range(width)},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            if reader.schema.names != [f"f{i}" for i in range(width)]:
                raise _Untrusted
            records, line, taken, last = 0, 2, 0, None  # data starts on line 2
            bar = _progress(self.path, self.source.lines) if self.progress else progress.Silent()
            with bar:
                for batch in reader:
                    arrays = batch.columns
                    if records == 0 and batch.num_rows:
                        if [a[0].as_py() for a in arrays] != self.header_cells:
                            raise _Untrusted
                        arrays = [a[1:] for a in arrays]
                    records += batch.num_rows
                    bar.update(batch.num_rows)
                    if any(n is None for n, _, _ in invalid[taken:]):
                        raise _Untrusted
                    # This block's lines: its records plus the invalid rows among them.
                    end, mine = line + len(arrays[0]), taken
                    while mine < len(invalid) and invalid[mine][0] < end:
                        mine += 1
                        end += 1
                    lines = np.arange(line, end, dtype=np.int64)
                    skipped = [n for n, _, _ in invalid[taken:mine]]
                    if skipped:
                        lines = lines[~np.isin(lines, skipped)]
                    blank = np.ones(len(arrays[0]), dtype=bool)
                    cleaned = []
                    for array in arrays:
                        if len(array) and pc.max(pc.binary_length(array)).as_py() > limit:
                            raise _Untrusted  # the exact reader rejects such a row; it says so
                        array, empty = _blank_to_null(array)
                        blank &= empty
                        cleaned.append(array)
                    keep = ~blank
                    if not keep.all():
                        cleaned = [a.filter(pa.array(keep)) for a in cleaned]
                    if len(arrays[0]):
                        last = [a[-1].as_py() for a in arrays]
                    yield _Block(lines[keep], cleaned, list(invalid[taken:mine]))
                    line, taken = end, mine
        except (pa.ArrowException, UnicodeDecodeError) as err:
            if isinstance(err, UnicodeDecodeError) or "UTF8" in str(err):
                raise _NotUtf8 from None
            raise _Untrusted from None  # e.g. a quote left open at the end
        if records + len(invalid) != self.source.lines or any(n is None for n, _, _ in invalid):
            raise _Untrusted  # a record spans lines (quoted line break): numbers are wrong
        # A quote left open runs to the end of the file, so only the last record can show it:
        # one of its cells then holds a line break. The exact reader says so.
        if last is not None and any(v is not None and _has_line_break(v) for v in last):
            raise _Untrusted
        if taken < len(invalid):
            yield _Block(np.zeros(0, dtype=np.int64), [], list(invalid[taken:]))

    def table(self, blocks: list[_Block]) -> RawTable:
        """The blocks' rows as one raw table (the rows with the wrong width read as the exact
        reader reads them)."""
        columns = self.columns
        parts = [[b.arrays[i] for b in blocks if b.arrays] for i in range(len(columns))]
        numbers = np.concatenate([b.numbers for b in blocks] or [np.zeros(0, dtype=np.int64)])
        frame = pd.DataFrame({name: _text(parts[i]) for i, name in enumerate(columns)}, copy=False)
        frame.index = pd.Index(numbers, name="source_row", dtype="int64")
        problems: list[RowProblem] = []
        extra = _ragged_rows([r for b in blocks for r in b.invalid], self.sep, columns, problems)
        if len(extra):
            frame = pd.concat([frame, extra]).sort_index(kind="stable")
        messages = (
            [] if self.source.used in ("utf-8", "utf-8-sig") else [f"read as {self.source.used}"]
        )
        if self.sep != ",":
            messages.append(f"delimiter {self.sep!r}")
        return RawTable(self.path, frame, problems, messages, file_lines=self.source.lines)


def _open_utf8(path: Path, source: _Utf8Source, delimiter: str | None) -> _Utf8Stream | None:
    """The file on the fast path if its header allows it, else ``None``."""
    sep = delimiter or _sniff_delimiter(source.head)
    if len(sep) != 1 or sep in '\r\n"':
        return None
    first = csv.reader(io.StringIO(source.head, newline=""), delimiter=sep)
    try:
        header_cells = next(first)
    except (csv.Error, StopIteration):
        return None
    if first.line_num != 1 or not _has_line_break(source.head):
        return None  # a header over several lines, or longer than the decoded head
    header = [h.strip() for h in header_cells]
    if not any(header):
        return None
    return _Utf8Stream(path, source, sep, header_cells, _unique_headers(header))


def _text(parts: list[pa.Array]) -> pd.api.extensions.ExtensionArray:
    """Arrow strings -> a pandas ``str`` column (Arrow-backed, blank = NaN), without a copy."""
    return pd.array(pa.chunked_array(parts, type=pa.string()), dtype="str")


def _has_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


def _blank_to_null(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Blank cells (empty or only whitespace, as ``str.strip`` sees it) -> null; also returns
    the blank mask. Only cells that start with a whitespace byte go through the regex."""
    n = len(array)
    if not n:
        return array, np.zeros(0, dtype=bool)
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[array.offset : array.offset + n + 1]
    lengths = np.diff(offsets)
    blank = lengths == 0
    filled = np.flatnonzero(~blank)
    if len(filled):
        data = np.frombuffer(data_buf, dtype=np.uint8)
        candidates = filled[_SPACE_FIRST_BYTE[data[offsets[filled]]]]
        if len(candidates):
            spaces = pc.match_substring_regex(array.take(pa.array(candidates)), _BLANK_CELL)
            blank[candidates[spaces.to_numpy(zero_copy_only=False)]] = True
    if not blank.any():
        return array, blank
    if array.offset:
        return pc.if_else(pa.array(blank), pa.scalar(None, array.type), array), blank
    validity = pa.py_buffer(np.packbits(~blank, bitorder="little"))
    out = pa.Array.from_buffers(array.type, n, [validity, offsets_buf, data_buf])
    return out, blank


def _ragged_rows(
    invalid: list[tuple[int | None, str, int]],
    sep: str,
    columns: list[str],
    problems: list[RowProblem],
) -> pd.DataFrame:
    """Rows whose cell count differs from the header's, read as the exact reader reads them."""
    width = len(columns)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    for number, text, _ in invalid:
        try:
            record = next(csv.reader([text], delimiter=sep), [])
        except csv.Error as err:
            problems.append(RowProblem(number, None, None, f"unreadable CSV row: {err}"))
            continue
        _keep_record(number, record, width, rows, numbers, problems)
    return _records_frame(rows, numbers, columns)


def _progress(path: Path, total: int):
    """A bar over the rows of a big file (:func:`analysis.core.progress.bar`: on a terminal,
    outside CI, once reading has taken a second)."""
    try:
        big = path.stat().st_size >= PROGRESS_MIN_BYTES
    except OSError:
        big = False
    if not big:
        return progress.Silent()
    return progress.bar(total, f"reading {path.name}")


def _unique_headers(header: list[str]) -> list[str]:
    """Keep duplicate or blank headers apart (``Date``, ``Date (2)``) rather than merging them."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header, 1):
        name = name or f"(blank header {i})"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _clip(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- spreadsheets ------------------------------------------------------------------------------


def _read_spreadsheet(path: Path, sheet: str | None) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own error types for corrupt files
        raise InputError(f"{path}: cannot open as a spreadsheet ({_first_line(err)})") from None
    names = workbook.sheet_names
    if sheet is None:
        sheet = names[0] if names else None
    if sheet not in names:
        raise InputError(
            f"{path}: no sheet named {sheet!r}; sheets are {', '.join(map(repr, names))}"
        )
    try:
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as err:
        raise InputError(f"{path}: cannot read sheet {sheet!r} ({_first_line(err)})") from None
    # Find the header: the first row with any value. Sheet rows are numbered from 1.
    first = next((i for i, r in enumerate(rows) if any(_filled(v) for v in r)), None)
    if first is None:
        raise InputError(f"{path}: sheet {sheet!r} is empty")
    header = _unique_headers([str(v).strip() if _filled(v) else "" for v in rows[first]])
    width = len(header)
    data, numbers, problems = [], [], []
    for offset, row in enumerate(rows[first + 1 :], start=first + 2):
        cells = [v if _filled(v) else None for v in row]
        if not any(v is not None for v in cells):
            continue
        if len(cells) > width and any(v is not None for v in cells[width:]):
            problems.append(
                RowProblem(offset, None, None, f"row has values beyond the {width} header columns")
            )
            continue
        cells = cells[:width] + [None] * (width - len(cells))
        data.append([v.strip() if isinstance(v, str) else v for v in cells])
        numbers.append(offset)
    frame = pd.DataFrame(data, columns=header, dtype=object)
    frame.index = pd.Index(numbers, name="source_row", dtype="int64")
    return RawTable(path, frame, problems, [f"sheet {sheet!r}"])


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


# --- JSON --------------------------------------------------------------------------------------


def _read_json(path: Path, encoding: str | None) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    text, _ = decode_text(data, path, encoding)
    text = text.lstrip("\ufeff")
    records: list[tuple[int, object]] = []
    problems: list[RowProblem] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                problems.append(RowProblem(number, None, _clip(line), f"invalid JSON: {err.msg}"))
            except RecursionError:
                problems.append(RowProblem(number, None, _clip(line), f"JSON {TOO_DEEP}"))
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: invalid JSON at line {err.lineno}: {err.msg}") from None
        except RecursionError:
            raise InputError(
                f"{path}: the JSON is {TOO_DEEP}; expected a list of records"
            ) from None
        if isinstance(doc, dict):
            lists = [v for v in doc.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise InputError(f"{path}: expected a list of records or one key holding a list")
            doc = lists[0]
        if not isinstance(doc, list):
            raise InputError(f"{path}: expected a list of records")
        records = list(enumerate(doc, 1))
    good = []
    for number, record in records:
        if isinstance(record, dict):
            good.append((number, record))
        else:
            problems.append(
                RowProblem(number, None, _clip(repr(record)), "record is not an object")
            )
    frame = pd.DataFrame(
        [{k: _json_cell(v) for k, v in rec.items()} for _, rec in good], dtype=object
    )
    frame.index = pd.Index([n for n, _ in good], name="source_row", dtype="int64")
    return RawTable(path, frame, problems)


def _json_cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and not value.strip():
        return None
    return value
