"""JSON and JSON Lines files, or a folder of them -> the JSON values they hold, in file order.

Shared by the Lumen and X API readers, which turn the values into numbered records. A ``.json``
file is one document; a ``.jsonl``/``.ndjson`` file (or a ``.json`` file that is really JSON
Lines, as API dumps often are) is one document per non-blank line. A folder is read file by
file in name order (see :func:`analysis.ingest.sources.source_files`).

Numbers keep their JSON type: integers are Python ``int`` at full precision (a 19-digit tweet id
is exact), so an id never passes through a float unless the file itself wrote it as one.

A line that is not valid JSON is returned as a :class:`Document` with ``error`` set, so the
reader can reject that one record; a whole ``.json`` file that is not valid JSON raises
:class:`~analysis.ingest.sources.InputError`.

**Big files are streamed.** A UTF-8 file of :data:`STREAM_FROM_BYTES` or more is never held
whole: JSON Lines are read a line at a time, and a ``.json`` file holding one array (``[{...},
{...}]``, as a collector saves a list of lookups) is read an element at a time by ``ijson``
(each element is then a document of its own, which the readers treat exactly as the same
element inside the array). So memory follows the document, not the file. Such a file is read
with two small differences from a small one: only ``\n`` ends a line (a small file also splits
at a lone ``\r`` or U+2028), and a broken array stops the read with one sentence naming the
place. A big file that is one JSON object (a single API response), or not UTF-8, is read
whole.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analysis.core.errors import InputError
from analysis.ingest.readers.tabular import TOO_DEEP, decode_text
from analysis.ingest.sources import source_files


@dataclass
class Document:
    file: Path
    line: int | None  # JSON Lines line number; None for a whole-file document
    value: object = None
    error: str | None = None  # why the line could not be parsed
    text: str | None = None  # the unparsable line, clipped


def iter_documents(path: Path, encoding: str | None = None) -> Iterator[Document]:
    """Every JSON value in ``path`` (a file or a folder), in order."""
    for file in source_files(path):
        yield from _file_documents(file, encoding)


#: Files at least this big are streamed (see the module docstring).
STREAM_FROM_BYTES = 32 * 2**20
#: How much of a file is looked at to decide how to stream it.
_HEAD_BYTES = 64 * 1024


def _file_documents(file: Path, encoding: str | None) -> Iterator[Document]:
    if file.stat().st_size >= STREAM_FROM_BYTES:
        layout = _streamable(file, encoding)
        if layout == "lines":
            yield from _stream_lines(file)
            return
        if layout == "array":
            yield from _stream_array(file)
            return
    data = file.read_bytes()
    if not data.strip():
        raise InputError(f"{file}: the file is empty")
    text, _ = decode_text(data, file, encoding)
    text = text.lstrip("\ufeff")
    if file.suffix.lower() == ".json":
        try:
            yield Document(file, None, json.loads(text))
            return
        except json.JSONDecodeError as err:
            # "Extra data" after a complete first value: JSON Lines saved as .json.
            if err.msg != "Extra data":
                raise InputError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
        except RecursionError:
            raise InputError(f"{file}: the JSON is {TOO_DEEP}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        yield _line_document(file, number, line)


def _line_document(file: Path, number: int, line: str) -> Document:
    """One line of JSON Lines as a document, or as an error naming the line (clipped to 80
    characters) when it is not JSON or nests too deep."""
    try:
        return Document(file, number, json.loads(line))
    except json.JSONDecodeError as err:
        error = f"invalid JSON: {err.msg}"
    except RecursionError:
        error = f"JSON {TOO_DEEP}"
    return Document(file, number, error=error, text=line if len(line) <= 80 else line[:79] + "…")


def _streamable(file: Path, encoding: str | None) -> str | None:
    """``"lines"`` (JSON Lines), ``"array"`` (one top-level array) or ``None`` (read whole:
    not UTF-8, or one JSON object), from the file's start."""
    try:
        if encoding and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            return None
    except LookupError:  # the whole-file reader names the unknown encoding
        return None
    with file.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:4096].count(0):
        return None
    try:  # the head may end inside a character
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    body = text.lstrip()
    if file.suffix.lower() != ".json":
        return "lines"
    first, newline, rest = body.partition("\n")
    if newline and rest.strip():
        try:  # a whole value on the first line and more after it: JSON Lines saved as .json
            json.loads(first)
            return "lines"
        except (json.JSONDecodeError, RecursionError):
            pass
    return "array" if body.startswith("[") else None


def _stream_lines(file: Path) -> Iterator[Document]:
    """:func:`_file_documents` for JSON Lines, a line at a time."""
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:  # as a small file's would be: Windows-1252
                line = raw.decode("cp1252", errors="replace")
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            yield _line_document(file, number, line)


def _stream_array(file: Path) -> Iterator[Document]:
    """:func:`_file_documents` for a file holding one array: each element a document."""
    import ijson

    with file.open("rb") as handle:
        if handle.read(3) != codecs.BOM_UTF8:
            handle.seek(0)
        try:
            # Floats as floats, as json reads them (an id that went through a float is refused
            # later); integers stay exact.
            for value in ijson.items(handle, "item", use_float=True):
                yield Document(file, None, value)
        except ijson.JSONError as err:
            raise InputError(f"{file}: invalid JSON: {_first_line(err)}") from None
        except RecursionError:
            raise InputError(f"{file}: the JSON is {TOO_DEEP}") from None


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:200] if lines else type(err).__name__


def id_text(value: object) -> object:
    """An id as the file gave it, integers as their digits (exact); floats stay floats so the
    caller can refuse them (a float id has already lost its last digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def joined(value: object, sep: str = ",") -> object:
    """A JSON list of scalars as one ``sep``-joined string; other values unchanged."""
    if isinstance(value, list):
        parts = [text for text in (str(v).strip() for v in value if v is not None) if text]
        return sep.join(parts) if parts else None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def file_ranges(ranges: list[tuple[str, int, int]], limit: int = 20) -> str:
    """``rows 1-10 a.json, 11-12 b.json`` for a folder source's message."""
    shown = [f"{a}-{b} {name}" if a != b else f"{a} {name}" for name, a, b in ranges[:limit]]
    more = f", and {len(ranges) - limit} more files" if len(ranges) > limit else ""
    return f"read {len(ranges)} files in name order; rows " + ", ".join(shown) + more
