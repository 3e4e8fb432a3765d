"""The canonical tables: their columns, Arrow types and value rules.

This module is the single description of what ``data/processed`` holds. The builders in
``ingest/canonical/`` (one module per source kind) produce frames with exactly these columns;
``store/`` writes them with these Arrow schemas; metrics read them back.
docs/data-dictionary.md explains each column.
"""

from __future__ import annotations

import pyarrow as pa

UTC_US = pa.timestamp("us", tz="UTC")

#: Provenance carried by every row of every canonical table.
PROVENANCE = [
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
]

ORDERS = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("platform", pa.string()),
        pa.field("country", pa.string()),
        pa.field("authority", pa.string()),
        pa.field("legal_basis", pa.string()),
        pa.field("issued_at", UTC_US, nullable=False),
        pa.field("deadline_at", UTC_US),
        pa.field("items_listed", pa.int64()),
        pa.field("time_precision", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("source_url", pa.string()),
        pa.field("notes", pa.string()),
        *PROVENANCE,
    ]
)

ITEMS = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("item_type", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("tweet_id", pa.string()),
        pa.field("raw_value", pa.string(), nullable=False),
        pa.field("notes", pa.string()),
        *PROVENANCE,
    ]
)

EVENTS = pa.schema(
    [
        pa.field("item_id", pa.string()),
        pa.field("order_id", pa.string()),
        pa.field("event", pa.string(), nullable=False),
        pa.field("at", UTC_US, nullable=False),
        pa.field("at_earliest", UTC_US),
        pa.field("timing", pa.string(), nullable=False),
        pa.field("time_precision", pa.string(), nullable=False),
        pa.field("n_items", pa.int64(), nullable=False),
        pa.field("n_items_is_approximate", pa.bool_(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("source_kind", pa.string()),
        pa.field("source_url", pa.string()),
        pa.field("notes", pa.string()),
        *PROVENANCE,
    ]
)

#: Platform transparency-report and parliamentary aggregates: context for volume charts.
#: A count that the source gives only as a bound (``<10``, "more than 500") is stored as the
#: bound with ``<column>_bound`` set to ``upper`` or ``lower``; unknown or unreported cells are
#: null.
TRANSPARENCY_COUNTS = [
    "requests",
    "items_requested",
    "items_withheld",
    "accounts_specified",
    "accounts_withheld",
    "tweets_withheld",
]
TRANSPARENCY = pa.schema(
    [
        pa.field("platform", pa.string()),
        pa.field("country", pa.string()),
        pa.field("requestor", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("period_start", UTC_US, nullable=False),
        pa.field("period_end", UTC_US, nullable=False),
        *[pa.field(c, pa.int64()) for c in TRANSPARENCY_COUNTS],
        *[pa.field(f"{c}_bound", pa.string()) for c in TRANSPARENCY_COUNTS],
        pa.field("compliance_rate", pa.float64()),
        pa.field("scope", pa.string()),
        pa.field("notes", pa.string()),
        pa.field("source_url", pa.string()),
        *PROVENANCE,
    ]
)

#: Status checks: what an item looked like when someone looked (an X API lookup, a researcher's
#: "status" column). ``metrics.snapshots.snapshots_to_events`` turns them into events.
CHECKS = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("order_id", pa.string()),
        pa.field("checked_at", UTC_US, nullable=False),
        pa.field("time_precision", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("countries", pa.string()),
        pa.field("source_url", pa.string()),
        *PROVENANCE,
    ]
)

#: ``level`` says what a problem set aside: ``row`` (the whole source row; nothing from it is in
#: any table) or ``item`` (one item inside a row that was otherwise kept, e.g. one bad URL in a
#: Lumen notice).
REJECTS = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64()),
        pa.field("column", pa.string()),
        pa.field("value", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),
    ]
)
REJECT_LEVELS = ("row", "item")

TABLES: dict[str, pa.Schema] = {
    "orders": ORDERS,
    "items": ITEMS,
    "events": EVENTS,
    "checks": CHECKS,
    "transparency": TRANSPARENCY,
}

# Controlled vocabularies.
ITEM_TYPES = ("account", "tweet", "url", "hashtag")
EVENT_TYPES = ("withheld", "restored", "suspended", "reinstated", "deleted")
TIME_PRECISIONS = ("day", "hour", "minute", "second")
#: ``events.timing``: how well the event's time is known. ``exact``: it happened at ``at``;
#: ``bounded``: after ``at_earliest`` and by ``at`` (e.g. between two status checks);
#: ``before_first_check``: already so at the first check ``at``, at an unknown time before it.
TIMINGS = ("exact", "bounded", "before_first_check")
#: ``checks.state``: the vocabulary of :func:`analysis.clean.snapshots.snapshots_to_events`.
CHECK_STATES = ("withheld", "visible", "suspended", "not_found")
SOURCE_KINDS = (
    "spreadsheet",
    "snapshot",
    "platform_notice",
    "news_report",
    "court_filing",
    "parliament_reply",
    "transparency_report",
)

#: Canonical columns a source may map file headers onto, per kind. ``notes`` collects
#: unmapped columns. ``item`` is the cell holding a handle/URL/tweet id in any form.
REQUIRED = {
    "orders": ("issued_at",),
    "items": ("order_id", "item"),
    "events": ("event", "at"),
    "wide_handles": ("item",),
    "transparency": ("period_start",),
}


def columns(table: str) -> list[str]:
    """Column names of a canonical table, in stored order."""
    return TABLES[table].names
