"""``takedowns append`` of one big CSV of status checks (read in pieces vs read whole), and of
big X API lookups saved as JSON Lines and as one JSON array (streamed).

    python bench/bench_append.py --rows 3000000 --json-mb 1024

Writes a seeded researcher's sheet of N daily status checks (handle, notice, status, checked
at; 50 bytes a row) and the same sheet twice over (2N rows), then appends each to a fresh
dataset in its own process: once as ``takedowns append`` does (pieces of
``analysis.ingest.readers.tabular.CHUNK_ROWS`` rows, staged as they are read) and once with the file
read whole. Prints wall time and peak memory: the pieces' peak should stay flat as the file
doubles, the whole read's should double.

Then writes ``--json-mb`` MB of seeded v1.1 user lookups (about 150 bytes each, a tenth of
them withheld in India) as JSON Lines and as one JSON array, and appends each as ``takedowns
append`` does: documents streamed, checks staged 500,000 at a time. Target (issue 19): a 1 GB
lookup file under 1 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from measure import OUT, PYTHON, gib, machine, run, table

STATES = np.array(
    [
        "active",
        "Code 63: User has been suspended.",
        "withheld in: India",
        "Code 50: User not found.",
    ]
)
APPEND = (
    "import sys; from pathlib import Path; from analysis.scale.append import append_files; "
    "r = append_files([Path(sys.argv[1])], Path(sys.argv[2]), kind='handle_list', "
    "chunk_rows=int(sys.argv[3])); "
    "assert r.appended is not None and r.rejects.empty, r.rejects.head(); print(r.checks)"
)
WHOLE = 1 << 62  # one piece: the file read whole
APPEND_JSON = (
    "import sys; from pathlib import Path; from analysis.scale.append import append_files; "
    "r = append_files([Path(sys.argv[1])], Path(sys.argv[2])); "
    "assert r.appended is not None and r.rejects.empty, r.rejects.head(); print(r.checks)"
)
JSON_TARGET = 1.0  # GiB of peak memory for a 1 GB lookup file


def generate_json(megabytes: int, folder: Path, seed: int = 20210205) -> tuple[Path, Path, int]:
    """About ``megabytes`` MB of user lookups as ``.jsonl`` and as one ``.json`` array; the
    two paths and the number of records."""
    lines_path = folder / f"lookups-{megabytes}mb.jsonl"
    array_path = folder / f"lookups-{megabytes}mb.json"
    rng = np.random.default_rng(seed)
    records = 0
    if not (lines_path.is_file() and array_path.is_file()):
        with lines_path.open("w", encoding="utf-8") as lines, array_path.open("w") as array:
            array.write("[\n")
            written = 0
            while written < megabytes * 10**6:
                ids = rng.integers(10**9, 10**10, 50_000)
                days = rng.integers(1, 28, 50_000)
                held = rng.random(50_000) < 0.1
                part = [
                    json.dumps(
                        {
                            "checked_at": f"2021-02-{d:02d}T09:00:00Z",
                            "id_str": str(i),
                            "screen_name": f"acct{i}",
                            "withheld_in_countries": ["IN"] if h else [],
                            "withheld_scope": "user",
                        }
                    )
                    for i, d, h in zip(ids, days, held, strict=True)
                ]
                text = "\n".join(part) + "\n"
                lines.write(text)
                array.write((",\n" if written else "") + ",\n".join(part))
                written += len(text)
            array.write("\n]\n")
    with lines_path.open("rb") as lines:
        records = sum(1 for _ in lines)
    return lines_path, array_path, records


def generate(rows: int, path: Path, seed: int = 20210204) -> Path:
    """``rows`` checks of 200,000 accounts over two years, in day-first dates."""
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    account = rng.integers(0, 200_000, rows)
    state = STATES[rng.integers(0, len(STATES), rows)]
    day = (np.datetime64("2021-01-01") + rng.integers(0, 730, rows)).astype(str)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Handle,Notice,Status,Checked at\n")
        for start in range(0, rows, 200_000):
            part = slice(start, start + 200_000)
            out.write(
                "".join(
                    f"@acct{a},LN-{a % 50},{s},{d[8:10]}/{d[5:7]}/{d[:4]}\n"
                    for a, s, d in zip(account[part], state[part], day[part], strict=True)
                )
            )
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--json-mb", type=int, default=16, help="MB of X API lookups")
    args = parser.parse_args(argv)
    from analysis.ingest.readers.tabular import CHUNK_ROWS

    OUT.mkdir(exist_ok=True)
    single = generate(args.rows, OUT / f"checks-{args.rows}.csv")
    double = OUT / f"checks-{args.rows}x2.csv"
    if not double.is_file():
        with double.open("wb") as out:
            for copy in range(2):
                with single.open("rb") as src:
                    if copy:
                        src.readline()  # the header once
                    shutil.copyfileobj(src, out)
    print(f"append benchmark: one CSV of {args.rows:,} and of {2 * args.rows:,} status checks")
    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="bench-append-", dir=OUT))
    results = []
    try:
        for path, rows in ((single, args.rows), (double, 2 * args.rows)):
            for how, chunk in (("in pieces", CHUNK_ROWS), ("whole", WHOLE)):
                target = work / f"{rows}-{how.replace(' ', '-')}"
                r = run([PYTHON, "-c", APPEND, str(path), str(target), str(chunk)])
                shutil.rmtree(target, ignore_errors=True)
                results.append({"rows": rows, "how": how, "wall": r.wall, "peak": r.peak})
                print(f"  {rows:>11,} {how:<9} {r.wall:7.2f} s  {gib(r.peak)} peak", flush=True)
        lines_path, array_path, records = generate_json(args.json_mb, OUT)
        for path, how in ((lines_path, "JSON Lines"), (array_path, "JSON array")):
            size = path.stat().st_size
            target = work / path.name
            r = run([PYTHON, "-c", APPEND_JSON, str(path), str(target)])
            shutil.rmtree(target, ignore_errors=True)
            results.append(
                {"rows": records, "how": how, "bytes": size, "wall": r.wall, "peak": r.peak}
            )
            print(
                f"  {records:>11,} {how:<9} ({size / 10**6:,.0f} MB) {r.wall:7.2f} s  "
                f"{gib(r.peak)} peak",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        table(
            [
                ["checks", "read", "wall", "peak memory"],
                *[
                    [f"{m['rows']:,}", m["how"], f"{m['wall']:.2f} s", gib(m["peak"])]
                    for m in results
                ],
            ]
        )
    )
    for m in results:
        if "bytes" in m:
            per_gb = m["peak"] / 2**30 / max(m["bytes"] / 10**9, 1.0)
            print(
                f"{m['how']}, {m['bytes'] / 10**6:,.0f} MB: {gib(m['peak'])} peak "
                f"(target for a 1 GB file: under {JSON_TARGET:.0f} GiB"
                + (
                    f"; {'met' if m['peak'] < JSON_TARGET * 2**30 else 'NOT met'})"
                    if m["bytes"] >= 10**9
                    else f"; at this size {per_gb:.2f} GiB)"
                )
            )
    summary = {"rows": args.rows, "chunk_rows": CHUNK_ROWS, "results": results}
    (OUT / f"append-{args.rows}.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
