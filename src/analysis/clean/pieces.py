"""One piece of a big sheet: its canonical rows, checked, written to the spill folder.

:func:`check_piece` is what a worker process runs for each piece it is handed
(:mod:`analysis.clean.workers`), and what the clean's own process runs for the pieces it keeps:
:func:`analysis.ingest.canonical.to_canonical`, then :func:`settle_piece` (the checks the
in-memory clean makes, except duplicates), then :func:`analysis.clean.spill.write_run` for the
items and events. Only the piece's rejects, dropped rows and messages go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.clean.combine import rows_among, unknown_orders
from analysis.clean.spill import write_run
from analysis.clean.validate import validate_frame
from analysis.ingest.canonical import Canonical, empty_table, to_canonical
from analysis.ingest.readers.tabular import RawTable
from analysis.ingest.sources import Source

#: The order ids known to the clean, sent once to each worker (:func:`know_orders`).
_KNOWN: pd.Series | None = None


@dataclass
class PieceResult:
    """What checking one piece found: its rejects, the rows it left out on purpose (a
    ``Total`` row), its messages, and how many items and events it wrote."""

    piece: int
    rejects: pd.DataFrame
    dropped: pd.DataFrame
    messages: list[str]
    written: dict[str, int]


def know_orders(known: pd.Series) -> None:
    """Remember the order ids the clean knows, for the pieces this process checks next."""
    global _KNOWN
    _KNOWN = known


def check_piece(
    source: Source,
    raw: RawTable,
    index: int,
    piece: int,
    folder: Path,
    known: pd.Series | None = None,
) -> PieceResult:
    """Canonicalise and check piece number ``piece`` of source number ``index`` and write its
    items and events to ``folder``. ``known``: the order ids the clean knows (default: those
    given to :func:`know_orders`)."""
    known = _KNOWN if known is None else known
    if known is None:
        raise RuntimeError("check_piece before know_orders: which orders exist is not known")
    canonical = to_canonical(source, raw)
    tables, rejects = settle_piece(canonical, known)
    written = {name: write_run(folder, name, frame, index, piece) for name, frame in tables.items()}
    return PieceResult(piece, rejects, canonical.dropped, canonical.messages, written)


def settle_piece(
    piece: Canonical, known: pd.Series
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A piece's items and events as :func:`analysis.clean.combine.combine` and
    :func:`analysis.clean.validate.validate_tables` would leave them, except for duplicates
    (the spill sets those aside): rows naming an unknown order and rows failing a schema are
    rejected, in every table. Also returns the piece's rejects."""
    tables = {name: piece.tables.get(name, empty_table(name)) for name in ("items", "events")}
    rejects = [piece.rejects]
    for name, what in (("items", "item"), ("events", "event")):
        rejects.append(unknown_orders(tables[name], known, what)[1])
    tables = _without_rejected_rows(tables, rejects)
    for name in tables:
        tables[name], found = validate_frame(name, tables[name])
        rejects.append(found)
    tables = _without_rejected_rows(tables, rejects)
    return tables, pd.concat(rejects, ignore_index=True)


def _without_rejected_rows(
    tables: dict[str, pd.DataFrame], rejects: list[pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """A row rejected in one table leaves every table (item-level rejects leave it in)."""
    bad = pd.concat([r for r in rejects if len(r)] or rejects[:1], ignore_index=True)
    bad = bad[bad["level"].fillna("row") == "row"]
    if bad.empty:  # nearly every piece: no copy of its tables
        return tables
    return {n: f[~rows_among(f, bad)].reset_index(drop=True) for n, f in tables.items()}
