"""The heavy steps over a checks dataset, on one of three engines: pandas, DuckDB or Dask.

A checks dataset (:mod:`analysis.scale.dataset`) may hold hundreds of millions of status checks. Two
steps read all of them:

* :func:`events_from_checks`: the per-item window over time that turns checks into events
  (:func:`analysis.clean.snapshots.snapshots_to_events`, with each event's ``time_precision``
  taken from the check that showed the change, as ``takedowns clean`` does);
* :func:`event_counts`: checks and status changes per local calendar period.

Both return small pandas frames, whatever the engine:

``pandas``
    Reads the whole dataset into memory and runs the package's own functions: the reference.
``duckdb``
    One SQL query over the Parquet files, out of core: DuckDB streams the files and spills to
    disk when ``memory_limit`` is reached. This machine, one process.
``dask``
    ``dask.dataframe`` over the same files on a ``dask.distributed`` cluster: rows are shuffled
    by ``item_id`` so each item's checks meet in one partition, and each partition runs the
    pandas functions. Several machines (``scheduler``), or a local two-process cluster.

The three give the same rows in the same order, with the same dtypes (tests/test_engines.py
compares them). Lag and reversals need no engine of their own: they run on events, one row
per *change*, orders of magnitude fewer than the checks (see docs/scale.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.combine import snapshot_events
from analysis.core import schema
from analysis.core.duck import duckdb_connection, memory_limit_in_force
from analysis.core.periods import normalize_freq, period_ordinals, period_table
from analysis.core.times import DEFAULT_TZ, local_us
from analysis.ingest.canonical import empty_table
from analysis.scale import dataset

ENGINES = ("pandas", "duckdb", "dask")
#: Environment variable naming the Dask scheduler (``tcp://host:8786``) when none is given.
SCHEDULER_ENV = "TAKEDOWNS_DASK_SCHEDULER"
#: Dask: at most about this many checks per partition after the shuffle by item.
DASK_PARTITION_ROWS = 500_000
#: Columns of :func:`event_counts`, after ``period``, ``period_start`` and ``period_end``.
COUNTED = ("checks", *schema.EVENT_TYPES)
EVENT_COUNT_COLUMNS = ["period", "period_start", "period_end", *COUNTED]


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`ENGINES`, else one :class:`ValueError` sentence."""
    if engine not in ENGINES:
        raise ValueError(
            f"engine {engine!r} is not one of {', '.join(ENGINES)} "
            "(pandas: in memory; duckdb: out of core on this machine; dask: on a cluster)"
        )
    return engine


def events_from_checks(
    dataset_dir: str | Path,
    *,
    engine: str = "pandas",
    country: str = "IN",
    memory_limit: str | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Events from every check in the dataset (one row per change of state).

    Parameters
    ----------
    dataset_dir
        A checks dataset folder (:func:`analysis.scale.dataset.append`). For ``dask`` also an fsspec
        URL such as ``s3://bucket/datasets/checks`` that the client and every worker can read
        (needs ``s3fs`` there; not tested here, see docs/scale.md).
    engine
        ``pandas``, ``duckdb`` or ``dask`` (:data:`ENGINES`).
    country
        ISO alpha-2 code of the country whose withholding is tracked (``IN``).
    memory_limit
        DuckDB only: the most memory DuckDB may use (``"64MB"``, ``"4GB"``); beyond it, it
        spills to a temporary folder. ``None``: the environment variable
        ``TAKEDOWNS_DUCKDB_MEMORY`` if set, else DuckDB's default (80% of RAM).
    scheduler
        Dask only: the scheduler's address (``tcp://host:8786``); else the environment
        variable ``TAKEDOWNS_DASK_SCHEDULER``; else a local cluster of 2 worker processes.

    Returns
    -------
    pandas.DataFrame
        The canonical ``events`` columns and dtypes (as :func:`analysis.store.processed.read_tables`
        gives them), exactly as ``snapshots_to_events`` makes them from the dataset's checks
        (duplicates dropped, :func:`analysis.scale.dataset.read`), except that ``time_precision`` is
        the precision of the check that showed the change. Sorted by item, then time, then
        channel (withholding, suspension, existence).
    """
    check_engine(engine)
    code = _country(country)
    if engine != "dask":
        _files(dataset_dir)  # a URL is refused with a sentence, not read as an empty folder
    if engine == "duckdb":
        return _duckdb_events(dataset_dir, code, memory_limit)
    if engine == "dask":
        return _dask_events(dataset_dir, code, scheduler)
    return checks_to_events(dataset.read(dataset_dir, "checks"), code, deduplicated=True)


def event_counts(
    dataset_dir: str | Path,
    *,
    engine: str = "pandas",
    freq: str = "M",
    country: str = "IN",
    tz: str = DEFAULT_TZ,
    memory_limit: str | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Checks and status changes per local calendar period: the volume of the feed over time.

    Parameters
    ----------
    dataset_dir, engine, country, memory_limit, scheduler
        As for :func:`events_from_checks`.
    freq
        ``D``, ``W`` (ISO week), ``M``, ``Q``, ``H`` (half-year) or ``Y``, as for
        :func:`analysis.metrics.volume`.
    tz
        The time zone whose calendar the periods follow (India by default).

    Returns
    -------
    pandas.DataFrame
        One row per period from the first check's to the last check's, periods without any
        listed with zeros: ``period`` (labelled as :func:`analysis.metrics.volume` labels
        them), ``period_start`` and ``period_end`` (UTC; end exclusive), ``checks`` (distinct
        checks made in the period) and one count per event type (``withheld``, ``restored``,
        ``suspended``, ``reinstated``, ``deleted``) dated in the period (``at``). int64 counts.
    """
    check_engine(engine)
    code = normalize_freq(freq)
    country_code = _country(country)
    if engine != "dask":
        _files(dataset_dir)  # a URL is refused with a sentence, not read as an empty folder
    if engine == "duckdb":
        long, span = _duckdb_counts(dataset_dir, country_code, code, tz, memory_limit)
    elif engine == "dask":
        long, span = _dask_counts(dataset_dir, country_code, code, tz, scheduler)
    else:
        checks = dataset.read(dataset_dir, "checks")
        long = partition_counts(checks, country_code, code, tz, deduplicated=True)
        span = _span(long)
    return counts_table(long, span, code, tz)


# --- the pandas rule, shared by the pandas and the Dask engines -----------------------------------


def checks_to_events(
    checks: pd.DataFrame, country: str, *, deduplicated: bool = False
) -> pd.DataFrame:
    """Events from checks by the pandas functions: the reference every engine must equal.

    Duplicates of a natural key are dropped first (unless ``deduplicated``); the rows are put
    in :func:`analysis.scale.dataset.row_order` (item, time, state, countries), which fixes the
    order of items and of checks made at the same instant. The rest is ``takedowns clean``'s own
    :func:`analysis.clean.combine.snapshot_events`.
    """
    if not deduplicated:
        checks = dataset.first_of_each_key(checks, "checks")
    events = snapshot_events(checks.assign(_country=country))
    return events.reset_index(drop=True)


def partition_counts(
    checks: pd.DataFrame, country: str, code: str, tz: str, *, deduplicated: bool = False
) -> pd.DataFrame:
    """``ordinal`` (period number), ``what`` (``checks`` or an event type) and ``n`` for the
    checks of some items (all of each item's checks must be in ``checks``)."""
    if not deduplicated:
        checks = dataset.first_of_each_key(checks, "checks")
    events = checks_to_events(checks, country, deduplicated=True)
    parts = [
        pd.DataFrame(
            {
                "ordinal": period_ordinals(local_us(checks["checked_at"], tz), code),
                "what": "checks",
            }
        ),
        pd.DataFrame(
            {
                "ordinal": period_ordinals(local_us(events["at"], tz), code),
                "what": events["event"].to_numpy(dtype=object),
            }
        ),
    ]
    long = pd.concat(parts, ignore_index=True)
    counted = long.groupby(["ordinal", "what"], sort=True).size().rename("n").reset_index()
    return counted.astype({"ordinal": "int64", "what": "str", "n": "int64"})


def counts_table(long: pd.DataFrame, span: tuple[int, int] | None, code: str, tz: str):
    """The wide :func:`event_counts` table from ``ordinal``/``what``/``n`` rows."""
    if span is None:
        frame = period_table(np.zeros(0, dtype="int64"), code, tz).drop(columns="ordinal")
        for column in COUNTED:
            frame[column] = np.zeros(0, dtype="int64")
        return frame[EVENT_COUNT_COLUMNS]
    periods = period_table(np.arange(span[0], span[1] + 1), code, tz)
    wide = long.pivot_table(index="ordinal", columns="what", values="n", aggfunc="sum")
    wide = wide.reindex(index=periods["ordinal"], columns=list(COUNTED)).fillna(0)
    for column in COUNTED:
        periods[column] = wide[column].to_numpy(dtype="int64")
    return periods[EVENT_COUNT_COLUMNS].reset_index(drop=True)


def _span(long: pd.DataFrame) -> tuple[int, int] | None:
    checked = long.loc[long["what"] == "checks", "ordinal"]
    if checked.empty:
        return None
    return int(checked.min()), int(checked.max())


def _country(country: str) -> str:
    code = str(country).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"country {country!r} is not a two-letter ISO code such as IN")
    return code


# --- DuckDB ---------------------------------------------------------------------------------------

#: Checks -> events in SQL: the same rules as ``snapshots_to_events``, per channel. A channel's
#: previous value is the last non-null one among the item's earlier checks (``IGNORE NULLS``):
#: a suspended or missing item says nothing about withholding, so the state seen before is
#: carried forward. ``$covers`` matches a country list holding the tracked country or XX.
#: One window does both jobs: each item's checks in :func:`analysis.scale.dataset.row_order`, a
#: check equal to the one before it on the natural key is a ``copy`` and dropped afterwards
#: (its channel values and time equal its original's, so the values it passes on are the same).
_EVENTS_SQL = """
WITH stored AS (
    SELECT item_id, order_id, checked_at, time_precision, state, countries,
           source_url, source_file, source_row
    FROM read_parquet($files, hive_partitioning = true)
),
channels AS (
    SELECT *,
        CASE state
            WHEN 'withheld' THEN CASE
                WHEN countries IS NULL OR regexp_full_match(countries, '[,;\\s]*')
                    OR regexp_matches(upper(countries), $covers) THEN 1 ELSE 0 END
            WHEN 'visible' THEN 0
        END AS wh,
        CASE state WHEN 'suspended' THEN 1 WHEN 'withheld' THEN 0 WHEN 'visible' THEN 0 END AS su,
        CASE WHEN state = 'not_found' THEN 0 ELSE 1 END AS ex
    FROM stored
),
seen AS (
    SELECT *,
        last_value(wh IGNORE NULLS) OVER before AS wh_prev,
        last_value(CASE WHEN wh IS NOT NULL THEN checked_at END IGNORE NULLS) OVER before
            AS wh_prev_at,
        last_value(su IGNORE NULLS) OVER before AS su_prev,
        last_value(CASE WHEN su IS NOT NULL THEN checked_at END IGNORE NULLS) OVER before
            AS su_prev_at,
        lag(ex) OVER item_time AS ex_prev,
        lag(checked_at) OVER item_time AS ex_prev_at,
        lag(checked_at) OVER item_time = checked_at AND lag(state) OVER item_time = state
            AND lag(countries) OVER item_time IS NOT DISTINCT FROM countries AS copy
    FROM channels
    WINDOW item_time AS (PARTITION BY item_id ORDER BY {row_order}),
        before AS (
            PARTITION BY item_id ORDER BY {row_order}
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
checks AS (
    SELECT * FROM seen WHERE copy IS NOT TRUE
),
changes AS (
    SELECT *, 0 AS channel,
        CASE WHEN wh = 1 THEN 'withheld' ELSE 'restored' END AS event,
        wh_prev_at AS at_earliest,
        CASE WHEN wh_prev IS NULL THEN $note_withheld END AS notes
    FROM checks WHERE (wh = 1 AND wh_prev IS DISTINCT FROM 1) OR (wh = 0 AND wh_prev = 1)
    UNION ALL
    SELECT *, 1 AS channel,
        CASE WHEN su = 1 THEN 'suspended' ELSE 'reinstated' END AS event,
        su_prev_at AS at_earliest,
        CASE WHEN su_prev IS NULL THEN $note_suspended END AS notes
    FROM checks WHERE (su = 1 AND su_prev IS DISTINCT FROM 1) OR (su = 0 AND su_prev = 1)
    UNION ALL
    SELECT *, 2 AS channel, 'deleted' AS event, ex_prev_at AS at_earliest,
        CASE WHEN ex_prev IS NULL THEN $note_deleted END AS notes
    FROM checks WHERE ex = 0 AND ex_prev IS DISTINCT FROM 0
)
"""

_EVENTS_SELECT = """
SELECT item_id, order_id, event, checked_at AS "at", at_earliest,
    CASE WHEN at_earliest IS NULL THEN 'before_first_check' ELSE 'bounded' END AS timing,
    time_precision,
    1::BIGINT AS n_items, false AS n_items_is_approximate,
    CASE WHEN channel = 0 THEN $country END AS country, 'snapshot' AS source_kind,
    source_url, notes, source_file, source_row,
    state AS _state, countries AS _countries, channel AS _channel
FROM changes
"""
#: The order of :func:`events_from_checks`: item, time, then the check's state and countries
#: (two checks of one item at the same instant), then the channel. Applied by Arrow to the
#: streamed result: DuckDB would have to hold the whole sorted result inside memory_limit.
_EVENT_ORDER = [
    ("item_id", "ascending", "at_end"),
    ("at", "ascending", "at_end"),
    ("_state", "ascending", "at_end"),
    ("_countries", "ascending", "at_end"),
    ("_channel", "ascending", "at_end"),
]

#: Checks and events per period: each row goes to the latest period starting at or before it
#: (``ASOF JOIN`` on the UTC period starts that :func:`period_table` computes).
_COUNTS_SELECT = """
SELECT p.ordinal, c.what, count(*) AS n
FROM (
    SELECT checked_at AS t, 'checks' AS what FROM checks
    UNION ALL
    SELECT checked_at AS t, event AS what FROM changes
) c
ASOF JOIN periods p ON c.t >= p.period_start
GROUP BY ALL
ORDER BY ALL
"""

# The notes snapshots_to_events writes for a state found at an item's first check.
_FIRST_NOTES = {
    "note_withheld": "already withheld when first seen; when it began is unknown",
    "note_suspended": "already suspended when first seen; when it began is unknown",
    "note_deleted": "not found at the first check (may never have existed, or mistyped)",
}


def events_sql(country: str) -> tuple[str, dict]:
    """The DuckDB query behind the ``duckdb`` engine and its parameters (``$files`` left to the
    caller), for reading or for ``EXPLAIN``."""
    row_order = ", ".join(f"{c} NULLS LAST" for c in dataset.row_order("checks")[1:])
    params = {
        "covers": rf"(^|[,;\s])({country}|XX)([,;\s]|$)",
        "country": country,
        **_FIRST_NOTES,
    }
    return _EVENTS_SQL.format(row_order=row_order), params


def _spill_home(dataset_dir) -> Path | None:
    """Where DuckDB spills for a local dataset: beside it, on the disk that holds the data
    (``$TMPDIR``, often memory, only for a dataset elsewhere or a folder it may not write)."""
    folder = Path(dataset_dir).parent if "://" not in str(dataset_dir) else None
    if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK):
        return None
    return folder


def _duckdb_events(dataset_dir, country: str, memory_limit: str | None) -> pd.DataFrame:
    files = _files(dataset_dir)
    if files is None:
        return empty_table("events")
    sql, params = events_sql(country)
    with duckdb_connection(memory_limit, spill_in=_spill_home(dataset_dir)) as con:
        table = _run(con, sql + _EVENTS_SELECT, {**params, "files": files}, memory_limit)
    import pyarrow.compute as pc

    from analysis.store.processed import pandas_types

    table = table.take(pc.sort_indices(table, sort_keys=_EVENT_ORDER))
    table = table.select(schema.columns("events")).cast(_events_arrow_schema())
    return table.to_pandas(types_mapper=pandas_types)


def _duckdb_counts(dataset_dir, country: str, code: str, tz: str, memory_limit: str | None):
    files = _files(dataset_dir)
    if files is None:
        return pd.DataFrame({"ordinal": [], "what": [], "n": []}), None
    sql, params = events_sql(country)
    params.pop("country")  # not used by the counts query
    with duckdb_connection(memory_limit, spill_in=_spill_home(dataset_dir)) as con:
        # The first and last check (Parquet statistics make this cheap) fix the periods.
        span = _run(
            con,
            "SELECT min(checked_at) AS low, max(checked_at) AS high FROM read_parquet($files)",
            {"files": files},
            memory_limit,
        )
        low, high = span["low"][0].as_py(), span["high"][0].as_py()
        times = pd.Series([low, high], dtype="datetime64[us, UTC]")
        first, last = (int(o) for o in period_ordinals(local_us(times, tz), code))
        periods = period_table(np.arange(first, last + 1), code, tz)[["ordinal", "period_start"]]
        con.register("periods", periods)
        table = _run(con, sql + _COUNTS_SELECT, {**params, "files": files}, memory_limit)
    long = table.to_pandas().astype({"ordinal": "int64", "what": "str", "n": "int64"})
    return long, (first, last)


def _run(con, sql: str, params: dict, memory_limit: str | None):
    import duckdb

    try:
        # Streamed in batches: the result is not held whole inside DuckDB's memory_limit.
        return con.sql(sql, params=params).to_arrow_reader().read_all()
    except duckdb.OutOfMemoryException as err:
        limit = memory_limit_in_force(memory_limit) or "default"
        raise MemoryError(
            f"DuckDB ran out of memory (memory_limit {limit}): raise memory_limit, or give its "
            f"temporary folder more disk ({str(err).splitlines()[0]})"
        ) from None


def _files(dataset_dir) -> list[str] | None:
    """The dataset's files for ``read_parquet`` (``None`` when there are none)."""
    if _is_url(dataset_dir):
        raise ValueError(
            f"{dataset_dir} is a URL: only the dask engine reads a dataset from object storage "
            "(pandas and duckdb read a local or mounted folder)"
        )
    files = dataset.data_files(dataset_dir)
    return [str(f) for f in files] if files else None


def _is_url(dataset_dir) -> bool:
    return isinstance(dataset_dir, str) and "://" in dataset_dir


def _events_arrow_schema():
    import pyarrow as pa

    return pa.schema([f.with_nullable(True) for f in schema.EVENTS])


# --- Dask -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: str | None = None) -> Iterator:
    """A ``dask.distributed`` client: to ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), else to ``$TAKEDOWNS_DASK_SCHEDULER``, else to a new local cluster
    of 2 worker processes with 1 thread each. Everything opened here is closed on exit."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    with contextlib.ExitStack() as stack:
        if address:
            client = stack.enter_context(Client(address, set_as_default=False))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
        yield client


def _dask_checks(dataset_dir):
    """The dataset as a Dask frame with each item's checks in one partition."""
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    rows = 0
    if _is_url(dataset_dir):  # s3://..., listed by Dask through fsspec (s3fs) on the workers
        source = dataset_dir
    else:
        source = _files(dataset_dir)
        if source is None:
            return None
        rows = sum(pq.read_metadata(f).num_rows for f in source)  # file footers only
    checks = dd.read_parquet(source, columns=schema.columns("checks"), split_row_groups=True)
    # Enough partitions that each worker's pandas step handles a bounded number of rows.
    npartitions = max(checks.npartitions, -(-rows // DASK_PARTITION_ROWS))
    return checks.shuffle(on="item_id", npartitions=npartitions)


def _dask_events(dataset_dir, country: str, scheduler: str | None) -> pd.DataFrame:
    checks = _dask_checks(dataset_dir)
    if checks is None:
        return empty_table("events")
    events = checks.map_partitions(
        _partition_events, country, meta=empty_table("events"), enforce_metadata=False
    )
    with dask_client(scheduler) as client:
        result = client.compute(events, sync=True)
    # Each item is in one partition, sorted there: a stable sort by item orders them all.
    result = result.sort_values("item_id", kind="stable", na_position="last")
    return result.reset_index(drop=True).astype(empty_table("events").dtypes.to_dict())


def _dask_counts(dataset_dir, country: str, code: str, tz: str, scheduler: str | None):
    checks = _dask_checks(dataset_dir)
    if checks is None:
        return pd.DataFrame({"ordinal": [], "what": [], "n": []}), None
    meta = pd.DataFrame(
        {
            "ordinal": pd.Series(dtype="int64"),
            "what": pd.Series(dtype="str"),
            "n": pd.Series(dtype="int64"),
        }
    )
    per_partition = checks.map_partitions(
        _partition_counts, country, code, tz, meta=meta, enforce_metadata=False
    )
    summed = per_partition.groupby(["ordinal", "what"]).n.sum()
    with dask_client(scheduler) as client:
        result = client.compute(summed, sync=True)
    long = result.reset_index().astype({"ordinal": "int64", "what": "str", "n": "int64"})
    return long, _span(long)


def _typed_checks(part: pd.DataFrame) -> pd.DataFrame:
    """A Dask partition with the dtypes :func:`analysis.scale.dataset.read` gives."""
    return part.reset_index(drop=True).astype(empty_table("checks").dtypes.to_dict())


def _partition_events(part: pd.DataFrame, country: str) -> pd.DataFrame:
    return checks_to_events(_typed_checks(part), country)


def _partition_counts(part: pd.DataFrame, country: str, code: str, tz: str) -> pd.DataFrame:
    return partition_counts(_typed_checks(part), country, code, tz)
