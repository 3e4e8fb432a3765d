"""Partitioned Parquet datasets of a canonical table, appended batch by batch.

A newsroom that checks millions of accounts every day collects hundreds of millions of status
checks: more than one pandas frame holds, and far too many to rewrite on every update. Such a
table is kept as a *dataset*: a folder of Parquet files in hive partitions by the UTC year and
month of the table's time column (``checks``: ``checked_at``)::

    <dataset>/year=2021/month=02/part-3f9c0a1b2d4e5f60.parquet

Rules (docs/scale.md says them in plain words):

* **Append only.** :func:`append` adds files; it never rewrites or deletes one. Each file holds one
  partition's rows of one batch, sorted, and is named by the first 16 hex digits of the sha256
  of those rows (:func:`content_hash`), so re-adding the same batch finds every name already
  there and writes nothing.
* **All or nothing.** A batch is checked whole (the table's Arrow schema and the same checks
  ``takedowns clean`` applies, :data:`analysis.clean.validate.SCHEMAS`) before anything is written;
  a bad batch raises :class:`~analysis.ingest.sources.InputError` naming the column and the value,
  and leaves the dataset as it was. Files are staged under a hidden temporary name, flushed, then
  moved into place with ``os.replace``: a crash leaves whole files only, and re-running the
  batch adds the ones that are missing.
* **One natural key per table** (:data:`NATURAL_KEYS`). Overlapping batches (yesterday's export
  again, with today's rows) may store a row twice; every reader keeps the first row of each key
  in :func:`row_order` and drops the others, so nothing is counted twice. Every engine
  (:mod:`analysis.scale.engines`) applies this same rule.

Times are partitioned in **UTC** (not local time): a check at 00:30 IST on 1 February is in
``year=2021/month=01``. Partitions only decide where a row is stored; periods in the results are
still local calendar periods.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from analysis.core import interrupts, schema
from analysis.core.errors import InputError
from analysis.store.atomic import fsync_dir, remove_stale_temporaries, stage_bytes
from analysis.store.processed import pandas_types

#: The column each table is partitioned by (year and month of it, UTC); ``None``: one folder.
TIME_COLUMNS: dict[str, str | None] = {
    "checks": "checked_at",
    "events": "at",
    "orders": "issued_at",
    "items": None,
    "transparency": "period_start",
}

#: The columns that say two rows are the same fact. ``checks``: an item's state (and the
#: countries it was withheld in) at one instant. ``order_id``, the source and the precision are
#: left out on purpose: the same lookup exported twice, once with the order it answers and once
#: without, is one observation, not two.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "checks": ("item_id", "checked_at", "state", "countries"),
    "events": ("item_id", "order_id", "event", "at", "at_earliest", "n_items", "country"),
    "orders": ("order_id",),
    "items": ("order_id", "item_id"),
    "transparency": ("platform", "country", "requestor", "scope", "period_start", "period_end"),
}

#: Hive partition columns added to every file of a partitioned table.
PARTITION_COLUMNS = ("year", "month")
_FILE_PREFIX = "part-"


@dataclass(frozen=True)
class AppendResult:
    """What one :func:`append` did: files written, files already there, rows in the batch."""

    files_written: int
    files_skipped: int
    rows: int
    paths: tuple[Path, ...] = ()  # the files written


def row_order(table: str = "checks") -> list[str]:
    """The order that decides which copy of a natural key is kept: the key, then every other
    column of the table in stored order, ascending, missing values last.

    The row kept is the first in this order. For ``checks``: the copy naming an order (the
    lowest ``order_id``; a copy naming none comes last), then by ``time_precision``,
    ``source_url``, ``source_file`` and ``source_row``. Stable from run to run, and the same
    in every engine (DuckDB's window orders each item's checks this way too).
    """
    key = list(NATURAL_KEYS[_known(table)])
    return key + [c for c in schema.columns(table) if c not in key]


def append(dataset_dir: str | Path, frame: pd.DataFrame, *, table: str = "checks") -> AppendResult:
    """Add a batch of canonical rows to the dataset at ``dataset_dir`` (created if missing).

    Parameters
    ----------
    dataset_dir
        The dataset's folder, e.g. ``data/processed/datasets/checks``.
    frame
        Rows with the table's canonical columns (:data:`analysis.core.schema.TABLES`). Timestamps
        are UTC (naive values are taken as UTC); columns the table does not have are not stored;
        a nullable column the frame lacks is stored as missing.
    table
        The canonical table (``checks`` by default).

    Returns
    -------
    AppendResult
        ``files_written`` new files, ``files_skipped`` files whose content was already stored
        (same name, same content hash), ``rows`` in the batch.

    Raises
    ------
    InputError
        One sentence naming the column and the first bad value when the batch does not fit the
        table; nothing is written then.
    """
    return commit(stage(dataset_dir, frame, table=table))


@dataclass
class Staged:
    """Batches written at hidden temporary names, not yet part of the dataset: :func:`commit`
    moves them into place, :func:`discard` removes them (and the folders staging created)."""

    root: Path
    files: list[tuple[Path, Path]] = dataclasses.field(default_factory=list)  # (temporary, target)
    skipped: int = 0
    rows: int = 0
    folders: list[Path] = dataclasses.field(
        default_factory=list
    )  # created by staging, outermost first


def stage(
    dataset_dir: str | Path,
    frame: pd.DataFrame,
    *,
    table: str = "checks",
    staged: Staged | None = None,
) -> Staged:
    """Check a batch and write its files at temporary names, adding to ``staged`` if given.

    Several batches staged together and committed once are all or nothing, as one
    :func:`append` is: this is how a file too big for memory is appended piece by piece. If
    the batch does not fit the table, everything staged so far is discarded and
    :class:`~analysis.ingest.sources.InputError` is raised.
    """
    root = Path(dataset_dir)
    staged = staged if staged is not None else Staged(root)
    try:
        arrow = conform(frame, table)
        taken = {target for _, target in staged.files}
        for folder, rows in _partitions(arrow, table):
            target = root / folder / f"{_FILE_PREFIX}{content_hash(rows, table)}.parquet"
            if target.exists() or target in taken:
                staged.skipped += 1
                continue
            _make_folders(target.parent, staged)
            remove_stale_temporaries(target.parent)
            staged.files.append((stage_bytes(_parquet_bytes(rows), target), target))
            taken.add(target)
    except BaseException:
        discard(staged)
        raise
    staged.rows += arrow.num_rows
    return staged


def commit(staged: Staged) -> AppendResult:
    """Move the staged files into place (each rename is atomic) and flush their folders."""
    with interrupts.deferred():  # a signal waits: a batch goes in whole
        for tmp, target in staged.files:
            os.replace(tmp, target)
    for folder in {target.parent for _, target in staged.files}:
        fsync_dir(folder)
    return AppendResult(
        files_written=len(staged.files),
        files_skipped=staged.skipped,
        rows=staged.rows,
        paths=tuple(target for _, target in staged.files),
    )


def discard(staged: Staged) -> None:
    """Remove the staged temporaries and the folders staging created, leaving the dataset as
    it was."""
    for tmp, _ in staged.files:
        tmp.unlink(missing_ok=True)
    staged.files.clear()
    for folder in reversed(staged.folders):
        with suppress(OSError):  # not empty: another writer's files are in it
            folder.rmdir()
    staged.folders.clear()


def _make_folders(folder: Path, staged: Staged) -> None:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
        staged.folders.append(made)


def read(dataset_dir: str | Path, table: str = "checks") -> pd.DataFrame:
    """The dataset's rows as one pandas frame (the ``pandas`` engine), one row per natural key.

    Columns and dtypes are those :func:`analysis.store.processed.read_tables` gives (timestamps UTC,
    ``Int64``, ``boolean``, ``str``); rows are in :func:`row_order`. A missing or empty
    dataset gives zero rows.
    """
    names = schema.columns(_known(table))
    files = data_files(dataset_dir)
    if not files:
        from analysis.ingest.canonical import empty_table

        return empty_table(table)
    # Partition folders are not read as columns: the time column already holds the same.
    data = pads.dataset([str(f) for f in files], format="parquet", schema=schema.TABLES[table])
    frame = data.to_table(columns=names).to_pandas(types_mapper=pandas_types)
    return first_of_each_key(frame, table)


def first_of_each_key(frame: pd.DataFrame, table: str = "checks") -> pd.DataFrame:
    """``frame`` sorted by :func:`row_order` with only the first row of each natural key."""
    ordered = frame.sort_values(row_order(table), kind="stable", na_position="last")
    kept = ordered.drop_duplicates(list(NATURAL_KEYS[table]), keep="first")
    return kept.reset_index(drop=True)


def data_files(dataset_dir: str | Path) -> list[Path]:
    """The dataset's Parquet files (temporaries and hidden files left out), sorted by path."""
    root = Path(dataset_dir)
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*.parquet")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def fingerprint(dataset_dir: str | Path) -> str:
    """Identifies the dataset's content: a hash of its files' paths (their names are content
    hashes, so the same names mean the same rows). ``empty`` when it holds no files."""
    root = Path(dataset_dir)
    files = data_files(root)
    if not files:
        return "empty"
    listing = "\n".join(str(f.relative_to(root)) for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def content_hash(rows: pa.Table, table: str = "checks") -> str:
    """First 16 hex digits of the sha256 of ``rows`` (sorted, in the table's schema).

    Hashed in Arrow's IPC stream form, not as Parquet bytes, so the name does not change with
    the Parquet writer's version or settings.
    """
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, rows.schema.remove_metadata()) as writer:
        writer.write_table(rows)
    digest = hashlib.sha256(table.encode() + b"\0" + sink.getvalue())
    return digest.hexdigest()[:16]


# --- checking a batch ----------------------------------------------------------------------------


def conform(frame: pd.DataFrame, table: str = "checks") -> pa.Table:
    """The batch as an Arrow table of the canonical schema, or :class:`InputError`.

    Checks, in order: required columns are present and never missing; every value has the
    column's type; the values pass the checks ``takedowns clean`` applies
    (:data:`analysis.clean.validate.SCHEMAS`: vocabularies, id formats, country codes).
    """
    target = schema.TABLES[_known(table)]
    where = f"{table} batch"
    columns = {}
    for field in target:
        if field.name in frame.columns:
            columns[field.name] = frame[field.name].reset_index(drop=True)
        elif not field.nullable:
            raise InputError(f"the {where} has no column {field.name!r}, which is required")
        else:
            columns[field.name] = pd.Series(pd.NA, index=range(len(frame)), dtype="object")
    arrays = {}
    for field in target:
        values = columns[field.name]
        arrays[field.name] = _to_arrow(values, field, where, frame)
    arrow = pa.table(arrays, schema=target)
    _check_values(arrow, table, where, frame)
    return arrow


def _to_arrow(values: pd.Series, field: pa.Field, where: str, frame: pd.DataFrame) -> pa.Array:
    missing = values.isna().to_numpy()
    if not field.nullable and missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"the {where}{_row(frame, row)}: column {field.name!r} is blank but required"
        )
    if pa.types.is_timestamp(field.type):
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            values.dtype
        ):
            parsed = values
        else:
            parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
        bad = parsed.isna().to_numpy() & ~missing
        _raise_first(bad, values, field, where, frame, "is not a date and time")
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize("UTC")  # naive times are UTC
        parsed = parsed.dt.tz_convert("UTC").dt.as_unit("us")
        return pa.array(parsed, type=field.type)
    if pa.types.is_integer(field.type):
        if pd.api.types.is_integer_dtype(values.dtype):
            return pa.array(pd.array(values, dtype="Int64"), type=field.type)
        numbers = pd.to_numeric(values, errors="coerce")
        floats = numbers.to_numpy(dtype="float64", na_value=np.nan)
        whole = ~np.isnan(floats) & (np.mod(floats, 1) == 0)
        _raise_first(~missing & ~whole, values, field, where, frame, "is not a whole number")
        return pa.array(pd.array(numbers, dtype="Int64"), type=field.type)
    if pa.types.is_boolean(field.type):
        if not (pd.api.types.is_bool_dtype(values.dtype) or missing.all()):
            known = values.isin([True, False]).to_numpy()
            _raise_first(~missing & ~known, values, field, where, frame, "is not true or false")
        return pa.array(pd.array(values, dtype="boolean"), type=field.type)
    if pa.types.is_floating(field.type):
        numbers = pd.to_numeric(values, errors="coerce")
        _raise_first(
            numbers.isna().to_numpy() & ~missing, values, field, where, frame, "is not a number"
        )
        return pa.array(pd.array(numbers, dtype="Float64"), type=field.type)
    # Text: ids stay text; a number here (an id read as a float) is refused, not rounded.
    if not (pd.api.types.is_string_dtype(values.dtype) and values.dtype != object):
        kinds = pd.api.types.infer_dtype(values, skipna=True)
        if kinds not in ("string", "empty"):
            is_text = values.map(lambda v: isinstance(v, str), na_action="ignore")
            not_text = ~missing & ~is_text.fillna(True).astype(bool).to_numpy()
            _raise_first(not_text, values, field, where, frame, "is not text")
    return pa.array(pd.array(values, dtype="str"), type=field.type)


def _check_values(arrow: pa.Table, table: str, where: str, frame: pd.DataFrame) -> None:
    from analysis.clean.validate import SCHEMAS  # pandera; imported only when a batch is checked

    checks = SCHEMAS.get(table)
    if checks is None:
        return
    import pandera.pandas as pandera

    typed = arrow.to_pandas(types_mapper=pandas_types)
    try:
        checks.validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        rows = cases[cases["index"].notna()]
        case = (rows if len(rows) else cases).iloc[0]
        at = _row(frame, int(case["index"])) if pd.notna(case["index"]) else ""
        raise InputError(
            f"the {where}{at}: column {case['column']!r} has the value "
            f"{_shown(case['failure_case'])}, which fails the check {case['check']}"
        ) from None


def _raise_first(
    bad: np.ndarray,
    values: pd.Series,
    field: pa.Field,
    where: str,
    frame: pd.DataFrame,
    problem: str,
) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"the {where}{_row(frame, row)}: column {field.name!r} has the value "
            f"{_shown(values.iloc[row])}, which {problem}"
        )


def _row(frame: pd.DataFrame, position: int) -> str:
    """`` (file.csv, row 12)`` with provenance, else `` (row 13 of the batch)``."""
    if {"source_file", "source_row"} <= set(frame.columns):
        file, row = frame["source_file"].iloc[position], frame["source_row"].iloc[position]
        if pd.notna(file) and pd.notna(row):
            return f" ({file}, row {row})"
    return f" (row {position + 1} of the batch)"


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- writing --------------------------------------------------------------------------------------


def _partitions(arrow: pa.Table, table: str):
    """(relative folder, sorted rows) per partition of the batch."""
    order = pc.sort_indices(arrow, sort_keys=[(c, "ascending", "at_end") for c in row_order(table)])
    rows = arrow.take(order)
    time_column = TIME_COLUMNS[table]
    if time_column is None or rows.num_rows == 0:
        if rows.num_rows:
            yield Path("."), rows
        return
    us = rows[time_column].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    months = us.astype("datetime64[us]").astype("datetime64[M]").astype("int64")
    # Rows are sorted by key, not by month: group by month with one stable sort of the codes.
    by_month = np.argsort(months, kind="stable")
    sorted_months = months[by_month]
    starts = np.flatnonzero(np.r_[True, sorted_months[1:] != sorted_months[:-1]])
    ends = np.r_[starts[1:], len(sorted_months)]
    for start, end in zip(starts, ends, strict=True):
        month = int(sorted_months[start])
        year, month_of_year = 1970 + month // 12, month % 12 + 1
        folder = Path(f"year={year:04d}") / f"month={month_of_year:02d}"
        yield folder, rows.take(pa.array(by_month[start:end]))


def _parquet_bytes(rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(rows, buffer, compression="zstd", store_schema=True)
    return buffer.getvalue()


def _known(table: str) -> str:
    if table not in TIME_COLUMNS:
        raise ValueError(
            f"table {table!r} is not a canonical table; use one of {', '.join(TIME_COLUMNS)}"
        )
    return table
