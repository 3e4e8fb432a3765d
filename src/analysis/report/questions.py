"""The three questions, answered once: shared by the notebooks and ``takedowns metrics``.

Each ``answer_*`` function takes the processed tables and the report parameters, calls the
metric functions, and returns an :class:`Answer`: the table the CLI prints and the notebook
shows, the frames its chart draws (with the key events to mark, the yearly context, the deadline
of the largest order), and the sentences a story would quote. Nothing here reads raw files or
cleans data; nothing here draws.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis import metrics
from analysis.clean.combine import EVENT_KEY, sort_table
from analysis.core import paths
from analysis.core.errors import InputError
from analysis.core.periods import normalize_freq
from analysis.core.times import (
    DEFAULT_TZ,
    as_of_instant,
    end_bound_exclusive,
    in_zone,
    parse_instant,
    start_bound,
)
from analysis.ingest.normalize.platforms import normalize_country, normalize_platform
from analysis.ingest.sources import SOURCES_FILE, source_sha256
from analysis.report import privacy
from analysis.report.wording import (
    LANGS,
    fmt_country,
    fmt_date,
    fmt_duration,
    fmt_int,
    fmt_share,
    phrase,
)
from analysis.store.processed import read_manifest, read_tables

Tables = dict[str, pd.DataFrame]


@dataclass
class Answer:
    """What one question's report shows: a table, chart inputs and quotable sentences."""

    table: pd.DataFrame
    title: str  # the chart title: the finding, short
    headline: str  # the sentence a story would quote
    findings: list[str] = field(default_factory=list)  # one sentence per order or period
    n: int = 0  # what N counts: orders (volume) or items (lag, reversals)
    method: str = ""
    frames: dict = field(default_factory=dict)  # further frames the chart or notebook shows
    as_of: pd.Timestamp | None = None
    source: str = ""  # where the numbers come from, when not the orders data
    # What the chart marks: (time UTC, kind) pairs from key_events (volume, reversals).
    key_events: list[tuple[pd.Timestamp, str]] = field(default_factory=list)
    # Lag: the largest order's deadline (in unit; None when there is no order) and the unit of
    # its lags, which the survival chart draws.
    deadline: float | None = None
    unit: str = "days"


# --- loading -----------------------------------------------------------------------------------


def load(
    data_dir: str | Path | None = None,
    *,
    redact_handles: bool = False,
    engine: str = "pandas",
    checks_dataset: str | Path | Literal[False] | None = None,
) -> Tables:
    """The processed tables, checked to be present and built from the current raw files.

    With ``redact_handles`` every account not on ``raw/public-accounts.csv`` (and its tweets) is
    replaced by a pseudonym before anything else sees the tables (see
    :mod:`analysis.report.privacy`).
    Raises :class:`InputError` naming the command to run when ``processed/`` is missing, was
    left by an interrupted run, or is older than a raw file.

    A **checks dataset** (``takedowns append``; docs/scale.md) adds its events to ``events``:
    ``checks_dataset`` names its folder; by default ``processed/datasets/checks/`` is used when
    it exists; ``False`` leaves it out. Its events (tracking withholding in India) are
    computed by ``engine`` (``pandas``, ``duckdb`` or ``dask``: the same rows whichever),
    merged with the cleaned events (an event already there is not added twice) and put in the
    order ``takedowns clean`` gives events, so the lag and reversal answers include them. They
    are redacted like every other row.
    """
    from analysis.scale import dataset, engines

    base = Path(data_dir) if data_dir else paths.data_dir()
    processed, raw = base / "processed", base / "raw"
    try:
        engines.check_engine(engine)
    except ValueError as err:
        raise InputError(str(err)) from None
    if checks_dataset is False:
        checks_path = None
    elif checks_dataset:
        checks_path = Path(checks_dataset)
        if not checks_path.is_dir():
            raise InputError(f"checks_dataset {checks_path} is not a folder; see docs/scale.md")
    else:
        checks_path = paths.dataset_dir("checks", base)
    try:
        manifest = read_manifest(processed)
        stale = _stale_sources(raw, manifest)
        if stale:
            raise InputError(
                f"{processed} is older than {stale} in {raw}; run `takedowns clean` "
                "(or `make report`) to rebuild it"
            )
        tables = read_tables(processed)
        allowed = privacy.allow_list(base) if redact_handles else set()
    except InputError as err:
        # Raised afresh here, so a notebook's traceback is two frames (its cell, this line)
        # ending in the sentence that names the command, not a walk through the store.
        raise InputError(str(err)) from None
    if checks_path is not None and dataset.data_files(checks_path):
        more = engines.events_from_checks(checks_path, engine=engine)
        tables["events"] = _merge_events(tables["events"], more)
    if redact_handles:
        tables = privacy.redact(tables, allowed)
    return tables


def _merge_events(events: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """Cleaned events plus a dataset's, without exact repeats (:data:`combine.EVENT_KEY`, the
    first kept), in the order ``takedowns clean`` sorts events (ties keep their order)."""
    both = pd.concat([events, more.astype(events.dtypes.to_dict())], ignore_index=True)
    return sort_table("events", both, ~both.duplicated(EVENT_KEY, keep="first").to_numpy())


def data_fingerprint(data_dir: str | Path | None = None) -> str:
    """Identifies everything the reports read: the cleaned tables' run id, the allow-list and,
    when there is one, the checks dataset's files (their names are content hashes)."""
    from analysis.scale import dataset

    base = Path(data_dir) if data_dir else paths.data_dir()
    run_id = read_manifest(base / "processed")["run_id"]
    allow = base / "raw" / privacy.ALLOW_LIST
    text = f"{run_id}:{_sha256(allow)[:16] if allow.is_file() else 'no-allow-list'}"
    checks = paths.dataset_dir("checks", base)
    if dataset.data_files(checks):
        text += f":checks-{dataset.fingerprint(checks)}"
    return text


def _stale_sources(raw: Path, manifest: dict) -> str | None:
    if not raw.is_dir():
        return None  # processed data shipped without raw files: nothing to compare
    toml = raw / SOURCES_FILE
    if toml.is_file() and _sha256(toml) != manifest.get("sources_toml_sha256"):
        return SOURCES_FILE
    for source in manifest["sources"]:
        path = raw / source["path"]  # a file, or a folder of files (Lumen, X lookups)
        if not path.exists() or source_sha256(path) != source["sha256"]:
            return source["path"]
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- shared parameters -------------------------------------------------------------------------


def check_parameters(params: Mapping[str, Any], tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """The report and metrics parameters, checked before anything runs and normalised.

    ``takedowns report`` and ``takedowns metrics`` both call this, so a mistyped value stops
    the command with one sentence (:class:`InputError`, exit 2) before a notebook runs or a
    file is written. Checked: ``freq`` (a period spelling), ``start``/``end``/``as_of`` (dates
    that exist, ``start`` not after ``end``; blank means "not given"), ``deadline_hours`` (a
    finite number of hours above 0; blank or ``None``: none), ``country`` (a code or a name,
    returned as its ISO code: ``India`` -> ``IN``), ``platform`` (returned as ``clean`` names
    it: ``X`` -> ``twitter``), ``lang``, ``engine``, ``redact_handles`` (true or false) and
    ``acted`` (outcomes, comma-separated or a list: returned as a tuple of outcomes).
    Other names are returned unchanged.
    """
    checked = dict(params)
    for name in ("start", "end", "as_of"):
        value = params.get(name)
        if value not in (None, ""):
            try:
                parse_instant(value, tz)
            except ValueError:
                raise InputError(
                    f"{name} {value!r} is not a date that exists; write it as YYYY-MM-DD, "
                    "e.g. 2021-02-28"
                ) from None
    start, end = params.get("start"), params.get("end")
    if start and end and start_bound(start, tz) >= end_bound_exclusive(end, tz):
        raise InputError(
            f"start {params['start']!r} is after end {params['end']!r}; no order could be "
            "issued between them"
        )
    if params.get("freq") not in (None, ""):
        try:
            normalize_freq(params["freq"])
        except ValueError as err:
            raise InputError(str(err)) from None
    if "deadline_hours" in params:
        checked["deadline_hours"] = _deadline_hours(params["deadline_hours"])
    if params.get("country"):
        checked["country"] = country_code(params["country"])
    if params.get("platform"):
        checked["platform"] = platform_name(params["platform"])
    if params.get("lang") not in (None, "") and params["lang"] not in LANGS:
        raise InputError(f"lang {params['lang']!r} is not one of {', '.join(LANGS)}")
    if params.get("engine") not in (None, ""):
        from analysis.scale import engines

        try:
            engines.check_engine(params["engine"])
        except ValueError as err:
            raise InputError(str(err)) from None
    if "redact_handles" in params and not isinstance(params["redact_handles"], bool):
        raise InputError(f"redact_handles {params['redact_handles']!r} must be true or false")
    if params.get("acted") not in (None, ""):
        acted = params["acted"]
        try:
            checked["acted"] = metrics.acted_outcomes(
                acted.split(",") if isinstance(acted, str) else acted
            )
        except ValueError as err:
            raise InputError(str(err)) from None
    return checked


def _deadline_hours(value: Any) -> float | None:
    """A deadline in hours: a finite number above 0 (``"36"`` is 36.0); blank: none."""
    if value is None or value == "":
        return None
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"deadline_hours {value!r} is not a number of hours above 0, such as 36")
    return number


def country_code(value: Any) -> str:
    """A country as ``clean`` stores it: its ISO 3166-1 alpha-2 code (``India``, ``in`` and
    ``IND`` give ``IN``); :class:`InputError` when it is neither a code nor a known name."""
    found = normalize_country(pd.Series([value], dtype=object)).iloc[0]
    if pd.isna(found["value"]):
        reason = found["reason"] if pd.notna(found["reason"]) else "is blank"
        raise InputError(f"country: {reason}; use an ISO code such as IN, or a name such as India")
    return str(found["value"])


def platform_name(value: Any) -> str:
    """A platform as ``clean`` stores it (``X``, ``x.com`` and ``Twitter`` give ``twitter``)."""
    found = normalize_platform(pd.Series([value], dtype=object)).iloc[0]
    if pd.isna(found["value"]):
        reason = found["reason"] if pd.notna(found["reason"]) else "is blank"
        raise InputError(f"platform: {reason}; use a name such as twitter")
    return str(found["value"])


def as_of_time(tables: Tables, as_of: str | None, tz: str = DEFAULT_TZ) -> pd.Timestamp:
    """``as_of`` as a UTC instant; blank means the latest date anything in the data happened.

    A date means the *end* of that local day, so events on the as-of day count.
    """
    if as_of:
        return as_of_instant(as_of, tz)
    times = [tables["orders"]["issued_at"], tables["events"]["at"]]
    latest = pd.concat(times).max()
    if pd.isna(latest):
        raise InputError("the processed tables hold no orders or events; nothing to report")
    local = latest.tz_convert(tz).normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return local.tz_convert("UTC")


def select_orders(
    tables: Tables,
    *,
    country: str | None = None,
    platform: str | None = None,
    start: str | None = None,
    end: str | None = None,
    tz: str = DEFAULT_TZ,
) -> Tables:
    """The tables restricted to orders of one country/platform issued in [start, end] (local).

    ``country`` and ``platform`` are read as ``clean`` reads them (``India`` is ``IN``, ``X``
    is ``twitter``: :func:`country_code`, :func:`platform_name`)."""
    orders = tables["orders"]
    keep = pd.Series(True, index=orders.index)
    if country:
        keep &= orders["country"].str.upper() == country_code(country)
    if platform:
        keep &= orders["platform"].str.lower() == platform_name(platform)
    if start:
        keep &= orders["issued_at"] >= start_bound(start, tz)
    if end:
        keep &= orders["issued_at"] < end_bound_exclusive(end, tz)
    chosen = orders[keep]
    ids = set(chosen["order_id"])
    events = tables["events"]
    return {
        **tables,
        "orders": chosen.reset_index(drop=True),
        "items": tables["items"][tables["items"]["order_id"].isin(ids)].reset_index(drop=True),
        # Events that cite no order stay: lag and reversals decide what they can attribute.
        "events": events[events["order_id"].isna() | events["order_id"].isin(ids)].reset_index(
            drop=True
        ),
    }


def explain_empty(
    tables: Tables,
    question: str,
    *,
    country: str | None = None,
    platform: str | None = None,
    start: str | None = None,
    end: str | None = None,
    as_of: str | None = None,
    tz: str = DEFAULT_TZ,
) -> str:
    """Why ``question``'s answer (``volume``, ``lag`` or ``reversals``) on the unfiltered
    ``tables`` is empty, in one sentence: the first filter that left no orders (with what the
    data do hold), an ``as_of`` before the first order, or no items to measure."""
    orders = tables["orders"]
    if orders.empty:
        return "The processed tables hold no orders, so there is nothing to count."
    if country:
        code = country_code(country)
        mine = (orders["country"].str.upper() == code).fillna(False)
        if not mine.any():
            held = sorted(orders["country"].dropna().str.upper().unique())
            return f"No orders from {code}: the data hold orders from {_listed(held)}."
        orders = orders[mine]
    if platform:
        name = platform_name(platform)
        mine = (orders["platform"].str.lower() == name).fillna(False)
        if not mine.any():
            held = sorted(orders["platform"].dropna().str.lower().unique())
            return f"No orders to {name}: the orders chosen went to {_listed(held)}."
        orders = orders[mine]
    span = (
        f"between {fmt_date(orders['issued_at'].min())} and {fmt_date(orders['issued_at'].max())}"
    )
    if start or end:
        mine = pd.Series(True, index=orders.index)
        if start:
            mine &= orders["issued_at"] >= start_bound(start, tz)
        if end:
            mine &= orders["issued_at"] < end_bound_exclusive(end, tz)
        if not mine.any():
            window = " ".join(
                part
                for part in (f"from {start}" if start else "", f"to {end}" if end else "")
                if part
            )
            return f"No orders were issued {window}: the orders chosen were issued {span}."
        orders = orders[mine]
    n = fmt_int(len(orders))
    if question == "volume":
        return phrase("volume_none", "en")
    as_of_ts = as_of_time(tables, as_of, tz)
    first = orders["issued_at"].min()
    if as_of_ts < first:
        return (
            f"No order was issued by the as-of date {fmt_date(as_of_ts)}: the first of the {n} "
            f"orders chosen was issued on {fmt_date(first)}; choose a later as-of date."
        )
    if question == "lag":
        return f"The {n} orders chosen name no items whose action could be timed."
    return (
        f"No item of the {n} orders chosen was withheld by {fmt_date(as_of_ts)}, so nothing "
        "could be reversed."
    )


def _listed(values: list[str]) -> str:
    return ", ".join(values) if values else "none stated"


# --- the three questions -----------------------------------------------------------------------


def answer_volume(
    tables: Tables,
    *,
    freq: str = "M",
    country: str | None = None,
    platform: str | None = None,
    start: str | None = None,
    end: str | None = None,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
) -> Answer:
    """How many takedowns: orders and items per period, plus yearly totals for context."""
    country = country_code(country) if country else country
    platform = platform_name(platform) if platform else platform
    table = metrics.volume(
        tables["orders"],
        tables["items"],
        freq=freq,
        start=start or None,
        end=end or None,
        country=country or None,
        platform=platform or None,
        tz=tz,
    )
    context = tables["transparency"]
    if country:
        context = context[context["country"].str.upper() == country.upper()]
    n_orders = int(table["orders"].sum()) if len(table) else 0
    findings = []
    title = headline = phrase("volume_none", lang)
    if n_orders:
        busiest = table.loc[table["items"].idxmax()]
        fields = {
            "orders": fmt_int(n_orders),
            "items": fmt_int(table["items"].sum()),
            "first": table["period"].iloc[0],
            "last": table["period"].iloc[-1],
            "busiest": busiest["period"],
            "busiest_items": fmt_int(busiest["items"]),
        }
        headline = phrase("volume_headline", lang, **fields)
        title = phrase("volume_title", lang, **fields)
        findings.append(headline)
        unknown = int(table["orders_items_unknown"].sum())
        if unknown:
            findings.append(phrase("volume_unknown", lang, n=unknown))
    return Answer(
        table=table,
        title=title,
        headline=headline,
        findings=findings,
        n=n_orders,
        method=phrase("volume_method", lang),
        # The yearly totals of the ordering country (every country's when none is chosen), and
        # every order with its size: the chart ticks each one and labels the largest.
        frames={
            "context": yearly_context(context, tz=tz),
            "orders": order_sizes(tables["orders"], tables["items"]),
        },
        key_events=key_events(tables["orders"]),  # when each order was issued
    )


def order_sizes(orders: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per order with an issue time: ``order_id``, ``issued_at`` and ``items``, the
    items it names as the volume metric counts them (``items_listed`` where stated, else its
    distinct named items; 0 when it gives neither), sorted by ``issued_at``."""
    o = orders.loc[orders["issued_at"].notna(), ["order_id", "issued_at", "items_listed"]]
    o = o.drop_duplicates("order_id")
    if items is not None and len(items):
        named = items[["order_id", "item_id"]].dropna().drop_duplicates().groupby("order_id").size()
    else:
        named = pd.Series(dtype="int64")
    listed = pd.to_numeric(o["items_listed"]).astype("Float64")
    counted = o["order_id"].map(named).fillna(0).astype("Float64")
    sizes = listed.fillna(counted).fillna(0).round().astype("int64")
    out = pd.DataFrame(
        {
            "order_id": o["order_id"].to_numpy(),
            "issued_at": o["issued_at"].to_numpy(),
            "items": sizes,
        }
    )
    return out.sort_values("issued_at", kind="stable").reset_index(drop=True)


#: Transparency counts to compare countries on, in order of preference.
PEER_MEASURES = ("requests", "items_requested", "items_withheld", "accounts_withheld")


def peer_comparison(
    transparency: pd.DataFrame,
    *,
    country: str,
    platform: str | None = None,
    top: int = 5,
    lang: str = "en",
) -> Answer:
    """The chosen country next to the countries with the most requests, per reporting period.

    Uses one platform's report (``platform`` when it covers the country and another one, else
    the platform reporting the most countries) and the first of :data:`PEER_MEASURES` it
    gives for the chosen country; requestors and products are summed per country and period.
    A count given only as a bound (``<10``) is summed as its bound and the row is flagged
    ``bounded``. With fewer than two countries there is nothing to compare and ``table`` is
    empty.
    """
    country = country_code(country) if country else ""
    platform = platform_name(platform) if platform else platform
    t = transparency[transparency["country"].notna()]
    key = t["platform"].fillna("").str.lower()
    # One platform's report at a time: Google's and Twitter's requests are not the same unit.
    mine = t["country"].str.upper() == (country or "").upper()
    spread = t[mine].assign(_p=key[mine]).groupby("_p")["_p"].size().index
    countries = t.assign(_p=key).groupby("_p")["country"].nunique()
    candidates = countries[countries.index.isin(spread) & (countries >= 2)]
    if platform and platform.lower() in candidates.index:
        chosen_platform = platform.lower()
    elif len(candidates):
        chosen_platform = candidates.sort_values(ascending=False, kind="stable").index[0]
    else:
        chosen_platform = None
    t = t[key == chosen_platform] if chosen_platform is not None else t.iloc[0:0]
    mine = t[t["country"].str.upper() == (country or "").upper()]
    measure = next((m for m in PEER_MEASURES if mine[m].notna().any()), None) if len(mine) else None
    empty = Answer(table=pd.DataFrame(), title="", headline="", n=0)
    if measure is None or t["country"].nunique() < 2:
        return empty
    rows = t[t[measure].notna()].assign(bounded=t[f"{measure}_bound"].notna())
    rows, overlaps = _one_file_per_period(rows)
    per = rows.groupby(["country", "period_start", "period_end"], as_index=False).agg(
        value=(measure, "sum"), bounded=("bounded", "any")
    )
    totals = per.groupby("country")["value"].sum().sort_values(ascending=False)
    chosen = [c for c in totals.index[:top]]
    if country.upper() not in chosen:
        chosen.append(country.upper())
    table = per[per["country"].isin(chosen)].sort_values(["period_end", "country"])
    table = table.assign(measure=measure, highlight=table["country"] == country.upper())
    # The rank is among every country reporting in the latest period, not just those drawn.
    latest = per[per["period_end"] == table["period_end"].max()]
    ranked = latest.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
    position = ranked.index[ranked["country"] == country.upper()]
    fields = {
        "country": country.upper(),
        "measure": phrase(f"measure_{measure}", lang),
        "period": fmt_date(ranked["period_end"].iloc[0], lang),
        "rank": int(position[0]) + 1 if len(position) else "-",
        "n": len(ranked),
    }
    headline = phrase("peers_headline", lang, **fields)
    shown_platform = (chosen_platform or "-").title()
    return Answer(
        table=table.reset_index(drop=True),
        title=headline,
        headline=headline,
        findings=[headline],
        n=len(ranked),  # countries reporting in the latest period
        method=phrase("peers_method", lang, measure=fields["measure"], platform=shown_platform)
        + (phrase("peers_overlap", lang, n=fmt_int(overlaps)) if overlaps else ""),
        source=phrase("peers_source", lang, platform=shown_platform),
        as_of=table["period_end"].max(),
    )


def _one_file_per_period(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows of one source file per (country, period): two downloads of a report often cover
    the same half-year (Google's historical export ends with the period its current export
    starts with), and summing both would count it twice. The file whose figures reach the
    latest period (the newer download) is kept; returns the rows and how many (country,
    period) pairs had another file set aside."""
    if rows.empty or "source_file" not in rows:
        return rows, 0
    newest = rows.groupby("source_file")["period_end"].max()
    rank = rows["source_file"].map(
        {f: i for i, f in enumerate(newest.sort_values(kind="stable").index[::-1])}
    )
    key = ["country", "period_start", "period_end"]
    best = rank.groupby([rows[k] for k in key]).transform("min")
    files = rows.groupby(key)["source_file"].transform("nunique")
    overlaps = int(rows.loc[files > 1, key].drop_duplicates().shape[0])
    return rows[rank == best], overlaps


def answer_lag(
    tables: Tables,
    *,
    as_of: str | None = None,
    deadline_hours: float | None = 36,
    acted=metrics.ACTED_DEFAULT,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
) -> Answer:
    """How fast platforms complied: Kaplan-Meier per order, unactioned items censored, every
    outcome apart, and ranges where the data know an action only between two times.

    ``acted``: the outcomes that count as acting on an order (withheld, suspended, gone).
    The table adds ``restored`` (items restored after being withheld, from the reversals
    metric). ``frames["bands"]`` holds each order's :func:`~analysis.metrics.survival_band`,
    ``frames["curves"]`` its latest-time Kaplan-Meier curve. The chart draws the deadline of the
    order naming the most items, in the unit of its lags (``deadline``, ``unit``; None and
    ``days`` when no order has items).
    """
    acted = metrics.acted_outcomes(acted)
    as_of_ts = as_of_time(tables, as_of, tz)
    items = metrics.lag_items(
        tables["orders"], tables["items"], tables["events"], as_of=as_of_ts, tz=tz, acted=acted
    )
    summary = metrics.lag_summary(
        items, deadline_hours=deadline_hours, orders=tables["orders"], as_of=as_of_ts
    )
    summary = summary[summary["items"] > 0].reset_index(drop=True)
    summary = _with_restored(summary, tables, as_of_ts, tz)
    countries = tables["orders"].drop_duplicates("order_id").set_index("order_id")["country"]
    curves = {oid: metrics.survival_curve(items, oid) for oid in summary["order_id"]}
    bands = {oid: metrics.survival_band(items, oid) for oid in summary["order_id"]}
    # One sentence per order, the orders naming the most items first (the page opens them first).
    findings = [
        _lag_sentence(row, lang, tz, countries.get(row["order_id"]))
        for _, row in summary.sort_values("items", ascending=False, kind="stable").iterrows()
    ]
    title = headline = phrase("lag_none", lang)
    deadline, unit = None, "days"
    if len(summary):
        biggest = summary.loc[summary["items"].idxmax()]
        deadline, unit = biggest["deadline"], biggest["unit"]
        headline = _lag_sentence(biggest, lang, tz, countries.get(biggest["order_id"]))
        title = _lag_title(biggest, lang, tz)
    censored = int(round(summary["censored"].sum())) if len(summary) else 0
    timing = {
        name: fmt_int(summary[f"timing_{name}"].sum() if len(summary) else 0)
        for name in ("exact", "bounded", "before_first_check")
    }
    method = phrase("lag_method", lang, censored=fmt_int(censored)) + phrase(
        "lag_timing",
        lang,
        exact=timing["exact"],
        bounded=timing["bounded"],
        first=timing["before_first_check"],
    )
    return Answer(
        table=summary,
        title=title,
        headline=headline,
        findings=findings,
        n=int(round(summary["items"].sum())) if len(summary) else 0,
        method=method,
        frames={
            "items": items,
            "curves": curves,
            "bands": bands,
            "acted": acted,
            "chart_title": lag_chart_title(summary, lang),
        },
        as_of=as_of_ts,
        deadline=deadline,
        unit=unit,
    )


def lag_chart_title(summary: pd.DataFrame, lang: str = "en") -> str:
    """The lag chart's title, a finding about the curves it draws: how soon half the items of
    the largest order with known action times were acted on (a range where the times are a
    range); or that no such order reached half; or, when every order was only checked once,
    that when the platform acted is not known."""
    if not len(summary):
        return phrase("lag_none", lang)
    timed = summary[summary["timing_basis"].astype("str") != "before_first_check"]
    if not len(timed):
        return phrase("lag_chart_checked", lang, n=fmt_int(len(summary)))
    reached = timed[timed["km_median_latest"].notna()]
    if not len(reached):
        return phrase("lag_chart_not_reached", lang, n=fmt_int(len(timed)))
    row = reached.loc[reached["items"].idxmax()]
    unit = row["unit"]
    lo, hi = row["km_median_earliest"], row["km_median_latest"]
    if pd.notna(lo) and lo != hi:
        within = phrase(
            "cell_between",
            lang,
            earliest=fmt_duration(lo, unit, lang),
            latest=fmt_duration(hi, unit, lang),
        )
    else:
        within = phrase("lag_chart_within", lang, median=fmt_duration(hi, unit, lang))
    return phrase(
        "lag_chart_title", lang, order=row["order_id"], items=fmt_int(row["items"]), within=within
    )


def _with_restored(
    summary: pd.DataFrame, tables: Tables, as_of_ts: pd.Timestamp, tz: str
) -> pd.DataFrame:
    """The lag table with ``restored``: items restored after being withheld, per order, as the
    reversals metric counts them (one room per job)."""
    events = tables["events"][tables["events"]["at"] <= as_of_ts]
    reversed_by_order = pd.Series(dtype="float64")
    if len(events) and len(summary):
        eps = metrics.episodes(events, tables["orders"], tz=tz)
        per_order = metrics.reversal_summary(eps, by="order", tz=tz)
        reversed_by_order = per_order.set_index("order_id")["items_reversed"].astype("float64")
    restored = summary["order_id"].map(reversed_by_order).fillna(0.0).to_numpy()
    out = summary.copy()
    out.insert(out.columns.get_loc("no_outcome") + 1, "restored", restored)
    return out


def _lag_title(row: pd.Series, lang: str, tz: str) -> str:
    if row["timing_basis"] == "before_first_check":
        return phrase(
            "lag_title_first_check",
            lang,
            actioned=fmt_int(row["actioned"]),
            items=fmt_int(row["items"]),
            issued=fmt_date(row["issued_at"], lang, tz),
            checked=fmt_date(row["acted_by"], lang, tz),
        )
    return phrase(
        "lag_title",
        lang,
        share=fmt_share(row["share_actioned"]),
        items=fmt_int(row["items"]),
        issued=fmt_date(row["issued_at"], lang, tz),
        as_of=fmt_date(row["as_of"], lang, tz),
    )


def _outcomes_text(row: pd.Series, lang: str, country) -> str:
    """``15 withheld in IN, 5 suspended, 269 gone (not found: cause unknown)``: every outcome
    seen, apart; empty when there is nothing but actions of one kind with no reversal."""
    parts = []
    if row["withheld"] > 0:
        key = "outcome_withheld" if isinstance(country, str) and country else "outcome_withheld_any"
        name = fmt_country(country, lang) if key == "outcome_withheld" else ""
        parts.append(phrase(key, lang, n=fmt_int(row["withheld"]), country=name))
    for name in ("suspended", "gone", "restored"):
        if row.get(name, 0) > 0:
            parts.append(phrase(f"outcome_{name}", lang, n=fmt_int(row[name])))
    return ", ".join(parts)


def _median_text(row: pd.Series, lang: str) -> str:
    """The median time to action as the data know it: a value, a range, or not reached."""
    if row["timing_basis"] == "before_first_check":
        return ""
    lo, hi, unit = row["km_median_earliest"], row["km_median_latest"], row["unit"]
    if pd.notna(row["km_median"]):
        return phrase("lag_median", lang, median=fmt_duration(row["km_median"], unit, lang))
    if pd.notna(lo) and pd.notna(hi):
        if lo == 0:
            return phrase("lag_median_within", lang, latest=fmt_duration(hi, unit, lang))
        return phrase(
            "lag_median_range",
            lang,
            earliest=fmt_duration(lo, unit, lang),
            latest=fmt_duration(hi, unit, lang),
        )
    if pd.notna(lo):
        return phrase("lag_median_at_least", lang, earliest=fmt_duration(lo, unit, lang))
    return phrase("lag_no_median", lang)


def _lag_sentence(row: pd.Series, lang: str, tz: str, country=None) -> str:
    text = phrase(
        "lag_sentence",
        lang,
        order=row["order_id"],
        issued=fmt_date(row["issued_at"], lang, tz),
        actioned=fmt_int(row["actioned"]),
        items=fmt_int(row["items"]),
        share=fmt_share(row["share_actioned"]),
        as_of=fmt_date(row["as_of"], lang, tz),
    )
    if row["censored"]:
        text += phrase("lag_censored", lang, censored=fmt_int(row["censored"]))
    outcomes = _outcomes_text(row, lang, country)
    if outcomes:
        text += phrase("lag_outcomes", lang, outcomes=outcomes)
    if row["timing_basis"] == "before_first_check":
        text += phrase("lag_first_check", lang, checked=fmt_date(row["acted_by"], lang, tz))
    else:
        text += _median_text(row, lang)
    return text + ("." if lang == "en" else "।")


def answer_reversals(
    tables: Tables, *, as_of: str | None = None, lang: str = "en", tz: str = DEFAULT_TZ
) -> Answer:
    """What was blocked and then unblocked: episodes, per-order summary, anomalies; the key
    events (orders issued, blocks, restorations) for the timeline."""
    as_of_ts = as_of_time(tables, as_of, tz)
    events = tables["events"][tables["events"]["at"] <= as_of_ts]
    eps = metrics.episodes(events, tables["orders"], tz=tz)
    summary = metrics.reversal_summary(eps, by="order", tz=tz)
    approximate = set(eps.loc[eps["approximate"].astype(bool), "order_id"].dropna())
    summary = summary.assign(approximate=summary["order_id"].isin(approximate))
    # The orders with the most items restored first (the page opens them first).
    by_reversed = summary.sort_values("items_reversed", ascending=False, kind="stable")
    findings = [_reversal_sentence(row, lang) for _, row in by_reversed.iterrows()]
    title = headline = phrase("reversal_none", lang)
    reversed_rows = summary[summary["items_reversed"] > 0]
    if len(reversed_rows):
        top = reversed_rows.loc[reversed_rows["items_reversed"].idxmax()]
        headline = _reversal_sentence(top, lang)
        title = phrase(
            "reversal_title",
            lang,
            reversed=fmt_int(top["items_reversed"], approximate=top["approximate"]),
            median=fmt_duration(top["median_time_to_reversal"], top["unit"], lang),
        )
    return Answer(
        table=summary,
        title=title,
        headline=headline,
        findings=findings,
        n=int(summary["items_withheld"].sum()) if len(summary) else 0,
        method=phrase("reversal_method", lang),
        frames={"episodes": eps, "anomalies": metrics.anomalies(events, tz=tz)},
        as_of=as_of_ts,
        # Every event in the scope: the chart leaves out those after as_of itself.
        key_events=key_events(tables["orders"], tables["events"]),
    )


def _reversal_sentence(row: pd.Series, lang: str) -> str:
    approx = bool(row.get("approximate", False))
    order = row["order_id"] if pd.notna(row["order_id"]) else phrase("no_order", lang)
    text = phrase(
        "reversal_sentence",
        lang,
        order=order,
        withheld=fmt_int(row["items_withheld"], approximate=approx),
        reversed=fmt_int(row["items_reversed"], approximate=approx),
    )
    if row["items_reversed"]:
        median = fmt_duration(row["median_time_to_reversal"], row["unit"], lang)
        text += phrase("reversal_median", lang, median=median)
        text += phrase("reversal_reblocked", lang, reblocked=fmt_int(row["reblocked"]))
    return text + ("." if lang == "en" else "।")


# --- what the charts mark and show beside the numbers ------------------------------------------


def key_events(
    orders: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    order_ids: Iterable[str] | None = None,
) -> list[tuple[pd.Timestamp, str]]:
    """Annotations for the charts from the canonical tables: ``(time UTC, kind)`` pairs, by time.

    Each order's ``issued_at`` is ``order_issued``; the first ``withheld``/``suspended`` event and
    the first ``restored``/``reinstated`` event per order and time are ``blocked`` and
    ``restored``. Rows without a time are left out. ``order_ids`` limits both tables to those
    orders (events without an ``order_id`` are then left out).
    """
    wanted = None if order_ids is None else {str(o) for o in order_ids}
    out: list[tuple[pd.Timestamp, str]] = []
    if orders is not None and len(orders):
        o = orders.loc[orders["issued_at"].notna()]
        if wanted is not None:
            o = o.loc[o["order_id"].astype("str").isin(wanted)]
        out += [(pd.Timestamp(t), "order_issued") for t in o["issued_at"].drop_duplicates()]
    if events is not None and len(events):
        kinds = {
            "withheld": "blocked",
            "suspended": "blocked",
            "restored": "restored",
            "reinstated": "restored",
        }
        e = events.loc[events["at"].notna()].copy()
        e["kind"] = e["event"].astype("str").str.strip().str.lower().map(kinds)
        e = e.loc[e["kind"].notna()]
        if wanted is not None:
            e = e.loc[e["order_id"].notna() & e["order_id"].astype("str").isin(wanted)]
        e = e.drop_duplicates(["at", "kind"])
        out += [(pd.Timestamp(t), k) for t, k in zip(e["at"], e["kind"], strict=True)]
    return sorted(out, key=lambda p: p[0])


def yearly_context(
    transparency: pd.DataFrame,
    *,
    country: str | None = None,
    scopes: Iterable[str] | None = None,
    tz: str = DEFAULT_TZ,
) -> pd.DataFrame:
    """Yearly ``items_withheld`` per ``scope`` from the transparency table (for the volume chart).

    Returns ``year``, ``scope``, ``items_withheld``, ``partial`` (True when the rows do not cover
    the whole local calendar year, e.g. a parliamentary reply for Jan-Oct 2023), ``period_start``
    and ``period_end`` (local dates covered; ``period_end`` inclusive). Rows without
    ``items_withheld`` are left out; rows with no ``scope`` use their ``platform``. Raises
    ``ValueError`` when a period or ``items_withheld`` column is missing.
    """
    missing = [c for c in ("period_start", "period_end", "items_withheld") if c not in transparency]
    if missing:
        raise ValueError(f"yearly_context needs column(s) {', '.join(missing)}")
    t = transparency.loc[transparency["items_withheld"].notna()].copy()
    if country is not None and "country" in t.columns:
        t = t.loc[t["country"] == country]
    scope = t["scope"] if "scope" in t.columns else pd.Series(pd.NA, index=t.index)
    if "platform" in t.columns:
        scope = scope.fillna(t["platform"])
    t["scope"] = scope.fillna("unspecified").astype("str")
    if scopes is not None:
        t = t.loc[t["scope"].isin(list(scopes))]
    start = in_zone(t["period_start"], tz).dt.tz_localize(None).dt.normalize()
    end = in_zone(t["period_end"], tz).dt.tz_localize(None).dt.normalize()
    # An end at local midnight of 1 January is an exclusive end: the period ran to 31 December.
    end = end.where(
        ~((end.dt.month == 1) & (end.dt.day == 1) & (end > start)), end - pd.Timedelta(days=1)
    )
    t = t.assign(
        year=start.dt.year.to_numpy(),
        _start=start.to_numpy(),
        _end=end.to_numpy(),
        _days=((end - start).dt.days + 1).to_numpy(),
    )
    grouped = (
        t.groupby(["year", "scope"], sort=True)
        .agg(
            items_withheld=("items_withheld", "sum"),
            period_start=("_start", "min"),
            period_end=("_end", "max"),
            days=("_days", "sum"),
        )
        .reset_index()
    )
    year_days = np.where(
        pd.to_datetime(grouped["year"].astype("str") + "-12-31").dt.is_leap_year, 366, 365
    )
    grouped["partial"] = grouped["days"].to_numpy() < year_days
    grouped["items_withheld"] = grouped["items_withheld"].astype("int64")
    return grouped[["year", "scope", "items_withheld", "partial", "period_start", "period_end"]]
