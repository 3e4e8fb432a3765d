"""Raw frame + a source's column map -> canonical orders/items/events/checks/transparency rows.

One function per kind. Each keeps a row only when every cell it uses is readable; otherwise the
whole row goes to the rejects with one line per bad cell (the file's own header in ``column``).
Two exceptions, both counted in the manifest: a Lumen notice keeps its other URLs when one URL
cannot be read (that URL is an item-level reject, ``level = "item"``), and a transparency
table's ``Total`` row is dropped (a sum of the other rows, not a period). Cross-source checks
(duplicate and conflicting orders, items naming unknown orders, events from status checks)
live in :mod:`analysis.clean.combine`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import schema
from analysis.core.arrays import str_take
from analysis.core.errors import InputError
from analysis.core.text import INVISIBLE_CLASS
from analysis.core.times import from_wall_clock, ts_from_us, utc_us, wall_clock
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.handles import ARROW_TEXT, parse_items
from analysis.ingest.normalize.numbers import parse_counts, parse_rates
from analysis.ingest.normalize.platforms import normalize_country, normalize_platform
from analysis.ingest.normalize.vocab import normalize_event, normalize_source_kind
from analysis.ingest.readers.tabular import RawTable
from analysis.ingest.sources import (
    BUILTIN_COLUMNS,
    BUILTIN_HEADERS,
    FIXED_FIELD_KINDS,
    KIND_DEFAULTS,
    REQUIRED_COLUMNS,
    Source,
    header_key,
)

REJECT_COLUMNS = schema.REJECTS.names
#: Canonical names several file headers may map to at once.
MULTI_COLUMNS = frozenset({*schema.EVENT_TYPES, "requests_part"})


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


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS}).astype(
        {"source_row": "Int64"}
    )


def empty_dropped() -> pd.DataFrame:
    return pd.DataFrame({"source_row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")})


def rejects_frame(records: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Reject rows with the rejects table's columns and dtypes (zero rows allowed); a missing
    ``level`` is ``row``."""
    frame = pd.DataFrame(records, columns=REJECT_COLUMNS)
    frame["level"] = frame["level"].astype("str").fillna("row")
    return frame.astype(empty_rejects().dtypes.to_dict())


def empty_table(name: str) -> pd.DataFrame:
    """A zero-row frame with the table's columns and pandas dtypes."""
    return pd.DataFrame(
        {f.name: pd.Series(dtype=_pandas_dtype(f.type)) for f in schema.TABLES[name]}
    )


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.take(rows)`` with a fresh index, the columns taken two at a time: Arrow's take
    releases the GIL, and on millions of rows copying the columns is most of a sort's cost."""
    rows = np.asarray(rows, dtype="int64")

    def one(name: str) -> pd.Series:
        return frame[name].take(rows).reset_index(drop=True)

    if len(rows) < 100_000 or len(frame.columns) < 2 or not frame.columns.is_unique:
        return frame.take(rows).reset_index(drop=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        columns = list(pool.map(one, frame.columns))
    return pd.DataFrame(dict(zip(frame.columns, columns, strict=True)), copy=False)


def _pandas_dtype(arrow_type) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "datetime64[us, UTC]"
    if pa.types.is_int64(arrow_type):
        return "Int64"
    if pa.types.is_float64(arrow_type):
        return "Float64"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    return "str"


def to_canonical(source: Source, raw: RawTable) -> Canonical:
    """Turn one source's raw rows into canonical rows; see the module docstring.

    ``raw`` is what the kind's reader returned (:class:`~analysis.ingest.readers.lumen.LumenRaw` for
    ``lumen``, :class:`~analysis.ingest.readers.x_api.XRaw` for ``x_snapshots``).
    """
    cells = _Cells(effective_source(source, list(raw.frame.columns)), raw)
    tables = _BUILDERS[source.kind](cells)
    left_out = cells.bad_rows() | cells.dropped_rows()
    out = Canonical(messages=cells.messages, dropped=cells.dropped())
    for name, frame in tables.items():
        frame = frame[~frame["source_row"].isin(left_out)]
        out.tables[name] = frame.reset_index(drop=True)
    out.rejects = cells.rejects()
    return out


def effective_source(source: Source, headers: list[str]) -> Source:
    """The source with the kind's built-in header names and defaults filled in.

    Fixed-field kinds (Lumen, X API) map each field the reader gives to itself. Kinds reading a
    standard export get :data:`~analysis.ingest.sources.BUILTIN_COLUMNS` for the headers the file
    has; the source's own ``[source.columns]`` and ``[source.defaults]`` win. Raises
    :class:`InputError` when a required column is still missing.
    """
    defaults = {**KIND_DEFAULTS.get(source.kind, {}), **source.defaults}
    if source.kind in FIXED_FIELD_KINDS:
        columns = {h: h for h in headers}
        return dataclasses.replace(source, columns=columns, defaults=defaults, unmapped="ignore")
    builtin = BUILTIN_COLUMNS.get(source.kind)
    if builtin is None:
        return dataclasses.replace(source, defaults=defaults)
    mine = {_header_key(h) for h in source.columns}
    taken = set(source.columns.values())
    columns: dict[str, str] = {}
    for header in headers:
        canonical = builtin.get(header_key(header))
        if canonical is None or _header_key(header) in mine:
            continue
        if canonical in taken and canonical not in MULTI_COLUMNS:
            continue  # the reporter mapped it, or an earlier header already gives it
        taken.add(canonical)
        columns[header] = canonical
    columns.update(source.columns)
    out = dataclasses.replace(source, columns=columns, defaults=defaults)
    for canonical in REQUIRED_COLUMNS[source.kind]:
        if not out.has(canonical):
            looked_for = ", ".join(repr(h) for h in BUILTIN_HEADERS[source.kind].get(canonical, ()))
            found = ", ".join(repr(h) for h in headers) or "none"
            where = f"looked for {looked_for}; " if looked_for else ""
            raise InputError(
                f"{source.path}: no column gives {canonical!r} ({where}its headers are {found}); "
                f"map one under [source.columns] or set [source.defaults] {canonical}"
            )
    return out


class _Cells:
    """Access to a raw frame by canonical column name, collecting rejects as it goes."""

    def __init__(self, source: Source, raw: RawTable):
        self.source = source
        self.raw = raw
        # The index is the source row; unnamed here so it never clashes with the column.
        self.frame = raw.frame.rename_axis(None)
        self.index = self.frame.index
        self.file = source.name
        self.messages: list[str] = list(raw.messages)
        self._problems: list[pd.DataFrame] = []
        self._dropped: list[pd.DataFrame] = []
        if raw.problems:
            self._problems.append(
                pd.DataFrame(
                    {
                        "source_row": [p.row for p in raw.problems],
                        "column": [p.column for p in raw.problems],
                        "value": [p.value for p in raw.problems],
                        "reason": [p.reason for p in raw.problems],
                    }
                )
            )
        self.headers = self._match_headers()
        self._unmapped_notes = self._collect_unmapped()

    # -- headers ---------------------------------------------------------------------------

    def _match_headers(self) -> dict[str, list[str]]:
        """canonical name -> the file headers mapped to it, matched forgivingly.

        Reporters' headers drift in case and spacing ("Date of order ", "DATE OF ORDER"), so
        matching ignores both; a header that is still not found is an error, never a silent
        empty column.
        """
        by_key: dict[str, str] = {}
        for header in self.frame.columns:
            by_key.setdefault(_header_key(header), header)
        dupes = self.raw.duplicate_headers
        mapped: dict[str, list[str]] = {}
        for wanted, canonical in self.source.columns.items():
            header = by_key.get(_header_key(wanted))
            if header is None:
                found = ", ".join(repr(h) for h in self.frame.columns) or "none"
                raise InputError(
                    f"{self.source.path}: header {wanted!r} (mapped to {canonical!r} in "
                    f"sources.toml) is not in the file; its headers are {found}"
                )
            if header in dupes:
                raise InputError(
                    f"{self.source.path}: header {header!r} appears more than once in row 1; "
                    "rename the copies so each column has its own header"
                )
            mapped.setdefault(canonical, []).append(header)
        for canonical, headers in mapped.items():
            if len(headers) > 1 and canonical not in MULTI_COLUMNS:
                raise InputError(
                    f"{self.source.path}: headers {headers[0]!r} and {headers[1]!r} both map to "
                    f"{canonical!r}; map one of them to another column"
                )
        return mapped

    def _collect_unmapped(self) -> pd.Series | None:
        used = {h for hs in self.headers.values() for h in hs}
        extra = [h for h in self.frame.columns if h not in used]
        if not extra:
            return None
        if self.source.unmapped == "ignore":
            self.messages.append(f"ignored unmapped columns: {', '.join(extra)}")
            return None
        self.messages.append(f"unmapped columns kept in notes: {', '.join(extra)}")
        return join_notes(*(f"{h}: " + _text(self.frame[h]) for h in extra))

    # -- values ----------------------------------------------------------------------------

    def has(self, canonical: str) -> bool:
        return canonical in self.headers or canonical in self.source.defaults

    def header(self, canonical: str) -> str:
        headers = self.headers.get(canonical)
        return headers[0] if headers else f"(default {canonical})"

    def get(self, canonical: str, header: str | None = None) -> pd.Series:
        """Raw cells of a canonical column (or one given header); the default fills absence."""
        if header is not None:
            return self.frame[header]
        if canonical in self.headers:
            return self.frame[self.headers[canonical][0]]
        if canonical in self.source.defaults:
            return pd.Series(self.source.defaults[canonical], index=self.index, dtype=object)
        return pd.Series(None, index=self.index, dtype=object)

    def text(self, canonical: str) -> pd.Series:
        """A text column: stripped strings, blank -> NA. Order ids also lose invisible
        characters (:func:`visible_id`)."""
        values = _text(self.get(canonical))
        return visible_id(values) if canonical == "order_id" else values

    def notes(self) -> pd.Series:
        notes = self.text("notes")
        if self._unmapped_notes is None:
            return notes
        both = notes.notna() & self._unmapped_notes.notna()
        combined = notes.fillna(self._unmapped_notes)
        combined[both] = notes[both] + "; " + self._unmapped_notes[both]
        return combined

    def reject(
        self,
        mask: pd.Series,
        column: str | pd.Series,
        values: pd.Series,
        reasons: pd.Series | str,
    ) -> None:
        """Record a problem for each row where ``mask`` is true (the whole row is rejected).
        ``column`` names the file's header, or gives one per row."""
        if isinstance(reasons, str):
            reasons = pd.Series(reasons, index=self.index)
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        self._problems.append(
            pd.DataFrame(
                {
                    "source_row": self.index[mask.to_numpy()],
                    "column": column if isinstance(column, str) else column[mask].to_numpy(),
                    "value": values[mask].map(_display).to_numpy(),
                    "reason": reasons[mask].astype("str").to_numpy(),
                }
            )
        )

    def required(self, canonical: str, values: pd.Series, what: str | None = None) -> None:
        blank = values.isna()
        self.reject(
            blank,
            self.header(canonical),
            values,
            pd.Series(f"{what or canonical} is blank but required", index=self.index),
        )

    def parsed(self, canonical: str, result: pd.DataFrame, header: str | None = None) -> None:
        """Reject the rows a normaliser gave a reason for."""
        raw = self.get(canonical, header)
        self.reject(
            result["reason"].notna(), header or self.header(canonical), raw, result["reason"]
        )

    def reject_items(
        self, rows: pd.Series, columns: pd.Series, values: pd.Series, reasons: pd.Series
    ) -> None:
        """Record problems with single items inside rows that are otherwise kept."""
        if len(rows):
            self._problems.append(
                pd.DataFrame(
                    {
                        "source_row": rows.to_numpy(),
                        "column": columns.to_numpy(),
                        "value": values.map(_display).to_numpy(),
                        "reason": reasons.astype("str").to_numpy(),
                        "level": "item",
                    }
                )
            )

    def drop(self, mask: pd.Series, reason: str) -> None:
        """Leave rows out on purpose (not an error); the manifest counts them."""
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rows = self.index[mask.to_numpy()]
            self._dropped.append(pd.DataFrame({"source_row": rows, "reason": reason}))
            self.messages.append(f"row {', '.join(map(str, rows))} dropped: {reason}")

    def dropped(self) -> pd.DataFrame:
        if not self._dropped:
            return empty_dropped()
        return pd.concat(self._dropped, ignore_index=True).astype(empty_dropped().dtypes)

    def dropped_rows(self) -> set[int]:
        return {int(r) for r in self.dropped()["source_row"]}

    def bad_rows(self) -> set[int]:
        rejects = self.rejects()
        rows = rejects.loc[rejects["level"] == "row", "source_row"]
        return set(rows.dropna().astype(int))

    def rejects(self) -> pd.DataFrame:
        if not self._problems:
            return empty_rejects()
        out = pd.concat(self._problems, ignore_index=True)
        out.insert(0, "source_file", self.file)
        out["level"] = out["level"].fillna("row") if "level" in out else "row"
        out = out.astype({"source_row": "Int64"})
        # A row dropped on purpose (a Total row) is not also a problem.
        out = out[~out["source_row"].isin(self.dropped_rows())].reset_index(drop=True)
        return out[REJECT_COLUMNS].astype(
            {c: "str" for c in ("source_file", "column", "value", "reason", "level")}
        )

    def provenance(self) -> dict[str, pd.Series]:
        return {
            "source_file": pd.Series(self.file, index=self.index, dtype="str"),
            "source_row": pd.Series(self.index, index=self.index, dtype="int64"),
        }

    def no_times(self) -> pd.Series:
        return pd.Series(pd.NaT, index=self.index, dtype="datetime64[us, UTC]")

    def dates(self, canonical: str, header: str | None = None) -> pd.DataFrame:
        result = parse_datetimes(
            self.get(canonical, header),
            timezone=self.source.timezone,
            dayfirst=self.source.dayfirst,
        )
        self.parsed(canonical, result, header)
        return result


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; blank and missing -> NA (vectorised)."""
    text = values.astype("str").str.strip()
    return text.mask(text == "").astype("str")


def visible_id(values: pd.Series) -> pd.Series:
    """Ids without invisible characters (:data:`~analysis.core.text.INVISIBLE`; joiners stay, they
    shape Devanagari); an id of nothing else -> NA."""
    cleaned = values.astype("str").str.replace(INVISIBLE_CLASS, "", regex=True).str.strip()
    return cleaned.mask(cleaned == "").astype("str")


def join_notes(*parts: pd.Series) -> pd.Series:
    """Join note fragments row by row with ``"; "``, skipping missing ones (NA when none)."""
    out = None
    for part in parts:
        part = part.astype("str")
        if out is None:
            out = part
            continue
        both = out.notna() & part.notna()
        out = out.fillna(part)
        out[both] = out[both] + "; " + part[both]
    return out.astype("str")


def _header_key(header: str) -> str:
    return " ".join(str(header).split()).casefold()


def _display(value: object) -> str | None:
    """A raw cell as text for the rejects table (long cells are clipped, not lost in meaning)."""
    if _blank(value):
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


# --- kinds -------------------------------------------------------------------------------------


def _orders(cells: _Cells) -> dict[str, pd.DataFrame]:
    issued = cells.dates("issued_at")
    cells.required("issued_at", cells.get("issued_at"), "issued_at (date of the order)")
    deadline = cells.dates("deadline_at") if cells.has("deadline_at") else None
    if deadline is not None:
        early = _before(deadline, issued, cells.source.timezone)
        cells.reject(
            early,
            cells.header("deadline_at"),
            cells.get("deadline_at"),
            pd.Series("the deadline is before the order was issued", index=cells.index),
        )
    counts = parse_counts(cells.get("items_listed"))
    cells.parsed("items_listed", counts)
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    country = normalize_country(cells.get("country"))
    cells.parsed("country", country)
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
        cells.messages.append(f"{int(derived.sum())} order ids derived (no order id in the file)")
    frame = pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country["value"],
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


def _derived_ids(cells: _Cells, issued: pd.Series, title: pd.Series) -> pd.Series:
    """A stable id from what the order says, so re-running on the same file gives the same id."""
    authority = cells.text("authority").fillna("")
    date = issued.dt.strftime("%Y-%m-%d").fillna("")
    keys = cells.file + "|" + authority + "|" + date + "|" + title.fillna("")
    digest = keys.map(lambda k: hashlib.sha256(k.encode()).hexdigest()[:10])
    return ("ord-" + date.str.replace("-", "") + "-" + digest).astype("str")


def _item_frame(cells: _Cells, items: pd.DataFrame, order_id: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": order_id,
            "item_id": items["item_id"],
            "item_type": items["item_type"],
            "handle": items["handle"],
            "tweet_id": items["tweet_id"],
            "raw_value": cells.get("item").astype("str"),
            "notes": cells.notes(),
            **cells.provenance(),
        }
    )


def _items(cells: _Cells) -> dict[str, pd.DataFrame]:
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    order_id = cells.text("order_id")
    cells.required("order_id", order_id)
    return {"items": _item_frame(cells, items, order_id)}


def _event_common(cells: _Cells) -> dict[str, pd.Series]:
    country = normalize_country(cells.get("country"))
    cells.parsed("country", country)
    kind = normalize_source_kind(cells.get("source_kind"))
    cells.parsed("source_kind", kind)
    return {
        "country": country["value"],
        "source_kind": kind["value"].fillna("spreadsheet"),
        "source_url": cells.text("source_url"),
        "notes": cells.notes(),
    }


def _events(cells: _Cells) -> dict[str, pd.DataFrame]:
    event = normalize_event(cells.get("event"))
    cells.parsed("event", event)
    # Blank (or a blank word such as "-"), not unreadable: that already has its own reject.
    cells.required("event", event["value"].mask(event["reason"].notna(), "unreadable"))
    at = cells.dates("at")
    cells.required("at", cells.get("at"), "the event date")
    earliest = cells.dates("at_earliest") if cells.has("at_earliest") else None
    if earliest is not None:
        after = earliest["at"].notna() & at["at"].notna() & (earliest["at"] > at["at"])
        cells.reject(
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
    cells.reject(
        ~named & n_items.isna(),
        cells.header("n_items"),
        cells.get("n_items"),
        pd.Series("an event names neither an item nor a count of items", index=cells.index),
    )
    cells.reject(
        named & (n_items != 1),
        cells.header("n_items"),
        cells.get("n_items"),
        pd.Series("an event that names one item must count 1 item", index=cells.index),
    )
    cells.reject(
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
            **_event_common(cells),
            **cells.provenance(),
        }
    )
    return {"events": frame}


def _timing(earliest: pd.Series | None, index: pd.Index) -> pd.Series:
    """A sheet's event happened at ``at`` (``exact``), or after ``at_earliest`` (``bounded``)."""
    if earliest is None:
        return pd.Series("exact", index=index, dtype="str")
    return pd.Series(np.where(earliest.notna(), "bounded", "exact"), index=index, dtype="str")


def _wide_handles(cells: _Cells) -> dict[str, pd.DataFrame]:
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    order_id = cells.text("order_id")
    cells.required("order_id", order_id)
    common = _event_common(cells)
    # Date columns in file order, so a row's same-day "withheld" then "restored" keep the
    # sheet's sequence (the events table is later sorted stably by time).
    date_columns = [(h, name) for name in schema.EVENT_TYPES for h in cells.headers.get(name, [])]
    date_columns.sort(key=lambda pair: cells.frame.columns.get_loc(pair[0]))
    parsed = [cells.dates(name, header) for header, name in date_columns]
    items_frame = _item_frame(cells, items, order_id)
    if not parsed:
        return {"items": items_frame, "events": empty_table("events")}
    # One event per filled date cell, in sheet order: by row, then time, then column. Built
    # with one take per column: on a sheet of millions of rows a filter per date column and a
    # sort of the result would copy every column several times.
    n = len(order_id)
    at_us = np.concatenate([utc_us(p["at"]) for p in parsed])
    cell = np.flatnonzero(at_us != np.iinfo("int64").min)
    row, column = cell % n, cell // n
    order = np.lexsort((column, at_us[cell], row))
    cell, row, column = cell[order], row[order], column[order]
    precision = pd.concat([p["time_precision"] for p in parsed], ignore_index=True)
    per_row = {
        "item_id": items["item_id"],
        "order_id": order_id,
        **common,
        **cells.provenance(),
    }
    events = take_rows(pd.DataFrame(per_row, copy=False), row).assign(
        event=str_take([name for _, name in date_columns], column),
        at=ts_from_us(at_us[cell]),
        at_earliest=pd.Series(pd.NaT, index=range(len(cell)), dtype="datetime64[us, UTC]"),
        timing="exact",
        time_precision=precision.take(cell).reset_index(drop=True),
        n_items=1,
        n_items_is_approximate=False,
    )
    return {"items": items_frame, "events": events[schema.columns("events")]}


def _transparency(cells: _Cells) -> dict[str, pd.DataFrame]:
    start = cells.dates("period_start")
    end = cells.dates("period_end")
    cells.required("period_start", cells.get("period_start"))
    cells.required("period_end", cells.get("period_end"))
    return _transparency_table(cells, start["at"], end["at"], "period_end")


def _transparency_table(
    cells: _Cells,
    start: pd.Series,
    end: pd.Series,
    period: str,
    *,
    counts: dict[str, pd.DataFrame] | None = None,
    rate: pd.Series | None = None,
    country: pd.Series | None = None,
    notes: tuple[pd.Series, ...] = (),
) -> dict[str, pd.DataFrame]:
    """Transparency rows from parsed periods; each count, the rate and the country are read from
    their mapped columns unless given already parsed (``counts``: ``value``/``bound`` frames)."""
    backwards = start.notna() & end.notna() & (end < start)
    cells.reject(backwards, cells.header(period), cells.get(period), "period ends before it starts")
    counts = dict(counts or {})
    for column in schema.TRANSPARENCY_COUNTS:
        if column not in counts:
            counts[column] = parse_counts(cells.get(column))
            cells.parsed(column, counts[column])
    if rate is None:
        parsed = parse_rates(cells.get("compliance_rate"))
        cells.parsed("compliance_rate", parsed)
        rate = parsed["value"]
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    if country is None:
        parsed = normalize_country(cells.get("country"))
        cells.parsed("country", parsed)
        country = parsed["value"]
    frame = pd.DataFrame(
        {
            "platform": platform["value"],
            "country": country,
            "requestor": cells.text("requestor"),
            "reason": cells.text("reason"),
            "period_start": start,
            "period_end": end,
            **{c: counts[c]["value"] for c in schema.TRANSPARENCY_COUNTS},
            **{
                f"{c}_bound": counts[c]["bound"].where(counts[c]["bound"] != "exact")
                for c in schema.TRANSPARENCY_COUNTS
            },
            "compliance_rate": rate,
            "scope": cells.text("scope"),
            "notes": join_notes(cells.notes(), *notes),
            "source_url": cells.text("source_url"),
            **cells.provenance(),
        }
    )
    return {"transparency": frame}


_TOTAL_ROW = r"(?i)\s*(?:grand\s+)?totals?\s*(?:\(.*\))?\s*"
_MONTH_RANGE = (
    r"^(?P<m1>[a-z]+)\.?(?:\s+(?P<y1>\d{4}))?\s*(?:-|–|—|to)\s*"
    r"(?P<m2>[a-z]+)\.?,?\s+(?P<y2>\d{4})$"
)
_HALF_YEAR = r"^(?:h(?P<ha>[12])[\s-]*(?P<ya>\d{4})|(?P<yb>\d{4})[\s-]*h(?P<hb>[12]))$"


def report_periods(text: pd.Series, timezone: str) -> pd.DataFrame:
    """Period strings -> ``start`` (first day) and ``end`` (last day), local midnight in UTC.

    Reads ``July - December 2020``, ``Jan-Jun 2020``, ``July 2020 - June 2021``, ``H2 2020`` and
    ``2020 H2``, case-insensitively. ``reason`` quotes a period it cannot read; blank -> NaT and
    no reason. Month names go through :func:`~analysis.ingest.normalize.dates.parse_datetimes`.
    """
    low = text.astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    months = _extract(low, _MONTH_RANGE)
    halves = _extract(low, _HALF_YEAR)
    half = halves["ha"].fillna(halves["hb"])
    year2 = months["y2"].fillna(halves["ya"].fillna(halves["yb"]))
    first = months["m1"].fillna(half.map({"1": "jan", "2": "jul"}))
    last = months["m2"].fillna(half.map({"1": "jun", "2": "dec"}))
    year1 = months["y1"].fillna(year2)
    start = parse_datetimes("1 " + first + " " + year1, timezone=timezone)["at"]
    last_month = parse_datetimes("1 " + last + " " + year2, timezone=timezone)["at"]
    end = from_wall_clock(wall_clock(last_month, timezone) + pd.offsets.MonthEnd(0), timezone)
    bad = low.notna() & (start.isna() | end.isna())
    reason = 'period "' + text.astype("str") + '" is not a period such as "July - December 2020"'
    return pd.DataFrame({"start": start, "end": end, "reason": reason.where(bad)})


# --- X transparency report ---------------------------------------------------------------------


def _transparency_x(cells: _Cells) -> dict[str, pd.DataFrame]:
    """X/Twitter country tables: one row per half-year; the ``Total`` row is dropped."""
    period = cells.text("period")
    cells.drop(period.str.fullmatch(_TOTAL_ROW), "a Total row (the sum of the other rows)")
    cells.required("period", period, "the time period")
    periods = report_periods(period, cells.source.timezone)
    cells.reject(
        periods["reason"].notna(), cells.header("period"), cells.get("period"), periods["reason"]
    )
    return _transparency_table(cells, periods["start"], periods["end"], "period")


# --- Google government removal requests --------------------------------------------------------


def _transparency_google(cells: _Cells) -> dict[str, pd.DataFrame]:
    """Google's removal-request CSVs (current, detailed and historical layouts).

    ``period_start`` is the day after ``Period Ending`` six months earlier (a half-year ending
    2020-06-30 starts 2020-01-01). ``compliance_rate`` is ``% Removed-Legal`` + ``% Removed-Policy``
    (blank = 0 when any percentage of the row is given; capped at 100, as rounding can make 101)
    unless the file has the historical "fully or partially complied with" column.
    """
    timezone = cells.source.timezone
    end = cells.dates("period_end")
    cells.required("period_end", cells.get("period_end"), "the period end")
    next_day = wall_clock(end["at"], timezone) + pd.Timedelta(days=1)
    start = from_wall_clock(next_day - pd.DateOffset(months=6), timezone)
    notes: list[pd.Series] = []

    code = normalize_country(cells.get("country"))
    cells.parsed("country", code)
    country = code["value"]
    if cells.has("country_name"):
        # A blank code (Europol) falls back on the name, when the name is a country.
        name = cells.text("country_name")
        fallback = cells.text("country").isna() & name.notna()
        by_name = normalize_country(name.where(fallback))["value"]
        country = country.fillna(by_name)
        notes.append((cells.header("country_name") + ": " + name).where(fallback & by_name.isna()))

    counts = {}
    if cells.has("requests_part") and not cells.has("requests"):
        counts["requests"], part_notes = _summed_counts(cells, "requests_part")
        notes.append(part_notes)

    rate = None
    if not cells.has("compliance_rate") and (
        cells.has("removed_legal_pct") or cells.has("removed_policy_pct")
    ):
        rate, rate_notes = _google_removed_rate(cells)
        notes.append(rate_notes)
    return _transparency_table(
        cells,
        start,
        end["at"],
        "period_end",
        counts=counts,
        rate=rate,
        country=country,
        notes=tuple(notes),
    )


def _google_removed_rate(cells: _Cells) -> tuple[pd.Series, pd.Series]:
    parts = []
    for column in ("removed_legal_pct", "removed_policy_pct"):
        parsed = parse_rates(cells.get(column))
        cells.parsed(column, parsed)
        parts.append(parsed["value"])
    percent_headers = [h for h in cells.frame.columns if header_key(h).startswith("%")]
    given = cells.frame[percent_headers].notna().any(axis=1)
    total = (parts[0].fillna(0) + parts[1].fillna(0)).where(given)
    over = total > 100
    shown = [
        (cells.header(c) + ": " + cells.text(c))
        for c in ("removed_legal_pct", "removed_policy_pct")
        if cells.has(c)
    ]
    capped = (
        "compliance_rate capped at 100 (the rounded percentages add up to "
        + total.astype("Int64").astype("str")
        + ")"
    ).where(over)
    return total.clip(upper=100), join_notes(*shown, capped)


def _summed_counts(cells: _Cells, canonical: str) -> tuple[pd.DataFrame, pd.Series]:
    """Counts split over several columns (historical Google: court orders, executive/police)
    summed into one. A sum with ``<10`` in it is an upper bound: ``<10`` plus 3 is ``<13``
    (each ``<N`` is at most N-1). Parts that mix kinds of bound give no sum; any unknown part
    (``?``) gives no sum. The parts are kept in ``notes``."""
    headers = cells.headers[canonical]
    parsed = []
    for header in headers:
        result = parse_counts(cells.get(canonical, header))
        cells.parsed(canonical, result, header)
        parsed.append(result)
    values = pd.concat([p["value"] for p in parsed], axis=1)
    bounds = pd.concat([p["bound"].astype("str") for p in parsed], axis=1)
    upper = (bounds == "upper").sum(axis=1)
    kinds = bounds.where(bounds != "exact")
    inexact = kinds.nunique(axis=1)
    kind = kinds.bfill(axis=1).iloc[:, 0].fillna("exact")
    total = values.sum(axis=1, min_count=len(headers)).astype("Int64")
    total = total.where(values.notna().all(axis=1) & (inexact <= 1))
    total = total - (upper - 1).clip(lower=0)
    out = pd.DataFrame({"value": total, "bound": kind.where(total.notna()).astype("str")})
    notes = join_notes(*(h + ": " + _text(cells.get(canonical, h)) for h in headers))
    return out, notes


# --- shared by the kinds that give status checks -----------------------------------------------


def country_lists(values: pd.Series, *, names: bool = False) -> pd.DataFrame:
    """Lists of countries -> ``value`` (ISO alpha-2 codes joined by commas) and ``reason``.

    Codes (``IN, DE``, ``["IN"]`` already joined) split on commas, semicolons and spaces; with
    ``names`` (``India and Pakistan``) on commas, semicolons and ``and``. ``XX`` (all countries)
    and ``XY`` (withheld on a copyright complaint) are X's special codes and are kept. Each
    distinct value is worked out once.
    """
    text = _text(values)
    codes, uniques = pd.factorize(text)
    split = r"\s*(?:[,;]|\band\b)\s*" if names else r"[,;\s]+"
    tokens = [[t for t in re.split(split, u.strip()) if t] for u in uniques]
    distinct = sorted({t for ts in tokens for t in ts if t.upper() not in ("XX", "XY")})
    codes_of = normalize_country(pd.Series(distinct, dtype="str"))["value"]
    known = dict(zip(distinct, codes_of, strict=True))
    value, reason = [], []
    for ts in tokens:
        bad = [t for t in ts if t.upper() not in ("XX", "XY") and pd.isna(known[t])]
        value.append(
            None
            if bad
            else ",".join(t.upper() if t.upper() in ("XX", "XY") else known[t] for t in ts)
        )
        reason.append(
            f'country "{bad[0]}" is not a known country name or ISO code' if bad else None
        )
    value_lut = np.array([*value, None], dtype=object)
    reason_lut = np.array([*reason, None], dtype=object)
    return pd.DataFrame(
        {
            "value": pd.array(value_lut[codes], dtype="str"),
            "reason": pd.array(reason_lut[codes], dtype="str"),
        },
        index=values.index,
    )


def _check_frame(
    cells: _Cells,
    item_id: pd.Series,
    order_id: pd.Series,
    checked: pd.DataFrame,
    state: pd.Series,
    countries: pd.Series,
    source_url: pd.Series,
    country: str,
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "item_id": item_id,
            "order_id": order_id,
            "checked_at": checked["at"],
            "time_precision": checked["time_precision"],
            "state": state,
            "countries": countries,
            "source_url": source_url,
            **cells.provenance(),
            "_country": country,
        }
    )
    return frame[state.notna().to_numpy()]


def _tracked_country(cells: _Cells) -> str:
    """The country whose withholding a status source tracks (``[source.defaults] country``)."""
    given = cells.source.defaults.get("country", "IN")
    code = normalize_country(pd.Series([given], dtype="str"))["value"].iloc[0]
    if pd.isna(code):
        raise InputError(
            f"{cells.source.path}: [source.defaults] country {given!r} is not a known country"
        )
    return str(code)


def _extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """``str.extract`` run by Arrow's regex engine (pandas' ``str`` dtype would go value by
    value); groups that did not match are NA."""
    found = text.astype(ARROW_TEXT).str.extract(pattern)
    return found.mask(found == "").astype("str")


def _flag(mask: pd.Series) -> pd.Series:
    """A boolean Series with missing -> False."""
    return mask.fillna(False).astype(bool)


def _checked_at(cells: _Cells, what: str, needed: pd.Series | None = None) -> pd.DataFrame:
    """``checked_at`` of each row (its cell, else ``[source.defaults] checked_at``), parsed;
    rows in ``needed`` (default: all) without one are rejected."""
    when = _with_default(cells, "checked_at")
    checked = parse_datetimes(when, timezone=cells.source.timezone, dayfirst=cells.source.dayfirst)
    header = cells.header("checked_at")
    cells.reject(checked["reason"].notna(), header, when, checked["reason"])
    needed = pd.Series(True, index=cells.index) if needed is None else needed
    cells.reject(needed & when.isna(), header, when, f"{what} is blank but required")
    return checked


def _with_default(cells: _Cells, name: str) -> pd.Series:
    """A column, or ``[source.defaults]`` where its cell is blank (for per-record values such as
    ``checked_at`` that a file may give for some records and a default for the rest)."""
    values = cells.text(name)
    default = cells.source.defaults.get(name)
    return values if default is None else values.fillna(default)


# --- Lumen notices -----------------------------------------------------------------------------

LUMEN_NOTICE_URL = "https://lumendatabase.org/notices/"
# Lumen stores a date given without a time as midnight UTC: that is a calendar date.
_LUMEN_BARE_DATE = r"^(\d{4}-\d{2}-\d{2})[T ]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?$"


def _lumen(cells: _Cells) -> dict[str, pd.DataFrame]:
    """Lumen notices -> one order per notice and one item per named URL (see docs/sources.md)."""
    ids = cells.text("id")
    cells.required("id", ids, "the notice id")
    cells.reject(
        ids.notna() & ~_flag(ids.str.fullmatch(r"\d{1,20}")), "id", ids, "notice id is not a number"
    )
    order_id = ("lumen:" + ids).astype("str")
    timezone = cells.source.timezone
    dates = {}
    for column in ("date_sent", "date_received"):
        text = _text(cells.get(column)).astype(ARROW_TEXT)
        text = text.str.replace(_LUMEN_BARE_DATE, r"\1", regex=True).astype("str")
        dates[column] = parse_datetimes(text, timezone=timezone, dayfirst=False)
        cells.parsed(column, dates[column], column)
    sent, received = dates["date_sent"], dates["date_received"]
    from_received = sent["at"].isna() & received["at"].notna()
    issued_at = sent["at"].where(~from_received, received["at"])
    precision = sent["time_precision"].where(~from_received, received["time_precision"])
    blank = cells.text("date_sent").isna() & cells.text("date_received").isna()
    cells.reject(
        blank,
        "date_sent",
        cells.get("date_sent"),
        "the notice has neither date_sent nor date_received",
    )

    principal, sender = cells.text("principal_name"), cells.text("sender_name")
    authority = principal.fillna(sender).fillna(cells.source.defaults.get("authority"))
    jurisdictions = cells.text("jurisdictions")
    first = _extract(jurisdictions, r"^\s*(?P<first>[^;,]+?)\s*(?:[;,]|$)")["first"]
    country = normalize_country(first.fillna(cells.source.defaults.get("country")))
    cells.reject(country["reason"].notna(), "jurisdictions", jurisdictions, country["reason"])
    platform = normalize_platform(
        cells.text("recipient_name").fillna(cells.source.defaults.get("platform"))
    )
    cells.parsed("recipient_name", platform, "recipient_name")

    items, listed, unnamed = _lumen_urls(cells, order_id)
    notes = join_notes(
        "Lumen type: " + cells.text("type"),
        "action taken: " + cells.text("action_taken"),
        "language: " + cells.text("language"),
        ("sent by " + sender).where(principal.notna() & sender.notna() & (principal != sender)),
        ("jurisdictions: " + jurisdictions).where(jurisdictions.str.contains(r"[;,]", regex=True)),
        pd.Series("issued_at is the date received (no date sent)", index=cells.index).where(
            from_received
        ),
        unnamed,
        "file: " + cells.text("file"),
    )
    orders = pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country["value"],
            "authority": authority,
            "legal_basis": cells.text("laws_referenced").fillna(
                cells.source.defaults.get("legal_basis")
            ),
            "issued_at": issued_at,
            "deadline_at": cells.no_times(),
            "items_listed": listed,
            "time_precision": precision,
            "title": cells.text("title"),
            "source_url": (LUMEN_NOTICE_URL + ids).astype("str"),
            "notes": notes,
            **cells.provenance(),
        }
    )
    return {"orders": orders, "items": items}


def _lumen_urls(cells: _Cells, order_id: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The notices' URL entries -> items, ``items_listed`` per notice, and a note for notices
    whose URLs Lumen gave only as counts per domain."""
    urls = cells.raw.urls
    named = urls["url"].notna().to_numpy() | urls["fqdn"].isna().to_numpy()
    entries = urls[named]
    parsed = parse_items(entries["url"])
    blank = _text(entries["url"]).isna()
    reason = parsed["reason"].where(~blank, "URL is blank")
    bad = reason.notna()
    cells.reject_items(
        entries.loc[bad, "source_row"],
        entries.loc[bad, "column"],
        entries.loc[bad, "url"],
        reason[bad] + "; the notice is kept without this item",
    )
    good = ~bad.to_numpy()
    kept = entries[good]
    items = pd.DataFrame(
        {
            "order_id": kept["source_row"].map(order_id).astype("str"),
            "item_id": parsed["item_id"][good],
            "item_type": parsed["item_type"][good],
            "handle": parsed["handle"][good],
            "tweet_id": parsed["tweet_id"][good],
            "raw_value": _text(kept["url"]),
            "notes": pd.Series(np.nan, index=kept.index, dtype="str"),
            "source_file": cells.file,
            "source_row": kept["source_row"].astype("int64"),
        }
    )

    counted = urls[~named]
    counts = parse_counts(counted["count"])
    bad = counts["reason"].notna() | counts["value"].isna()
    cells.reject_items(
        counted.loc[bad, "source_row"],
        counted.loc[bad, "column"],
        counted.loc[bad, "count"],
        counts["reason"].fillna("count is blank")[bad]
        + "; the notice's items_listed leaves this domain out",
    )
    n_named = entries.groupby("source_row").size()
    n_counted = counts["value"].groupby(counted["source_row"]).sum()
    listed = n_named.add(n_counted, fill_value=0).reindex(cells.index).astype("Int64")
    by_domain = _join_by(
        counted["source_row"], _text(counted["fqdn"]) + " " + counts["value"].astype("str")
    )
    unnamed = ("items unnamed: Lumen gave only counts by domain (" + by_domain + ")").reindex(
        cells.index
    )
    return items, listed, unnamed.astype("str")


def _join_by(keys: pd.Series, texts: pd.Series, sep: str = ", ") -> pd.Series:
    """``texts`` joined with ``sep`` per key, in order, by Arrow (missing texts skipped);
    a Series indexed by key."""
    text = pa.array(texts.astype("str").array).cast(pa.string())
    table = pa.table({"key": keys.to_numpy(), "text": text})
    grouped = table.group_by("key", use_threads=False).aggregate([("text", "list")])
    joined = pc.binary_join(grouped["text_list"], sep)
    return pd.Series(pd.array(joined, dtype="str"), index=grouped["key"].to_numpy(), dtype="str")


# --- X API lookups -----------------------------------------------------------------------------

_SUSPENDED_CODES = ("63",)
# The JSON field a record's item came from, named in rejects.
_TARGET_FIELDS = {"account": "screen_name", "tweet": "id", "user_id": "user_id", "item": "item"}
_NOT_FOUND_CODES = ("8", "17", "34", "50", "144")


def _x_snapshots(cells: _Cells) -> dict[str, pd.DataFrame]:
    """X API user/tweet objects, errors and withheld notices -> status checks."""
    frame = cells.frame
    record = _text(frame["record"])
    kind = _text(frame["target_kind"])
    target = frame["target"]
    items = _x_items(cells, kind, target)

    countries = country_lists(frame["countries"])
    cells.reject(countries["reason"].notna(), "countries", frame["countries"], countries["reason"])
    # A copyright (DMCA) withholding is X's special country code XY.
    listed = countries["value"]
    add_xy = frame["copyright"].isin([True, "true", "True"]) & ~_flag(listed.str.contains("XY"))
    listed = listed.mask(add_xy & listed.notna(), listed + ",XY").mask(add_xy & listed.isna(), "XY")
    looked_up = record.isin(["user", "tweet"])
    withheld = listed.notna()

    code = _text(frame["error_code"])
    title = _text(frame["error_title"]).str.lower()
    detail = _text(frame["error_detail"])
    error = record == "error"
    suspended = error & (
        code.isin(_SUSPENDED_CODES) | _flag(detail.str.contains("suspended", case=False))
    )
    not_found = (
        error
        & ~suspended
        & (
            code.isin(_NOT_FOUND_CODES)
            | (title == "not found error")
            | _flag(detail.str.contains("could not find", case=False))
        )
    )
    conditions = [
        (looked_up & withheld).to_numpy(bool),
        looked_up.to_numpy(bool),
        record.isin(["status_withheld", "user_withheld"]).to_numpy(bool),
        suspended.to_numpy(bool),
        not_found.to_numpy(bool),
    ]
    state = pd.Series(
        np.select(conditions, ["withheld", "visible", "withheld", "suspended", "not_found"], None),
        index=cells.index,
        dtype="str",
    )
    unknown_error = error & state.isna()
    shown = join_notes(("code " + code), title, detail)
    cells.reject(
        unknown_error,
        "errors",
        shown,
        "the X API error does not say whether the item is withheld, suspended or gone",
    )
    cells.reject(
        record == "unknown",
        "record",
        _text(target),
        "record is not a user, a tweet, an error or a withheld notice",
    )
    checked = _checked_at(cells, "checked_at (when the lookup was made)")
    return {
        "checks": _check_frame(
            cells,
            items,
            _with_default(cells, "order_id"),
            checked,
            state,
            listed.where(state == "withheld"),
            _with_default(cells, "source_url"),
            _tracked_country(cells),
        )
    }


def _x_items(cells: _Cells, kind: pd.Series, target: pd.Series) -> pd.Series:
    """Each record's item id: ``@name``, ``tweet:<id>``, or a user id resolved through the user
    objects seen in the source (``url:https://twitter.com/i/user/<id>`` when no object names
    it)."""
    text = _text(target)
    digits = text.str.fullmatch(r"\d{1,19}").fillna(False).astype(bool)
    is_id = kind.isin(["tweet", "user_id"]) & text.notna()
    floaty = text.str.contains(r"[.eE]", regex=True).fillna(False).astype(bool)
    field = kind.map(_TARGET_FIELDS).astype("str")
    cells.reject(
        is_id & ~digits & floaty,
        field,
        text,
        'id "' + text + '" lost precision as a float; ids must be read as text (id_str)',
    )
    cells.reject(is_id & ~digits & ~floaty, field, text, 'id "' + text + '" is not a number')
    users = cells.raw.users.drop_duplicates("user_id", keep="last")
    names = pd.Series(users["screen_name"].to_numpy(), index=users["user_id"].astype("str"))
    resolved = text.map(names).where(kind == "user_id")
    unresolved = (kind == "user_id") & digits & resolved.isna()
    if unresolved.any():
        cells.messages.append(
            f"{int(unresolved.sum())} user ids not named by any user object in the source: kept "
            "as url:https://twitter.com/i/user/<id>"
        )
    item = pd.Series(np.nan, index=cells.index, dtype="str")
    item = item.mask(kind == "account", "@" + text.str.lstrip("@"))
    item = item.mask((kind == "tweet") & digits, "tweet:" + text)
    item = item.mask(resolved.notna(), "@" + resolved.astype("str"))
    item = item.mask(unresolved, "https://twitter.com/i/user/" + text)
    item = item.mask(kind == "item", text)
    parsed = parse_items(item)
    field = kind.map(_TARGET_FIELDS).fillna("item").astype("str")
    cells.reject(parsed["reason"].notna(), field, text, parsed["reason"])
    cells.reject(
        item.isna() & ~is_id & cells.frame["record"].ne("unknown"),
        field,
        text,
        "the record does not say which account or tweet it is about (a v1.1 error needs "
        "screen_name, user_id, tweet_id or item saved beside it)",
    )
    return parsed["item_id"]


# --- handle lists as researchers publish them --------------------------------------------------

_LUMEN_URL = r"(?i)^(?:https?://)?(?:www\.)?lumendatabase\.org/notices/(?P<id>\d+)\S*$"
_VISIBLE = r"(?:active|visible|available|ok|live|online|up|exists|accessible)"
_NOT_FOUND = (
    r"code\s*(?:8|17|34|50|144)\b|not\s+found|doesn.t\s+exist|does\s+not\s+exist|"
    r"no\s+longer\s+exist|deleted|page\s+doesn.t"
)
_WITHHELD_IN = (
    r"(?i)withheld\s+in\s+(?P<where>.+?)(?:\s+in\s+response|\s+based\s+on|\s+due\s+to|"
    r"\s+on\s+the\s+basis|\s+under\s|[.(]|$)"
)


def status_states(text: pd.Series) -> pd.DataFrame:
    """What a handle list says about an item -> ``state``, ``countries`` (names as written)
    and ``reason``.

    ``active`` (and ``visible``, ``available``, ``ok``...) -> ``visible``; anything saying
    withheld (``This Tweet from @x has been withheld in India in response to a legal demand.``)
    -> ``withheld``, with the countries after "withheld in"; ``Code 63``/"suspended" ->
    ``suspended``; ``Code 50``/``Code 34``/``Code 144``/"not found"/"doesn't exist"/"deleted" ->
    ``not_found``. Other text gets a reason; blank gets nothing. Vectorised over distinct values.
    """
    low = _text(text).str.lower().str.strip(" .")
    withheld = low.str.contains(r"withheld|withhold|geo-?blocked", regex=True)
    suspended = low.str.contains(r"code\s*63\b|suspend", regex=True)
    not_found = low.str.contains(_NOT_FOUND, regex=True)
    visible = low.str.fullmatch(_VISIBLE)
    masks = [m.fillna(False).to_numpy(bool) for m in (withheld, suspended, not_found, visible)]
    state = np.select(masks, ["withheld", "suspended", "not_found", "visible"], None)
    state = pd.Series(state, index=text.index, dtype="str")
    where = _extract(_text(text).where(state == "withheld"), _WITHHELD_IN)["where"]
    unknown = low.notna() & state.isna()
    reason = (
        'status "' + _text(text) + '" is not one of: active, withheld (in ...), '
        "Code 50 (not found), Code 63 (suspended)"
    ).where(unknown)
    return pd.DataFrame({"state": state, "countries": where.astype("str"), "reason": reason})


def _handle_list(cells: _Cells) -> dict[str, pd.DataFrame]:
    """A researcher's list: one URL per row, its notice (order), the date the notice was
    received and, optionally, a status -> items, implied orders and status checks."""
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    given = cells.text("order_id")
    cells.required("order_id", given)
    lumen_id = _extract(given, _LUMEN_URL)["id"]
    order_id = given.where(lumen_id.isna(), "lumen:" + lumen_id).astype("str")
    tables = {"items": _item_frame(cells, items, order_id)}

    if cells.has("issued_at"):
        issued = cells.dates("issued_at")
        cells.required("issued_at", cells.get("issued_at"), "the date the notice was received")
        tables["implied_orders"] = _implied_orders(cells, order_id, lumen_id, issued)
    else:
        cells.messages.append(
            "no received date: the orders these items name must come from another source"
        )

    status_columns = [c for c in ("status", "visible_text") if cells.has(c)]
    if status_columns:
        if not cells.has("checked_at"):
            raise InputError(
                f"{cells.source.path}: a status column is mapped but nothing says when the "
                "status was seen; add a 'Checked at' column or [source.defaults] checked_at"
            )
        text = cells.text(status_columns[0])
        header = pd.Series(cells.header(status_columns[0]), index=cells.index, dtype="str")
        for column in status_columns[1:]:
            header = header.where(text.notna(), cells.header(column))
            text = text.fillna(cells.text(column))
        states = status_states(text)
        countries = country_lists(states["countries"], names=True)
        reason = states["reason"].fillna(countries["reason"])
        cells.reject(reason.notna(), header, text, reason)
        checked = _checked_at(cells, "the date the status was seen", states["state"].notna())
        tables["checks"] = _check_frame(
            cells,
            items["item_id"],
            order_id,
            checked,
            states["state"],
            countries["value"],
            cells.text("source_url"),
            _tracked_country(cells),
        )
    return tables


def _implied_orders(
    cells: _Cells, order_id: pd.Series, lumen_id: pd.Series, issued: pd.DataFrame
) -> pd.DataFrame:
    """One order row per list row (combine keeps one per order, and rejects rows that give the
    same order different dates); used only where no other source declares the order."""
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    country = normalize_country(cells.get("country"))
    cells.parsed("country", country)
    source_url = cells.text("source_url").where(lumen_id.isna(), LUMEN_NOTICE_URL + lumen_id)
    return pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country["value"],
            "authority": cells.text("authority"),
            "legal_basis": cells.text("legal_basis"),
            "issued_at": issued["at"],
            "deadline_at": cells.no_times(),
            "items_listed": pd.Series(pd.NA, index=cells.index, dtype="Int64"),
            "time_precision": issued["time_precision"],
            "title": pd.Series(np.nan, index=cells.index, dtype="str"),
            "source_url": source_url.astype("str"),
            "notes": pd.Series(
                f"order implied by the handle list {cells.file}", index=cells.index, dtype="str"
            ),
            **cells.provenance(),
        }
    )


_BUILDERS = {
    "orders": _orders,
    "items": _items,
    "events": _events,
    "wide_handles": _wide_handles,
    "transparency": _transparency,
    "lumen": _lumen,
    "x_snapshots": _x_snapshots,
    "transparency_x": _transparency_x,
    "transparency_google": _transparency_google,
    "handle_list": _handle_list,
}
