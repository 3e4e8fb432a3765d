"""Platform transparency-report tables -> the ``transparency`` table (see docs/sources.md).

Three layouts, one row per reporting period (and country, requestor, product or reason):
``transparency`` gives ``period_start`` and ``period_end`` as dates; ``transparency_x`` (X's
country tables) gives a period as text (``July - December 2020``, ``H2 2020``), and its
``Total`` row is dropped; ``transparency_google`` gives ``Period Ending``, country codes (or
names), percentages removed, and in its historical layout requests split over columns. Counts
keep their bound (``<10``) and a blank or ``-`` is not reported (null, never zero).
"""

from __future__ import annotations

import pandas as pd

from analysis.core import schema
from analysis.core.times import from_wall_clock, wall_clock
from analysis.ingest.canonical.cells import Cells, cell_text, extract_groups, join_notes
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.numbers import parse_counts, parse_rates
from analysis.ingest.normalize.platforms import normalize_country, normalize_platform
from analysis.ingest.sources import header_key


def build_transparency(cells: Cells) -> dict[str, pd.DataFrame]:
    """A generic transparency table: ``period_start`` and ``period_end`` as dates, both
    required."""
    start = cells.dates("period_start")
    end = cells.dates("period_end")
    cells.required("period_start", cells.get("period_start"))
    cells.required("period_end", cells.get("period_end"))
    return _transparency_table(cells, start["at"], end["at"], "period_end")


def _transparency_table(
    cells: Cells,
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
    cells.log.reject(
        backwards, cells.header(period), cells.get(period), "period ends before it starts"
    )
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
    months = extract_groups(low, _MONTH_RANGE)
    halves = extract_groups(low, _HALF_YEAR)
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


def build_transparency_x(cells: Cells) -> dict[str, pd.DataFrame]:
    """X/Twitter country tables: one row per half-year; the ``Total`` row is dropped."""
    period = cells.text("period")
    cells.log.drop(period.str.fullmatch(_TOTAL_ROW), "a Total row (the sum of the other rows)")
    cells.required("period", period, "the time period")
    periods = report_periods(period, cells.source.timezone)
    cells.log.reject(
        periods["reason"].notna(), cells.header("period"), cells.get("period"), periods["reason"]
    )
    return _transparency_table(cells, periods["start"], periods["end"], "period")


# --- Google government removal requests --------------------------------------------------------


def build_transparency_google(cells: Cells) -> dict[str, pd.DataFrame]:
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


def _google_removed_rate(cells: Cells) -> tuple[pd.Series, pd.Series]:
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


def _summed_counts(cells: Cells, canonical: str) -> tuple[pd.DataFrame, pd.Series]:
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
    notes = join_notes(*(h + ": " + cell_text(cells.get(canonical, h)) for h in headers))
    return out, notes
