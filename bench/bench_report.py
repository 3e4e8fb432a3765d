"""``takedowns report`` on the built-in data vs a floor, and the cached re-run.

    python bench/bench_report.py --reps 3

The floor is the same number of notebooks that only import pandas and matplotlib and draw one
chart, executed and exported the same way: both sides go through
:func:`analysis.report.render.run_report` with ``force=True`` (no cache), two workers, alternating
in one run. Then ``takedowns report`` is run again with nothing changed, as a user would, and the
cached run is timed end to end (process start included).

Targets (issue #7): report <= 1.5x the floor; a cached run < 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import nbformat
from measure import OUT, PYTHON, ROOT, machine, median, run, table

RATIO_TARGET, CACHED_TARGET = 1.5, 1.0

FLOOR_CODE = """\
import matplotlib.pyplot as plt
import pandas as pd

frame = pd.DataFrame({"month": range(1, 13), "orders": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]})
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.bar(frame["month"], frame["orders"])
ax.set_title("Floor chart N")
if output_dir:
    fig.savefig(f"{output_dir}/chart.png", dpi=100)
plt.show()
"""


def floor_notebooks(count: int) -> list[Path]:
    folder = OUT / "floor-notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('output_dir: str = ""  # chart folder\nlang: str = "en"')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# Floor {n}"),
            params,
            nbformat.v4.new_code_cell(FLOOR_CODE.replace("chart N", f"chart {n}")),
        ]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = folder / f"{n:02d}-floor.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def data_dir() -> Path:
    """A copy of data/raw, cleaned, so the benchmark never writes to data/processed."""
    base = OUT / "report-data"
    if base.exists():
        shutil.rmtree(base)
    shutil.copytree(ROOT / "data" / "raw", base / "raw")
    run(
        [
            PYTHON,
            "-m",
            "analysis",
            "clean",
            "--raw",
            str(base / "raw"),
            "--out",
            str(base / "processed"),
        ]
    )
    return base


def main(argv: list[str] | None = None) -> dict:
    from analysis.report.render import default_notebooks, run_report

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    notebooks = default_notebooks()
    floor = floor_notebooks(len(notebooks))
    base = data_dir()
    print(
        f"report benchmark: {len(notebooks)} notebooks vs {len(floor)} floor notebooks, "
        f"{args.reps} alternating repetitions, 2 workers"
    )
    print(f"machine: {machine()}")
    sides = {
        "takedowns report": dict(notebooks=notebooks, params={"data_dir": str(base)}),
        "floor": dict(notebooks=floor, params={}),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    for rep in range(args.reps):
        for name in sides if rep % 2 == 0 else reversed(sides):
            out = OUT / ("report-floor" if name == "floor" else "report-real")
            started = time.perf_counter()
            result = run_report(out_dir=out, workers=2, progress=False, force=True, **sides[name])
            seconds = time.perf_counter() - started
            if not result.ok:
                raise SystemExit(f"{name}: a notebook failed:\n{result.message()}")
            times[name].append(seconds)
            slowest = max(result.timings.items(), key=lambda kv: kv[1])
            print(
                f"  rep {rep + 1} {name:<17} {seconds:6.2f} s  (slowest notebook "
                f"{slowest[0]} {slowest[1]:.2f} s)",
                flush=True,
            )

    # The cached path, as a user meets it: the same command again, nothing changed.
    cli = [
        PYTHON,
        "-m",
        "analysis",
        "report",
        "-p",
        "data_dir",
        str(base),
        "--out",
        str(OUT / "report-cli"),
    ]
    run(cli, env={"CI": "1"})  # fills the cache
    cached = []
    for _ in range(max(3, args.reps)):
        r = run(cli, env={"CI": "1"})
        if "unchanged" not in r.stdout:
            raise SystemExit(f"the second run was not cached:\n{r.stdout}")
        cached.append(r.wall)

    real, fl = median(times["takedowns report"]), median(times["floor"])
    ratio = real / fl
    hot = median(cached)
    print()
    print(
        table(
            [
                ["median", "wall"],
                ["takedowns report (force)", f"{real:.2f} s"],
                ["floor notebooks (force)", f"{fl:.2f} s"],
                ["ratio report/floor", f"{ratio:.2f}x"],
                ["cached takedowns report", f"{hot:.2f} s"],
            ]
        )
    )
    print(
        f"targets: report <= {RATIO_TARGET}x the floor: "
        f"{'met' if ratio <= RATIO_TARGET else 'NOT met'}; cached < {CACHED_TARGET:.0f} s: "
        f"{'met' if hot < CACHED_TARGET else 'NOT met'}"
    )
    summary = {
        "report": real,
        "floor": fl,
        "ratio": ratio,
        "cached": hot,
        "runs": times,
        "cached_runs": cached,
    }
    (OUT / "report.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
