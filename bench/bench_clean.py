"""``takedowns clean`` on a synthetic wide handle sheet vs DuckDB doing the same work, alternating
in one run, each side in its own process; prints the medians of wall time, CPU time and peak
memory, and the ratios.

    python bench/bench_clean.py --rows 2000000 --reps 3

The sides:

* ``clean, in pieces`` and ``clean, in memory``: ``takedowns clean --route pieces|memory``
  (which route the command takes by itself on this machine is printed first);
* ``duckdb, same tables``: DuckDB writing the deduplicated, sorted items and events tables the
  clean writes (``duckdb_clean.py --tables``), the peer the targets are set against (issue 19);
* ``duckdb SQL``: DuckDB writing the rows as read, unsorted (``duckdb_clean.py``): the floor.

Targets (issue 19): the clean within 1.5x the same-tables peer's wall time and within its peak
memory (1.0x). Peak memory counts every process of a side (bench/measure.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from measure import BENCH, OUT, PYTHON, gib, machine, median, run, table

WALL_TARGET, MEMORY_TARGET = 1.5, 1.0
PEER = "duckdb, same tables"


def ensure_data(rows: int) -> Path:
    raw = OUT / f"raw-{rows}"
    if not (raw / "sources.toml").is_file():
        run([PYTHON, str(BENCH / "generate.py"), "--rows", str(rows), "--out", str(raw)])
    return raw


def chosen_route(raw: Path) -> str:
    """What ``takedowns clean`` decides by itself for ``raw`` on this machine."""
    from analysis.clean.route import choose
    from analysis.ingest.sources import load_sources

    plan = choose(load_sources(raw))
    return plan.why


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--no-memory-route",
        action="store_true",
        help="leave out the in-memory clean (it needs about 16 bytes of memory per byte of CSV)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a src/ folder of another version of the package, timed as another side "
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
    print(f"takedowns clean on its own would clean it {chosen_route(raw)}")
    work = Path(tempfile.mkdtemp(prefix="bench-clean-", dir=OUT))

    def clean(route: str, out: str) -> list[str]:
        command = [PYTHON, "-m", "analysis", "clean", "--raw", str(raw), "--out"]
        return [*command, str(work / out), "--route", route]

    sides = {"clean, in pieces": clean("pieces", "pieces")}
    if not args.no_memory_route:
        sides["clean, in memory"] = clean("memory", "memory")
    sides[PEER] = [PYTHON, str(BENCH / "duckdb_clean.py"), "--tables", str(raw), str(work / "dt")]
    sides["duckdb SQL"] = [PYTHON, str(BENCH / "duckdb_clean.py"), str(raw), str(work / "duckdb")]
    envs = {name: {"CI": "1"} for name in sides}
    if args.baseline:
        sides["baseline clean"] = [
            PYTHON,
            "-m",
            "analysis",
            "clean",
            "--raw",
            str(raw),
            "--out",
            str(work / "baseline"),
        ]
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
            "walls": [r.wall for r in runs],
        }
        for name, runs in results.items()
    }
    peer, floor = med[PEER], med["duckdb SQL"]
    ratios = {
        name: {k: m[k] / peer[k] for k in ("wall", "cpu", "peak")}
        for name, m in med.items()
        if name != PEER
    }
    print()
    print(
        table(
            [
                ["median", "wall", "CPU", "peak memory", f"vs {PEER}: wall", "CPU", "memory"],
                *[
                    [
                        n,
                        f"{m['wall']:.2f} s",
                        f"{m['cpu']:.2f} s",
                        gib(m["peak"]),
                        *(
                            [f"{ratios[n][k]:.2f}x" for k in ("wall", "cpu", "peak")]
                            if n in ratios
                            else ["", "", ""]
                        ),
                    ]
                    for n, m in med.items()
                ],
            ]
        )
    )
    print(
        f"DuckDB writing the same two tables takes {peer['wall'] / floor['wall']:.2f}x its "
        f"own floor's wall time and {peer['peak'] / floor['peak']:.2f}x its memory"
    )
    for name in ("clean, in pieces", "clean, in memory"):
        if name not in ratios:
            continue
        r = ratios[name]
        print(
            f"{name}: wall {r['wall']:.2f}x the same-tables peer (target <= {WALL_TARGET}x: "
            f"{'met' if r['wall'] <= WALL_TARGET else 'NOT met'}), peak memory {r['peak']:.2f}x "
            f"(target <= {MEMORY_TARGET}x: {'met' if r['peak'] <= MEMORY_TARGET else 'NOT met'})"
        )
    if "baseline clean" in med:
        base, ours = med["baseline clean"], med["clean, in pieces"]
        print(
            f"speed-up over the baseline: {base['wall'] / ours['wall']:.2f}x wall, "
            f"{base['peak'] / ours['peak']:.2f}x less peak memory"
        )
    summary = {
        "rows": args.rows,
        "machine": machine(),
        "medians": med,
        "ratios_same_tables": ratios,
        "ratios": ratios["clean, in pieces"],
    }
    (OUT / f"clean-{args.rows}.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
