"""Run one metric on the benchmark tables and print its timings as JSON (one process per run,
so bench/metrics.py can read each run's own peak memory).

    python bench/run_metric.py {lag,reversals} DATA_DIR
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path

import pyarrow.parquet as pq

from analysis.metrics import episodes, lag_items, lag_summary, reversal_summary

try:
    from analysis.store.processed import pandas_types
except ImportError:  # a --baseline version from before store named it publicly
    from analysis.store.processed import _pandas_types as pandas_types

AS_OF = "2024-06-30"


def load(data: Path, name: str):
    """A table as ``analysis.store.processed.read_tables`` gives it (Int64, boolean, str, UTC
    times)."""
    return pq.read_table(data / f"{name}.parquet").to_pandas(types_mapper=pandas_types)


def main(which: str, data: Path) -> dict:
    t0 = time.perf_counter()
    orders, items, events = (load(data, n) for n in ("orders", "items", "events"))
    timings = {"load": time.perf_counter() - t0}
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if which == "lag":
            t0 = time.perf_counter()
            rows = lag_items(orders, items, events, as_of=AS_OF)
            timings["lag_items"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = lag_summary(rows, deadline_hours=36, orders=orders)
            timings["lag_summary"] = time.perf_counter() - t0
        elif which == "reversals":
            t0 = time.perf_counter()
            rows = episodes(events, orders)
            timings["episodes"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = reversal_summary(rows, by="order")
            timings["reversal_summary"] = time.perf_counter() - t0
        else:
            raise SystemExit(f"unknown metric {which!r}")
    timings["metric"] = sum(v for k, v in timings.items() if k != "load")
    return {
        "metric": which,
        "events": len(events),
        "rows": len(rows),
        "summary_rows": len(summary),
        "seconds": timings,
        "rss_after_load": rss_loaded,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
