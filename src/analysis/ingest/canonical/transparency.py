"""Platform transparency-report tables -> the ``transparency`` table (see docs/sources.md).

One row per reporting period (and country, requestor, product or reason). The layouts:
``transparency`` gives ``period_start`` and ``period_end`` as dates; ``transparency_x`` (X's
country tables, its per-period files and researchers' compilations of them) gives a period as
text (``July - December 2020``, ``H2 2020``); ``transparency_google`` gives ``Period Ending``,
country codes (or names), and its historical layout splits requests by branch
(``Court Orders: Number of Requests``...); ``transparency_meta`` (Facebook's government-requests
download) gives one country total of content restricted per file, the period in its name.

Every kind reads counts the way the reports print them: ``1,694``; ``<10`` kept as a bound;
``-``, ``NA``, ``?`` and blank are not reported (null, never zero); a footnote mark ``2*``, a
second number in brackets ``3,353 (2,440)`` and a range ``11,000 - 12,000`` are read as the first
number (the range as a lower bound) with the cell kept in ``notes``. A ``Total`` row is dropped
(the sum of the other rows). A row with no figure at all is rejected, and a source none of
whose rows gives a figure stops the run naming the headers it did not know (:class:`HeaderError`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.core import schema
from analysis.core.errors import HeaderError
from analysis.core.times import from_wall_clock, wall_clock
from analysis.ingest.canonical.cells import Cells, cell_text, extract_groups, flag, join_notes
from analysis.ingest.canonical.suggest import suggest_columns
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.numbers import parse_counts, parse_rates
from analysis.ingest.normalize.platforms import (
    is_supranational,
    normalize_country,
    normalize_platform,
)
from analysis.ingest.sources import BUILTIN_HEADERS, header_key

#: The columns of a transparency row that are figures; a row needs at least one.
FIGURES = (*schema.TRANSPARENCY_COUNTS, "compliance_rate")
#: Inputs a kind turns into figures (summed parts, Google's branches and percentages).
FIGURE_INPUTS = (
    *FIGURES,
    "requests_part",
    "branch_requests",
    "branch_items",
    "branch_rate",
    "removed_legal_pct",
    "removed_policy_pct",
)
_BRANCH_COLUMNS = {
    "branch_requests": "requests",
    "branch_items": "items_requested",
    "branch_rate": "compliance_rate",
}


def build_transparency(cells: Cells) -> dict[str, pd.DataFrame]:
    """A generic transparency table: ``period_start`` and ``period_end`` as dates, both
    required."""
    _drop_totals(cells, "country", "requestor")
    start = cells.dates("period_start")
    end = cells.dates("period_end")
    cells.required("period_start", cells.get("period_start"))
    cells.required("period_end", cells.get("period_end"))
    _reject_backwards(cells, start["at"], end["at"], "period_end")
    figures = _Figures.read(cells)
    frame = _transparency_frame(cells, start["at"], end["at"], figures, _country(cells))
    return _finish(cells, [frame])


# --- shared reading of report cells ------------------------------------------------------------


class _Figures:
    """The counts (``value``/``bound`` frames by column) and rate of each row, and the notes
    reading them left (cells rewritten, a rate's unit inferred)."""

    def __init__(
        self,
        cells: Cells,
        counts: dict[str, pd.DataFrame] | None = None,
        rate: pd.Series | None = None,
    ):
        self.cells = cells
        self.counts: dict[str, pd.DataFrame] = dict(counts or {})
        self.rate = rate
        self.notes: list[pd.Series] = []

    @classmethod
    def read(cls, cells: Cells, *, skip: tuple[str, ...] = ()) -> _Figures:
        """Every count column and the rate, from their mapped columns (columns in ``skip``
        are left for the kind to set)."""
        figures = cls(cells)
        for column in schema.TRANSPARENCY_COUNTS:
            if column not in skip:
                figures.counts[column] = figures.count(column)
        if "compliance_rate" not in skip:
            figures.rate = figures.rate_of("compliance_rate")
        return figures

    def count(
        self, canonical: str, header: str | None = None, *, note: bool = True
    ) -> pd.DataFrame:
        """``value``/``bound`` of a count column; see :func:`report_cells` (whose note on a
        rewritten cell is kept unless ``note`` is false: the caller keeps the cell itself)."""
        raw = self.cells.get(canonical, header)
        cleaned, rewritten = report_cells(raw, header or self.cells.header(canonical))
        parsed = parse_counts(cleaned)
        self.cells.parsed(canonical, parsed, header)
        if note:
            self.notes.append(rewritten)
        return parsed[["value", "bound"]]

    def rate_of(self, canonical: str, header: str | None = None) -> pd.Series:
        """A percentage column, in percent. When no cell has a ``%`` and every value lies
        between 0 and 1, some strictly between (``0.29``), the column holds fractions: they are
        read as percentages (29), and a message and each row's notes say the unit was
        inferred."""
        raw = self.cells.get(canonical, header)
        shown = header or self.cells.header(canonical)
        cleaned, note = report_cells(raw, shown)
        parsed = parse_rates(cleaned)
        self.cells.parsed(canonical, parsed, header)
        self.notes.append(note)
        value = parsed["value"]
        given = value.dropna()
        percent_sign = flag(cell_text(raw).str.contains("%", regex=False)).any()
        fractions = (
            len(given) > 0
            and not percent_sign
            and bool(given.between(0, 1).all())
            and bool(((given > 0) & (given < 1)).any())
        )
        if not fractions:
            return value
        self.cells.log.messages.append(
            f"{shown}: every value is between 0 and 1, so the column was read as fractions of 1 "
            "and multiplied by 100 (the unit was inferred, not stated)"
        )
        self.notes.append(
            (
                shown
                + ": "
                + cell_text(raw)
                + " read as a fraction of 1 (unit inferred): "
                + (value * 100).map(lambda v: f"{v:g}", na_action="ignore").astype("str")
                + "%"
            ).where(value.notna())
        )
        return value * 100


_FOOTNOTE = r"^(?P<n>.*?\d)\s*\*+$"
_BRACKETED = r"^(?P<n>[0-9][0-9,. ]*?)\s*\(\s*[0-9][0-9,. ]*\)\s*\*?$"
_RANGE = r"^(?P<a>[0-9][0-9,]*)\s*(?:-|–|—|to)\s*(?P<b>[0-9][0-9,]*)$"


def report_cells(values: pd.Series, header: str) -> tuple[pd.Series, pd.Series]:
    """Report cells as :func:`~analysis.ingest.normalize.numbers.parse_counts` reads them, and a
    note (``header: cell``) where a cell was rewritten: a footnote mark (``2*`` -> ``2``), a
    second number in brackets (``3,353 (2,440)`` -> ``3,353``) and a range (``11,000 -
    12,000`` -> ``11,000+``, a lower bound). Other cells are returned as they were."""
    text = cell_text(values)
    foot = extract_groups(text, _FOOTNOTE)["n"]
    step = foot.fillna(text)
    bracket = extract_groups(step, _BRACKETED)["n"]
    step = bracket.fillna(step)
    ranges = extract_groups(step, _RANGE)
    step = (ranges["a"] + "+").fillna(step)
    changed = step.notna() & (step != text)
    out = values.astype(object).where(~changed, step)
    note = (header + ": " + text).where(changed)
    return out, note.astype("str")


_TOTAL_ROW = r"(?i)\s*(?:grand\s+)?totals?\s*(?:\(.*\))?\s*"


def _drop_totals(cells: Cells, *columns: str) -> None:
    """Drop the rows whose period, country or requestor cell says ``Total``: the sum of the
    other rows, not a figure of its own."""
    total = pd.Series(False, index=cells.index)
    for column in columns:
        if column in cells.headers:
            total |= flag(cells.text(column).str.fullmatch(_TOTAL_ROW))
    cells.log.drop(total, "a Total row (the sum of the other rows)")


def _require_country(cells: Cells) -> None:
    """A table of countries needs a country: a code or name column, or a default."""
    if not (cells.has("country") or cells.has("country_name")):
        looked_for = ", ".join(
            repr(h)
            for c in ("country", "country_name")
            for h in BUILTIN_HEADERS.get(cells.source.kind, {}).get(c, ())
        )
        raise HeaderError(
            f"{cells.source.path}: no column gives 'country' (looked for {looked_for}); map one "
            'under [source.columns] or set [source.defaults] country = "IN"',
            suggestion=_suggestion(cells),
        )


def _suggestion(cells: Cells) -> str:
    """A ``[source.columns]`` block for the file's headers, keeping what the source maps."""
    mapped = {h: c for c, hs in cells.headers.items() for h in hs}
    return suggest_columns(cells.source, list(cells.frame.columns), mapped)


def _reject_backwards(cells: Cells, start: pd.Series, end: pd.Series, period: str) -> None:
    backwards = start.notna() & end.notna() & (end < start)
    cells.log.reject(
        backwards, cells.header(period), cells.get(period), "period ends before it starts"
    )


def _country(cells: Cells) -> pd.Series:
    """Each row's country: the code column (``CLDR Territory Code``, ``ISO code``), else the
    name column, else ``[source.defaults] country``.

    A code or name that is not a country is rejected, except where the name only stands in for
    a blank code (Google's ``Europol``): the code column is the authority, so the country is
    null and the name goes to ``notes``. Bodies such as ``EU``/``European Union``, ``Europol``
    and ``Interpol`` are never a country: null, with a note. Former names and misspellings are
    read, keeping the original in notes.
    """
    code = cells.text("country") if "country" in cells.headers else None
    name = cells.text("country_name")
    blank_code = code.isna() if code is not None else pd.Series(True, index=cells.index)
    supra = is_supranational(name) & blank_code
    if code is not None:
        supra |= is_supranational(code)
    shown = name if code is None else code.fillna(name)
    header = pd.Series(cells.header("country_name"), index=cells.index, dtype="str")
    if code is not None:
        header = header.where(code.isna(), cells.header("country"))
    cells.note((header + ": " + shown + " (not a country)").where(supra))
    if code is not None:
        by_code = cells.country("country", code.where(~supra))
        from_name = blank_code & name.notna() & ~supra
        fallback = normalize_country(name.where(from_name))
        name_header = cells.header("country_name")
        cells.note(name_header + ": " + fallback["note"])
        cells.note((name_header + ": " + name).where(from_name & fallback["value"].isna()))
        return by_code.fillna(fallback["value"]).where(~supra)
    if "country_name" in cells.headers:
        values = name.fillna(cells.source.defaults.get("country"))
        return cells.country("country_name", values.where(~supra)).where(~supra)
    return cells.country("country")


def _transparency_frame(
    cells: Cells,
    start: pd.Series,
    end: pd.Series,
    figures: _Figures,
    country: pd.Series,
    *,
    requestor: pd.Series | None = None,
    notes: tuple[pd.Series, ...] = (),
    platform: pd.Series | None = None,
) -> pd.DataFrame:
    """Transparency rows from parsed periods, figures and countries (``platform``: already
    read, when a kind makes several rows of each source row)."""
    if platform is None:
        platform = _platform(cells)
    counts = figures.counts
    none = pd.DataFrame(
        {
            "value": pd.Series(pd.NA, index=cells.index, dtype="Int64"),
            "bound": pd.Series(np.nan, index=cells.index, dtype="str"),
        }
    )
    counts = {c: counts.get(c, none) for c in schema.TRANSPARENCY_COUNTS}
    rate = (
        figures.rate
        if figures.rate is not None
        else pd.Series(np.nan, index=cells.index, dtype="float64")
    )
    return pd.DataFrame(
        {
            "platform": platform,
            "country": country,
            "requestor": cells.text("requestor") if requestor is None else requestor,
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
            "notes": join_notes(*figures.notes, *notes, cells.notes()),
            "source_url": cells.text("source_url"),
            **cells.provenance(),
        }
    )


def _platform(cells: Cells) -> pd.Series:
    parsed = normalize_platform(cells.get("platform"))
    cells.parsed("platform", parsed)
    return parsed["value"]


def _finish(cells: Cells, frames: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The kind's rows, after the figure checks: a source row none of whose output rows has a
    figure is rejected, and a source where no row has one stops the run
    (:class:`~analysis.core.errors.HeaderError`)."""
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    has = frame[list(FIGURES)].notna().any(axis=1).to_numpy()
    with_figure = cells.index.isin(frame["source_row"].to_numpy()[has])
    candidates = ~cells.index.isin(list(cells.log.dropped_rows()))
    if candidates.any() and not with_figure[candidates].any():
        _no_figure_anywhere(cells)
    pairs = [(c, h) for c in FIGURE_INPUTS for h in cells.headers.get(c, [])]
    missing = candidates & ~with_figure & ~cells.index.isin(list(cells.log.bad_rows()))
    if missing.any():
        shown = join_notes(
            pd.Series(np.nan, index=cells.index, dtype="str"),
            *(h + ": " + cell_text(cells.get(c, h)).fillna("(blank)") for c, h in pairs),
        )
        cells.log.reject(
            pd.Series(missing, index=cells.index),
            pairs[0][1] if pairs else "(no figure column)",
            shown,
            "no figure in this row: every count and rate is blank or marked not reported "
            '("-", "NA", "?")',
        )
    return {"transparency": frame.reset_index(drop=True)}


def _no_figure_anywhere(cells: Cells) -> None:
    kind = cells.source.kind
    builtin = BUILTIN_HEADERS.get(kind, {})
    # One header per figure (the first of its built-in names), or the canonical names.
    expected = [builtin[c][0] for c in FIGURE_INPUTS if builtin.get(c)] or list(FIGURES)
    mapped = [h for c in FIGURE_INPUTS for h in cells.headers.get(c, [])]
    unknown = cells.unmapped
    known = ", ".join(repr(h) for h in unknown) or "none"
    if mapped:
        what = (
            f"its figure columns ({', '.join(repr(h) for h in mapped)}) are blank or marked not "
            f"reported in every row; the headers it did not recognise are {known}"
        )
    else:
        what = (
            f"it did not recognise the headers {known}, and none of the headers it reads "
            f"figures from is there (it expects {', '.join(repr(h) for h in expected)})"
        )
    raise HeaderError(
        f"{cells.source.path}: no figure could be read from any row (kind {kind!r}): {what}; "
        "map the figure columns under [source.columns]",
        suggestion=_suggestion(cells),
    )


# --- periods -----------------------------------------------------------------------------------

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


def _text_periods(cells: Cells, text: pd.Series, header: str, raw: pd.Series) -> pd.DataFrame:
    periods = report_periods(text, cells.source.timezone)
    cells.log.reject(periods["reason"].notna(), header, raw, periods["reason"])
    return periods


# --- X transparency report ---------------------------------------------------------------------


def build_transparency_x(cells: Cells) -> dict[str, pd.DataFrame]:
    """X/Twitter tables: one row per half-year (and country); ``Total`` rows are dropped.

    Requests split by branch (court orders, government agency/police/other) and no combined
    column: the branches are summed into ``requests`` and kept in ``notes``
    (:func:`summed_counts`).
    """
    _require_country(cells)
    _drop_totals(cells, "period", "country", "country_name")
    period = cells.text("period")
    cells.required("period", period, "the time period")
    periods = _text_periods(cells, period, cells.header("period"), cells.get("period"))
    figures = _Figures.read(cells)
    notes: list[pd.Series] = []
    if cells.has("requests_part"):
        parts, part_notes = summed_counts(figures, "requests_part")
        if not cells.has("requests"):
            figures.counts["requests"] = parts
        notes.append(part_notes)
    country = _country(cells)
    frame = _transparency_frame(
        cells, periods["start"], periods["end"], figures, country, notes=tuple(notes)
    )
    return _finish(cells, [frame])


def summed_counts(figures: _Figures, canonical: str) -> tuple[pd.DataFrame, pd.Series]:
    """Counts split over several columns (court orders; executive, police, other) summed into
    one, the parts kept in ``notes``.

    A part marked not reported (``-``, ``NA``, blank) adds nothing when another part gives a
    number: the reports print ``-`` for "none". A part that is unknown (``?``) makes the sum
    unknown, and so do parts that mix kinds of bound. A sum with ``<10`` in it is an upper
    bound: ``<10`` plus 3 is ``<13`` (each ``<N`` is at most N-1).
    """
    cells = figures.cells
    headers = cells.headers[canonical]
    parsed = [figures.count(canonical, h, note=False) for h in headers]
    values = pd.concat([p["value"] for p in parsed], axis=1)
    bounds = pd.concat([p["bound"].astype("str") for p in parsed], axis=1)
    unknown = pd.concat(
        [flag(cell_text(cells.get(canonical, h)).str.fullmatch(r"\?+")) for h in headers], axis=1
    ).any(axis=1)
    upper = (bounds == "upper").sum(axis=1)
    kinds = bounds.where(bounds != "exact")
    inexact = kinds.nunique(axis=1)
    kind = kinds.bfill(axis=1).iloc[:, 0].fillna("exact")
    total = values.sum(axis=1, min_count=1).astype("Int64")
    total = total.where(~unknown & (inexact <= 1))
    total = total - (upper - 1).clip(lower=0)
    out = pd.DataFrame({"value": total, "bound": kind.where(total.notna()).astype("str")})
    notes = join_notes(*(h + ": " + cell_text(cells.get(canonical, h)) for h in headers))
    return out, notes


# --- Google government removal requests --------------------------------------------------------


def build_transparency_google(cells: Cells) -> dict[str, pd.DataFrame]:
    """Google's removal-request CSVs: the current export (one row per requestor), the detailed
    product x reason file (``Total`` = requests), the historical file (requests by branch) and
    the 2010-2011 by-product layout (court orders + executive, police summed).

    ``period_start`` is the day after ``Period Ending`` six months earlier (a half-year ending
    2020-06-30 starts 2020-01-01). ``compliance_rate`` is ``% Removed-Legal`` + ``% Removed-Policy``
    (blank = 0 when any percentage of the row is given; capped at 100, as rounding can make 101)
    unless the file has a "fully or partially complied with" column.
    """
    timezone = cells.source.timezone
    _drop_totals(cells, "period_end", "country", "country_name", "requestor")
    end = cells.dates("period_end")
    cells.required("period_end", cells.get("period_end"), "the period end")
    next_day = wall_clock(end["at"], timezone) + pd.Timedelta(days=1)
    start = from_wall_clock(next_day - pd.DateOffset(months=6), timezone)
    country = _country(cells)
    branches = _google_branches(cells)
    skip = tuple(_BRANCH_COLUMNS.values()) if branches else ()
    figures = _Figures.read(cells, skip=skip)
    notes: list[pd.Series] = []
    if cells.has("requests_part"):
        parts, part_notes = summed_counts(figures, "requests_part")
        if not cells.has("requests"):
            figures.counts["requests"] = parts
        notes.append(part_notes)
    if not cells.has("compliance_rate") and (
        cells.has("removed_legal_pct") or cells.has("removed_policy_pct")
    ):
        rate, rate_notes = _google_removed_rate(cells, figures)
        figures.rate = rate
        notes.append(rate_notes)
    if not branches:
        frame = _transparency_frame(cells, start, end["at"], figures, country, notes=tuple(notes))
        return _finish(cells, [frame])
    frames = _branch_frames(cells, start, end["at"], figures, country, branches, notes)
    return _finish(cells, frames)


def _google_removed_rate(cells: Cells, figures: _Figures) -> tuple[pd.Series, pd.Series]:
    parts = [figures.rate_of(c) for c in ("removed_legal_pct", "removed_policy_pct")]
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


def _google_branches(cells: Cells) -> dict[str, dict[str, str]]:
    """Branch name -> {``branch_requests``/``branch_items``/``branch_rate`` -> header}, from
    headers such as ``Court Orders: Number of Requests`` (the branch is the text before the
    last colon)."""
    branches: dict[str, dict[str, str]] = {}
    for canonical in _BRANCH_COLUMNS:
        for header in cells.headers.get(canonical, []):
            name = header.rsplit(":", 1)[0].strip() if ":" in header else header.strip()
            branches.setdefault(name, {})[canonical] = header
    return branches


def _branch_frames(
    cells: Cells,
    start: pd.Series,
    end: pd.Series,
    figures: _Figures,
    country: pd.Series,
    branches: dict[str, dict[str, str]],
    notes: list[pd.Series],
) -> list[pd.DataFrame]:
    """Google's historical layout: ``All Requests``, ``Court Orders`` and ``Other Requests
    (Executive, Police, etc.)``, each with requests, a compliance rate and items.

    So that no total is counted twice, each source row gives either one row per branch
    (``requestor`` = the branch as Google names it; a branch whose cells are all blank had
    none and gives no row) or, when the branches do not account for the total (none given,
    a different sum, bounds that cannot be added), one row with the total (``requestor`` =
    ``All Requests``) and the branches' cells in ``notes``. The branches
    account for the total when, for requests and for items, they add up to it exactly (blank =
    0), or when a single branch is given and its cell reads the same as the total's (``<10``).
    """
    read = {
        name: {c: _branch_figure(figures, c, h) for c, h in columns.items()}
        for name, columns in branches.items()
    }
    total_name = next((n for n in branches if n.casefold().startswith("all")), None)
    parts = [n for n in branches if n != total_name]

    def given(name: str) -> pd.Series:
        return pd.concat(
            [cell_text(cells.get(c, h)).notna() for c, h in branches[name].items()], axis=1
        ).any(axis=1)

    any_part = pd.concat([given(n) for n in parts], axis=1).any(axis=1) if parts else None
    if total_name is None:
        split = pd.Series(True, index=cells.index)
    elif not parts:
        split = pd.Series(False, index=cells.index)
    else:
        split = any_part & _parts_add_up(cells, branches, read, total_name, parts)
    frames = []
    platform = _platform(cells)
    for name in ([total_name] if total_name else []) + parts:
        keep = ~split if name == total_name else split & given(name)
        branch = _Figures(cells, figures.counts, figures.rate)
        for canonical, column in _BRANCH_COLUMNS.items():
            if canonical in read[name]:
                if column == "compliance_rate":
                    branch.rate = read[name][canonical]
                else:
                    branch.counts[column] = read[name][canonical]
        extra = list(notes)
        if name == total_name and parts:
            shown = join_notes(
                *(
                    h + ": " + cell_text(cells.get(c, h))
                    for p in parts
                    for c, h in branches[p].items()
                )
            )
            extra.append(
                (
                    "the branches do not account for "
                    + name
                    + " (they add up to another number, or give bounds that cannot be added), "
                    "so the row is the total: " + shown
                ).where(any_part & ~split)
            )
        frame = _transparency_frame(
            cells,
            start,
            end,
            branch,
            country,
            requestor=pd.Series(name, index=cells.index, dtype="str"),
            notes=(*figures.notes, *extra),
            platform=platform,
        )
        frames.append(frame[keep.to_numpy()])
    return frames


def _branch_figure(figures: _Figures, canonical: str, header: str):
    if canonical == "branch_rate":
        return figures.rate_of(canonical, header)
    return figures.count(canonical, header)


def _parts_add_up(
    cells: Cells,
    branches: dict[str, dict[str, str]],
    read: dict[str, dict],
    total: str,
    parts: list[str],
) -> pd.Series:
    """Rows whose branches account for the total (see :func:`_branch_frames`)."""
    ok = pd.Series(True, index=cells.index)
    for canonical in ("branch_requests", "branch_items"):
        if canonical not in branches[total]:
            continue
        whole = read[total][canonical]
        given = [p for p in parts if canonical in read[p]]
        if not given:
            continue
        values = pd.concat([read[p][canonical]["value"] for p in given], axis=1)
        bounds = pd.concat([read[p][canonical]["bound"].astype("str") for p in given], axis=1)
        exact = (bounds.isna() | (bounds == "exact")).all(axis=1)
        exact &= whole["bound"].isna() | (whole["bound"] == "exact")
        summed = values.fillna(0).sum(axis=1).astype("Int64")
        adds_up = exact & (summed == whole["value"].fillna(0)).fillna(False)
        # A single branch given, reading the same as the total (both "<10"): it is the total.
        texts = [cell_text(cells.get(canonical, branches[p][canonical])) for p in given]
        one = pd.concat([t.notna() for t in texts], axis=1).sum(axis=1) == 1
        same = pd.concat(
            [
                t.str.replace(" ", "")
                == cell_text(cells.get(canonical, branches[total][canonical])).str.replace(" ", "")
                for t in texts
            ],
            axis=1,
        ).any(axis=1)
        ok &= adds_up | (one & flag(same))
    return ok.astype(bool)


# --- Meta (Facebook) content restrictions ------------------------------------------------------

_FILE_HALF = r"(?i)(?P<year>(?:19|20)\d{2})[\s_-]*h(?P<half>[12])"


def build_transparency_meta(cells: Cells) -> dict[str, pd.DataFrame]:
    """Facebook's government-requests download (and Meta's content restrictions by country):
    one row per country; ``Content Restrictions`` (pieces of content restricted under local
    law) -> ``items_withheld``. Requests for user data are not takedowns: they stay in
    ``notes``. The period comes from a ``period`` column, ``[source.defaults] period``
    (``H1 2013``), or the file name (``Facebook-Government-Report-2013-H1.csv``)."""
    _require_country(cells)
    _drop_totals(cells, "period", "country", "country_name")
    period = cells.text("period")
    header = cells.header("period")
    if period.notna().any():
        cells.required("period", period, "the period")
    else:
        found = re.search(_FILE_HALF, cells.source.path.name)
        if found is None:
            raise HeaderError(
                f"{cells.source.path}: no period: the file has no period column and its name "
                "does not say which half-year it covers (e.g. 2013-H1); set [source.defaults] "
                'period = "H1 2013"'
            )
        period = pd.Series(f"H{found['half']} {found['year']}", index=cells.index, dtype="str")
        header = "(file name)"
        cells.log.messages.append(
            f"period H{found['half']} {found['year']} taken from the file name"
        )
    periods = _text_periods(cells, period, header, period)
    figures = _Figures.read(cells)
    frame = _transparency_frame(cells, periods["start"], periods["end"], figures, _country(cells))
    return _finish(cells, [frame])
