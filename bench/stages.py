"""Where one ``takedowns clean`` spends its time, phase by phase, in one process.

    python bench/stages.py RAW_DIR [OUT_DIR] [--route pieces|memory] [--workers N]

Prints, after each phase, its wall seconds, the CPU seconds of this process and of its worker
processes, and this process's peak RSS so far. A diagnostic for the clean benchmark, not a
benchmark itself.

In pieces (the route ``takedowns clean`` takes for a big sheet): reading the other sources,
reading and checking the big sheet's pieces (this process reads them and checks some; the
workers check the rest), sorting (DuckDB, until each table's first sorted rows come; items and
events side by side), writing the sorted tables (setting repeats aside on the way), the
manifest, and publishing. In memory: read, canonical, combine, validate, manifest, write.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import tempfile
import time
from pathlib import Path


class Clock:
    def __init__(self):
        self.last = time.perf_counter()
        self.cpu = self._cpu()

    @staticmethod
    def _cpu() -> tuple[float, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime

    def mark(self, stage: str) -> None:
        now, cpu = time.perf_counter(), self._cpu()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{stage:<26} {now - self.last:7.2f} s wall  {cpu[0] - self.cpu[0]:6.2f} s CPU here  "
            f"{cpu[1] - self.cpu[1]:6.2f} s CPU in workers  peak RSS here {peak:6.0f} MiB",
            flush=True,
        )
        self.last, self.cpu = now, cpu


def in_memory(raw: Path, out: Path) -> None:
    clock = Clock()
    from analysis.clean.combine import combine
    from analysis.clean.pipeline import SourceResult, build_manifest
    from analysis.clean.validate import validate_tables
    from analysis.ingest.canonical import to_canonical
    from analysis.ingest.readers import read_raw
    from analysis.ingest.sources import load_sources, source_sha256
    from analysis.store.processed import write_outputs

    clock.mark("import")
    sources = load_sources(raw)
    raws = [(s, read_raw(s)) for s in sources]
    clock.mark("read")
    results = [
        SourceResult(s, source_sha256(s.path), r.rows_read, to_canonical(s, r)) for s, r in raws
    ]
    del raws
    clock.mark("canonical")
    combined = combine([r.canonical for r in results])
    clock.mark("combine")
    combined = validate_tables(combined)
    clock.mark("validate")
    manifest = build_manifest(raw, results, combined)
    clock.mark("manifest")
    write_outputs(out, combined.tables, combined.rejects, manifest)
    clock.mark("write")


def in_pieces(raw: Path, out: Path, workers: int | None) -> None:
    clock = Clock()
    import pandas as pd

    from analysis.clean import pipeline, spill
    from analysis.clean.combine import Combined
    from analysis.clean.route import choose
    from analysis.clean.workers import PiecePool
    from analysis.ingest.sources import load_sources
    from analysis.store.processed import table_metadata, write_outputs

    clock.mark("import")
    sources = load_sources(raw)
    plan = choose(sources, "pieces", workers)
    print(f"  plan: {plan}")
    sorted_at: dict[str, float] = {}
    started = [0.0]
    real = spill._sorted_batches

    def timed(cursor, name, files, bars):  # when each table's sorted rows start to come
        for i, batch in enumerate(real(cursor, name, files, bars)):
            if i == 0:
                sorted_at[name] = time.perf_counter() - started[0]
            yield batch

    spill._sorted_batches = timed
    reading = pipeline._pieces_of

    def pieces_of(*args):
        clock.mark("read the other sources")
        return reading(*args)

    pipeline._pieces_of = pieces_of
    out.mkdir(parents=True, exist_ok=True)
    with spill.Spill(out, plan.memory_limit, plan.threads) as kept:
        pool = PiecePool(plan.workers, ("analysis.clean.pieces",)) if plan.workers else None
        with pool if pool is not None else contextlib.nullcontext():
            results, combined = pipeline._process_in_pieces(sources, plan, kept, pool)
        clock.mark("read and check the pieces")
        head = pipeline.run_identity(raw, results)
        started[0] = time.perf_counter()
        tables, duplicates = kept.stage(out, table_metadata(head))
        for name, seconds in sorted(sorted_at.items()):
            print(f"  {name}: sorted after {seconds:.2f} s")
        clock.mark("sort, set repeats aside, write")
        combined = Combined(
            {**combined.tables, **tables},
            combined.rejects,
            pd.concat([combined.duplicates, duplicates], ignore_index=True).drop_duplicates(),
        )
        manifest = pipeline.build_manifest(raw, results, combined)
        clock.mark("manifest")
        write_outputs(out, combined.tables, combined.rejects, manifest)
        clock.mark("publish")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--route", choices=("pieces", "memory"), default="pieces")
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="stages-"))
    started = time.perf_counter()
    if args.route == "memory":
        in_memory(args.raw, out)
    else:
        in_pieces(args.raw, out, args.workers)
    print(f"{'total':<26} {time.perf_counter() - started:7.2f} s")


if __name__ == "__main__":
    main()
