"""Which of a file's headers gives which canonical column.

:func:`effective_source` fills in a kind's built-in header names and defaults around the
reporter's own ``[source.columns]`` and ``[source.defaults]``; :func:`match_headers` finds each
mapped header in the file, forgiving case and spacing, and refuses a map that would leave a
column silently empty or read one column twice.
"""

from __future__ import annotations

import dataclasses
import re

from analysis.core import schema
from analysis.core.errors import HeaderError, InputError
from analysis.ingest.canonical.suggest import new_guesses, suggest_columns
from analysis.ingest.readers.tabular import RawTable
from analysis.ingest.sources import (
    BUILTIN_COLUMNS,
    BUILTIN_HEADERS,
    BUILTIN_PATTERNS,
    FIXED_FIELD_KINDS,
    KIND_DEFAULTS,
    REQUIRED_COLUMNS,
    Source,
    header_key,
)

#: Canonical names several file headers may map to at once.
MULTI_COLUMNS = frozenset(
    {*schema.EVENT_TYPES, "requests_part", "branch_requests", "branch_items", "branch_rate"}
)


def effective_source(source: Source, headers: list[str]) -> Source:
    """The source with the kind's built-in header names and defaults filled in.

    Fixed-field kinds (Lumen, X API) map each field the reader gives to itself. Kinds reading a
    standard export get :data:`~analysis.ingest.sources.BUILTIN_COLUMNS` for the headers the file
    has; the source's own ``[source.columns]`` and ``[source.defaults]`` win. Raises
    :class:`InputError` when a required column is still missing.
    """
    defaults = {**KIND_DEFAULTS.get(source.kind, {}), **source.defaults}
    if source.kind in FIXED_FIELD_KINDS:
        columns = {h: h for h in headers}
        return dataclasses.replace(source, columns=columns, defaults=defaults, unmapped="ignore")
    builtin = BUILTIN_COLUMNS.get(source.kind)
    if builtin is None:
        return dataclasses.replace(source, defaults=defaults)
    mine = {_map_key(h) for h in source.columns}
    taken = set(source.columns.values())
    columns: dict[str, str] = {}
    for header in headers:
        canonical = builtin.get(header_key(header)) or _by_pattern(source.kind, header)
        if canonical is None or _map_key(header) in mine:
            continue
        if canonical in taken and canonical not in MULTI_COLUMNS:
            continue  # the reporter mapped it, or an earlier header already gives it
        taken.add(canonical)
        columns[header] = canonical
    columns.update(source.columns)
    out = dataclasses.replace(source, columns=columns, defaults=defaults)
    for canonical in REQUIRED_COLUMNS[source.kind]:
        if not out.has(canonical):
            looked_for = ", ".join(repr(h) for h in BUILTIN_HEADERS[source.kind].get(canonical, ()))
            found = ", ".join(repr(h) for h in headers) or "none"
            where = f"looked for {looked_for}; " if looked_for else ""
            raise HeaderError(
                f"{source.path}: no column gives {canonical!r} ({where}its headers are {found}); "
                f"map one under [source.columns] or set [source.defaults] {canonical}",
                suggestion=suggest_columns(source, headers, columns),
            )
    return out


def _by_pattern(kind: str, header: str) -> str | None:
    """The canonical name a header's shape gives (:data:`BUILTIN_PATTERNS`), or None."""
    text = " ".join(str(header).casefold().split())
    for pattern, canonical in BUILTIN_PATTERNS.get(kind, ()):
        if re.match(pattern, text):
            return canonical
    return None


def match_headers(source: Source, raw: RawTable) -> dict[str, list[str]]:
    """canonical name -> the file headers mapped to it, matched forgivingly.

    Reporters' headers drift in case and spacing ("Date of order ", "DATE OF ORDER"), so
    matching ignores both; a header that is still not found is an error, never a silent
    empty column.
    """
    columns = raw.frame.columns
    by_key: dict[str, str] = {}
    for header in columns:
        by_key.setdefault(_map_key(header), header)
    dupes = raw.duplicate_headers
    mapped: dict[str, list[str]] = {}
    for wanted, canonical in source.columns.items():
        header = by_key.get(_map_key(wanted))
        if header is None:
            found = ", ".join(repr(h) for h in columns) or "none"
            raise HeaderError(
                f"{source.path}: header {wanted!r} (mapped to {canonical!r} in "
                f"sources.toml) is not in the file; its headers are {found}",
                suggestion=suggest_columns(source, list(columns)),
            )
        if header in dupes:
            raise InputError(
                f"{source.path}: header {header!r} appears more than once in row 1; "
                "rename the copies so each column has its own header"
            )
        mapped.setdefault(canonical, []).append(header)
    for canonical, headers in mapped.items():
        if len(headers) > 1 and canonical not in MULTI_COLUMNS:
            raise InputError(
                f"{source.path}: headers {headers[0]!r} and {headers[1]!r} both map to "
                f"{canonical!r}; map one of them to another column"
            )
    return mapped


def _map_key(header: str) -> str:
    """A header as ``[source.columns]`` matches it: case and runs of spacing do not matter
    (punctuation does, unlike :func:`~analysis.ingest.sources.header_key` for built-in names)."""
    return " ".join(str(header).split()).casefold()


def unmapped_suggestion(source: Source, headers: list[str]) -> str:
    """A ``[source.columns]`` suggestion for a file some of whose headers no canonical column
    is read from (:func:`~analysis.ingest.canonical.suggest.suggest_columns`); empty when it
    would guess nothing new (every header mapped, or the others kept in notes for want of a
    guess), for kinds reading an API's fields, and when the source's required columns are
    missing (its error says so, with the same suggestion)."""
    if source.kind in FIXED_FIELD_KINDS:
        return ""
    try:
        mapped = effective_source(source, headers).columns
    except InputError:
        return ""
    block = suggest_columns(source, headers, mapped)
    return block if new_guesses(block) else ""
