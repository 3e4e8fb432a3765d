"""Raw frame + a source's column map -> canonical orders/items/events/checks/transparency rows.

One builder per kind, in a module named for it (:mod:`.orders`, :mod:`.items` with
``wide_handles``, :mod:`.events`, :mod:`.transparency` with the X and Google layouts,
:mod:`.lumen`, :mod:`.checks` with ``x_snapshots`` and ``handle_list``;
``transparency_meta`` in :mod:`.transparency` too). Each reads the file
through :class:`~.cells.Cells` (canonical column -> the file's cells, :mod:`.headers` says
which header gives which column) and writes what it cannot read to a
:class:`~.rejects.RejectLog`.

Each kind keeps a row only when every cell it uses is readable; otherwise the whole row goes to
the rejects with one line per bad cell (the file's own header in ``column``). Two exceptions,
both counted in the manifest: a Lumen notice keeps its other URLs when one URL cannot be read
(that URL is an item-level reject, ``level = "item"``), and a transparency table's ``Total``
row is dropped (a sum of the other rows, not a period). A transparency row with no figure at all
is rejected, and a transparency source with no figure in any row raises
:class:`~analysis.core.errors.HeaderError` naming its headers (:mod:`.suggest` guesses a map).
Cross-source checks (duplicate and conflicting orders, items naming unknown orders, events
from status checks) live in :mod:`analysis.clean.combine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from analysis.ingest.canonical.cells import Cells, join_notes, visible_id
from analysis.ingest.canonical.checks import (
    build_handle_list,
    build_x_snapshots,
    country_lists,
    status_states,
)
from analysis.ingest.canonical.events import build_events
from analysis.ingest.canonical.headers import (
    MULTI_COLUMNS,
    effective_source,
    unmapped_suggestion,
)
from analysis.ingest.canonical.items import build_items, build_wide_handles
from analysis.ingest.canonical.lumen import LUMEN_NOTICE_URL, build_lumen
from analysis.ingest.canonical.orders import build_orders
from analysis.ingest.canonical.rejects import (
    REJECT_COLUMNS,
    RejectLog,
    empty_dropped,
    empty_rejects,
    rejects_frame,
)
from analysis.ingest.canonical.tables import empty_table, take_rows
from analysis.ingest.canonical.transparency import (
    FIGURES,
    build_transparency,
    build_transparency_google,
    build_transparency_meta,
    build_transparency_x,
    report_periods,
)
from analysis.ingest.readers.tabular import RawTable
from analysis.ingest.sources import Source

__all__ = [
    "BUILDERS",
    "FIGURES",
    "LUMEN_NOTICE_URL",
    "MULTI_COLUMNS",
    "REJECT_COLUMNS",
    "Canonical",
    "country_lists",
    "effective_source",
    "empty_dropped",
    "empty_rejects",
    "empty_table",
    "join_notes",
    "rejects_frame",
    "report_periods",
    "status_states",
    "take_rows",
    "to_canonical",
    "unmapped_suggestion",
    "visible_id",
]


@dataclass
class Canonical:
    """Canonical rows from one or more sources, and the problems found on the way.

    ``tables`` may hold ``implied_orders``: orders a handle list stands in for, used by
    :func:`analysis.clean.combine.combine` only where no other source declares the order. ``checks``
    frames carry a private ``_country`` column (the country whose withholding the source tracks)
    that combine uses to derive events and then drops. ``dropped`` lists rows deliberately left
    out (``source_row``, ``reason``), such as a ``Total`` row.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: empty_rejects())
    messages: list[str] = field(default_factory=list)
    dropped: pd.DataFrame = field(default_factory=lambda: empty_dropped())


#: kind -> the function turning that kind's cells into canonical tables (by table name).
BUILDERS: dict[str, Callable[[Cells], dict[str, pd.DataFrame]]] = {
    "orders": build_orders,
    "items": build_items,
    "events": build_events,
    "wide_handles": build_wide_handles,
    "transparency": build_transparency,
    "lumen": build_lumen,
    "x_snapshots": build_x_snapshots,
    "transparency_x": build_transparency_x,
    "transparency_google": build_transparency_google,
    "transparency_meta": build_transparency_meta,
    "handle_list": build_handle_list,
}


def to_canonical(source: Source, raw: RawTable) -> Canonical:
    """Turn one source's raw rows into canonical rows; see the module docstring.

    ``raw`` is what the kind's reader returned (:class:`~analysis.ingest.readers.lumen.LumenRaw` for
    ``lumen``, :class:`~analysis.ingest.readers.x_api.XRaw` for ``x_snapshots``).
    """
    source = effective_source(source, list(raw.frame.columns))
    # The log starts with what the reader could not read, so its rows come first.
    log = RejectLog(source.name, raw.frame.index.rename(None), raw.messages, raw.problems)
    cells = Cells(source, raw, log)
    tables = BUILDERS[source.kind](cells)
    left_out = log.bad_rows() | log.dropped_rows()
    out = Canonical(messages=log.messages, dropped=log.dropped())
    for name, frame in tables.items():
        if left_out:  # a filter copies every column: only when a row must go
            frame = frame[~frame["source_row"].isin(left_out)]
        out.tables[name] = frame.reset_index(drop=True)
    out.rejects = log.rejects()
    return out
