"""Scale-out (issue #8): a synthetic checks dataset through DuckDB, pandas and Dask.

    python bench/bench_scale.py --rows 50000000 --compare-rows 2000000 --clean

Generates ``--rows`` status checks with DuckDB (bench/run_scale.py ``generate``: SQL
``range()``, seeded, written with ``COPY ... PARTITION_BY (year, month)``), then times, each in
its own process (wall time; peak resident memory of that process, and for Dask of its largest
worker process):

* at ``--rows``: DuckDB's plain monthly ``GROUP BY`` of the checks (the issue's reference
  figure), :func:`analysis.scale.engines.event_counts` and
  :func:`analysis.scale.engines.events_from_checks`
  on DuckDB, and both again under ``--memory-limit``;
* at ``--compare-rows`` (a smaller dataset, default the same up to 2M rows): the same two steps
  on pandas, DuckDB and Dask (a local cluster of 2 worker processes; its start-up is timed
  apart), whose answers must agree.

Results also go to bench/out/scale-<rows>.json. ``--clean`` deletes the generated datasets
afterwards (50M rows take about 1 GB).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from measure import BENCH, OUT, PYTHON, gib, machine, median, run, table


def dataset(rows: int, seed: int) -> tuple[Path, dict]:
    path = OUT / f"scale-{rows}" / "checks"
    info_file = path.parent / "generated.json"
    if not info_file.is_file():
        shutil.rmtree(path.parent, ignore_errors=True)
        r = run(
            [
                PYTHON,
                str(BENCH / "run_scale.py"),
                "generate",
                str(path),
                "--rows",
                str(rows),
                "--seed",
                str(seed),
            ]
        )
        info = json.loads(r.stdout.strip().splitlines()[-1])
        info.update(wall=r.wall, peak=r.peak)
        info_file.write_text(json.dumps(info))
    return path, json.loads(info_file.read_text())


def measure(what: str, engine: str, path: Path, memory_limit: str | None, reps: int) -> dict:
    args = [PYTHON, str(BENCH / "run_scale.py"), what, engine, str(path)]
    if memory_limit:
        args += ["--memory-limit", memory_limit]
    runs = []
    for _ in range(reps):
        r = run(args)
        info = json.loads(r.stdout.strip().splitlines()[-1])
        runs.append((info, r))
    first = runs[0][0]
    return {
        "what": what,
        "engine": engine,
        "memory_limit": memory_limit,
        "wall": median(r.wall for _, r in runs),
        "seconds": median(i["seconds"] for i, _ in runs),
        "startup": median(i.get("startup", 0.0) for i, _ in runs),
        # the process itself (wait4 would add its waited-for children: Dask's workers)
        "peak": median(i["self_peak"] for i, _ in runs),
        "worker_peak": median(i["children_peak"] for i, _ in runs) if engine == "dask" else 0,
        "answer": {k: first[k] for k in ("periods", "checks", "events") if k in first},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="checks for DuckDB")
    parser.add_argument(
        "--compare-rows", type=int, help="checks for pandas vs DuckDB vs Dask (<= 2M by default)"
    )
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB limit for the capped runs")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clean", action="store_true", help="delete the datasets afterwards")
    args = parser.parse_args(argv)
    compare_rows = args.compare_rows or min(args.rows, 2_000_000)
    print(f"scale benchmark: {args.rows:,} checks (DuckDB); {compare_rows:,} for the comparison")
    print(f"machine: {machine()}")
    big, generated = dataset(args.rows, args.seed)
    print(
        f"  generated {generated['rows']:,} checks of {generated['items']:,} items with DuckDB "
        f"in {generated['wall']:.1f} s ({generated['bytes'] / 2**20:,.0f} MiB of Parquet)",
        flush=True,
    )
    results = []
    plan = [
        (big, args.rows, "monthly-checks", "duckdb", None),
        (big, args.rows, "counts", "duckdb", None),
        (big, args.rows, "events", "duckdb", None),
        (big, args.rows, "counts", "duckdb", args.memory_limit),
        (big, args.rows, "events", "duckdb", args.memory_limit),
    ]
    small = big if compare_rows == args.rows else dataset(compare_rows, args.seed)[0]
    for what in ("counts", "events"):
        for engine in ("pandas", "duckdb", "dask"):
            if not (small is big and engine == "duckdb"):  # measured above already
                plan.append((small, compare_rows, what, engine, None))
    for path, rows, what, engine, limit in plan:
        m = measure(what, engine, path, limit, args.reps)
        m["rows"] = rows
        results.append(m)
        extra = f", cluster start {m['startup']:.1f} s" if engine == "dask" else ""
        print(
            f"  {rows:>12,} {what:<15} {engine:<7} {limit or '-':>6}: {m['seconds']:.2f} s "
            f"({m['wall']:.2f} s process), {gib(m['peak'])} peak{extra}",
            flush=True,
        )
    _check_agreement(results)
    rows = [["checks", "step", "engine", "limit", "step time", "process", "peak", "worker peak"]]
    for m in results:
        rows.append(
            [
                f"{m['rows']:,}",
                m["what"],
                m["engine"],
                m["memory_limit"] or "-",
                f"{m['seconds']:.2f} s",
                f"{m['wall']:.2f} s",
                gib(m["peak"]),
                gib(m["worker_peak"]) if m["engine"] == "dask" else "-",
            ]
        )
    print()
    print(table(rows))
    summary = {"machine": machine(), "generated": generated, "results": results}
    (OUT / f"scale-{args.rows}.json").write_text(json.dumps(summary, indent=1))
    if args.clean:
        for rows_n in {args.rows, compare_rows}:
            shutil.rmtree(OUT / f"scale-{rows_n}", ignore_errors=True)
    return summary


def _check_agreement(results: list[dict]) -> None:
    """Every engine must give the same answer on the same data (a benchmark of wrong answers
    would be worthless)."""
    seen: dict[tuple, tuple] = {}
    for m in results:
        key = (m["rows"], m["what"])
        answer = tuple(sorted(m["answer"].items()))
        if m["what"] != "monthly-checks" and seen.setdefault(key, answer) != answer:
            raise SystemExit(f"engines disagree at {key}: {seen[key]} vs {answer} ({m['engine']})")


if __name__ == "__main__":
    main()
