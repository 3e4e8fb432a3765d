"""Write the processed tables atomically and read them back.

Writing happens in two phases. First every file (Parquet tables, rejects, manifest) is written to
a temporary name in the destination folder and flushed to disk; this is the slow part, and a crash
during it leaves the previous outputs untouched. Then each file is moved into place with
``os.replace`` (atomic on POSIX), the manifest last. Each table records the run's ``run_id`` in its
Parquet metadata and the manifest lists it, so :func:`read_tables` can tell when a crash landed in
the instant between two renames and say so instead of mixing runs.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.core import interrupts, schema
from analysis.core.errors import InputError
from analysis.store.atomic import fsync_dir, remove_stale_temporaries, stage, stage_bytes
from analysis.store.export import safe_csv

MANIFEST = "manifest.json"
TABLE_FILES = {name: f"{name}.parquet" for name in schema.TABLES}

#: Columns of the two big tables that repeat a few values (a vocabulary, a file, an order, a
#: source URL) and so are written dictionary-encoded; the others (ids, raw cells, notes) are
#: nearly all distinct, where a dictionary only costs time (a third of the writing) and space.
DICTIONARY_COLUMNS = {
    "items": ["order_id", "item_type", "source_file"],
    "events": [
        "order_id",
        "event",
        "timing",
        "time_precision",
        "n_items_is_approximate",
        "country",
        "source_kind",
        "source_url",
        "source_file",
    ],
}


@dataclass
class StagedTable:
    """A table already written, under a temporary name beside its target, by the step that
    made it (a sheet cleaned in pieces: :mod:`analysis.clean.spill`); :func:`write_outputs`
    only moves it into place. ``rows``: how many rows it holds."""

    path: Path
    rows: int

    def __len__(self) -> int:
        return self.rows


#: Columns of the two big tables with min/max statistics in each row group: the ones a reader
#: filters on (keys, times, counts). Statistics of long free text cost a sixth of the writing
#: and help no query.
STATISTICS_COLUMNS = {
    "items": ["order_id", "item_id", "item_type", "source_row"],
    "events": ["item_id", "order_id", "event", "at", "at_earliest", "n_items", "source_row"],
}


def parquet_options(name: str) -> dict:
    """How table ``name`` is written (the same for every route, so identical tables are
    identical bytes): zstd; for items and events, dictionaries only where values repeat
    (:data:`DICTIONARY_COLUMNS`) and statistics only where a reader filters
    (:data:`STATISTICS_COLUMNS`); other tables: both on every column."""
    return {
        "compression": "zstd",
        "store_schema": True,
        "use_dictionary": DICTIONARY_COLUMNS.get(name, True),
        "write_statistics": STATISTICS_COLUMNS.get(name, True),
    }


def table_metadata(manifest: dict) -> dict[str, str]:
    """The key-value metadata every table of a run carries: its run id, the package version and
    the sources' sha256 (from the manifest, or a manifest's first fields before its counts are
    known: ``run_id``, ``package_version``, ``sources`` with ``path`` and ``sha256``)."""
    return {
        "takedowns.run_id": manifest["run_id"],
        "takedowns.package_version": manifest["package_version"],
        "takedowns.sources": json.dumps(
            {s["path"]: s["sha256"] for s in manifest["sources"]}, sort_keys=True
        ),
    }


def to_arrow(name: str, frame: pd.DataFrame, metadata: dict[str, str]) -> pa.Table:
    """A canonical frame as an Arrow table with the declared schema (ids stay strings)."""
    target = schema.TABLES.get(name, schema.REJECTS)
    table = pa.Table.from_pandas(frame[target.names], schema=target, preserve_index=False)
    return table.replace_schema_metadata(_metadata(metadata))


def _metadata(metadata: dict[str, str]) -> dict[bytes, bytes]:
    return {k.encode(): v.encode() for k, v in metadata.items()}


def write_outputs(
    out_dir: Path,
    tables: dict[str, pd.DataFrame | StagedTable],
    rejects: pd.DataFrame,
    manifest: dict,
) -> list[Path]:
    """Write tables, ``rejects.parquet``/``rejects.csv`` and ``manifest.json`` atomically.

    A :class:`StagedTable` was written already (with :func:`table_metadata` of this manifest);
    it is moved into place with the rest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir)
    metadata = table_metadata(manifest)
    staged: list[tuple[Path, Path]] = []
    try:
        staged += _stage_tables(out_dir, [*tables.items(), ("rejects", rejects)], metadata)
        target = out_dir / "rejects.csv"
        staged.append((stage_bytes(safe_csv(rejects).encode("utf-8"), target), target))
        target = out_dir / MANIFEST
        text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        staged.append((stage_bytes(text.encode("utf-8"), target), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    # The manifest is last: it names the run the tables belong to. A signal waits until every
    # file is in place, so Ctrl-C or SIGTERM never leaves tables of two runs.
    with interrupts.deferred():
        for tmp, target in staged:
            os.replace(tmp, target)
    fsync_dir(out_dir)
    return [target for _, target in staged]


def _stage_tables(
    out_dir: Path, frames: list[tuple[str, pd.DataFrame]], metadata: dict[str, str]
) -> list[tuple[Path, Path]]:
    """Each frame as Parquet at a temporary name: ``(temporary, target)`` in the given order.

    Two threads, biggest tables first: Arrow conversion and Parquet encoding release the GIL,
    so a run with millions of items and events writes them side by side. If any fails, the
    temporaries already written are removed and the first error is raised. If this thread is
    interrupted (Ctrl-C, SIGTERM), the writers finish the table they are writing and every
    temporary is removed before the interruption goes on.
    """

    def stage(name: str, frame) -> tuple[Path, Path]:
        target = out_dir / f"{name}.parquet"
        if isinstance(frame, StagedTable):  # written already (analysis.clean.spill)
            return frame.path, target
        return _stage_parquet(name, to_arrow(name, frame, metadata), target), target

    by_size = sorted(range(len(frames)), key=lambda i: -len(frames[i][1]))
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {}
    try:
        for i in by_size:
            futures[i] = pool.submit(stage, *frames[i])
        pool.shutdown(wait=True)
    except BaseException:
        with interrupts.deferred():  # a second Ctrl-C must not cut the clean-up short
            pool.shutdown(wait=True, cancel_futures=True)
            for future in futures.values():
                if not future.cancelled() and future.exception() is None:
                    future.result()[0].unlink(missing_ok=True)
        raise
    staged, errors = [], []
    for i in range(len(frames)):
        try:
            staged.append(futures[i].result())
        except BaseException as err:  # every temporary must go before re-raising
            errors.append(err)
    if errors:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise errors[0]
    return staged


def _stage_parquet(name: str, table: pa.Table, target: Path) -> Path:
    buffer = io.BytesIO()
    # No statistics timestamps or created_by varying by run: same input, same bytes.
    pq.write_table(table, buffer, **parquet_options(name))
    return stage_bytes(buffer.getvalue(), target)


def stage_batches(
    name: str, batches: Iterable[pa.RecordBatch], out_dir: Path, metadata: dict[str, str]
) -> Path:
    """Table ``name`` from record batches of its schema, one row group per batch, written under
    a temporary name beside ``out_dir/<name>.parquet`` (removed if anything fails): a table
    too big for memory is never held whole. Returns the temporary's path, for a
    :class:`StagedTable`."""
    target_schema = schema.TABLES[name].with_metadata(_metadata(metadata))

    def write(handle) -> None:
        with pq.ParquetWriter(handle, target_schema, **parquet_options(name)) as writer:
            for batch in batches:
                writer.write_batch(batch.replace_schema_metadata(target_schema.metadata))

    return stage(out_dir / TABLE_FILES[name], write)


def read_manifest(processed: Path) -> dict:
    path = processed / MANIFEST
    if not path.is_file():
        raise InputError(
            f"{processed}: no processed data here (no {MANIFEST}); run `takedowns clean` first"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path} is damaged; run `takedowns clean` to rebuild it") from None
    # A manifest cut short or emptied ({}) names no run: as damaged as one that is not JSON.
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("run_id"), str)
        or not isinstance(manifest.get("sources"), list)
    ):
        raise InputError(
            f"{path} is damaged (it names no run or sources); run `takedowns clean` to rebuild it"
        )
    return manifest


def read_tables(processed: Path, names: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Read the processed tables back as pandas frames (timestamps UTC, ids as strings).

    Raises :class:`InputError` with the command to run when the folder is missing, incomplete,
    or holds tables from two different runs.
    """
    manifest = read_manifest(processed)
    out = {}
    for name in names or tuple(schema.TABLES):
        path = processed / TABLE_FILES[name]
        if not path.is_file():
            raise InputError(f"{path} is missing; run `takedowns clean`")
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as err:  # truncated, overwritten, not Parquet
            raise InputError(
                f"{path} is damaged ({_first_line(err)}); run `takedowns clean` to rebuild it"
            ) from None
        run_id = (table.schema.metadata or {}).get(b"takedowns.run_id", b"").decode()
        if run_id != manifest["run_id"]:
            raise InputError(
                f"{path} does not belong to the run in {MANIFEST} (an interrupted clean?); "
                "run `takedowns clean` again"
            )
        out[name] = table.to_pandas(types_mapper=pandas_types)
    return out


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def pandas_types(arrow_type: pa.DataType):
    """``types_mapper`` for ``to_pandas``: the dtypes the canonical tables have in pandas."""
    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None
