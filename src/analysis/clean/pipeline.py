"""The cleaning pipeline: sources.toml -> readers -> canonical rows -> checks -> Parquet.

``clean`` reads everything before it writes anything: a file that cannot be read at all stops
the run with one sentence and leaves ``data/processed`` as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.clean.combine import Combined, combine, finish_rejects, rows_among, unknown_orders
from analysis.clean.spill import Spill, position
from analysis.clean.validate import validate_frame, validate_tables
from analysis.core import paths
from analysis.core.duck import remove_stale_spills, spill_parent
from analysis.core.errors import InputError
from analysis.ingest.canonical import (
    FIGURES,
    Canonical,
    empty_table,
    to_canonical,
    unmapped_suggestion,
)
from analysis.ingest.readers import read_raw
from analysis.ingest.readers.tabular import (
    JSON_SUFFIXES,
    SPREADSHEET_SUFFIXES,
    ChunksUntrusted,
    read_chunks,
)
from analysis.ingest.sources import SOURCES_FILE, Source, load_sources, source_sha256
from analysis.store.atomic import remove_stale_temporaries
from analysis.store.lock import folder_lock
from analysis.store.processed import write_outputs

#: Kinds whose rows name orders (checked against the kinds that declare them).
ORDER_KINDS = ("orders", "lumen", "handle_list")
REFERENCING_KINDS = ("items", "events", "wide_handles", "handle_list", "x_snapshots")


@dataclass
class SourceResult:
    source: Source
    sha256: str
    rows_read: int
    canonical: Canonical
    headers: list[str] = field(default_factory=list)  # the file's headers, as read


@dataclass
class CleanResult:
    combined: Combined
    manifest: dict
    written: list[Path]


def read_source(source: Source) -> SourceResult:
    """Read and canonicalise one declared source (no cross-source checks)."""
    raw = read_raw(source)
    return SourceResult(
        source=source,
        sha256=source_sha256(source.path),
        rows_read=raw.rows_read,
        canonical=to_canonical(source, raw),
        headers=[str(h) for h in raw.frame.columns],
    )


def process(raw_dir: Path) -> tuple[list[SourceResult], Combined]:
    """Everything ``clean`` does except writing: read, canonicalise, combine, validate."""
    sources = load_sources(raw_dir)
    results = [read_source(s) for s in sources]
    combined = combine([r.canonical for r in results])
    combined = validate_tables(combined)
    return results, combined


def clean(raw_dir: Path, out_dir: Path) -> CleanResult:
    """Run the pipeline and write the outputs; returns what was written and the manifest.

    A big ``items``, ``events`` or ``wide_handles`` CSV (:data:`PIECES_FROM_BYTES` or more) is
    cleaned in pieces, its items and events kept on disk by :mod:`analysis.clean.spill`, so the
    file need not fit in memory; the outputs are the same as an in-memory clean's. The
    result's ``combined.tables`` then hold :class:`~analysis.clean.spill.SpilledTable` for those two
    tables, which are gone once ``clean`` returns: read the Parquet files.
    """
    paths.refuse_inside_raw(out_dir, raw_dir, "--out")
    with folder_lock(out_dir, "clean"):  # one writer at a time
        return _clean(raw_dir, out_dir)


def _clean(raw_dir: Path, out_dir: Path) -> CleanResult:
    # What killed runs left: temporaries and spill folders of processes that are gone.
    remove_stale_temporaries(out_dir)
    remove_stale_spills(out_dir)
    remove_stale_spills(spill_parent())
    sources = load_sources(raw_dir)
    if not any(_in_pieces(s) for s in sources):
        results, combined = process(raw_dir)
        manifest = build_manifest(raw_dir, results, combined)
        written = write_outputs(out_dir, combined.tables, combined.rejects, manifest)
        return CleanResult(combined, manifest, written)
    with Spill(spill_in=out_dir) as spill:
        results, combined = _process_in_pieces(sources, spill)
        manifest = build_manifest(raw_dir, results, combined)
        written = write_outputs(out_dir, combined.tables, combined.rejects, manifest)
    return CleanResult(combined, manifest, written)


#: Kinds whose rows stand alone (one row's items and events need no other row), so a file of
#: them can be cleaned in pieces.
PIECE_KINDS = ("items", "events", "wide_handles")
#: A CSV source of those kinds at least this big is cleaned in pieces ...
PIECES_FROM_BYTES = 64 * 1024 * 1024
#: ... of this many records (about 10 MB of a handle sheet).
PIECE_ROWS = 100_000


def _in_pieces(source: Source) -> bool:
    suffix = source.path.suffix.lower()
    return (
        source.kind in PIECE_KINDS
        and suffix not in SPREADSHEET_SUFFIXES
        and suffix not in JSON_SUFFIXES
        and source.path.is_file()
        and source.path.stat().st_size >= PIECES_FROM_BYTES
    )


def _process_in_pieces(sources: list[Source], spill: Spill) -> tuple[list[SourceResult], Combined]:
    """:func:`process` for a run with big sources: the others are combined in memory as
    usual, the big ones piece by piece, and every item and event goes through ``spill``."""
    whole = {i: read_source(s) for i, s in enumerate(sources) if not _in_pieces(s)}
    for i, result in whole.items():
        for name in ("items", "events"):  # which source each row came from, for ``_pos``
            if name in result.canonical.tables:
                result.canonical.tables[name] = result.canonical.tables[name].assign(_source=i)
    combined = combine([r.canonical for r in whole.values()])
    # Orders as combine knows them, before the schema checks, as in memory (an order the
    # checks then reject leaves its items in place there too).
    known = combined.tables["orders"]["order_id"]
    combined = validate_tables(combined)
    for name in ("items", "events"):
        frame = combined.tables[name]
        # Events made from status checks have no source of their own: they come after every
        # source's events, and are never compared with them.
        source = frame.get("_source", pd.Series(np.nan, index=frame.index))
        from_checks = source.isna().to_numpy()
        index = source.fillna(len(sources)).to_numpy(dtype="int64", copy=True)
        pos = (index << 40) + np.arange(len(frame), dtype="int64")
        spill.add(name, frame, pos, from_checks if name == "events" else None)
    rejects = [combined.rejects]
    results = []
    for i, source in enumerate(sources):
        if i in whole:
            results.append(whole[i])
            continue
        result, found = _pieces_of(source, i, known, spill)
        results.append(result)
        rejects.append(found)
    tables, duplicates = spill.finish()
    final = {**combined.tables, **tables}
    return results, Combined(
        final,
        finish_rejects(rejects),
        pd.concat([combined.duplicates, duplicates], ignore_index=True).drop_duplicates(),
    )


def _pieces_of(
    source: Source, index: int, known: pd.Series, spill: Spill
) -> tuple[SourceResult, pd.DataFrame]:
    """Read, canonicalise and check one big source piece by piece into ``spill``; its
    result (rows read, rows dropped, messages) and its rejects."""
    try:
        return _add_pieces(source, index, known, spill, PIECE_ROWS)
    except ChunksUntrusted:  # a record spanning lines, seen late: again, read whole
        spill.remove(source.name)
        return _add_pieces(source, index, known, spill, None)


def _add_pieces(
    source: Source, index: int, known: pd.Series, spill: Spill, rows: int | None
) -> tuple[SourceResult, pd.DataFrame]:
    raws = (
        read_chunks(source.path, encoding=source.encoding, delimiter=source.delimiter, rows=rows)
        if rows is not None
        else iter([read_raw(source)])
    )
    read, starts = 0, {"items": 0, "events": 0}
    rejects, dropped, messages = [], [], []
    # DuckDB stores one piece (releasing the GIL) while the next is read and canonicalised.
    with ThreadPoolExecutor(max_workers=1) as storing:
        stored = None
        for raw in raws:
            read += raw.rows_read
            piece = to_canonical(source, raw)
            tables, found = settle_piece(piece, known)
            if stored is not None:
                stored.result()
            adds = []
            for name, frame in tables.items():
                adds.append((name, frame, position(index, starts[name], len(frame))))
                starts[name] += len(frame)
            stored = storing.submit(lambda adds=adds: [spill.add(*a) for a in adds])
            rejects.append(found)
            dropped.append(piece.dropped)
            messages.extend(piece.messages)
        if stored is not None:
            stored.result()
    canonical = Canonical(
        messages=list(dict.fromkeys(messages)),  # each piece repeats the file's notes
        dropped=pd.concat(dropped, ignore_index=True),
    )
    result = SourceResult(source, source_sha256(source.path), read, canonical)
    return result, pd.concat(rejects, ignore_index=True)


def settle_piece(
    piece: Canonical, known: pd.Series
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A piece's items and events as :func:`combine` and :func:`validate_tables` would leave
    them, except for duplicates (the spill sets those aside): rows naming an unknown order and
    rows failing a schema are rejected, in every table. Also returns the piece's rejects."""
    tables = {name: piece.tables.get(name, empty_table(name)) for name in ("items", "events")}
    rejects = [piece.rejects]
    for name, what in (("items", "item"), ("events", "event")):
        rejects.append(unknown_orders(tables[name], known, what)[1])
    tables = _without_rejected_rows(tables, rejects)
    for name in tables:
        tables[name], found = validate_frame(name, tables[name])
        rejects.append(found)
    tables = _without_rejected_rows(tables, rejects)
    return tables, pd.concat(rejects, ignore_index=True)


def _without_rejected_rows(
    tables: dict[str, pd.DataFrame], rejects: list[pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """A row rejected in one table leaves every table (item-level rejects leave it in)."""
    bad = pd.concat(rejects, ignore_index=True)
    bad = bad[bad["level"].fillna("row") == "row"]
    return {n: f[~rows_among(f, bad)].reset_index(drop=True) for n, f in tables.items()}


def accounting(results: list[SourceResult], combined: Combined) -> list[dict]:
    """Per source: rows read, kept, rejected, set aside as duplicates, and dropped on purpose
    (a ``Total`` row; the reason is in ``messages``); plus ``items_rejected``, the items left
    out of rows that were kept (a bad URL in a Lumen notice).

    Every row read is in exactly one of the four row buckets; if not, that is a bug in this
    package and the run stops rather than publish numbers with rows silently missing.
    """
    row_level = (combined.rejects["level"] == "row").to_numpy()
    rejected = _rows_by_file(combined.rejects[row_level])
    item_rejects = combined.rejects[~row_level].groupby("source_file").size()
    kept = _rows_by_file(
        *(t if isinstance(t, pd.DataFrame) else t.provenance() for t in combined.tables.values())
    )
    dupes = _rows_by_file(combined.duplicates)
    figures = figures_read(combined.tables.get("transparency"))
    none = np.zeros(0, dtype="int64")
    out = []
    for result in results:
        name = result.source.name
        bad = rejected.get(name, none)
        ok = np.setdiff1d(kept.get(name, none), bad, assume_unique=True)
        dup = np.setdiff1d(np.setdiff1d(dupes.get(name, none), bad, True), ok, True)
        dropped = np.unique(result.canonical.dropped["source_row"].to_numpy(dtype="int64"))
        overlap = np.isin(dropped, np.concatenate([ok, bad, dup])).any()
        if len(ok) + len(bad) + len(dup) + len(dropped) != result.rows_read or overlap:
            raise RuntimeError(
                f"internal accounting error for {name}: read {result.rows_read} rows but "
                f"kept {len(ok)} + rejected {len(bad)} + duplicates {len(dup)} "
                f"+ dropped {len(dropped)}"
            )
        entry = {
            "path": name,
            "kind": result.source.kind,
            "sha256": result.sha256,
            "rows_read": result.rows_read,
            "rows_kept": len(ok),
            "rows_rejected": len(bad),
            "rows_duplicate": len(dup),
            "rows_dropped": len(dropped),
            "items_rejected": int(item_rejects.get(name, 0)),
            "messages": result.canonical.messages,
        }
        if result.source.kind.startswith("transparency"):
            entry["figures_read"] = figures.get(name, dict.fromkeys(FIGURES, 0))
        out.append(entry)
    return out


def figures_read(transparency: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    """Per source file: how many cells of each figure column (counts and ``compliance_rate``)
    the transparency table holds from it, so a source whose figures were not read shows as
    zeros in the manifest."""
    if transparency is None or not len(transparency):
        return {}
    given = transparency[list(FIGURES)].notna().astype("int64")
    sums = given.groupby(transparency["source_file"].astype("str").to_numpy()).sum()
    return {str(f): {c: int(n) for c, n in row.items()} for f, row in sums.iterrows()}


def _rows_by_file(*frames: pd.DataFrame) -> dict[str, np.ndarray]:
    """The distinct ``source_row`` numbers (sorted int64) per ``source_file`` over ``frames``."""
    parts = [f[["source_file", "source_row"]].dropna() for f in frames if len(f)]
    if not parts:
        return {}
    both = pd.concat(parts, ignore_index=True)
    codes, names = pd.factorize(both["source_file"].astype("str"))
    rows = both["source_row"].to_numpy(dtype="int64")
    if len(rows) and (rows.min() < 0 or rows.max() >= 1 << 32):
        raise RuntimeError("source_row outside 0 .. 2**32: not a row number")
    keys = np.sort((codes.astype("int64") << 32) | rows)  # by file, then row
    # np.unique would hash first (seconds on millions of rows); sorted, repeats are neighbours
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    files, rows = keys >> 32, keys & 0xFFFFFFFF
    bounds = np.flatnonzero(np.diff(files)) + 1
    return {
        str(names[part[0]]): numbers
        for part, numbers in zip(np.split(files, bounds), np.split(rows, bounds), strict=True)
    }


def build_manifest(raw_dir: Path, results: list[SourceResult], combined: Combined) -> dict:
    sources = accounting(results, combined)
    toml_sha = hashlib.sha256((raw_dir / SOURCES_FILE).read_bytes()).hexdigest()
    # The run id depends only on the inputs and the code version, so a re-run on the same inputs
    # gives the same id, and the same table bytes.
    fingerprint = json.dumps(
        [__version__, toml_sha, [(s["path"], s["sha256"]) for s in sources]], sort_keys=True
    )
    return {
        "run_id": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        "package_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sources_toml_sha256": toml_sha,
        "sources": sources,
        "tables": {name: len(frame) for name, frame in combined.tables.items()},
        "rejects": len(combined.rejects),
        "rows_rejected": sum(s["rows_rejected"] for s in sources),
        "rows_dropped": sum(s["rows_dropped"] for s in sources),
        "items_rejected": sum(s["items_rejected"] for s in sources),
    }


def summary(manifest: dict, out_dir: Path) -> str:
    """The one-screen summary ``takedowns clean`` prints."""
    lines = [f"Cleaned {len(manifest['sources'])} sources -> {out_dir}"]
    width = max(len(s["path"]) for s in manifest["sources"])
    lines.append(
        f"  {'source':<{width}}  {'read':>6} {'kept':>6} {'rejected':>8} {'dupes':>6} "
        f"{'dropped':>7}"
    )
    for s in manifest["sources"]:
        lines.append(
            f"  {s['path']:<{width}}  {s['rows_read']:>6} {s['rows_kept']:>6} "
            f"{s['rows_rejected']:>8} {s['rows_duplicate']:>6} {s['rows_dropped']:>7}"
        )
        if "figures_read" in s:
            read = ", ".join(f"{c} {n}" for c, n in s["figures_read"].items() if n)
            lines.append(f"  {'':<{width}}  figures read: {read or 'none'}")
        if s["items_rejected"]:
            lines.append(
                f"  {'':<{width}}  note: {s['items_rejected']} items rejected in kept rows"
            )
        lines.extend(f"  {'':<{width}}  note: {m}" for m in s["messages"])
    tables = ", ".join(f"{n} {c}" for n, c in manifest["tables"].items())
    lines.append(f"Tables: {tables}")
    if manifest["rows_rejected"]:
        lines.append(
            f"{manifest['rows_rejected']} rows rejected ({manifest['rejects']} problems): "
            f"see {out_dir / 'rejects.csv'}"
        )
    else:
        lines.append("No rows rejected.")
    if manifest["items_rejected"]:
        lines.append(
            f"{_plural(manifest['items_rejected'], 'item')} left out of rows that were kept: "
            f"see {out_dir / 'rejects.csv'} (level = item)"
        )
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe_rejects(rejects: pd.DataFrame, limit: int = 20) -> list[str]:
    """Rejects as sentences: file, row, column, value and reason."""
    lines = []
    for r in rejects.head(limit).itertuples(index=False):
        where = f"{r.source_file}"
        if pd.notna(r.source_row):
            where += f", row {r.source_row}"
        if pd.notna(r.column):
            where += f", column {r.column!r}"
        value = "" if pd.isna(r.value) else f" (value {r.value!r})"
        lines.append(f"{where}{value}: {r.reason}")
    if len(rejects) > limit:
        lines.append(f"... and {len(rejects) - limit} more")
    return lines


@dataclass
class FileReport:
    headline: str
    notes: list[str]
    rejects: pd.DataFrame
    suggestion: str = ""  # a [source.columns] block, when some headers are not mapped


def validate_file(path: Path, raw_dir: Path | None = None) -> FileReport:
    """Check one declared file: its own rows, then its references to orders in other sources.

    Nothing is written. Other sources are read only to resolve order ids; if one of them cannot
    be read, the reference check is skipped and the report says why.
    """
    try:
        path = path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop, 3.13 OSError
        raise InputError(
            f"{path}: {path.name!r} is a symbolic link that loops back on itself; "
            "point it at the file"
        ) from None
    raw_dir = (raw_dir or path.parent).resolve()
    sources = load_sources(raw_dir)
    mine = [s for s in sources if s.path == path]
    if not mine:
        declared = ", ".join(s.name for s in sources)
        raise InputError(f"{path}: not declared in {raw_dir / SOURCES_FILE} (declared: {declared})")
    results = [read_source(s) for s in mine]
    notes = [m for r in results for m in r.canonical.messages]
    parts = [r.canonical for r in results]
    if any(s.kind in REFERENCING_KINDS for s in mine):
        try:
            parts += [
                read_source(s).canonical for s in sources if s.kind in ORDER_KINDS and s not in mine
            ]
        except InputError as err:
            notes.append(f"order references not checked: {err}")
    combined = validate_tables(combine(parts))
    names = {s.name for s in mine}
    rejects = combined.rejects[combined.rejects["source_file"].isin(names)]
    counts = accounting(results, combined)
    read, kept, bad, dup, dropped, items = (
        sum(c[k] for c in counts)
        for k in (
            "rows_read",
            "rows_kept",
            "rows_rejected",
            "rows_duplicate",
            "rows_dropped",
            "items_rejected",
        )
    )
    kinds = "/".join(sorted({s.kind for s in mine}))
    headline = (
        f"{path.name} ({kinds}): {read} rows read, {bad} rejected, {kept} kept, "
        f"{dup} duplicates, {dropped} dropped"
    )
    if items:
        headline += f"; {_plural(items, 'item')} rejected inside kept rows"
    suggestion = "\n".join(
        filter(None, (unmapped_suggestion(r.source, r.headers) for r in results))
    )
    return FileReport(headline, notes, rejects.reset_index(drop=True), suggestion)


__all__ = [
    "InputError",
    "clean",
    "process",
    "read_source",
    "summary",
    "validate_file",
]
