"""Deterministic synthetic canonical tables for the metric benchmarks (orders, items, events).

    python bench/metrics_data.py --events 10000000 --out bench/out/metrics-10000000

Writes ``orders.parquet``, ``items.parquet`` and ``events.parquet`` with the canonical columns
the lag and reversal metrics read, in the shape years of status checks give: each named item
is withheld, often restored and sometimes withheld again (a few repeats and restores without a
block, which the reversal metrics report as anomalies), times to the minute or the day, plus a
few aggregate reports per order ("126 of the 257 were blocked").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ITEMS_PER_ORDER = 1000
EVENTS_PER_ITEM = 2.5
US_PER_MIN = 60_000_000
TS = pa.timestamp("us", tz="UTC")


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def generate(n_events: int, out: Path, seed: int = 20210204) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_items = max(1, int(n_events / EVENTS_PER_ITEM))
    n_orders = max(1, n_items // ITEMS_PER_ORDER)

    start = np.datetime64("2021-01-01T00:00", "us").astype(np.int64)
    issued = start + np.sort(rng.integers(0, 3 * 365 * 24 * 60, n_orders)) * US_PER_MIN
    order_ids = _ids("IN-B", np.arange(n_orders))
    pq.write_table(
        pa.table(
            {
                "order_id": order_ids,
                "country": pa.array(["IN"] * n_orders),
                "issued_at": pa.array(issued, TS),
                "deadline_at": pa.nulls(n_orders, TS),
                "items_listed": pa.array(np.full(n_orders, ITEMS_PER_ORDER + 10), pa.int64()),
                "time_precision": pa.array(["day"] * n_orders),
            }
        ),
        out / "orders.parquet",
    )

    # Items: each order names ITEMS_PER_ORDER accounts from a pool shared across orders.
    item_order = np.minimum(np.arange(n_items) // ITEMS_PER_ORDER, n_orders - 1)
    item_num = rng.integers(0, max(2, n_items * 3 // 4), n_items)
    item_ids = _ids("@u", item_num)
    pq.write_table(
        pa.table({"order_id": order_ids.take(pa.array(item_order)), "item_id": item_ids}),
        out / "items.parquet",
    )

    # Events: per item 1..5, alternating withheld/restored from a first withheld (2% start
    # with a restore, 2% repeat the previous event), minutes apart after the order.
    per_item = rng.choice([1, 2, 3, 4, 5], n_items, p=[0.25, 0.3, 0.2, 0.15, 0.1])
    scale = n_events / per_item.sum()
    per_item = np.maximum(1, np.round(per_item * scale)).astype(np.int64)
    owner = np.repeat(np.arange(n_items), per_item)[:n_events]
    n = len(owner)
    first = np.ones(n, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    step = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    kind = step % 2  # 0 withheld, 1 restored
    flip = rng.random(n) < 0.02
    kind = np.where(flip, 1 - kind, kind)
    gaps = np.round(rng.exponential(2 * 24 * 60, n)).astype(np.int64) + 1
    gaps[first] = np.round(rng.exponential(36 * 60, first.sum())).astype(np.int64)
    at = issued[item_order[owner]] + _cumsum_by(gaps, first) * US_PER_MIN
    day = rng.random(n) < 0.2
    at = np.where(day, at - at % (24 * 60 * US_PER_MIN), at)
    events = {
        "item_id": item_ids.take(pa.array(owner)),
        "order_id": order_ids.take(pa.array(item_order[owner])),
        "event": pa.array(np.array(["withheld", "restored"])[kind]),
        "at": pa.array(at, TS),
        "at_earliest": pa.nulls(n, TS),
        "time_precision": pa.array(np.where(day, "day", "minute")),
        "n_items": pa.array(np.ones(n, dtype=np.int64)),
        "n_items_is_approximate": pa.array(np.zeros(n, dtype=bool)),
    }
    # Aggregate reports: two running tallies per order, after its first day.
    agg_o = np.repeat(np.arange(n_orders), 2)
    agg_at = issued[agg_o] + np.tile([24 * 60, 7 * 24 * 60], n_orders) * US_PER_MIN
    agg = {
        "item_id": pa.nulls(len(agg_o), pa.string()),
        "order_id": order_ids.take(pa.array(agg_o)),
        "event": pa.array(["withheld"] * len(agg_o)),
        "at": pa.array(agg_at, TS),
        "at_earliest": pa.nulls(len(agg_o), TS),
        "time_precision": pa.array(["day"] * len(agg_o)),
        "n_items": pa.array(np.tile([ITEMS_PER_ORDER // 4, ITEMS_PER_ORDER // 2], n_orders)),
        "n_items_is_approximate": pa.array(np.tile([True, False], n_orders)),
    }
    table = pa.concat_tables([pa.table(events), pa.table(agg)])
    # Stored in time order, as the events table is (analysis.clean.combine sorts it by ``at``).
    table = table.take(pc.sort_indices(table, [("at", "ascending")]))
    pq.write_table(table, out / "events.parquet")
    return out


def _cumsum_by(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    base = np.maximum.accumulate(np.where(first, total - values, 0))
    return total - base


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20210204)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).parent / "out" / f"metrics-{args.events}"
    generate(args.events, out, args.seed)
    print(out)


if __name__ == "__main__":
    main()
