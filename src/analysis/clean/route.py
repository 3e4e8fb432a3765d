"""Which way ``takedowns clean`` goes, decided from the files and the machine before it starts.

* **In memory**: every source read whole, combined and checked with pandas, written from
  memory. Simplest and quickest for the usual files; it needs about :data:`MEMORY_PER_BYTE`
  bytes of memory per byte of CSV.
* **In pieces**: a big ``items``, ``events`` or ``wide_handles`` CSV is read in pieces of
  :data:`PIECE_ROWS` rows, each checked by one of several processes and written to disk, then
  sorted by DuckDB within a memory limit (:mod:`analysis.clean.pieces`,
  :mod:`analysis.clean.spill`). Memory then follows the piece and the limit, not the file.

Both give the same tables (tests/test_clean_in_pieces.py). :func:`choose` takes pieces for a
sheet of :data:`PIECES_FROM_BYTES` or more (the processes working side by side make it faster
there, and lighter), and for any smaller one whose in-memory clean would need more than half
of the memory available (:func:`analysis.core.memory.available_bytes`). ``takedowns clean
--route memory|pieces`` forces one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from analysis.clean.workers import WORKERS_ENV
from analysis.core import memory
from analysis.core.duck import memory_limit_in_force
from analysis.core.errors import InputError
from analysis.ingest.readers.tabular import JSON_SUFFIXES, SPREADSHEET_SUFFIXES
from analysis.ingest.sources import Source

ROUTES = ("memory", "pieces")
#: Kinds whose rows stand alone (one row's items and events need no other row), so a file of
#: them can be cleaned in pieces.
PIECE_KINDS = ("items", "events", "wide_handles")
#: Records per piece (about 10 MB of a handle sheet).
PIECE_ROWS = 100_000
#: Peak memory of an in-memory clean per byte of CSV read (measured: 3.15 GiB for the 205 MB,
#: 2M-row benchmark sheet), with room to spare.
MEMORY_PER_BYTE = 16
#: Sheets at least this big go in pieces even with memory to spare (measured on the benchmark
#: sheet on 2 processors: the crossover is at a few tens of MB; below it the in-memory route
#: is as quick and starts no processes).
PIECES_FROM_BYTES = 48 * 2**20
#: Worker processes start only for this much CSV (several pieces; each costs a second of
#: start-up).
WORKERS_FROM_BYTES = 24 * 2**20
#: At most this many worker processes (beyond it reading the CSV is the bottleneck).
MAX_WORKERS = 3
#: Memory one worker may take (its imports and one piece at a time).
WORKER_BYTES = 384 * 2**20
#: DuckDB's memory limit for the sort is a quarter of the memory available, within these. The
#: process holds about 0.7 GiB more than the limit while it writes the sorted rows (2M-row
#: sheet: 1.47 GiB at 768 MiB; a limit of 1 GiB was 0.4 s faster and 0.25 GiB bigger).
DUCKDB_MIN, DUCKDB_MAX = 256 * 2**20, 768 * 2**20
#: DuckDB gets one thread per this much of its limit (a sort needs a few hundred MB per thread
#: to work in memory), and at most one per processor.
DUCKDB_BYTES_PER_THREAD = 384 * 2**20
#: A sheet's checked items and events (as Arrow holds them: about 400 bytes a row of a handle
#: sheet) are sorted by Arrow in memory up to a quarter of the memory available and at most this
#: much, by DuckDB beyond (2M-row sheet: 0.75 GiB; in memory the sort and its writing cost a
#: third less CPU, and the run stays within 1.4 GiB).
SORT_IN_MEMORY_MAX = 1024 * 2**20
#: What to assume when the platform does not say how much memory is free.
UNKNOWN_AVAILABLE = 2 * 2**30


@dataclass(frozen=True)
class Plan:
    """What :func:`choose` decided and why (``why``: one sentence for the summary)."""

    route: str
    pieces: frozenset[int] = field(default_factory=frozenset)  # sources (by place) in pieces
    workers: int = 0
    memory_limit: str | None = None  # DuckDB's, for the sort
    threads: int = 1  # DuckDB's
    why: str = ""
    sort_in_memory: int = 0  # bytes of items and events sorted by Arrow rather than DuckDB


def can_go_in_pieces(source: Source) -> bool:
    """A CSV file of a kind whose rows stand alone."""
    suffix = source.path.suffix.lower()
    return (
        source.kind in PIECE_KINDS
        and suffix not in SPREADSHEET_SUFFIXES
        and suffix not in JSON_SUFFIXES
        and source.path.is_file()
    )


def choose(sources: list[Source], route: str | None = None, workers: int | None = None) -> Plan:
    """The plan for cleaning ``sources``: ``route`` ``memory`` or ``pieces`` forces the route
    (``None``: chosen, see the module docstring); ``workers`` forces the number of worker
    processes (else ``$TAKEDOWNS_WORKERS``, else chosen from the processors and the memory)."""
    if route is not None and route not in ROUTES:
        raise InputError(f"route {route!r} is not one of {', '.join(ROUTES)}")
    candidates = {i: s.path.stat().st_size for i, s in enumerate(sources) if can_go_in_pieces(s)}
    total = sum(_size(s) for s in sources)
    available = memory.available_bytes() or UNKNOWN_AVAILABLE
    need = MEMORY_PER_BYTE * total
    if route == "memory" or not candidates:
        return Plan("memory", why=_why_memory(route, candidates, need, available))
    if route == "pieces":
        big = candidates
        why = "in pieces, as asked"
    else:
        big = {i: n for i, n in candidates.items() if n >= PIECES_FROM_BYTES}
        if need > available // 2:
            big = candidates  # every sheet that can, when memory is short
            why = (
                f"in pieces: in memory it would need about {_size_text(need)}, more than half "
                f"of the {_size_text(available)} free"
            )
        else:
            why = f"in pieces: sheets of {_size_text(PIECES_FROM_BYTES)} or more are"
        if not big:
            return Plan("memory", why=_why_memory(None, candidates, need, available))
    limit = memory_limit_in_force(None)
    if limit is None:
        limit = memory.duckdb_size(min(max(available // 4, DUCKDB_MIN), DUCKDB_MAX))
    limit_bytes = memory.parse_size(limit) or DUCKDB_MIN
    cpus = memory.usable_cpus()
    threads = max(1, min(cpus, limit_bytes // DUCKDB_BYTES_PER_THREAD))
    count = _workers(workers, sum(big.values()), cpus, available, limit_bytes)
    if count:
        why += f"; checked by {count + 1} processes"
    sort_bytes = min(available // 4, SORT_IN_MEMORY_MAX)
    return Plan("pieces", frozenset(big), count, limit, threads, why, sort_bytes)


def _workers(forced: int | None, size: int, cpus: int, available: int, limit: int) -> int:
    """Worker processes besides this one (which reads the pieces and checks some itself)."""
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if forced is None and setting:
        if not setting.isdigit():
            raise InputError(f"{WORKERS_ENV}={setting!r} is not a number of processes (0, 1, 2...)")
        forced = int(setting)
    if forced is not None:
        if forced < 0:
            raise InputError(f"workers {forced} is below 0")
        return forced
    if size < WORKERS_FROM_BYTES:
        return 0
    count = min(cpus - 1, MAX_WORKERS)
    # Each worker costs its imports and a piece; DuckDB's limit comes on top later.
    while count > 0 and count * WORKER_BYTES + limit > available // 2:
        count -= 1
    return max(0, count)


def _size(source: Source) -> int:
    try:
        if source.path.is_file():
            return source.path.stat().st_size
        if source.path.is_dir():
            return sum(p.stat().st_size for p in source.path.rglob("*") if p.is_file())
    except OSError:
        pass
    return 0


def _why_memory(route: str | None, candidates: dict, need: int, available: int) -> str:
    if route == "memory":
        return "in memory, as asked"
    if not candidates:
        return "in memory: no CSV sheet of items, events or handles to clean in pieces"
    return (
        f"in memory: about {_size_text(need)} needed, {_size_text(available)} free, and no "
        f"sheet of {_size_text(PIECES_FROM_BYTES)} or more"
    )


def _size_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit in ("B", "KiB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
