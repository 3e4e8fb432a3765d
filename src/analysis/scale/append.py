"""The checks feed: status-check files -> the checks dataset (``takedowns append``).

A newsroom that looks up its accounts every day gets a new file every day. Each is read exactly
as ``takedowns clean`` reads a source (the kind's reader, then :func:`analysis.ingest.canonical
.to_canonical`), and its checks are added to the partitioned dataset
(:func:`analysis.scale.dataset.append`) instead of to ``processed/checks.parquet``. The files are
read and checked together before anything is written: if any row of any file is rejected,
nothing is appended. A big CSV file is read in pieces (:func:`analysis.ingest.readers.tabular
.read_chunks`), and X API lookups (JSON Lines, or a big JSON array) as a stream of documents
(:func:`analysis.ingest.readers.x_api.read_x_api_pieces`); their checks are staged as they come,
so the file need not fit in memory, and the staged files join the dataset only when every
piece has been read without a reject.

Which file is which kind: a file declared in ``sources.toml`` is read as declared (kind, time
zone, column map, defaults); any other file by its form: JSON (``.json``, ``.jsonl``,
``.ndjson``) or a folder of them as X API lookups (``x_snapshots``), a sheet (CSV, XLSX) as a
researcher's handle list with a status column (``handle_list``, built-in header names).
Order ids are not checked against the orders tables here (the dataset is not part of a
clean run); a check's ``order_id`` is carried onto its events as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.errors import InputError
from analysis.core.times import DEFAULT_TZ
from analysis.ingest.canonical import Canonical, to_canonical
from analysis.ingest.readers import read_raw
from analysis.ingest.readers.tabular import CHUNK_ROWS, ChunksUntrusted, read_chunks
from analysis.ingest.readers.x_api import read_x_api_pieces
from analysis.ingest.sources import (
    FOLDER_KINDS,
    JSON_SUFFIXES,
    SOURCES_FILE,
    Source,
    find_source,
    load_sources,
)
from analysis.scale import dataset
from analysis.store.lock import folder_lock

#: The kinds whose files hold status checks.
CHECK_KINDS = ("x_snapshots", "handle_list")
#: X API lookups are read this many records at a time.
JSON_PIECE_ROWS = 100_000


@dataclass
class FeedResult:
    """What reading (and, when nothing was rejected, appending) a set of files gave."""

    sources: list[Source]
    rows_read: int
    checks: int
    rejects: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    appended: dataset.AppendResult | None = None  # None: rejected rows, nothing written


def append_files(
    files: list[Path | Source],
    dataset_dir: Path,
    *,
    raw_dir: Path | None = None,
    kind: str | None = None,
    timezone: str = DEFAULT_TZ,
    chunk_rows: int = CHUNK_ROWS,
    partial: bool = False,
) -> FeedResult:
    """Read status-check ``files`` and append their checks to the dataset at ``dataset_dir``.

    Parameters
    ----------
    files
        Files (or folders of X API JSON) holding status checks; or :class:`Source` blocks
        already made for them (``takedowns watch`` gives each saved lookup its ``checked_at``
        this way), which are read as they say.
    dataset_dir
        The checks dataset, e.g. ``data/processed/datasets/checks``.
    raw_dir
        A folder with ``sources.toml``: files it declares are read as declared.
    kind
        ``x_snapshots`` or ``handle_list`` for files ``sources.toml`` does not declare;
        default: by the file's form (see the module docstring).
    timezone
        Time zone of times without one, for files ``sources.toml`` does not declare.
    chunk_rows
        A CSV file is read, checked and staged about this many rows at a time, so a file
        bigger than memory can be appended; the batches are committed together at the end.
    partial
        Append the checks that were read cleanly even when other rows were rejected (the
        rejects are still returned, for the caller to report). Default: all or nothing.

    Returns
    -------
    FeedResult
        ``appended`` is ``None`` when any row was rejected (``rejects`` lists them, as
        ``takedowns validate`` does) and ``partial`` is false; nothing is written then.

    Raises
    ------
    InputError
        A file is missing, cannot be read, holds no status checks, or is declared as a kind
        that has none; or the checks do not fit the dataset (one sentence).
    """
    if kind is not None and kind not in CHECK_KINDS:
        raise InputError(
            f"kind {kind!r} holds no status checks; use one of {', '.join(CHECK_KINDS)}"
        )
    if raw_dir is not None:
        paths.refuse_inside_raw(Path(dataset_dir), raw_dir, "the dataset")
    declared = _declared(raw_dir)
    sources = [
        f if isinstance(f, Source) else _source(Path(f), declared, kind, timezone) for f in files
    ]
    with folder_lock(Path(dataset_dir), "append"):  # one writer at a time
        try:
            return _append(sources, Path(dataset_dir), chunk_rows, partial)
        except ChunksUntrusted:  # a record spanning lines, found late: read each file whole
            return _append(sources, Path(dataset_dir), None, partial)


def _append(
    sources: list[Source], dataset_dir: Path, chunk_rows: int | None, partial: bool = False
) -> FeedResult:
    """Read the sources piece by piece, staging the checks in batches of about ``chunk_rows``
    while no row has been rejected (or whatever was, when ``partial``); commit only if none
    was, or when ``partial`` (``None``: files read whole)."""
    rejects: list[pd.DataFrame] = []
    messages: list[str] = []
    buffer: list[pd.DataFrame] = []
    staged = dataset.Staged(dataset_dir)
    rows_read = checks = 0
    try:
        for source in sources:
            found = False
            rows = _piece_rows(source, chunk_rows)
            for canonical, read in _pieces(source, rows):
                rows_read += read
                messages.extend(f"{source.name}: {m}" for m in canonical.messages)
                row_level = canonical.rejects["level"].fillna("row") == "row"
                rejects.append(canonical.rejects[row_level])
                found = found or len(canonical.rejects) > 0
                piece = canonical.tables.get("checks")
                if piece is None or piece.empty:
                    continue
                found = True
                checks += len(piece)
                tracked = set(piece["_country"].dropna().unique()) - {"IN"}
                if tracked:
                    messages.append(
                        f"{source.name}: tracks withholding in {', '.join(sorted(tracked))}; the "
                        "dataset keeps the states, and the country is chosen when events are "
                        "computed"
                    )
                if not partial and any(len(r) for r in rejects):
                    buffer.clear()  # nothing will be appended; keep reading for the rejects
                    continue
                buffer.append(piece)
                if rows is not None and sum(len(b) for b in buffer) >= rows:
                    dataset.stage(dataset_dir, pd.concat(buffer, ignore_index=True), staged=staged)
                    buffer.clear()
            if not found:
                raise InputError(
                    f"{source.name} holds no status checks (read as kind {source.kind!r}: "
                    "X API lookups, or a list with a status column and when it was checked)"
                )
        all_rejects = pd.concat(rejects, ignore_index=True)
        result = FeedResult(
            sources=sources,
            rows_read=rows_read,
            checks=checks,
            rejects=all_rejects,
            messages=list(dict.fromkeys(messages)),  # each piece repeats a file's notes
        )
        if (len(all_rejects) and not partial) or not checks:
            dataset.discard(staged)
            return result
        if buffer:
            dataset.stage(dataset_dir, pd.concat(buffer, ignore_index=True), staged=staged)
        result.appended = dataset.commit(staged)
        return result
    except BaseException:
        dataset.discard(staged)
        raise


def _piece_rows(source: Source, chunk_rows: int | None) -> int | None:
    """How many records of ``source`` are read, and checks staged, at a time. A lookup record
    costs far more memory than a CSV row (a dict, then eleven Python values): fewer."""
    if chunk_rows is not None and source.kind == "x_snapshots":
        return min(chunk_rows, JSON_PIECE_ROWS)
    return chunk_rows


def _pieces(source: Source, chunk_rows: int | None) -> Iterator[tuple[Canonical, int]]:
    """``(canonical rows, rows read)`` of ``source``: of each piece of a big CSV (only its
    checks are used: a handle list's implied orders need the whole file) or of X API lookups
    (their documents streamed, :func:`analysis.ingest.readers.x_api.read_x_api_pieces`), else
    of the whole file."""
    if chunk_rows is not None and source.kind == "x_snapshots":
        for raw in read_x_api_pieces(source.path, source.encoding, rows=chunk_rows):
            yield to_canonical(source, raw), raw.rows_read
        return
    if chunk_rows is None or source.kind != "handle_list":
        raw = read_raw(source)
        yield to_canonical(source, raw), raw.rows_read
        return
    for raw in read_chunks(
        source.path,
        sheet=source.sheet,
        encoding=source.encoding,
        delimiter=source.delimiter,
        rows=chunk_rows,
    ):
        yield to_canonical(source, raw), raw.rows_read


def _declared(raw_dir: Path | None) -> list[Source]:
    if raw_dir is None or not (raw_dir / SOURCES_FILE).is_file():
        return []
    return load_sources(raw_dir)


def _source(path: Path, declared: list[Source], kind: str | None, timezone: str) -> Source:
    """The declared source reading ``path``, else one made for it by its form."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not (path.is_file() or path.is_dir()):  # /dev/zero never ends; a FIFO blocks forever
        raise InputError(
            f"{path} is not a regular file (a device, a pipe or a socket); save the checks to "
            "a file and append that"
        )
    mine = find_source(declared, path)
    if mine:
        source = mine[0]
        if source.kind not in CHECK_KINDS:
            raise InputError(
                f"{path} is declared in {SOURCES_FILE} as kind {source.kind!r}, which holds no "
                f"status checks ({', '.join(CHECK_KINDS)} do)"
            )
        return source
    json_like = path.suffix.lower() in JSON_SUFFIXES or path.is_dir()
    chosen = kind or ("x_snapshots" if json_like else "handle_list")
    if path.is_dir() and chosen not in FOLDER_KINDS:
        raise InputError(f"{path} is a folder; only X API lookups (x_snapshots) may be a folder")
    _check_timezone(timezone)
    return Source(
        name=str(path),
        path=path.resolve(),
        kind=chosen,
        columns={},
        defaults={},
        timezone=timezone,
    )


def _check_timezone(timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {timezone!r}; use e.g. Asia/Kolkata or UTC") from None
