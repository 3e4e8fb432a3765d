"""The floor for ``takedowns clean``: the core transformation as DuckDB SQL.

    python bench/duckdb_clean.py RAW_DIR OUT_DIR            # one table, the issue's floor
    python bench/duckdb_clean.py --tables RAW_DIR OUT_DIR   # items and events, as clean writes

The floor (issue #7) reads ``handles.csv`` (all columns as text), extracts and lower-cases the
handle, extracts the tweet id, parses the day-first local times (Asia/Kolkata) to UTC and writes
one Parquet file, in one statement. It does none of the checks, rejects, provenance or event rows
``takedowns clean`` writes, so it is a lower bound, not an equivalent.

``--tables`` is DuckDB producing the two big tables of the output contract from the same
statement's columns: ``items`` (the first row of each ``(order_id, item_id)``, sorted by them) and
the long ``events`` table (one row per filled date cell, the first of each identical event,
sorted by time, order, item and sheet position). It is still a lower bound: no row numbers
(DuckDB's CSV reader has none; numbering rows with a window serialises the scan), no checks of
orders, cells or schemas, no rejects and no manifest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

HOST = r"(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/@?"
HANDLE = r"^(?:@|{host})?([a-z0-9_]{{1,15}})(?:[/?#]|$)"
TWEET = r"/status(?:es)?/([0-9]{{1,19}})"
PARSED = (
    r"""
    SELECT
        "Order ref" AS order_id,
        "Handle" AS raw_value,
        nullif(regexp_extract(cell, '"""
    + HANDLE
    + r"""', 1), '') AS handle,
        nullif(regexp_extract(cell, '"""
    + TWEET
    + r"""', 1), '') AS tweet_id,
        timezone('Asia/Kolkata', strptime("Withheld on", '%d/%m/%Y %H:%M')) AS withheld_at,
        timezone('Asia/Kolkata', strptime("Restored on", '%d/%m/%Y %H:%M')) AS restored_at,
        timezone('Asia/Kolkata', strptime("Withheld again on", '%d/%m/%Y %H:%M'))
            AS withheld_again_at,
        "Source" AS source_url,
        "Notes" AS notes
    FROM (SELECT *, lower(trim("Handle")) AS cell FROM read_csv({csv}, all_varchar = true))
"""
)
FLOOR = "COPY ({parsed}) TO {out} (FORMAT parquet, COMPRESSION zstd)"
ITEMS = """
COPY (
    SELECT
        order_id,
        coalesce('tweet:' || tweet_id, '@' || handle) AS item_id,
        CASE WHEN tweet_id IS NULL THEN 'account' ELSE 'tweet' END AS item_type,
        handle, tweet_id, raw_value, notes
    FROM ({parsed})
    QUALIFY row_number() OVER (PARTITION BY order_id, item_id) = 1
    ORDER BY order_id, item_id
) TO {out} (FORMAT parquet, COMPRESSION zstd)
"""
EVENTS = """
COPY (
    SELECT * EXCLUDE (position) FROM (
        SELECT
            coalesce('tweet:' || tweet_id, '@' || handle) AS item_id,
            order_id, cell.event, cell.at_utc AS "at", 'minute' AS time_precision,
            1::BIGINT AS n_items, 'IN' AS country, 'news_report' AS source_kind,
            source_url, notes, cell.position
        FROM ({parsed}),
        LATERAL (VALUES ('withheld', withheld_at, 1), ('restored', restored_at, 2),
                        ('withheld', withheld_again_at, 3)) cell(event, at_utc, position)
        WHERE cell.at_utc IS NOT NULL
    )
    QUALIFY row_number() OVER (PARTITION BY item_id, order_id, event, "at" ORDER BY position) = 1
    ORDER BY "at", order_id, item_id, position
) TO {out} (FORMAT parquet, COMPRESSION zstd)
"""


def main(raw: Path, out: Path, *, tables: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    parsed = PARSED.format(csv=_quote(raw / "handles.csv"), host=HOST)
    if not tables:
        con.execute(FLOOR.format(parsed=parsed, out=_quote(out / "handles.parquet")))
        rows = con.execute(
            f"SELECT count(*), count(handle), count(tweet_id) "
            f"FROM {_quote(out / 'handles.parquet')}"
        ).fetchone()
        print(f"duckdb: {rows[0]} rows, {rows[1]} handles, {rows[2]} tweet ids")
        return
    for name, sql in (("items", ITEMS), ("events", EVENTS)):
        con.execute(sql.format(parsed=parsed, out=_quote(out / f"{name}.parquet")))
    counts = [
        con.execute(f"SELECT count(*) FROM {_quote(out / f'{name}.parquet')}").fetchone()[0]
        for name in ("items", "events")
    ]
    print(f"duckdb: {counts[0]} items, {counts[1]} events")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


if __name__ == "__main__":
    args = sys.argv[1:]
    both = "--tables" in args
    paths = [a for a in args if a != "--tables"]
    main(Path(paths[0]), Path(paths[1]), tables=both)
