"""Where ``takedowns clean`` spends its time: each stage of the pipeline timed in one process.

    python bench/stages.py RAW_DIR [OUT_DIR]

Prints wall seconds and the process's peak RSS after each stage (read, canonical, combine,
validate, manifest, write). A diagnostic for the clean benchmark, not a benchmark itself.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path


def main(raw: Path, out: Path) -> None:
    t0 = time.perf_counter()
    from analysis.clean.combine import combine
    from analysis.clean.pipeline import SourceResult, build_manifest
    from analysis.clean.validate import validate_tables
    from analysis.ingest.canonical import to_canonical
    from analysis.ingest.readers import read_raw
    from analysis.ingest.sources import load_sources, source_sha256
    from analysis.store.processed import write_outputs

    last = [t0]

    def mark(stage: str) -> None:
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{stage:<12} {now - last[0]:7.2f} s   peak RSS {peak:7.0f} MiB", flush=True)
        last[0] = now

    mark("import")
    sources = load_sources(raw)
    raws = [(s, read_raw(s)) for s in sources]
    mark("read")
    results = [
        SourceResult(s, source_sha256(s.path), r.rows_read, to_canonical(s, r)) for s, r in raws
    ]
    del raws
    mark("canonical")
    combined = combine([r.canonical for r in results])
    mark("combine")
    combined = validate_tables(combined)
    mark("validate")
    manifest = build_manifest(raw, results, combined)
    mark("manifest")
    write_outputs(out, combined.tables, combined.rejects, manifest)
    mark("write")
    print(f"{'total':<12} {time.perf_counter() - t0:7.2f} s")


if __name__ == "__main__":
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="stages-"))
    main(Path(sys.argv[1]), out)
