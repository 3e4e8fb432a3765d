"""The cleaning pipeline: sources.toml -> readers -> canonical rows -> checks -> Parquet.

``clean`` reads everything before it writes anything: a file that cannot be read at all stops
the run with one sentence and leaves ``data/processed`` as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.clean.combine import Combined, combine, finish_rejects
from analysis.clean.pieces import PieceResult, check_piece, know_orders
from analysis.clean.route import PIECE_ROWS, Plan, choose
from analysis.clean.spill import Spill, SpilledTable
from analysis.clean.validate import validate_tables
from analysis.clean.workers import PiecePool
from analysis.core import paths, progress
from analysis.core.duck import remove_stale_spills, spill_parent
from analysis.core.errors import InputError
from analysis.ingest.canonical import (
    FIGURES,
    Canonical,
    to_canonical,
    unmapped_suggestion,
)
from analysis.ingest.readers import read_raw
from analysis.ingest.readers.tabular import ChunksUntrusted, read_chunks
from analysis.ingest.sources import SOURCES_FILE, Source, load_sources, source_sha256
from analysis.store.atomic import remove_stale_temporaries
from analysis.store.lock import folder_lock
from analysis.store.processed import table_metadata, write_outputs

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
    plan: Plan | None = None  # how it was cleaned (in memory or in pieces, and why)


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


def clean(
    raw_dir: Path, out_dir: Path, *, route: str | None = None, workers: int | None = None
) -> CleanResult:
    """Run the pipeline and write the outputs; returns what was written and the manifest.

    ``route``: ``"memory"`` or ``"pieces"`` forces how big sheets are cleaned; ``None`` lets
    :func:`analysis.clean.route.choose` decide from their size and the memory available.
    ``workers``: how many worker processes check the pieces (default: chosen). In pieces, a big
    ``items``, ``events`` or ``wide_handles`` CSV is checked piece by piece, its items and events
    kept on disk and sorted there (:mod:`analysis.clean.spill`), so the file need not fit in
    memory; the outputs are the same as an in-memory clean's. The result's ``combined.tables``
    then hold :class:`~analysis.clean.spill.SpilledTable` for those two tables: read the
    Parquet files.
    """
    paths.refuse_inside_raw(out_dir, raw_dir, "--out")
    with folder_lock(out_dir, "clean"):  # one writer at a time
        return _clean(raw_dir, out_dir, route, workers)


def _clean(raw_dir: Path, out_dir: Path, route: str | None, workers: int | None) -> CleanResult:
    # What killed runs left: temporaries and spill folders of processes that are gone.
    remove_stale_temporaries(out_dir)
    remove_stale_spills(out_dir)
    remove_stale_spills(spill_parent())
    sources = load_sources(raw_dir)
    plan = choose(sources, route, workers)
    if plan.route == "memory":
        results, combined = process(raw_dir)
        manifest = build_manifest(raw_dir, results, combined)
        written = write_outputs(out_dir, combined.tables, combined.rejects, manifest)
        return CleanResult(combined, manifest, written, plan)
    with Spill(out_dir, plan.memory_limit, plan.threads, plan.sort_in_memory) as spill:
        # The workers start (and import pandas) while this process reads the other sources.
        pool = PiecePool(plan.workers, preload=("analysis.clean.pieces",)) if plan.workers else None
        with pool if pool is not None else contextlib.nullcontext():
            results, combined = _process_in_pieces(sources, plan, spill, pool)
        # The tables name the run, which depends only on the inputs: known before the counts.
        head = run_identity(raw_dir, results)
        tables, duplicates = spill.stage(out_dir, table_metadata(head))
        combined = Combined(
            {**combined.tables, **tables},
            combined.rejects,
            pd.concat([combined.duplicates, duplicates], ignore_index=True).drop_duplicates(),
        )
        manifest = build_manifest(raw_dir, results, combined)
        written = write_outputs(out_dir, combined.tables, combined.rejects, manifest)
    return CleanResult(combined, manifest, written, plan)


def _process_in_pieces(
    sources: list[Source], plan: Plan, spill: Spill, pool: PiecePool | None
) -> tuple[list[SourceResult], Combined]:
    """:func:`process` for a run with big sources: the others are combined in memory as
    usual, the big ones checked piece by piece, and every item and event goes to ``spill``
    (to be sorted and written by :meth:`Spill.stage`; ``combined.tables`` holds ``None`` for
    them until then)."""
    whole = {i: read_source(s) for i, s in enumerate(sources) if i not in plan.pieces}
    for i, result in whole.items():
        for name in ("items", "events"):  # which source each row came from, for ``_pos``
            if name in result.canonical.tables:
                result.canonical.tables[name] = result.canonical.tables[name].assign(_source=i)
    combined = combine([r.canonical for r in whole.values()])
    # Orders as combine knows them, before the schema checks, as in memory (an order the
    # checks then reject leaves its items in place there too).
    known = combined.tables["orders"]["order_id"]
    if pool is not None:
        pool.call_each(know_orders, known)
    combined = validate_tables(combined)
    for name in ("items", "events"):
        frame = combined.tables[name]
        # Events made from status checks have no source of their own: they come after every
        # source's events, and are never compared with them.
        source = frame.get("_source", pd.Series(np.nan, index=frame.index))
        for i in sorted(source.dropna().unique()):
            spill.add(name, frame[(source == i).to_numpy()], int(i))
        from_checks = source.isna().to_numpy()
        if from_checks.any():
            rows = frame[from_checks]
            spill.add(name, rows, len(sources), from_checks=np.ones(len(rows), dtype=bool))
    rejects = [combined.rejects]
    results = []
    for i, source in enumerate(sources):
        if i in whole:
            results.append(whole[i])
            continue
        result, found = _pieces_of(source, i, known, spill, pool)
        results.append(result)
        rejects.append(found)
    tables = {n: (None if n in ("items", "events") else t) for n, t in combined.tables.items()}
    return results, Combined(tables, finish_rejects(rejects), combined.duplicates)


def _pieces_of(
    source: Source, index: int, known: pd.Series, spill: Spill, pool: PiecePool | None
) -> tuple[SourceResult, pd.DataFrame]:
    """Read one big source piece by piece, each piece checked (by a worker when one is free)
    and written to ``spill``; its result (rows read, rows dropped, messages) and its rejects."""
    with ThreadPoolExecutor(max_workers=1) as hashing:  # hashlib lets go of the GIL
        sha256 = hashing.submit(source_sha256, source.path)
        try:
            read, pieces = _check_pieces(source, index, known, spill, pool, PIECE_ROWS)
        except ChunksUntrusted:  # a record spanning lines, seen late: again, read whole
            spill.remove(index)
            read, pieces = _check_pieces(source, index, known, spill, None, None)
        canonical = Canonical(
            # Each piece repeats the file's notes.
            messages=list(dict.fromkeys(m for p in pieces for m in p.messages)),
            dropped=pd.concat([p.dropped for p in pieces], ignore_index=True),
        )
        result = SourceResult(source, sha256.result(), read, canonical)
    return result, pd.concat([p.rejects for p in pieces], ignore_index=True)


def _check_pieces(
    source: Source,
    index: int,
    known: pd.Series,
    spill: Spill,
    pool: PiecePool | None,
    rows: int | None,
) -> tuple[int, list[PieceResult]]:
    """Rows read and each piece's result, in file order. A piece goes to a worker while fewer
    than two per worker wait; otherwise this process checks it, so no processor idles."""
    raws = (
        read_chunks(
            source.path,
            encoding=source.encoding,
            delimiter=source.delimiter,
            rows=rows,
            progress=False,
        )
        if rows is not None
        else iter([read_raw(source)])
    )
    read = 0
    done: dict[int, PieceResult] = {}
    waiting: dict[int, tuple[Future, int]] = {}
    bar = None

    def collect(block: bool) -> None:
        for piece, (future, n) in list(waiting.items()):
            if block or future.done():
                done[piece] = future.result()
                del waiting[piece]
                bar.update(n)

    try:
        for piece, raw in enumerate(raws):
            if bar is None:
                total = raw.file_lines - 1 if raw.file_lines else None
                bar = progress.bar(total, f"reading and checking {source.name}")
            read += raw.rows_read
            task = (source, raw, index, piece, spill.runs)
            if pool is not None and pool.pending < 2 * pool.size:
                waiting[piece] = (pool.submit(check_piece, *task), raw.rows_read)
            else:
                done[piece] = check_piece(*task, known=known)
                bar.update(raw.rows_read)
            collect(block=False)
        collect(block=True)
    except ChunksUntrusted:
        wait([future for future, _ in waiting.values()])  # no run may be written after
        raise
    finally:
        if bar is not None:
            bar.close()
    return read, [done[piece] for piece in sorted(done)]


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
    kept = _rows_by_file(*(t for t in combined.tables.values() if isinstance(t, pd.DataFrame)))
    for table in combined.tables.values():
        if isinstance(table, SpilledTable):  # its rows were counted as it was written
            for file, rows in table.kept.items():
                kept[file] = _union(kept.get(file, rows[:0]), rows)
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


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two arrays of row numbers (np.union1d hashes: seconds on
    millions of rows; sorted, repeats are neighbours)."""
    both = np.sort(np.concatenate([a, b]))
    return both[np.concatenate([[True], both[1:] != both[:-1]])] if len(both) else both


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


def run_identity(raw_dir: Path, results: list[SourceResult]) -> dict:
    """The manifest's first fields: ``run_id``, ``package_version``, ``sources_toml_sha256`` and
    each source's ``path`` and ``sha256`` (what :func:`analysis.store.processed.table_metadata`
    needs), known before any row is counted.

    The run id depends only on the inputs and the code version, so a re-run on the same inputs
    gives the same id, and the same table bytes."""
    toml_sha = hashlib.sha256((raw_dir / SOURCES_FILE).read_bytes()).hexdigest()
    sources = [{"path": r.source.name, "sha256": r.sha256} for r in results]
    fingerprint = json.dumps(
        [__version__, toml_sha, [(s["path"], s["sha256"]) for s in sources]], sort_keys=True
    )
    return {
        "run_id": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        "package_version": __version__,
        "sources_toml_sha256": toml_sha,
        "sources": sources,
    }


def build_manifest(raw_dir: Path, results: list[SourceResult], combined: Combined) -> dict:
    sources = accounting(results, combined)
    head = run_identity(raw_dir, results)
    return {
        "run_id": head["run_id"],
        "package_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sources_toml_sha256": head["sources_toml_sha256"],
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
    columns = {"read": "rows_read", "kept": "rows_kept", "rejected": "rows_rejected"}
    columns |= {"dupes": "rows_duplicate", "dropped": "rows_dropped"}
    # Each count column is as wide as its header, at least 6, or its longest number.
    wide = {
        head: max(len(head), 6, *(len(str(s[key])) for s in manifest["sources"]))
        for head, key in columns.items()
    }
    lines.append(f"  {'source':<{width}}  " + " ".join(f"{h:>{w}}" for h, w in wide.items()))
    for s in manifest["sources"]:
        counts = " ".join(f"{s[key]:>{wide[h]}}" for h, key in columns.items())
        lines.append(f"  {s['path']:<{width}}  {counts}")
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
