"""One step of the scale-out benchmark in its own process, timings printed as JSON (so
bench/bench_scale.py reads each run's own peak memory).

    python bench/run_scale.py generate DATASET --rows N [--seed 7]
    python bench/run_scale.py {monthly-checks,counts,events} {pandas,duckdb,dask} DATASET
        [--memory-limit 1GB]

``generate`` writes N synthetic status checks with DuckDB itself (SQL ``range()``, seeded
hashes) as a hive-partitioned dataset (``COPY ... PARTITION_BY (year, month)``): 100 daily checks
per item from 1 January 2021 (N / 100 items), at a random second of the day; each item's state
is drawn per item-week (visible 70%, withheld 20% with countries IN, XX, XY, DE,IN or none,
suspended 7%, not found 3%), so states hold for days and then change, as real ones do.

``monthly-checks`` is the plain ``GROUP BY`` month of the raw checks (the issue's reference
figure); ``counts`` is :func:`analysis.scale.engines.event_counts` (freq M); ``events`` is
:func:`analysis.scale.engines.events_from_checks`. For ``dask`` a local cluster of 2 worker
processes (1 thread each) is started first and timed apart (``startup``); the peak memory of its
largest worker is ``children_peak``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

CHECKS_PER_ITEM = 100  # days

GENERATE_SQL = """
COPY (
    WITH numbered AS (
        SELECT range AS i, range % $items AS item, range // $items AS day FROM range($rows)
    ),
    drawn AS (
        SELECT *,
            hash(item, (day + item % 7) // 7, $seed) % 100 AS r,
            hash(item, (day + item % 7) // 7, $seed + 1) % 5 AS c,
            hash(i, $seed + 2) % 86400 AS second
        FROM numbered
    ),
    checks AS (
        SELECT
            '@u' || item::VARCHAR AS item_id,
            CASE WHEN item % 4 = 0 THEN NULL ELSE 'IN-' || (item % 50)::VARCHAR END AS order_id,
            TIMESTAMPTZ '2021-01-01 00:00:00+00' + to_days(day::INTEGER)
                + to_seconds(second::BIGINT) AS checked_at,
            'second' AS time_precision,
            CASE WHEN r < 70 THEN 'visible' WHEN r < 90 THEN 'withheld'
                WHEN r < 97 THEN 'suspended' ELSE 'not_found' END AS state,
            CASE WHEN r >= 70 AND r < 90
                THEN ['IN', 'XX', 'XY', 'DE,IN', NULL][(c + 1)::INTEGER] END AS countries,
            NULL::VARCHAR AS source_url,
            'lookups-' || strftime(TIMESTAMP '2021-01-01' + to_days(day::INTEGER), '%Y-%m-%d')
                || '.jsonl' AS source_file,
            (item + 1)::BIGINT AS source_row
        FROM drawn
    )
    SELECT *, year(checked_at) AS year, month(checked_at) AS month FROM checks
) TO '{path}' (FORMAT parquet, PARTITION_BY (year, month), COMPRESSION zstd)
"""


def generate(path: Path, rows: int, seed: int) -> dict:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    items = max(rows // CHECKS_PER_ITEM, 1)
    sql = GENERATE_SQL.format(path=str(path).replace("'", "''"))
    con.execute(sql, {"rows": rows, "items": items, "seed": seed})
    size = sum(p.stat().st_size for p in path.rglob("*.parquet"))
    return {"rows": rows, "items": items, "bytes": size}


def monthly_checks(path: Path, memory_limit: str | None) -> dict:
    from analysis.core.duck import duckdb_connection
    from analysis.scale.engines import _files

    with duckdb_connection(memory_limit) as con:
        rows = con.sql(
            "SELECT date_trunc('month', checked_at) AS month, count(*) AS checks "
            "FROM read_parquet($files) GROUP BY ALL ORDER BY ALL",
            params={"files": _files(path)},
        ).fetchall()
    return {"periods": len(rows), "checks": sum(n for _, n in rows)}


def step(what: str, engine: str, path: Path, memory_limit: str | None) -> dict:
    from analysis.scale import engines

    info: dict = {}
    scheduler = None
    cluster = None
    if engine == "dask":
        from distributed import LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        scheduler = cluster.scheduler_address
        info["startup"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        if what == "monthly-checks":
            info.update(monthly_checks(path, memory_limit))
        elif what == "counts":
            counts = engines.event_counts(
                path, engine=engine, memory_limit=memory_limit, scheduler=scheduler
            )
            info.update(periods=len(counts), checks=int(counts["checks"].sum()))
            info["events"] = int(counts[list(engines.COUNTED[1:])].to_numpy().sum())
        elif what == "events":
            events = engines.events_from_checks(
                path, engine=engine, memory_limit=memory_limit, scheduler=scheduler
            )
            info["events"] = len(events)
        else:
            raise SystemExit(f"unknown step {what!r}")
        info["seconds"] = time.perf_counter() - t0
    finally:
        if cluster is not None:
            cluster.close()
    return info


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "generate":
        parser = argparse.ArgumentParser()
        parser.add_argument("what")
        parser.add_argument("dataset", type=Path)
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)
        opts = parser.parse_args(args)
        t0 = time.perf_counter()
        info = generate(opts.dataset, opts.rows, opts.seed)
        info["seconds"] = time.perf_counter() - t0
    else:
        parser = argparse.ArgumentParser()
        parser.add_argument("what", choices=("monthly-checks", "counts", "events"))
        parser.add_argument("engine", choices=("pandas", "duckdb", "dask"))
        parser.add_argument("dataset", type=Path)
        parser.add_argument("--memory-limit")
        opts = parser.parse_args(args)
        info = step(opts.what, opts.engine, opts.dataset, opts.memory_limit)
    info["self_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    info["children_peak"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps(info))


if __name__ == "__main__":
    main()
