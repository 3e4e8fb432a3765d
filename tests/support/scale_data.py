"""Seeded synthetic status checks for the dataset and engine tests (tests/test_dataset.py,
tests/test_engines.py, tests/test_questions_engines.py).

Each item is looked up every few days over about three months (January to April 2021, so the
checks span several UTC and IST months), its state held for a few checks and then redrawn, so
the data hold every transition the snapshot rules know: first check already withheld,
suspended or missing; withheld -> suspended -> visible (a restoration carried across the
suspension); suspended -> reinstated; not found -> found again -> not found. Withheld checks
list ``IN``, ``XX`` (everywhere), ``XY`` (copyright only), ``DE`` (elsewhere only), ``DE,IN``,
``IN,XY`` or nothing (null: the check did not say). A few items have two checks at the same
instant in different states, and some rows are stored twice (a second export naming the
order), so the duplicate rule and the tie order are exercised too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATES = np.array(["visible", "withheld", "suspended", "not_found"], dtype=object)
COUNTRIES = np.array(["IN", "XX", "XY", "DE", "DE,IN", "IN,XY", None], dtype=object)
PRECISIONS = np.array(["second", "minute", "day"], dtype=object)


def synthetic_checks(
    n_items: int = 300, checks_per_item: int = 12, *, seed: int = 7, source: str = "lookups.jsonl"
) -> pd.DataFrame:
    """Canonical ``checks`` rows (schema.CHECKS columns), ``n_items * checks_per_item`` of them
    plus the ties and copies described in the module docstring."""
    rng = np.random.default_rng(seed)
    n = n_items * checks_per_item
    item = np.repeat(np.arange(n_items), checks_per_item)
    step = np.tile(np.arange(checks_per_item), n_items)
    start = pd.Timestamp("2021-01-20", tz="UTC").value // 1000
    # every ~8 days, at a random second of the day, so checks cross month ends in UTC and IST
    offset_s = step * 8 * 86_400 + rng.integers(0, 86_400 * 3, n)
    checked_us = start + offset_s * 1_000_000 + (item % 5) * 3_600 * 1_000_000
    # a state per block of 1-3 checks: held for a while, then redrawn
    block = step // rng.integers(1, 4, n_items)[item]
    weights = np.array([0.45, 0.3, 0.15, 0.1])
    drawn = rng.choice(len(STATES), size=(n_items, checks_per_item), p=weights)
    state = STATES[drawn[item, block]]
    countries = np.where(state == "withheld", COUNTRIES[rng.integers(0, len(COUNTRIES), n)], None)
    frame = pd.DataFrame(
        {
            "item_id": pd.array([f"@acct{i:05d}" for i in item], dtype="str"),
            "order_id": pd.array(
                np.where(item % 3 == 0, None, np.where(item % 3 == 1, "IN-1", "IN-2")),
                dtype="str",
            ),
            "checked_at": pd.to_datetime(checked_us, unit="us", utc=True),
            "time_precision": pd.array(PRECISIONS[rng.integers(0, 3, n)], dtype="str"),
            "state": pd.array(state, dtype="str"),
            "countries": pd.array(countries, dtype="str"),
            "source_url": pd.array(np.full(n, None, dtype=object), dtype="str"),
            "source_file": source,
            "source_row": np.arange(1, n + 1, dtype="int64"),
        }
    )
    # Ties: a second check at the same instant in another state, for every 25th item.
    tied = frame[(frame.index % checks_per_item == 4) & (item % 25 == 0)].copy()
    tied["state"] = np.where(tied["state"] == "visible", "withheld", "visible")
    tied["countries"] = pd.array(np.where(tied["state"] == "withheld", "IN", None), dtype="str")
    # Copies: the same checks exported again, naming an order, from another file.
    copies = frame[item % 10 == 3].copy()
    copies["order_id"] = "IN-3"
    copies["source_file"] = "z-second-export.jsonl"
    out = pd.concat([frame, tied, copies], ignore_index=True)
    out["source_row"] = out["source_row"].where(out["source_file"] == source, out.index + 1)
    return out.astype({"source_row": "int64", "source_file": "str"})
