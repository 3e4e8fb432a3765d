"""Run every benchmark and print the ratios against the issue #7 targets (``make bench``).

    python bench/run_all.py --rows 2000000 --events 10000000 --checks 50000000 --reps 3

Results are also written as JSON to bench/out/. See bench/README.md.
"""

from __future__ import annotations

import argparse

import bench_append
import bench_clean
import bench_metrics
import bench_report
import bench_scale
from measure import gib, machine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="handle sheet rows (clean)")
    parser.add_argument("--events", type=int, default=100_000, help="events (metrics)")
    parser.add_argument(
        "--checks", type=int, default=2_000_000, help="status checks (scale-out, DuckDB)"
    )
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    reps = ["--reps", str(args.reps)]
    clean = bench_clean.main(["--rows", str(args.rows), *reps])
    print()
    metrics = bench_metrics.main(["--events", str(args.events), *reps])
    print()
    report = bench_report.main(reps)
    print()
    scale = bench_scale.main(["--rows", str(args.checks), "--clean"])
    print()
    append = bench_append.main(["--rows", str(max(20_000, args.checks // 20))])
    print()
    print(f"== summary ({machine()}) ==")
    for side, r in clean["ratios_same_tables"].items():
        if not side.startswith("clean"):
            continue
        print(
            f"{side}, {args.rows:,} rows, vs DuckDB writing the same deduplicated, sorted tables: "
            f"{r['wall']:.2f}x its wall time (target <= {bench_clean.WALL_TARGET}x), "
            f"{r['peak']:.2f}x its peak memory (target <= {bench_clean.MEMORY_TARGET}x), "
            f"{r['cpu']:.2f}x its CPU time"
        )
    for name, m in metrics.items():
        print(
            f"{name}, {args.events:,} events: {m['seconds']:.2f} s, {gib(m['peak'])} peak "
            f"(target < 10 s, < 4 GiB): {'met' if m['met'] else 'NOT met'}"
        )
    print(
        f"report: {report['ratio']:.2f}x the floor (target <= 1.5x); cached re-run "
        f"{report['cached']:.2f} s (target < 1 s)"
    )
    for m in scale["results"]:
        if m["what"] == "counts" and m["engine"] == "duckdb":
            limit = f" under memory_limit {m['memory_limit']}" if m["memory_limit"] else ""
            print(
                f"event counts, {m['rows']:,} checks, DuckDB{limit}: {m['seconds']:.2f} s, "
                f"{gib(m['peak'])} peak"
            )
    for m in append["results"]:
        print(f"append, one CSV of {m['rows']:,} checks read {m['how']}: {gib(m['peak'])} peak")


if __name__ == "__main__":
    main()
