"""The floor for ``takedowns clean``: the same core transformation as one DuckDB SQL statement.

    python bench/duckdb_clean.py RAW_DIR OUT_DIR

Reads ``handles.csv`` (all columns as text), extracts and lower-cases the handle, extracts the
tweet id, parses the day-first local times (Asia/Kolkata) to UTC and writes one Parquet file.
It does none of the checks, rejects, provenance or event rows ``takedowns clean`` writes, so it
is a lower bound, not an equivalent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

HOST = r"(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/@?"
SQL = r"""
COPY (
    WITH raw AS (
        SELECT *, lower(trim("Handle")) AS cell
        FROM read_csv({csv}, all_varchar = true, header = true)
    )
    SELECT
        "Order ref" AS order_id,
        "Handle" AS raw_value,
        nullif(regexp_extract(cell, '^(?:@|{host})?([a-z0-9_]{{1,15}})(?:[/?#]|$)', 1), '')
            AS handle,
        nullif(regexp_extract(cell, '/status(?:es)?/([0-9]{{1,19}})', 1), '') AS tweet_id,
        timezone('Asia/Kolkata', strptime("Withheld on", '%d/%m/%Y %H:%M')) AS withheld_at,
        timezone('Asia/Kolkata', strptime("Restored on", '%d/%m/%Y %H:%M')) AS restored_at,
        timezone('Asia/Kolkata', strptime("Withheld again on", '%d/%m/%Y %H:%M'))
            AS withheld_again_at,
        "Source" AS source_url,
        "Notes" AS notes
    FROM raw
) TO {parquet} (FORMAT parquet, COMPRESSION zstd)
"""


def main(raw: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sql = SQL.format(
        csv=_quote(raw / "handles.csv"), parquet=_quote(out / "handles.parquet"), host=HOST
    )
    con.execute(sql)
    rows = con.execute(
        f"SELECT count(*), count(handle), count(tweet_id) FROM {_quote(out / 'handles.parquet')}"
    ).fetchone()
    print(f"duckdb: {rows[0]} rows, {rows[1]} handles, {rows[2]} tweet ids")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
