"""Deterministic synthetic inputs for the benchmarks: a wide handle spreadsheet, its orders and a
sources.toml, in the shapes reporters produce.

    python bench/generate.py --rows 2000000 --out bench/out/raw-2000000

Same ``--rows`` and ``--seed`` -> byte-identical files. The handle cells come as ``@Name``,
`` NAME ``, bare names, profile links on twitter.com / x.com / mobile.twitter.com (some with
``?lang=en``) and status links (some with ``?s=20``); dates are day-first local times
(``DD/MM/YYYY HH:MM``, Asia/Kolkata); most "Restored on" and "Withheld again on" cells are blank;
a few notes hold quoted commas. The column map is the style of data/raw/sources.toml.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ITEMS_PER_ORDER = 1000
SOURCES_TOML = """\
# Synthetic benchmark data (bench/generate.py, seed {seed}); the layout of data/raw/sources.toml.
[[source]]
path = "orders.csv"
kind = "orders"
timezone = "Asia/Kolkata"
dayfirst = true
[source.defaults]
country = "IN"
[source.columns]
"Order ref" = "order_id"
"Date issued" = "issued_at"
"Issued by" = "authority"
"Legal basis" = "legal_basis"
"Platform" = "platform"
"Items listed" = "items_listed"
"Title" = "title"
"Source" = "source_url"

[[source]]
path = "handles.csv"
kind = "wide_handles"
timezone = "Asia/Kolkata"
dayfirst = true
[source.defaults]
source_kind = "news_report"
country = "IN"
[source.columns]
"Handle" = "item"
"Order ref" = "order_id"
"Withheld on" = "withheld"
"Restored on" = "restored"
"Withheld again on" = "withheld"
"Source" = "source_url"
"Notes" = "notes"
"""

_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"))
_FORMS = [
    # (weight, prefix, suffix, upper, status)
    (0.30, "@", "", False, False),
    (0.08, " ", " ", True, False),
    (0.07, "", "", False, False),
    (0.10, "https://twitter.com/", "", False, False),
    (0.08, "https://x.com/", "?lang=en", False, False),
    (0.05, "mobile.twitter.com/", "", False, False),
    (0.04, "https://twitter.com/", "?lang=hi", False, False),
    (0.14, "https://twitter.com/", "", False, True),
    (0.14, "https://x.com/", "?s=20", False, True),
]


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` handle-like names (4-15 of letters, digits, underscore; first char a letter)."""
    lengths = rng.integers(4, 16, size=n)
    chars = rng.integers(0, len(_ALPHABET), size=(n, 15))
    chars[:, 0] = rng.integers(0, 52, size=n)
    letters = _ALPHABET[chars]
    mask = np.arange(15)[None, :] < lengths[:, None]
    letters = np.where(mask, letters, "")
    return np.array(["".join(row) for row in letters], dtype=object)


def _local_text(minutes: np.ndarray) -> pa.Array:
    """Local wall-clock minutes since the epoch -> ``DD/MM/YYYY HH:MM``."""
    stamps = pa.array(minutes.astype("int64") * 60, pa.timestamp("s"))
    return pc.strftime(stamps, format="%d/%m/%Y %H:%M")


def generate(rows: int, out: Path, seed: int = 20210131) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_orders = max(1, -(-rows // ITEMS_PER_ORDER))

    # --- orders ------------------------------------------------------------------------------
    start = np.datetime64("2021-01-01T00:00", "m").astype("int64")
    issued = start + np.sort(rng.integers(0, 3 * 365 * 24 * 60, size=n_orders))
    issued = issued - issued % 60 + 10 * 60  # on the hour, office hours
    order_ids = np.array([f"IN-MeitY-B{i:06d}" for i in range(n_orders)], dtype=object)
    orders = pa.table(
        {
            "Order ref": order_ids,
            "Date issued": _local_text(issued),
            "Issued by": np.where(rng.random(n_orders) < 0.9, "MeitY", "Delhi Police"),
            "Legal basis": np.where(rng.random(n_orders) < 0.8, "IT Act s.69A", None),
            "Platform": rng.choice(np.array(["Twitter", "X", "twitter.com", "x"]), n_orders),
            "Items listed": np.full(n_orders, ITEMS_PER_ORDER).astype(str),
            "Title": np.array([f"Blocking order {i}, list of handles" for i in range(n_orders)]),
            "Source": np.array(
                [f"https://example.org/orders/{i}" for i in range(n_orders)], dtype=object
            ),
        }
    )
    _write(orders, out / "orders.csv")

    # --- handles -----------------------------------------------------------------------------
    order_of = np.arange(rows) // ITEMS_PER_ORDER
    pool = _names(rng, max(1000, rows // 2))
    name = pool[rng.integers(0, len(pool), size=rows)]
    weights = np.array([f[0] for f in _FORMS])
    form = rng.choice(len(_FORMS), size=rows, p=weights / weights.sum())
    tweet = rng.integers(1_100_000_000_000_000_000, 1_700_000_000_000_000_000, size=rows)
    cells = np.empty(rows, dtype=object)
    for i, (_, prefix, suffix, upper, status) in enumerate(_FORMS):
        sel = form == i
        base = name[sel]
        if upper:
            base = np.char.upper(base.astype(str)).astype(object)
        if status:
            base = base + "/status/" + tweet[sel].astype(str).astype(object)
        cells[sel] = prefix + base + suffix

    withheld = issued[order_of] + np.round(rng.exponential(36 * 60, rows)).astype("int64")
    restored_p = rng.random(rows) < 0.3
    restored = withheld + 60 + np.round(rng.exponential(5 * 24 * 60, rows)).astype("int64")
    again_p = restored_p & (rng.random(rows) < 0.3)
    again = restored + 60 + np.round(rng.exponential(30 * 24 * 60, rows)).astype("int64")
    notes = np.full(rows, None, dtype=object)
    noted = rng.random(rows) < 0.05
    notes[noted] = "named in the order list, page " + (order_of[noted] % 17 + 1).astype(str)
    commas = rng.random(rows) < 0.02
    notes[commas] = "restored after review, then withheld again, per the platform"
    handles = pa.table(
        {
            "Handle": cells,
            "Order ref": order_ids[order_of],
            "Withheld on": _local_text(withheld),
            "Restored on": pc.if_else(
                pa.array(restored_p), _local_text(restored), pa.scalar(None, pa.string())
            ),
            "Withheld again on": pc.if_else(
                pa.array(again_p), _local_text(again), pa.scalar(None, pa.string())
            ),
            "Source": pa.array(
                np.array([f"https://example.org/orders/{i}" for i in range(n_orders)])[order_of]
            ),
            "Notes": pa.array(notes, pa.string()),
        }
    )
    _write(handles, out / "handles.csv")
    (out / "sources.toml").write_text(SOURCES_TOML.format(seed=seed), encoding="utf-8")
    return out


def _write(table: pa.Table, path: Path) -> None:
    """CSV as a spreadsheet program saves it: quotes only where a cell needs them."""
    columns = [table[c].to_pylist() for c in table.column_names]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.column_names)
        writer.writerows(zip(*columns, strict=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20210131)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).parent / "out" / f"raw-{args.rows}"
    generate(args.rows, out, args.seed)
    print(out)


if __name__ == "__main__":
    main()
