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
"""

from __future__ import annotations

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


def _file_documents(file: Path, encoding: str | None) -> Iterator[Document]:
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
        try:
            yield Document(file, number, json.loads(line))
        except json.JSONDecodeError as err:
            clipped = line if len(line) <= 80 else line[:79] + "…"
            yield Document(file, number, error=f"invalid JSON: {err.msg}", text=clipped)
        except RecursionError:
            clipped = line if len(line) <= 80 else line[:79] + "…"
            yield Document(file, number, error=f"JSON {TOO_DEEP}", text=clipped)


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
