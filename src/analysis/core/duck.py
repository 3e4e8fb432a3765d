"""The DuckDB connection every out-of-core step uses: UTC, a memory limit, a folder to spill into.

Used by the scale engines (checks -> events over a dataset) and by the clean of a sheet too big
for memory (:mod:`analysis.clean.spill`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile

#: Environment variable with DuckDB's memory limit (``"4GB"``) when none is given.
MEMORY_ENV = "TAKEDOWNS_DUCKDB_MEMORY"


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


@contextlib.contextmanager
def duckdb_connection(memory_limit: str | None = None, *, threads: int | None = None):
    """An in-memory DuckDB connection, UTC, capped at ``memory_limit`` (else at
    ``$TAKEDOWNS_DUCKDB_MEMORY``, else DuckDB's default, 80% of RAM) with a temporary folder to
    spill into (removed afterwards)."""
    import duckdb

    memory_limit = memory_limit_in_force(memory_limit)
    spill = None
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # timestamps come back labelled UTC
        if memory_limit is not None:
            if not _MEMORY.match(str(memory_limit)):
                raise ValueError(
                    f"memory_limit {memory_limit!r} is not a size such as '64MB' or '4GB'"
                )
            spill = tempfile.mkdtemp(prefix="takedowns-duckdb-")
            con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
            con.execute(f"SET temp_directory = '{sql_text(spill)}'")
        # Row order comes from ORDER BY; not keeping insertion order lets DuckDB stream more.
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        yield con
    finally:
        con.close()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def memory_limit_in_force(memory_limit: str | None) -> str | None:
    """The limit given, else ``$TAKEDOWNS_DUCKDB_MEMORY``, else ``None`` (DuckDB's default)."""
    return memory_limit or os.environ.get(MEMORY_ENV) or None


def sql_text(text: str) -> str:
    return str(text).replace("'", "''")
