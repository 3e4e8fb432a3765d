"""Read CSV, XLSX and JSON/JSONL files into raw frames: original headers, no cleaning.

A raw frame has one column per file header (in file order) and its index is ``source_row``:
for CSV and spreadsheets the row number a spreadsheet program shows (the header is row 1, so
the first data row is 2); for JSON the 1-based record number. Blank cells are ``None``.
Values are left as the file gives them: strings from CSV, numbers and datetimes from XLSX.

Row-level problems that prevent reading a row at all (a row with more cells than the header)
are returned as :class:`RowProblem` so the caller can reject that row; whole-file problems raise
:class:`~analysis.sources.InputError` with one sentence.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.sources import InputError

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
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _read_csv(path: Path, encoding: str | None, delimiter: str | None) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    text, used = decode_text(data, path, encoding)
    text = text.lstrip("\ufeff")
    sep = delimiter or _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except csv.Error as err:
        raise InputError(f"{path}: cannot read the header row: {err}") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError(f"{path}: the header row (row 1) is blank")
    columns = _unique_headers(header)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: list[RowProblem] = []
    width = len(columns)
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(RowProblem(start, None, None, f"unreadable CSV row: {err}"))
            line = reader.line_num
            continue
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines are layout, not data
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            extra = next(cell for cell in record[width:] if cell.strip())
            problems.append(
                RowProblem(
                    start,
                    None,
                    _clip(extra),
                    f"row has {len(record)} cells but the header has {width}",
                )
            )
            continue
        record = record[:width] + [""] * (width - len(record))
        rows.append([cell if cell.strip() else None for cell in record])
        numbers.append(start)
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame.index = pd.Index(numbers, name="source_row", dtype="int64")
    messages = [] if used in ("utf-8", "utf-8-sig") else [f"read as {used}"]
    if sep != ",":
        messages.append(f"delimiter {sep!r}")
    return RawTable(path, frame, problems, messages)


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
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: invalid JSON at line {err.lineno}: {err.msg}") from None
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
