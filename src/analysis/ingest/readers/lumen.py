"""Lumen database notices (https://lumendatabase.org) -> raw notice rows and raw URL rows.

Reads what the Lumen API returns, saved as a file or a folder of files:

- ``GET /notices/<id>.json``: one notice wrapped in a key named after its type,
  ``{"court_order": {...}}``, ``{"government_request": {...}}``;
- ``GET /notices/search.json``: ``{"notices": [...], "meta": {...}}``;
- a list of notices, or JSON Lines with one notice (wrapped or not) per line.

Each notice is one raw row; ``source_row`` is its record number (1, 2, ... in file order, and
across a folder's files in name order). The notice's fields are kept as given, except that a
list (``jurisdictions``, ``laws_referenced``) becomes one ``;``-joined string and ids given as
JSON integers become their digits. The body is read from ``body`` or, for court orders and
"other" notices, ``explanation``.

The URLs a notice names are a second frame, one row per entry of ``works[i].<key>[j]``, where
``<key>`` is ``infringing_urls``, ``targetted_urls`` (court orders) or ``problematic_urls``
(other). With full access an entry is ``{"url": ...}``; without it Lumen gives only a count per
domain, ``{"fqdn": ..., "count": ...}`` (older exports: ``{"domain": ..., "count": ...}``). The
``column`` of each entry is its path in the notice, so a reject can name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.ingest.readers.jsondocs import file_ranges, id_text, iter_documents, joined
from analysis.ingest.readers.tabular import RawTable, RowProblem

NOTICE_COLUMNS = [
    "id",
    "type",
    "title",
    "body",
    "date_sent",
    "date_received",
    "sender_name",
    "principal_name",
    "recipient_name",
    "jurisdictions",
    "laws_referenced",
    "action_taken",
    "language",
    "file",
]
URL_COLUMNS = ["source_row", "column", "url", "fqdn", "count"]
#: The key holding the targeted URLs of a work, by notice type (Lumen renames it).
URL_KEYS = ("infringing_urls", "targetted_urls", "problematic_urls")


@dataclass
class LumenRaw(RawTable):
    """Notices as :class:`RawTable` rows, plus the URL entries they name."""

    urls: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=URL_COLUMNS))


def read_lumen(path: Path, encoding: str | None = None) -> LumenRaw:
    """Read a Lumen file or folder; see the module docstring for the frames' shape."""
    rows: list[dict] = []
    numbers: list[int] = []
    urls: list[tuple] = []
    problems: list[RowProblem] = []
    messages: list[str] = []
    ranges: list[tuple[str, int, int]] = []
    number = 0
    folder = path.is_dir()
    for doc in iter_documents(path, encoding):
        first = number + 1
        if doc.error is not None:
            number += 1
            where = f"{doc.file.name} line {doc.line}"
            problems.append(RowProblem(number, None, doc.text, f"{where}: {doc.error}"))
        else:
            for notice in _notices(doc.value, messages, doc.file):
                number += 1
                if not isinstance(notice, dict):
                    problems.append(
                        RowProblem(number, None, repr(notice)[:80], "record is not a notice")
                    )
                    continue
                rows.append(_notice_row(notice, doc.file.name if folder else None))
                numbers.append(number)
                urls.extend(_url_rows(number, notice))
        if folder and number >= first:
            if ranges and ranges[-1][0] == doc.file.name:
                ranges[-1] = (doc.file.name, ranges[-1][1], number)
            else:
                ranges.append((doc.file.name, first, number))
    if ranges:
        messages.append(file_ranges(ranges))
    frame = pd.DataFrame(rows, columns=NOTICE_COLUMNS, dtype=object)
    frame.index = pd.Index(numbers, name="source_row", dtype="int64")
    url_frame = pd.DataFrame(urls, columns=URL_COLUMNS).astype({"source_row": "int64"})
    return LumenRaw(path, frame, problems, messages, urls=url_frame)


def _notices(value: object, messages: list[str], file: Path):
    """The notices in one JSON document, each unwrapped from its type key."""
    if isinstance(value, dict) and isinstance(value.get("notices"), list):
        meta = value.get("meta")
        total = meta.get("total_entries") if isinstance(meta, dict) else None
        if isinstance(total, int) and total > len(value["notices"]):
            messages.append(
                f"{file.name}: the search matched {total} notices; this page holds "
                f"{len(value['notices'])}"
            )
        items = value["notices"]
    elif isinstance(value, list):
        items = value
    else:
        items = [value]
    for item in items:
        yield _unwrap(item)


def _unwrap(item: object) -> object:
    if isinstance(item, dict) and len(item) == 1:
        [(key, inner)] = item.items()
        if isinstance(inner, dict):
            return {"type": key, **inner}
    return item


def _notice_row(notice: dict, file: str | None) -> dict:
    row = {name: joined(notice.get(name)) for name in NOTICE_COLUMNS if name != "file"}
    row["id"] = id_text(notice.get("id"))
    row["body"] = joined(notice.get("body", notice.get("explanation")))
    row["jurisdictions"] = joined(notice.get("jurisdictions"), "; ")
    row["laws_referenced"] = joined(notice.get("laws_referenced"), "; ")
    row["file"] = file
    return row


def _url_rows(number: int, notice: dict):
    works = notice.get("works")
    if not isinstance(works, list):
        return
    for i, work in enumerate(works):
        if not isinstance(work, dict):
            continue
        for key in URL_KEYS:
            entries = work.get(key)
            if not isinstance(entries, list):
                continue
            for j, entry in enumerate(entries):
                where = f"works[{i}].{key}[{j}]"
                if isinstance(entry, dict):
                    url = entry.get("url") or entry.get("url_original")
                    fqdn = entry.get("fqdn", entry.get("domain"))
                    if url is None and fqdn is not None:
                        yield (number, where + ".count", None, fqdn, entry.get("count"))
                    else:
                        yield (number, where + ".url", url, None, None)
                else:
                    yield (number, where, entry, None, None)
