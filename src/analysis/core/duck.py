"""The DuckDB connection every out-of-core step uses: UTC, a memory limit, a folder to spill into.

Used by the scale engines (checks -> events over a dataset) and by the clean of a sheet too big
for memory (:mod:`analysis.clean.spill`).

**Spill folders.** With a memory limit, DuckDB writes what does not fit to a folder named
``.takedowns-duckdb-<pid>-...`` (the process id of the run, :mod:`analysis.core.temporaries`).
It is made in ``$TAKEDOWNS_SPILL_DIR`` when that is set, else in the folder the caller names
(``takedowns clean``: its output folder, which is on a real disk and writable by definition),
else in the system's temporary folder (``$TMPDIR``, often ``/tmp``, which may be memory). It is
removed when the connection closes, even if closing fails; a run that was killed leaves it, and
the next run that opens a connection there (or the next ``clean``) removes the folders of
processes that are gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from analysis.core.temporaries import remove_leftovers, temporary_prefix

#: Environment variable with DuckDB's memory limit (``"4GB"``) when none is given.
MEMORY_ENV = "TAKEDOWNS_DUCKDB_MEMORY"
#: Environment variable naming the folder spill folders go in, whatever the caller asks.
SPILL_DIR_ENV = "TAKEDOWNS_SPILL_DIR"
#: Spill folders start with this, then the process id.
SPILL_PREFIX = ".takedowns-duckdb-"
#: How earlier versions named them in ``$TMPDIR`` (no process id, so never swept): swept too.
_OLD_SPILL_PREFIX = "takedowns-duckdb-"


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


@contextlib.contextmanager
def duckdb_connection(
    memory_limit: str | None = None,
    *,
    threads: int | None = None,
    spill_in: Path | None = None,
):
    """An in-memory DuckDB connection, UTC, capped at ``memory_limit`` (else at
    ``$TAKEDOWNS_DUCKDB_MEMORY``, else DuckDB's default, 80% of RAM) with a temporary folder to
    spill into (in :func:`spill_parent` of ``spill_in``; removed afterwards, even when closing
    the connection fails)."""
    import duckdb

    memory_limit = memory_limit_in_force(memory_limit)
    if memory_limit is not None and not _MEMORY.match(str(memory_limit)):
        raise ValueError(f"memory_limit {memory_limit!r} is not a size such as '64MB' or '4GB'")
    spill = None
    failed = False
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # timestamps come back labelled UTC
        if memory_limit is not None:
            parent = spill_parent(spill_in)
            remove_stale_spills(parent)
            spill = tempfile.mkdtemp(prefix=temporary_prefix(SPILL_PREFIX), dir=parent)
            con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
            con.execute(f"SET temp_directory = '{sql_text(spill)}'")
        # Row order comes from ORDER BY; not keeping insertion order lets DuckDB stream more.
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        yield con
    except duckdb.OutOfMemoryException:
        failed = True
        raise _input_error(
            f"DuckDB needed more memory than the {memory_limit} it may use; set "
            f"{MEMORY_ENV} higher (e.g. 1GB), or unset it for DuckDB's default (80% of memory)"
        ) from None
    except duckdb.IOException as err:
        failed = True
        if spill is not None and "No space left" in str(err):
            raise _input_error(
                f"{spill}: the disk is full (DuckDB's spill folder); free some space or set "
                f"{SPILL_DIR_ENV} to a folder on a bigger disk"
            ) from None
        raise
    except BaseException:
        failed = True
        raise
    finally:
        try:
            con.close()
        except Exception:
            # Interrupted mid-query (Ctrl-C, SIGTERM), DuckDB may fail to close; that error
            # must not hide the interruption, and the spill folder goes either way.
            if not failed:
                raise
        finally:
            if spill is not None:
                shutil.rmtree(spill, ignore_errors=True)


def _input_error(message: str) -> Exception:
    from analysis.core.errors import InputError

    return InputError(message)


def spill_parent(default: Path | None = None) -> Path:
    """The folder spill folders are made in: ``$TAKEDOWNS_SPILL_DIR``, else ``default``, else
    the system's temporary folder (``$TMPDIR``)."""
    chosen = os.environ.get(SPILL_DIR_ENV) or default or tempfile.gettempdir()
    return Path(chosen)


def remove_stale_spills(folder: Path) -> int:
    """Remove the spill folders in ``folder`` of processes that are gone (a killed run's);
    returns how many. Those of running processes, this one's included, stay."""
    removed = remove_leftovers(folder, SPILL_PREFIX)
    if Path(folder) == Path(tempfile.gettempdir()):
        removed += remove_leftovers(folder, _OLD_SPILL_PREFIX)
    return removed


def memory_limit_in_force(memory_limit: str | None) -> str | None:
    """The limit given, else ``$TAKEDOWNS_DUCKDB_MEMORY``, else ``None`` (DuckDB's default).

    Raises :class:`~analysis.core.errors.InputError` when the environment variable is not a
    size (``TAKEDOWNS_DUCKDB_MEMORY=lots``): the user's setting, so exit 2, not a bug."""
    if memory_limit:
        return memory_limit
    setting = os.environ.get(MEMORY_ENV) or None
    if setting is not None and not _MEMORY.match(setting):
        from analysis.core.errors import InputError

        raise InputError(
            f"{MEMORY_ENV}={setting!r} is not a size such as 64MB or 4GB; set it to one, "
            "or unset it for DuckDB's default (80% of memory)"
        )
    return setting


def sql_text(text: str) -> str:
    return str(text).replace("'", "''")
