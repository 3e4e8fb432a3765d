"""``takedowns clean`` on a synthetic wide handle sheet vs the same core transformation as one
DuckDB SQL statement (bench/duckdb_clean.py). Alternating in one run, each side in its own
process; prints the medians of wall time, CPU time and peak memory, and the ratios.

    python bench/bench_clean.py --rows 2000000 --reps 5

Targets (issue #7): clean <= 1.5x DuckDB's wall time and <= 2x its peak memory. A third side,
``duckdb, same tables``, is DuckDB writing the deduplicated, sorted items and events tables the
clean writes (``duckdb_clean.py --tables``): what the output contract costs DuckDB itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from measure import BENCH, OUT, PYTHON, gib, machine, median, run, table

WALL_TARGET, MEMORY_TARGET = 1.5, 2.0


def ensure_data(rows: int) -> Path:
    raw = OUT / f"raw-{rows}"
    if not (raw / "sources.toml").is_file():
        run([PYTHON, str(BENCH / "generate.py"), "--rows", str(rows), "--out", str(raw)])
    return raw


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a src/ folder of another version of the package, timed as a third side "
        "(e.g. a checkout of main before this change)",
    )
    args = parser.parse_args(argv)
    raw = ensure_data(args.rows)
    size = (raw / "handles.csv").stat().st_size
    print(
        f"clean benchmark: {args.rows:,} rows ({size / 2**20:.0f} MiB handles.csv), "
        f"{args.reps} alternating repetitions"
    )
    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="bench-clean-", dir=OUT))
    sides = {
        "takedowns clean": [
            PYTHON,
            "-m",
            "analysis",
            "clean",
            "--raw",
            str(raw),
            "--out",
            str(work / "clean"),
        ],
        "duckdb SQL": [PYTHON, str(BENCH / "duckdb_clean.py"), str(raw), str(work / "duckdb")],
        "duckdb, same tables": [
            PYTHON,
            str(BENCH / "duckdb_clean.py"),
            "--tables",
            str(raw),
            str(work / "duckdb-tables"),
        ],
    }
    envs = {name: {"CI": "1"} for name in sides}
    if args.baseline:
        sides["baseline clean"] = [*sides["takedowns clean"][:-1], str(work / "baseline")]
        envs["baseline clean"] = {"CI": "1", "PYTHONPATH": str(args.baseline.resolve())}
    results: dict[str, list] = {name: [] for name in sides}
    try:
        for rep in range(args.reps):
            order = list(sides) if rep % 2 == 0 else list(reversed(sides))
            for name in order:
                r = run(sides[name], env=envs[name])
                results[name].append(r)
                print(
                    f"  rep {rep + 1} {name:<19} {r.wall:7.2f} s wall  {r.cpu:7.2f} s CPU  "
                    f"{gib(r.peak)} peak",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {
        name: {
            "wall": median(r.wall for r in runs),
            "cpu": median(r.cpu for r in runs),
            "peak": median(r.peak for r in runs),
        }
        for name, runs in results.items()
    }
    a, b = med["takedowns clean"], med["duckdb SQL"]
    ratio = {k: a[k] / b[k] for k in ("wall", "cpu", "peak")}
    print()
    print(
        table(
            [
                ["median", "wall", "CPU", "peak memory"],
                *[
                    [n, f"{m['wall']:.2f} s", f"{m['cpu']:.2f} s", gib(m["peak"])]
                    for n, m in med.items()
                ],
                [
                    "ratio clean/duckdb",
                    f"{ratio['wall']:.2f}x",
                    f"{ratio['cpu']:.2f}x",
                    f"{ratio['peak']:.2f}x",
                ],
            ]
        )
    )
    same = med["duckdb, same tables"]
    contract = {k: a[k] / same[k] for k in ("wall", "cpu", "peak")}
    print(
        f"DuckDB writing the same two tables takes {same['wall'] / b['wall']:.2f}x its own floor's "
        f"wall time and {same['peak'] / b['peak']:.2f}x its memory; clean against it: "
        f"{contract['wall']:.2f}x wall, {contract['cpu']:.2f}x CPU, {contract['peak']:.2f}x memory"
    )
    if "baseline clean" in med:
        base = med["baseline clean"]
        print(
            f"speed-up over the baseline: {base['wall'] / a['wall']:.2f}x wall, "
            f"{base['peak'] / a['peak']:.2f}x less peak memory"
        )
    print(
        f"targets: wall <= {WALL_TARGET}x: {'met' if ratio['wall'] <= WALL_TARGET else 'NOT met'};"
        f" peak memory <= {MEMORY_TARGET}x: "
        f"{'met' if ratio['peak'] <= MEMORY_TARGET else 'NOT met'}"
    )
    summary = {"rows": args.rows, "medians": med, "ratios": ratio, "ratios_same_tables": contract}
    (OUT / f"clean-{args.rows}.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
