"""Readers: one per format family. Each turns a file into a :class:`~.tabular.RawTable` (the
file's own headers, ``source_row`` as index, no cleaning)."""

from __future__ import annotations

from analysis.ingest.readers.lumen import read_lumen
from analysis.ingest.readers.tabular import RawTable, read_table
from analysis.ingest.readers.x_api import read_x_api
from analysis.ingest.sources import Source


def read_raw(source: Source) -> RawTable:
    """Read one declared source with its kind's reader (no cleaning)."""
    if source.kind == "lumen":
        return read_lumen(source.path, source.encoding)
    if source.kind == "x_snapshots":
        return read_x_api(source.path, source.encoding)
    return read_table(
        source.path, sheet=source.sheet, encoding=source.encoding, delimiter=source.delimiter
    )
