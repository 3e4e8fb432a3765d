"""``orders``: a sheet of government orders, one row per order -> the ``orders`` table.

A row gives the order's number, the date it was issued (required) and perhaps a compliance
deadline, how many items it named (``126``, ``~120``, ``100+``), platform, country, authority,
legal basis, title, a source URL and notes. A row without an order number gets an id derived
from its file, authority, date and title (``ord-20210204-<hash>``), the same on every run; a
deadline before the order was issued rejects the row; an approximate or bounded count is kept
and said in ``notes``.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from analysis.core.times import wall_clock
from analysis.ingest.canonical.cells import Cells
from analysis.ingest.normalize.numbers import parse_counts
from analysis.ingest.normalize.platforms import normalize_platform


def build_orders(cells: Cells) -> dict[str, pd.DataFrame]:
    """One ``orders`` row per sheet row; see the module docstring."""
    issued = cells.dates("issued_at")
    cells.required("issued_at", cells.get("issued_at"), "issued_at (date of the order)")
    deadline = cells.dates("deadline_at") if cells.has("deadline_at") else None
    if deadline is not None:
        early = _before(deadline, issued, cells.source.timezone)
        cells.log.reject(
            early,
            cells.header("deadline_at"),
            cells.get("deadline_at"),
            pd.Series("the deadline is before the order was issued", index=cells.index),
        )
    counts = parse_counts(cells.get("items_listed"))
    cells.parsed("items_listed", counts)
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    country = cells.country()
    notes = cells.notes()
    inexact = counts["bound"].notna() & (counts["bound"] != "exact")
    if inexact.any():
        flag = "items_listed is " + counts["bound"].map(_BOUND_WORDS).astype("str")
        notes = notes.where(~inexact, _append(notes, flag))
    title = cells.text("title")
    order_id = cells.text("order_id")
    derived = order_id.isna()
    if derived.any():
        order_id = order_id.where(~derived, _derived_ids(cells, issued["at"], title))
        cells.log.messages.append(
            f"{int(derived.sum())} order ids derived (no order id in the file)"
        )
    frame = pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country,
            "authority": cells.text("authority"),
            "legal_basis": cells.text("legal_basis"),
            "issued_at": issued["at"],
            "deadline_at": deadline["at"] if deadline is not None else cells.no_times(),
            "items_listed": counts["value"],
            "time_precision": issued["time_precision"],
            "title": title,
            "source_url": cells.text("source_url"),
            "notes": notes,
            **cells.provenance(),
        }
    )
    return {"orders": frame}


def _before(later: pd.DataFrame, earlier: pd.DataFrame, timezone: str) -> pd.Series:
    """Rows where ``later["at"]`` is before ``earlier["at"]`` at the coarser precision of the two
    (a deadline dated by day may fall on the day of an order issued at 18:00); local calendar
    days in ``timezone``."""
    at, start = later["at"], earlier["at"]
    by_day = (later["time_precision"] == "day") | (earlier["time_precision"] == "day")
    day = (
        wall_clock(at, timezone).dt.normalize() < wall_clock(start, timezone).dt.normalize()
    ) & by_day
    exact = (at < start) & ~by_day
    return (at.notna() & start.notna() & (day | exact)).fillna(False).astype(bool)


_BOUND_WORDS = {"approx": "approximate", "lower": "a lower bound", "upper": "an upper bound"}


def _append(notes: pd.Series, extra: pd.Series) -> pd.Series:
    return (notes.fillna("") + "; " + extra).str.lstrip("; ")


def _derived_ids(cells: Cells, issued: pd.Series, title: pd.Series) -> pd.Series:
    """A stable id from what the order says, so re-running on the same file gives the same id."""
    authority = cells.text("authority").fillna("")
    date = issued.dt.strftime("%Y-%m-%d").fillna("")
    keys = cells.file + "|" + authority + "|" + date + "|" + title.fillna("")
    digest = keys.map(lambda k: hashlib.sha256(k.encode()).hexdigest()[:10])
    return ("ord-" + date.str.replace("-", "") + "-" + digest).astype("str")
