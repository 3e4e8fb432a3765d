"""The items and events of a sheet cleaned in pieces: kept on disk as the pieces are checked,
then sorted by DuckDB and written to Parquet with the repeated keys set aside on the way.

``takedowns clean`` reads a big ``items``, ``events`` or ``wide_handles`` CSV in pieces
(:mod:`analysis.clean.pieces`). Each piece's checked items and events are written here as a
*run*, a Parquet file of their own (:func:`write_run`, called by whichever process checked the
piece), with three columns more: ``_pos`` (the source's place in ``sources.toml`` and the piece's
place in the source) and ``_seq`` (the row's place in the piece's table), which together give
every row's place in the order the in-memory clean sees rows in, and ``_from_checks`` (events
made from status checks). The other sources' final items and events are written as runs too.

:meth:`Spill.stage` then does what the in-memory clean does to these two tables with pandas
(:func:`analysis.clean.combine.combine`), to the same rules:

* the kept rows are sorted as :func:`analysis.clean.combine.sort_table` sorts them: DuckDB sorts
  all the runs of a table in one ``ORDER BY``, within its memory limit, spilling to disk beyond;
* of the rows with the same key (items: ``order_id, item_id``; events:
  :data:`analysis.clean.combine.EVENT_KEY`), the first in the order of the sources in
  ``sources.toml``, then of the rows within a source, is kept and the others are set aside as
  duplicates. Events made from status checks are never set aside (the in-memory clean does not
  compare them either). Both keys start with the sort keys (events: ``at, order_id, item_id``),
  so the copies of a row arrive next to each other in the sorted stream and are found as it is
  written (:class:`_FirstCopies`): no second pass over the data.

The sorted rows stream into the output folder's temporary Parquet files, which
:func:`analysis.store.processed.write_outputs` moves into place with the rest of the run.

Everything lives in one folder named ``.takedowns-duckdb-<pid>-...``
(:func:`analysis.core.duck.spill_parent`: inside the output folder, or
``$TAKEDOWNS_SPILL_DIR``), removed when the spill closes, whatever happens; a killed run's is
removed by the next run.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.clean.combine import EVENT_KEY, SORT_KEYS
from analysis.core import interrupts, progress, schema
from analysis.core.duck import SPILL_PREFIX, duckdb_connection, spill_parent
from analysis.core.temporaries import temporary_prefix
from analysis.store.processed import StagedTable, stage_batches

#: Rows per Parquet row group of the two tables written from the sorted stream (the in-memory
#: clean writes pyarrow's default, 1Mi rows; smaller groups keep the writer's buffers small,
#: and readers see the same rows).
ROW_GROUP = 128 * 1024
#: Bits of ``_pos`` for a piece's place within its source; the source's place is above them.
SOURCE_SHIFT = 40
#: The tables kept here, and the columns whose equal values make a row a copy of another.
KEYS = {"items": ["order_id", "item_id"], "events": EVENT_KEY}
#: The columns a run has beyond the table's own.
RUN_FIELDS = [
    pa.field("_pos", pa.int64(), nullable=False),
    pa.field("_seq", pa.int64(), nullable=False),
    pa.field("_from_checks", pa.bool_(), nullable=False),
]


def run_schema(name: str) -> pa.Schema:
    """The schema of a run of table ``name``: the table's, then :data:`RUN_FIELDS`."""
    return pa.schema([*schema.TABLES[name], *RUN_FIELDS])


def write_run(
    folder: Path,
    name: str,
    frame: pd.DataFrame,
    source: int,
    piece: int,
    from_checks: np.ndarray | None = None,
) -> int:
    """Write canonical rows of table ``name`` as the run of piece ``piece`` of source number
    ``source`` (its place in ``sources.toml``) into ``folder``; returns how many rows.

    Rows keep their order as ``_seq``. ``from_checks``: which rows are events made from status
    checks (default none). Nothing is written for no rows."""
    if frame.empty:
        return 0
    if not 0 <= piece < 1 << SOURCE_SHIFT:
        raise ValueError(f"piece {piece} out of range")
    target = schema.TABLES[name]
    table = pa.Table.from_pandas(frame[target.names], schema=target, preserve_index=False)
    n = len(frame)
    flags = np.zeros(n, dtype=bool) if from_checks is None else np.asarray(from_checks, bool)
    extra = [
        pa.array(np.full(n, (source << SOURCE_SHIFT) + piece, dtype=np.int64)),
        pa.array(np.arange(n, dtype=np.int64)),
        pa.array(flags),
    ]
    for field_, values in zip(RUN_FIELDS, extra, strict=True):
        table = table.append_column(field_, values)
    # Read back once, by DuckDB: cheap to write matters more than small (no dictionaries, no
    # statistics; lz4 halves the disk for a tenth of the time).
    pq.write_table(
        table,
        run_path(folder, name, source, piece),
        compression="lz4",
        use_dictionary=False,
        write_statistics=False,
    )
    return n


def run_path(folder: Path, name: str, source: int, piece: int) -> Path:
    return Path(folder) / f"{name}-{source:05d}-{piece:09d}.parquet"


@dataclass
class SpilledTable(StagedTable):
    """One of the two tables, sorted and written (under a temporary name) by :meth:`Spill.stage`;
    ``kept``: the sorted ``source_row`` numbers of its rows, per ``source_file`` (for the
    manifest's accounting)."""

    kept: dict[str, np.ndarray] = field(default_factory=dict)


class Spill:
    """Runs of items and events, written piece by piece; :meth:`stage` sorts them, keeps the
    first of each key and writes the two tables."""

    def __init__(
        self,
        spill_in: Path | None = None,
        memory_limit: str | None = None,
        threads: int | None = None,
        sort_in_memory: int = 0,
    ):
        """``spill_in``: where the spill folder goes (:func:`analysis.core.duck.spill_parent`;
        ``takedowns clean`` names its output folder). ``memory_limit`` and ``threads``: DuckDB's,
        for the sort. ``sort_in_memory``: runs up to this many bytes (as Arrow holds them) are
        sorted by Arrow in memory instead, a third of DuckDB's work for a sheet of a few million
        rows (:mod:`analysis.clean.route` chooses all three from the memory available)."""
        self.memory_limit, self.threads = memory_limit, threads
        self.sort_in_memory = sort_in_memory
        self.folder = Path(
            tempfile.mkdtemp(prefix=temporary_prefix(SPILL_PREFIX), dir=spill_parent(spill_in))
        )
        self.runs = self.folder / "runs"
        self.runs.mkdir()
        self._staged: list[Path] = []

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spill folder, and the tables staged but not moved into place."""
        for path in self._staged:
            path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(
        self,
        name: str,
        frame: pd.DataFrame,
        source: int,
        piece: int = 0,
        from_checks: np.ndarray | None = None,
    ) -> int:
        """:func:`write_run` into this spill's folder."""
        return write_run(self.runs, name, frame, source, piece, from_checks)

    def remove(self, source: int) -> None:
        """Forget every run of source number ``source`` (before :meth:`stage`)."""
        for path in self.runs.glob(f"*-{source:05d}-*.parquet"):
            path.unlink()

    def stage(
        self, out_dir: Path, metadata: dict[str, str]
    ) -> tuple[dict[str, SpilledTable], pd.DataFrame]:
        """Sort each table's runs, keep the first of each key and write the table under a
        temporary name in ``out_dir`` (table ``metadata`` as
        :func:`analysis.store.processed.table_metadata` gives it); returns the tables and the
        ``source_file, source_row`` of every row set aside as a duplicate.

        Items and events are sorted and written side by side (two DuckDB cursors and two
        writer threads), with a bar for the sorting and one for the writing."""
        files = {name: sorted(self.runs.glob(f"{name}-*.parquet")) for name in KEYS}
        rows = {name: _rows_in(paths) for name, paths in files.items()}
        in_memory = sum(_bytes_in(paths) for paths in files.values()) <= self.sort_in_memory
        tables: dict[str, SpilledTable] = {}
        duplicates: list[pd.DataFrame] = []
        with (
            (
                contextlib.nullcontext(None)
                if in_memory
                else duckdb_connection(
                    self.memory_limit, threads=self.threads, spill_in=self.folder
                )
            ) as con,
            contextlib.ExitStack() as cursors_open,
            _Bars(sum(rows.values())) as bars,
        ):
            # A cursor per table: the two sorts run side by side on DuckDB's threads.
            cursors = {
                name: None if con is None else cursors_open.enter_context(con.cursor())
                for name in KEYS
            }
            pool = ThreadPoolExecutor(max_workers=2)
            futures = {
                name: pool.submit(
                    self._stage_one, cursors[name], name, files[name], out_dir, metadata, bars
                )
                for name in sorted(KEYS, key=lambda n: -rows[n])  # the bigger sort first
            }
            try:
                pool.shutdown(wait=True)
            except BaseException:
                bars.stop.set()  # the writers stop at their next batch
                with interrupts.deferred():  # a second Ctrl-C must not cut the clean-up short
                    for cursor in cursors.values():
                        if cursor is not None:
                            cursor.interrupt()  # a sort stops where it is
                    pool.shutdown(wait=True, cancel_futures=True)
                raise
            for name in KEYS:  # every table's error is seen before the first is raised
                futures[name].exception()
            for name in KEYS:
                table, found = futures[name].result()
                tables[name] = table
                duplicates.append(found)
        return tables, pd.concat(duplicates, ignore_index=True)

    def _stage_one(
        self,
        cursor,
        name: str,
        files: list[Path],
        out_dir: Path,
        metadata: dict[str, str],
        bars: _Bars,
    ) -> tuple[SpilledTable, pd.DataFrame]:
        first = _FirstCopies(name)
        batches = _sorted_batches(cursor, name, files, bars)
        rows = _Counted(first.batches(batches, bars))
        path = stage_batches(name, rows, out_dir, metadata)
        self._staged.append(path)
        return SpilledTable(path, rows.rows, first.kept.rows_by_file()), first.duplicates()


def _rows_in(files: list[Path]) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def _bytes_in(files: list[Path]) -> int:
    """The runs' size as Arrow holds them in memory (about their Parquet size uncompressed)."""
    total = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total


def _sort_keys(name: str) -> list[str]:
    """The final order: :data:`analysis.clean.combine.SORT_KEYS`, then file, row and place."""
    return [*SORT_KEYS[name], "source_file", "source_row", "_pos", "_seq"]


def _sorted_batches(cursor, name: str, files: list[Path], bars: _Bars) -> Iterator[pa.Table]:
    """The runs' rows in the final order (:func:`_sort_keys`), as Arrow tables of about
    :data:`ROW_GROUP` rows: sorted by DuckDB through ``cursor``, or by Arrow in memory when
    ``cursor`` is ``None``."""
    target = run_schema(name)
    if not files:
        return
    keys = _sort_keys(name)
    if cursor is None:
        yield from _sorted_in_memory(files, keys, target, bars)
        return
    columns = ", ".join(f'"{c}"' for c in target.names)
    order = ", ".join(f'"{c}" ASC NULLS LAST' for c in keys)
    # DuckDB reports how far a query has got only with its progress bar on (not printed).
    cursor.execute("SET enable_progress_bar = true")
    cursor.execute("SET enable_progress_bar_print = false")
    watch = bars.watch(name, cursor)
    try:
        reader = cursor.sql(
            f"SELECT {columns} FROM read_parquet($files) ORDER BY {order}",
            params={"files": [str(f) for f in files]},
        ).to_arrow_reader(ROW_GROUP)
    finally:
        watch.set()
    for batch in reader:
        yield pa.Table.from_batches([batch]).cast(target)


def _sorted_in_memory(
    files: list[Path], keys: list[str], target: pa.Schema, bars: _Bars
) -> Iterator[pa.Table]:
    """:func:`_sorted_batches` by Arrow: the runs read whole, one stable sort of their keys,
    then the rows taken :data:`ROW_GROUP` at a time (the sort order is the same as DuckDB's:
    byte order of the text, missing values last)."""
    # One table is read and sorted at a time (the other may be written meanwhile).
    with bars.one_at_a_time:
        runs = [pq.read_table(f, schema=target) for f in files]
        bars.sorted_part(0.5)
        sort_keys = [(k, "ascending", "at_end") for k in keys]
        order = pc.sort_indices(pa.concat_tables([r.select(keys) for r in runs]), sort_keys)
        bars.sorted_part(1.0)
    starts = np.cumsum([0] + [r.num_rows for r in runs])
    for start in range(0, len(order), ROW_GROUP):
        yield _take(runs, starts, order.slice(start, ROW_GROUP).to_numpy().astype(np.int64))


def _take(runs: list[pa.Table], starts: np.ndarray, rows: np.ndarray) -> pa.Table:
    """Rows ``rows`` (positions in the runs put end to end) in that order. Taken run by run:
    Arrow's take from a table in many pieces costs four times as much, and joining the pieces
    first would hold every run twice."""
    run = np.searchsorted(starts, rows, side="right") - 1
    by_run = np.argsort(run, kind="stable")
    ordered = run[by_run]
    parts = []
    for r in np.unique(run):
        mine = by_run[np.searchsorted(ordered, r) : np.searchsorted(ordered, r, "right")]
        parts.append(runs[r].take(pa.array(rows[mine] - starts[r])))
    grouped = pa.concat_tables(parts).combine_chunks()  # one batch's rows, grouped by run
    back = np.empty(len(rows), dtype=np.int64)
    back[by_run] = np.arange(len(rows))
    return grouped.take(pa.array(back))


class _FirstCopies:
    """Passes on the rows of a sorted stream except later copies of a key, which it notes.

    Rows are compared in *groups*: runs of rows equal on the sort keys the table's key starts
    with (items: ``order_id, item_id``, the whole key; events: ``at, order_id, item_id``). A
    group of one row is kept as it is (nearly all of them); in a bigger group, rows equal on the
    rest of the key are copies, and the one with the smallest ``(_pos, _seq)`` is kept. A group
    can go on into the next batch, so the last group of each batch waits for the next.
    """

    def __init__(self, name: str):
        self.group = SORT_KEYS[name]
        if not set(self.group) <= set(KEYS[name]):  # copies would not arrive side by side
            raise ValueError(f"{name}: a sort key is not part of the duplicate key")
        self.rest = [c for c in KEYS[name] if c not in self.group]
        self.kept = _RowSet()
        self._set_aside: list[pd.DataFrame] = []

    def batches(self, tables: Iterator[pa.Table], bars: _Bars) -> Iterator[pa.RecordBatch]:
        """The kept rows as record batches of the table's own columns, :data:`ROW_GROUP` at a
        time."""
        held: pa.Table | None = None
        out = _Regroup()
        for table in tables:
            bars.wrote(table.num_rows)
            if held is not None and held.num_rows:
                table = pa.concat_tables([held, table])
            done, held = self._split_last_group(table)
            yield from out.add(self._first_copies(done))
        if held is not None and held.num_rows:
            yield from out.add(self._first_copies(held))
        yield from out.end()

    def duplicates(self) -> pd.DataFrame:
        if not self._set_aside:
            return pd.DataFrame(
                {"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64")}
            )
        return pd.concat(self._set_aside, ignore_index=True)

    def _split_last_group(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        same = _same_as_previous(table, self.group)
        starts = np.flatnonzero(~same)
        last = int(starts[-1]) if len(starts) else 0
        return table.slice(0, last), table.slice(last)

    def _first_copies(self, table: pa.Table) -> pa.Table:
        n = table.num_rows
        if not n:
            return table.select(self._columns(table))
        same = _same_as_previous(table, self.group)
        grouped = same.copy()
        grouped[:-1] |= same[1:]  # in a group of two or more rows
        keep = np.ones(n, dtype=bool)
        if grouped.any():
            at = np.flatnonzero(grouped)
            part = table.take(pa.array(at)).select([*self.rest, "_pos", "_seq", "_from_checks"])
            rows = part.to_pandas()
            rows["_group"] = np.cumsum(~same)[at]
            rows["_at"] = at
            rows = rows[~rows["_from_checks"].to_numpy(dtype=bool)]
            rows = rows.sort_values(["_pos", "_seq"], kind="stable")
            # pandas' duplicated takes missing values as equal, as the in-memory clean does.
            later = rows["_at"].to_numpy()[rows.duplicated(["_group", *self.rest]).to_numpy()]
            keep[later] = False
            if len(later):
                aside = table.take(pa.array(np.sort(later))).select(["source_file", "source_row"])
                self._set_aside.append(
                    pd.DataFrame(
                        {
                            "source_file": pd.array(aside["source_file"], dtype="str"),
                            "source_row": aside["source_row"].to_numpy(),
                        }
                    )
                )
        kept = table if keep.all() else table.filter(pa.array(keep))
        self.kept.add(kept)
        return kept.select(self._columns(table))

    @staticmethod
    def _columns(table: pa.Table) -> list[str]:
        return [c for c in table.column_names if not c.startswith("_")]


def _same_as_previous(table: pa.Table, columns: list[str]) -> np.ndarray:
    """``same[i]``: row ``i`` equals row ``i - 1`` on every one of ``columns`` (missing values
    equal each other, as in ``GROUP BY``); ``same[0]`` is false."""
    n = table.num_rows
    same = np.ones(n, dtype=bool)
    if n:
        same[0] = False
    if n < 2:
        return same
    for name in columns:
        column = table.column(name)
        this, before = column.slice(1), column.slice(0, n - 1)
        equal = pc.fill_null(pc.equal(this, before), False)
        both_missing = pc.and_(pc.is_null(this), pc.is_null(before))
        same[1:] &= np.asarray(pc.or_(equal, both_missing), dtype=bool)
    return same


class _RowSet:
    """The ``source_row`` numbers seen, per ``source_file``: one flag per row number, so a sheet
    of 20 million rows costs 20 MB, not a list of numbers per table row."""

    def __init__(self):
        self._flags: dict[str, np.ndarray] = {}

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        files = pc.dictionary_encode(table.column("source_file")).combine_chunks()
        codes = np.asarray(files.indices)
        rows = np.asarray(table.column("source_row"), dtype=np.int64)
        for code, file in enumerate(files.dictionary.to_pylist()):
            mine = rows[codes == code] if len(files.dictionary) > 1 else rows
            if len(mine) and mine.min() < 0:
                raise RuntimeError(f"{file}: negative source_row")
            flags = self._flags.get(file, np.zeros(0, dtype=bool))
            top = int(mine.max()) + 1 if len(mine) else 0
            if top > len(flags):
                flags = np.concatenate(
                    [flags, np.zeros(max(top, 2 * len(flags)) - len(flags), bool)]
                )
            flags[mine] = True
            self._flags[file] = flags

    def rows_by_file(self) -> dict[str, np.ndarray]:
        return {file: np.flatnonzero(flags) for file, flags in self._flags.items()}


class _Regroup:
    """Tables of any length in, record batches of :data:`ROW_GROUP` rows out (the last may be
    shorter): the writer makes one row group per batch."""

    def __init__(self):
        self._pending: list[pa.Table] = []
        self._held = 0

    def add(self, table: pa.Table) -> Iterator[pa.RecordBatch]:
        if table.num_rows:
            self._pending.append(table)
            self._held += table.num_rows
        while self._held >= ROW_GROUP:
            both = pa.concat_tables(self._pending)
            yield from both.slice(0, ROW_GROUP).combine_chunks().to_batches(ROW_GROUP)
            rest = both.slice(ROW_GROUP)
            self._pending, self._held = [rest], rest.num_rows

    def end(self) -> Iterator[pa.RecordBatch]:
        if self._held:
            yield from pa.concat_tables(self._pending).combine_chunks().to_batches(ROW_GROUP)
        self._pending, self._held = [], 0


class _Counted:
    """An iterator of record batches that counts the rows it passed on."""

    def __init__(self, batches: Iterator[pa.RecordBatch]):
        self._batches, self.rows = batches, 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches:
            self.rows += batch.num_rows
            yield batch


class _Stopped(Exception):
    """A writer thread stopped because the run was interrupted."""


class _Bars:
    """The sorting bar (DuckDB's own estimate of how far each query has got, averaged) and the
    writing bar (rows), shared by the two tables' threads."""

    def __init__(self, rows: int):
        self.rows = rows
        self.stop = threading.Event()
        self.one_at_a_time = threading.Lock()  # for the in-memory sorts
        self._lock = threading.Lock()
        self._progress: dict[str, float] = {}
        self._sorting = progress.bar(
            100, "sorting and setting aside repeats", unit="%", scale=False
        )
        self._writing = None

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._sorting.close()
        if self._writing is not None:
            self._writing.close()

    def watch(self, name: str, cursor) -> threading.Event:
        """Poll ``cursor``'s query progress into the sorting bar until the returned event is
        set (the sorted rows start to come)."""
        done = threading.Event()
        with self._lock:
            self._progress[name] = 0.0

        def poll() -> None:
            while not done.wait(0.5) and not self.stop.is_set():
                with contextlib.suppress(Exception):  # no estimate is not an error
                    self._sorted(name, float(cursor.query_progress()))
            self._sorted(name, 100.0)

        threading.Thread(target=poll, daemon=True).start()
        return done

    def sorted_part(self, share: float) -> None:
        """An in-memory sort of one table got ``share`` of the way."""
        with self._lock:
            name = f"memory-{threading.get_ident()}"
            self._progress.setdefault(name, 0.0)
        self._sorted(name, 100.0 * share)

    def _sorted(self, name: str, percent: float) -> None:
        with self._lock:
            if percent < 0:
                return
            self._progress[name] = max(self._progress[name], min(percent, 100.0))
            shown = sum(self._progress.values()) / len(self._progress)
            self._sorting.update(max(0.0, shown - self._sorting.n))

    def wrote(self, rows: int) -> None:
        if self.stop.is_set():
            raise _Stopped("interrupted")
        with self._lock:
            if self._writing is None:
                self._sorting.close()
                self._writing = progress.bar(self.rows, "writing items and events")
            self._writing.update(rows)
