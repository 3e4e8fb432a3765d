"""The items and events of a sheet too big for memory: kept on disk by DuckDB, deduplicated and
sorted there, and streamed into Parquet.

``takedowns clean`` reads a big ``items``, ``events`` or ``wide_handles`` CSV in pieces
(:func:`analysis.ingest.readers.tabular.read_chunks`). Each piece's rows are checked as they arrive
(orders, cells, schemas: see :func:`analysis.clean.pipeline.settle_piece`) and added here; the other
sources' final items and events are added too. What the in-memory clean does to these two
tables with pandas (:func:`analysis.clean.combine.combine`), :meth:`Spill.finish` then does with
SQL,
to the same rules:

* the first row of each key is kept (items: ``order_id, item_id``; events:
  :data:`analysis.clean.combine.EVENT_KEY`), first meaning in the order of the sources in
  ``sources.toml``, then the order of the rows within a source. Events made from status checks
  are never set aside (the in-memory clean does not compare them either);
* the kept rows are sorted as :func:`analysis.clean.combine.sort_table` sorts them.

DuckDB holds the rows in an in-memory database that spills to a temporary folder beyond
``memory_limit`` (``$TAKEDOWNS_DUCKDB_MEMORY``, else :data:`MEMORY_LIMIT`), so the peak memory of
a clean depends on the piece size and that limit, not on the size of the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.clean.combine import EVENT_KEY, SORT_KEYS
from analysis.core import schema
from analysis.core.duck import duckdb_connection, memory_limit_in_force

#: DuckDB's memory limit for a clean, unless ``$TAKEDOWNS_DUCKDB_MEMORY`` says otherwise.
MEMORY_LIMIT = "256MB"
#: Rows per Parquet row group (the in-memory clean writes pyarrow's default, 1Mi rows; smaller
#: groups keep the writer's buffers small, and readers see the same rows).
ROW_GROUP = 128 * 1024
#: Bits of ``_pos`` for a row's place within its source; the source's place is above them.
_SOURCE_SHIFT = 40

_KEYS = {"items": ["order_id", "item_id"], "events": EVENT_KEY}


def position(source_index: int, start: int, n: int) -> np.ndarray:
    """``_pos`` of ``n`` rows of source number ``source_index`` starting at row ``start`` of
    that source's table: sources in ``sources.toml`` order, then rows in source order."""
    return (np.int64(source_index) << _SOURCE_SHIFT) + np.arange(start, start + n, dtype=np.int64)


class SpilledTable:
    """A final table that lives in DuckDB: its length, the provenance of its rows, and its
    rows as Arrow record batches of the canonical schema (for :mod:`analysis.store.processed`)."""

    def __init__(self, spill: Spill, name: str, rows: int):
        self._spill, self.name, self.rows = spill, name, rows

    def __len__(self) -> int:
        return self.rows

    def provenance(self) -> pd.DataFrame:
        """``source_file, source_row`` of every row kept (for the manifest's accounting)."""
        return self._spill._fetch(f"SELECT source_file, source_row FROM {self.name}_kept")

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows in their final order, ``ROW_GROUP`` at a time, typed as the schema says."""
        target = schema.TABLES[self.name]
        columns = ", ".join(f'"{c}"' for c in target.names)
        keys = [*SORT_KEYS[self.name], "source_file", "source_row", "_pos"]
        order = ", ".join(f'"{c}" ASC NULLS LAST' for c in keys)
        # A cursor of its own: the store writes items and events from two threads.
        with contextlib.closing(self._spill._con.cursor()) as cursor:
            reader = cursor.sql(
                f"SELECT {columns} FROM {self.name}_kept ORDER BY {order}"
            ).to_arrow_reader(ROW_GROUP)
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= ROW_GROUP:
                    table = pa.Table.from_batches(pending)
                    yield from _cast(table.slice(0, ROW_GROUP), target)
                    pending = table.slice(ROW_GROUP).to_batches()
                    held -= ROW_GROUP
            if held:
                yield from _cast(pa.Table.from_batches(pending), target)


class Spill:
    """Items and events added piece by piece; :meth:`finish` keeps the first of each key."""

    def __init__(self, memory_limit: str | None = None, spill_in: Path | None = None):
        """``spill_in``: where DuckDB's spill folder goes (:func:`analysis.core.duck
        .spill_parent`; ``takedowns clean`` names its output folder)."""
        self._stack = contextlib.ExitStack()
        limit = memory_limit_in_force(memory_limit) or MEMORY_LIMIT
        # One DuckDB thread: the reading and checking of pieces keeps the other core busy, and
        # one thread's sort buffers keep memory lower (2M-row sheet: 0.82 vs 0.94 GiB, 1 s slower).
        self._con = self._stack.enter_context(
            duckdb_connection(limit, threads=1, spill_in=spill_in)
        )
        try:
            for name in _KEYS:
                fields = [_sql_field(f) for f in schema.TABLES[name]]
                self._con.execute(
                    f"CREATE TABLE {name} ({', '.join(fields)}, _pos BIGINT, _from_checks BOOLEAN)"
                )
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> bool | None:
        # The error goes into the connection's context, which turns DuckDB's "out of memory"
        # or "disk full" into one sentence for the user.
        return self._stack.__exit__(*exc)

    def close(self) -> None:
        self._stack.close()

    def add(
        self, name: str, frame: pd.DataFrame, pos: np.ndarray, from_checks: np.ndarray | None = None
    ) -> None:
        """Add canonical rows of ``name`` with their ``_pos`` (:func:`position`)."""
        if frame.empty:
            return
        target = schema.TABLES[name]
        table = pa.Table.from_pandas(frame[target.names], schema=target, preserve_index=False)
        table = table.append_column("_pos", pa.array(pos, pa.int64()))
        flags = np.zeros(len(frame), dtype=bool) if from_checks is None else from_checks
        table = table.append_column("_from_checks", pa.array(flags, pa.bool_()))
        self._con.register("_piece", table)
        try:
            self._con.execute(f"INSERT INTO {name} SELECT * FROM _piece")
        finally:
            self._con.unregister("_piece")

    def remove(self, source_file: str) -> None:
        """Forget every row added from ``source_file`` (before :meth:`finish`)."""
        for name in _KEYS:
            self._con.execute(f"DELETE FROM {name} WHERE source_file = ?", [source_file])

    def finish(self) -> tuple[dict[str, SpilledTable], pd.DataFrame]:
        """The final tables and the ``source_file, source_row`` of every row set aside as a
        duplicate."""
        tables, duplicates = {}, []
        for name, key in _KEYS.items():
            by = ", ".join(f'"{c}"' for c in key)
            # One hash aggregate finds the repeated keys (few) and the places of all but the
            # first copy; GROUP BY takes missing values as equal, as pandas' duplicated does.
            # Events from status checks are never a duplicate of anything, nor is anything a
            # duplicate of them: each is a group of its own.
            self._con.execute(
                f"CREATE TABLE {name}_later AS SELECT unnest(list_sort(list(_pos))[2:]) AS _pos "
                f"FROM {name} GROUP BY {by}, CASE WHEN _from_checks THEN _pos END "
                "HAVING count(*) > 1"
            )
            self._con.execute(
                f"CREATE VIEW {name}_kept AS SELECT * FROM {name} "
                f"ANTI JOIN {name}_later USING (_pos)"
            )
            duplicates.append(
                self._fetch(
                    f"SELECT source_file, source_row FROM {name} "
                    f"SEMI JOIN {name}_later USING (_pos)"
                )
            )
            rows = self._con.execute(f"SELECT count(*) FROM {name}_kept").fetchall()[0][0]
            tables[name] = SpilledTable(self, name, rows)
        return tables, pd.concat(duplicates, ignore_index=True)

    def _fetch(self, sql: str) -> pd.DataFrame:
        table = self._con.sql(sql).to_arrow_table()
        return pd.DataFrame(
            {
                "source_file": pd.array(table["source_file"], dtype="str"),
                "source_row": table["source_row"].to_numpy(),
            }
        )


def _cast(table: pa.Table, target: pa.Schema) -> list[pa.RecordBatch]:
    return table.cast(target).combine_chunks().to_batches(max_chunksize=ROW_GROUP)


_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    schema.UTC_US: "TIMESTAMPTZ",
    pa.float64(): "DOUBLE",
}


def _sql_field(field: pa.Field) -> str:
    return f'"{field.name}" {_SQL_TYPES[field.type]}'
