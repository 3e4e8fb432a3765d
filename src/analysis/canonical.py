"""Raw frame + a source's column map -> canonical orders/items/events/transparency rows + rejects.

One function per kind. Each keeps a row only when every cell it uses is readable; otherwise the
whole row goes to the rejects with one line per bad cell (the file's own header in ``column``).
Rows are never dropped here for any other reason. Cross-source checks (duplicate and conflicting
orders, items naming unknown orders) live in :mod:`analysis.combine`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from analysis import schema
from analysis.normalize.dates import parse_datetimes
from analysis.normalize.handles import parse_items
from analysis.normalize.numbers import parse_counts, parse_rates
from analysis.normalize.platforms import normalize_country, normalize_platform
from analysis.normalize.vocab import normalize_event, normalize_source_kind
from analysis.readers.tabular import RawTable
from analysis.sources import InputError, Source

REJECT_COLUMNS = schema.REJECTS.names


@dataclass
class Canonical:
    """Canonical rows from one or more sources, and the problems found on the way."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: empty_rejects())
    messages: list[str] = field(default_factory=list)


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS}).astype(
        {"source_row": "Int64"}
    )


def rejects_frame(records: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Reject rows with the rejects table's columns and dtypes (zero rows allowed)."""
    frame = pd.DataFrame(records, columns=REJECT_COLUMNS)
    return frame.astype(empty_rejects().dtypes.to_dict())


def empty_table(name: str) -> pd.DataFrame:
    """A zero-row frame with the table's columns and pandas dtypes."""
    return pd.DataFrame(
        {f.name: pd.Series(dtype=_pandas_dtype(f.type)) for f in schema.TABLES[name]}
    )


def _pandas_dtype(arrow_type) -> str:
    import pyarrow as pa

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
    """Turn one source's raw rows into canonical rows; see the module docstring."""
    cells = _Cells(source, raw)
    build = {
        "orders": _orders,
        "items": _items,
        "events": _events,
        "wide_handles": _wide_handles,
        "transparency": _transparency,
    }[source.kind]
    tables = build(cells)
    bad_rows = cells.bad_rows()
    out = Canonical(messages=cells.messages)
    for name, frame in tables.items():
        frame = frame[~frame["source_row"].isin(bad_rows)]
        out.tables[name] = frame.reset_index(drop=True)
    out.rejects = cells.rejects()
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
            if len(headers) > 1 and canonical not in schema.EVENT_TYPES:
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
        parts = [
            self.frame[h].map(lambda v, h=h: None if _blank(v) else f"{h}: {v}") for h in extra
        ]
        joined = pd.concat(parts, axis=1).apply(
            lambda row: "; ".join(v for v in row if isinstance(v, str)) or None, axis=1
        )
        return joined.astype("str")

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
        """A text column: stripped strings, blank -> NA."""
        raw = self.get(canonical)
        return raw.map(lambda v: None if _blank(v) else str(v).strip() or None).astype("str")

    def notes(self) -> pd.Series:
        notes = self.text("notes")
        if self._unmapped_notes is None:
            return notes
        both = notes.notna() & self._unmapped_notes.notna()
        combined = notes.fillna(self._unmapped_notes)
        combined[both] = notes[both] + "; " + self._unmapped_notes[both]
        return combined

    def reject(self, mask: pd.Series, column: str, values: pd.Series, reasons: pd.Series) -> None:
        """Record a problem for each row where ``mask`` is true."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        self._problems.append(
            pd.DataFrame(
                {
                    "source_row": self.index[mask.to_numpy()],
                    "column": column,
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

    def bad_rows(self) -> set[int]:
        return set(self.rejects()["source_row"].dropna().astype(int))

    def rejects(self) -> pd.DataFrame:
        if not self._problems:
            return empty_rejects()
        out = pd.concat(self._problems, ignore_index=True)
        out.insert(0, "source_file", self.file)
        out = out.astype({"source_row": "Int64"})
        return out.astype({c: "str" for c in ("source_file", "column", "value", "reason")})

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
            "raw_value": cells.get("item").map(lambda v: None if _blank(v) else str(v)),
            "notes": cells.notes(),
            **cells.provenance(),
        }
    ).astype({"raw_value": "str"})


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
    cells.required("event", event["value"])
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
            "time_precision": at["time_precision"],
            "n_items": n_items.astype("Int64"),
            "n_items_is_approximate": (counts["bound"].fillna("exact") != "exact").astype(bool),
            **_event_common(cells),
            **cells.provenance(),
        }
    )
    return {"events": frame}


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
    events = []
    for header, name in date_columns:
        parsed = cells.dates(name, header)
        present = parsed["at"].notna()
        events.append(
            pd.DataFrame(
                {
                    "item_id": items["item_id"],
                    "order_id": order_id,
                    "event": name,
                    "at": parsed["at"],
                    "at_earliest": cells.no_times(),
                    "time_precision": parsed["time_precision"],
                    "n_items": 1,
                    "n_items_is_approximate": False,
                    **common,
                    **cells.provenance(),
                }
            )[present]
        )
    event_frame = pd.concat(events) if events else empty_table("events")
    return {
        "items": _item_frame(cells, items, order_id),
        "events": event_frame.sort_values(["source_row", "at"], kind="stable"),
    }


def _transparency(cells: _Cells) -> dict[str, pd.DataFrame]:
    start = cells.dates("period_start")
    end = cells.dates("period_end")
    cells.required("period_start", cells.get("period_start"))
    cells.required("period_end", cells.get("period_end"))
    backwards = start["at"].notna() & end["at"].notna() & (end["at"] < start["at"])
    cells.reject(
        backwards,
        cells.header("period_end"),
        cells.get("period_end"),
        pd.Series("period ends before it starts", index=cells.index),
    )
    counts = {}
    for column in schema.TRANSPARENCY_COUNTS:
        parsed = parse_counts(cells.get(column))
        cells.parsed(column, parsed)
        counts[column] = parsed["value"]
        counts[f"{column}_bound"] = parsed["bound"].where(parsed["bound"] != "exact")
    rate = parse_rates(cells.get("compliance_rate"))
    cells.parsed("compliance_rate", rate)
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    country = normalize_country(cells.get("country"))
    cells.parsed("country", country)
    frame = pd.DataFrame(
        {
            "platform": platform["value"],
            "country": country["value"],
            "requestor": cells.text("requestor"),
            "period_start": start["at"],
            "period_end": end["at"],
            **{c: counts[c] for c in schema.TRANSPARENCY_COUNTS},
            **{f"{c}_bound": counts[f"{c}_bound"] for c in schema.TRANSPARENCY_COUNTS},
            "compliance_rate": rate["value"],
            "scope": cells.text("scope"),
            "notes": cells.notes(),
            "source_url": cells.text("source_url"),
            **cells.provenance(),
        }
    )
    return {"transparency": frame}
