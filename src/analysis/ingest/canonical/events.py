"""``events``: a sheet of observed status changes, one row per event -> the ``events`` table.

A row gives the event word (``withheld``, ``restored``, ``suspended``, ``reinstated``,
``deleted`` and their spellings), when it was seen (``at``, required; ``at_earliest`` when only a
window is known) and either one item or a count of items (an aggregate report: "126 of the 257
were blocked", ``item_id`` null), with the country, the kind of source and its URL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.canonical.cells import Cells
from analysis.ingest.normalize.handles import parse_items
from analysis.ingest.normalize.numbers import parse_counts
from analysis.ingest.normalize.vocab import normalize_event, normalize_source_kind


def event_common(cells: Cells) -> dict[str, pd.Series]:
    """The columns every event of a row shares: ``country``, ``source_kind`` (blank ->
    ``spreadsheet``), ``source_url`` and ``notes``."""
    country = cells.country()
    kind = cells.normalized("source_kind", normalize_source_kind)
    cells.parsed("source_kind", kind)
    return {
        "country": country,
        "source_kind": kind["value"].fillna("spreadsheet"),
        "source_url": cells.text("source_url"),
        "notes": cells.notes(),
    }


def build_events(cells: Cells) -> dict[str, pd.DataFrame]:
    """One ``events`` row per sheet row. A named item counts 1; an aggregate row names no item
    and gives ``n_items`` (at least 1; a bounded count such as ``~120`` or ``100+`` is kept and
    marked ``n_items_is_approximate``)."""
    event = normalize_event(cells.get("event"))
    cells.parsed("event", event)
    # Blank (or a blank word such as "-"), not unreadable: that already has its own reject.
    cells.required("event", event["value"].mask(event["reason"].notna(), "unreadable"))
    at = cells.dates("at")
    cells.required("at", cells.get("at"), "the event date")
    earliest = cells.dates("at_earliest") if cells.has("at_earliest") else None
    if earliest is not None:
        after = earliest["at"].notna() & at["at"].notna() & (earliest["at"] > at["at"])
        cells.log.reject(
            after,
            cells.header("at_earliest"),
            cells.get("at_earliest"),
            pd.Series("earliest possible time is after the event time", index=cells.index),
        )
    named = cells.get("item").notna()
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    counts = parse_counts(cells.get("n_items"))
    cells.parsed("n_items", counts)
    n_items = counts["value"].where(counts["value"].notna() | ~named, 1)
    cells.log.reject(
        ~named & n_items.isna(),
        cells.header("n_items"),
        cells.get("n_items"),
        pd.Series("an event names neither an item nor a count of items", index=cells.index),
    )
    cells.log.reject(
        named & (n_items != 1),
        cells.header("n_items"),
        cells.get("n_items"),
        pd.Series("an event that names one item must count 1 item", index=cells.index),
    )
    cells.log.reject(
        n_items.notna() & (n_items < 1),
        cells.header("n_items"),
        cells.get("n_items"),
        pd.Series("an event must count at least 1 item", index=cells.index),
    )
    frame = pd.DataFrame(
        {
            "item_id": items["item_id"],
            "order_id": cells.text("order_id"),
            "event": event["value"],
            "at": at["at"],
            "at_earliest": earliest["at"] if earliest is not None else cells.no_times(),
            "timing": _timing(earliest["at"] if earliest is not None else None, cells.index),
            "time_precision": at["time_precision"],
            "n_items": n_items.astype("Int64"),
            "n_items_is_approximate": (counts["bound"].fillna("exact") != "exact").astype(bool),
            **event_common(cells),
            **cells.provenance(),
        }
    )
    return {"events": frame}


def _timing(earliest: pd.Series | None, index: pd.Index) -> pd.Series:
    """A sheet's event happened at ``at`` (``exact``), or after ``at_earliest`` (``bounded``)."""
    if earliest is None:
        return pd.Series("exact", index=index, dtype="str")
    return pd.Series(np.where(earliest.notna(), "bounded", "exact"), index=index, dtype="str")
