"""Lag and reversal metrics on synthetic canonical tables of N events: time and peak memory.

    python bench/bench_metrics.py --events 10000000 --reps 3

Each run is its own process (bench/run_metric.py): ``lag`` is ``lag_items`` + ``lag_summary``,
``reversals`` is ``episodes`` + ``reversal_summary``. Loading the Parquet tables is timed
apart and not counted in the metric's time; the peak memory is the whole process's, tables
included. Targets (issue #7), at 10M events: each metric < 10 s and < 4 GiB.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from measure import BENCH, OUT, PYTHON, gib, machine, median, run, table

TIME_TARGET, MEMORY_TARGET = 10.0, 4 * 2**30


def ensure_data(events: int) -> Path:
    data = OUT / f"metrics-{events}"
    if not (data / "events.parquet").is_file():
        run([PYTHON, str(BENCH / "metrics_data.py"), "--events", str(events), "--out", str(data)])
    return data


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a src/ folder of another version of the package, timed alongside",
    )
    args = parser.parse_args(argv)
    data = ensure_data(args.events)
    print(f"metrics benchmark: {args.events:,} events, {args.reps} repetitions")
    print(f"machine: {machine()}")
    names = ["lag", "reversals"]
    envs = {"lag": {}, "reversals": {}}
    if args.baseline:
        for metric in ("lag", "reversals"):
            names.append(f"{metric} (baseline)")
            envs[f"{metric} (baseline)"] = {"PYTHONPATH": str(args.baseline.resolve())}
    results: dict[str, list] = {n: [] for n in names}
    for rep in range(args.reps):
        for name in names if rep % 2 == 0 else reversed(names):
            metric = name.split()[0]
            r = run([PYTHON, str(BENCH / "run_metric.py"), metric, str(data)], env=envs[name])
            info = json.loads(r.stdout.strip().splitlines()[-1])
            results[name].append((info, r))
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in info["seconds"].items())
            print(f"  rep {rep + 1} {name:<20} {parts}; {gib(r.peak)} peak", flush=True)
    summary = {}
    rows = [["median", "metric time", "CPU (process)", "peak memory", "target"]]
    for name, runs in results.items():
        secs = median(info["seconds"]["metric"] for info, _ in runs)
        peak = median(r.peak for _, r in runs)
        cpu = median(r.cpu for _, r in runs)
        met = secs < TIME_TARGET and peak < MEMORY_TARGET
        summary[name] = {"seconds": secs, "peak": peak, "cpu": cpu, "met": met}
        rows.append([name, f"{secs:.2f} s", f"{cpu:.2f} s", gib(peak), "met" if met else "NOT met"])
    print()
    print(table(rows))
    print(f"targets: < {TIME_TARGET:.0f} s and < {gib(MEMORY_TARGET)} per metric")
    (OUT / f"metrics-{args.events}.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
