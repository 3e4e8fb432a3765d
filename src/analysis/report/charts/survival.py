"""The compliance-lag chart: how fast items were acted on, and what each order's items became.

Two panels, each drawn when there is something for it:

- **Curves**: Kaplan-Meier step curves of the share of items not yet acted on, for the orders
  naming the most items (or those in ``highlight``) whose action times are known. Where an
  action is known only between two checks the curve is a **band** (every action at its earliest
  possible time .. at its latest), never a line through the middle; where times are exact, the
  curve with its 95% confidence band. An order whose every action was already there at the first
  check gets **no curve**: the data do not say when the platform acted. Each curve is labelled
  at its end (wide) or in a key under the chart (narrow).
- **Outcomes**: one bar per order (the largest, "and N more" in the data file), split into what
  its items were found to be: withheld, suspended, gone (not found: cause unknown) or nothing
  seen, so "269 gone" is never read as compliance.

:func:`survival_data` turns the Kaplan-Meier tables into exactly the frame the curves panel
draws and saves as CSV (``band_data`` and ``outcome_data`` give the other two tables);
:func:`draw_survival` and :func:`draw_outcomes` draw them; :func:`survival_chart` does it all
inside the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from analysis.core.times import DEFAULT_TZ
from analysis.report.charts.axes import row_names
from analysis.report.charts.frame import (
    Canvas,
    Chart,
    annotate,
    canvas,
    drawing,
    duration_text,
    legend_below,
    panel_title,
    require,
    settle,
    shorten,
    source_line,
)
from analysis.report.charts.labels import dodge
from analysis.report.charts.style import EVENT_COLORS, MUTED, OKABE_ITO, size_of
from analysis.report.wording import fmt_int, label

#: The columns of the chart's data, in order.
COLUMNS = [
    "series",
    "time",
    "unit",
    "pct_not_actioned",
    "ci_lower_pct",
    "ci_upper_pct",
    "at_risk",
    "events",
    "censored",
]
BAND_COLUMNS = ["series", "time", "unit", "pct_not_actioned_earliest", "pct_not_actioned_latest"]
OUTCOME_COLUMNS = [
    "order_id",
    "items",
    "withheld",
    "suspended",
    "gone",
    "no_outcome",
    "timing_basis",
    "shown",
]
#: The outcome segments of a bar, in order, and their colours.
OUTCOME_COLORS = {
    "withheld": OKABE_ITO["vermillion"],  # the colour of "Blocked" in every chart
    "suspended": OKABE_ITO["reddish_purple"],
    "gone": "#8c8c8c",
    "no_outcome": "#e0e0e0",
}
#: Curve colours: none of the outcome colours, so a curve is never read as an outcome.
CURVE_COLORS = [
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["sky_blue"],
]
_PCT = ["pct_not_actioned", "ci_lower_pct", "ci_upper_pct"]
#: How a censoring mark looks, on the curves and in the legend.
_CENSOR_MARK = {"linestyle": "", "marker": "+", "markersize": 9, "markeredgewidth": 1.6}
#: Curves and outcome bars drawn at most, per size (the rest are in the data files).
_MAX_CURVES = {"wide": 4, "narrow": 3}
_MAX_BARS = {"wide": 10, "narrow": 6}
#: Pixels: the curves panel, one outcome bar's lane, the frame and legend.
_CURVES_H = {"wide": 300.0, "narrow": 230.0}
_LANE_H = {"wide": 28.0, "narrow": 44.0}
_FRAME_H = {"wide": 160.0, "narrow": 230.0}


@drawing
def survival_chart(
    curves: Mapping[str, pd.DataFrame],
    *,
    bands: Mapping[str, pd.DataFrame] | None = None,
    outcomes: pd.DataFrame | None = None,
    highlight: Sequence[str] = (),
    deadline: float | None = None,
    unit: str = "hours",
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
    data_name: str | None = None,
    size: str = "wide",
    frame: bool = True,
) -> Chart:
    """Kaplan-Meier step curves of the share of items **not yet actioned**, one per order, and
    each order's outcomes.

    ``curves`` maps a series label (the order id) to a table from
    :func:`analysis.metrics.lag.survival_curve` (``time``, ``survival``, ``ci_lower``,
    ``ci_upper``, ``censored``; ``at_risk`` and ``events`` if present). Each curve starts at 100%
    at time 0; ``+`` marks times where items were censored (still waiting at the data date).
    ``bands`` maps the same labels to :func:`analysis.metrics.lag.survival_band` tables; where a
    band's earliest and latest curves differ it is drawn instead of the confidence band.
    ``outcomes`` is the lag summary (:func:`analysis.report.questions.answer_lag`'s table:
    ``order_id``, ``items``, ``withheld``, ``suspended``, ``gone``, ``no_outcome``,
    ``timing_basis``): it draws the outcomes panel, and orders whose ``timing_basis`` is
    ``before_first_check`` get no curve. ``highlight`` names orders to show first. ``deadline``
    (in ``unit``, ``"hours"`` or ``"days"``) is a dashed vertical line. ``data_name`` is the
    name the chart's data is saved under (``survival``), for the "and N more in
    survival-outcomes.csv" note. ``size``: ``wide`` or ``narrow``; ``frame=False`` leaves out
    the title, subtitle and source line.

    Returns a :class:`.frame.Chart` whose data is :func:`survival_data`'s (the curves drawable
    as lags; ``extra`` holds ``band`` and ``outcomes``).
    """
    s = size_of(size)
    no_curve = _without_times(outcomes)
    kept = {name: km for name, km in curves.items() if str(name) not in no_curve}
    data = survival_data(kept, unit=unit)
    band = band_data(bands or {}, [str(n) for n in kept], unit=unit)
    order_rows = (
        outcome_data(outcomes, highlight, _MAX_BARS[s.name]) if outcomes is not None else None
    )
    shown = _chosen(data, outcomes, highlight, _MAX_CURVES[s.name])
    bars = order_rows.loc[order_rows["shown"]] if order_rows is not None else None
    has_curves, has_bars = bool(shown), bars is not None and len(bars) > 0
    heights = []
    if has_curves or not has_bars:
        heights.append(_CURVES_H[s.name])
    if has_bars:
        heights.append(_LANE_H[s.name] * len(bars) + 50.0)
    note = None
    if order_rows is not None and len(order_rows) > len(bars):
        file = f"{data_name}-outcomes.csv" if data_name else label("the_data_file", lang)
        note = label("more_in_csv", lang, n=fmt_int(len(order_rows) - len(bars)), file=file)
    with canvas(
        data if not has_bars else order_rows,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height=sum(heights) + _FRAME_H[s.name] - (0 if frame else 90.0),
        height_ratios=heights,
        size=s,
        frame=frame,
        note=note,
    ) as drawn:
        handles: list = []
        if has_curves:
            handles += draw_survival(drawn, drawn.axes[0], data, band, shown, deadline, unit)
        if has_bars:
            handles += draw_outcomes(drawn, drawn.axes[-1], bars)
        legend_below(drawn.layout, handles)
        drawn.fit()
        if has_curves:
            _finish_curves(drawn, drawn.axes[0], data, shown, deadline, unit)
    extra = {"band": band}
    if order_rows is not None:
        extra["outcomes"] = order_rows
    return Chart(
        drawn.figure,
        data,
        extra,
        title=title,
        subtitle=subtitle,
        source=source_line(source, as_of, lang, tz),
        description=_describe(len(shown), 0 if bars is None else len(bars), unit, lang),
        names_data=note is not None,
    )


def _without_times(outcomes: pd.DataFrame | None) -> set[str]:
    """Orders whose every action was already there at the first check: no lag to draw."""
    if outcomes is None or "timing_basis" not in outcomes.columns:
        return set()
    basis = outcomes["timing_basis"].astype("str")
    return set(outcomes.loc[basis == "before_first_check", "order_id"].astype("str"))


def survival_data(curves: Mapping[str, pd.DataFrame], *, unit: str = "hours") -> pd.DataFrame:
    """The frame the curves panel draws: :data:`COLUMNS`, one row per time per curve, the curves
    in the order given.

    Percentages are 0-100, rounded to 0.001 points; a missing confidence bound is the estimate
    itself; missing ``at_risk``/``events`` columns are NaN and a missing ``censored`` is 0. A
    first row at time 0 and 100% is added when a curve starts after 0 (or is empty).
    Raises ``ValueError`` for a ``unit`` other than ``hours``/``days`` or a curve without
    ``time`` and ``survival``.
    """
    if unit not in ("hours", "days"):
        raise ValueError('unit must be "hours" or "days"')
    frames = [_curve_rows(str(name), km, unit) for name, km in curves.items()]
    data = (
        pd.concat(frames, ignore_index=True)[COLUMNS]
        if frames
        else pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    )
    data["series"] = data["series"].astype("str")
    data["unit"] = data["unit"].astype("str")
    # 0.001 percentage points is finer than any published figure; it keeps the CSV readable.
    data[_PCT] = data[_PCT].round(3)
    return data


def _curve_rows(name: str, km: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One Kaplan-Meier table as chart rows, starting at time 0 and 100%."""
    require(km, ["time", "survival"], f"survival_chart curve {name!r}")
    k = km.sort_values("time", kind="stable")
    surv = k["survival"].to_numpy(dtype="float64")
    lo = (k["ci_lower"] if "ci_lower" in k else k["survival"]).to_numpy(dtype="float64")
    hi = (k["ci_upper"] if "ci_upper" in k else k["survival"]).to_numpy(dtype="float64")
    part = pd.DataFrame(
        {
            "series": name,
            "time": k["time"].to_numpy(dtype="float64"),
            "unit": unit,
            "pct_not_actioned": 100 * surv,
            "ci_lower_pct": 100 * np.where(np.isnan(lo), surv, lo),
            "ci_upper_pct": 100 * np.where(np.isnan(hi), surv, hi),
            "at_risk": k["at_risk"].to_numpy(dtype="float64") if "at_risk" in k else np.nan,
            "events": k["events"].to_numpy(dtype="float64") if "events" in k else np.nan,
            "censored": (k["censored"].to_numpy(dtype="float64") if "censored" in k else 0.0),
        }
    )
    if part.empty or part["time"].iloc[0] > 0:
        start = {
            "series": name,
            "time": 0.0,
            "unit": unit,
            "pct_not_actioned": 100.0,
            "ci_lower_pct": 100.0,
            "ci_upper_pct": 100.0,
            "at_risk": part["at_risk"].iloc[0] if len(part) else np.nan,
            "events": 0.0,
            "censored": 0.0,
        }
        part = pd.concat([pd.DataFrame([start]), part], ignore_index=True)
    return part


def band_data(bands: Mapping[str, pd.DataFrame], series: list[str], *, unit: str) -> pd.DataFrame:
    """The band of each drawn series (:data:`BAND_COLUMNS`): the share not yet acted on with
    every action at its earliest and at its latest possible time, in percent."""
    frames = []
    for name in series:
        band = bands.get(name)
        if band is None or band.empty:
            continue
        require(band, ["time", "survival_earliest", "survival_latest"], f"band {name!r}")
        frames.append(
            pd.DataFrame(
                {
                    "series": name,
                    "time": band["time"].to_numpy(dtype="float64"),
                    "unit": unit,
                    "pct_not_actioned_earliest": (100 * band["survival_earliest"]).round(3),
                    "pct_not_actioned_latest": (100 * band["survival_latest"]).round(3),
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in BAND_COLUMNS}).astype(
            {"series": "str", "unit": "str"}
        )
    return pd.concat(frames, ignore_index=True)[BAND_COLUMNS]


def outcome_data(outcomes: pd.DataFrame, highlight: Sequence[str], limit: int) -> pd.DataFrame:
    """One row per order (:data:`OUTCOME_COLUMNS`), the orders in ``highlight`` first, then by
    items (most first); ``shown`` marks the first ``limit`` (the bars drawn). Missing counts
    are 0."""
    require(outcomes, ["order_id", "items"], "survival_chart outcomes")
    rows = pd.DataFrame({"order_id": outcomes["order_id"].astype("str").to_numpy()})
    for column in ("items", "withheld", "suspended", "gone", "no_outcome"):
        values = outcomes[column] if column in outcomes.columns else 0.0
        rows[column] = (
            pd.to_numeric(pd.Series(values, index=outcomes.index))
            .fillna(0)
            .to_numpy(dtype="float64")
        )
    basis = outcomes["timing_basis"] if "timing_basis" in outcomes.columns else pd.NA
    rows["timing_basis"] = pd.Series(basis, index=outcomes.index).astype("str").to_numpy()
    wanted = [str(h) for h in highlight]
    rows["_h"] = [wanted.index(o) if o in wanted else len(wanted) for o in rows["order_id"]]
    rows = rows.sort_values(["_h", "items"], ascending=[True, False], kind="stable")
    rows = rows.drop(columns="_h").reset_index(drop=True)
    rows["shown"] = np.arange(len(rows)) < limit
    return rows[OUTCOME_COLUMNS]


def _chosen(
    data: pd.DataFrame, outcomes: pd.DataFrame | None, highlight: Sequence[str], limit: int
) -> list[str]:
    """The series to draw: those named in ``highlight``, then the ones naming the most items
    (from ``outcomes``, else the number at risk at the start), at most ``limit``."""
    names = list(dict.fromkeys(data["series"]))
    if not names:
        return []
    size = {}
    if outcomes is not None and "items" in outcomes.columns:
        size = dict(
            zip(outcomes["order_id"].astype("str"), pd.to_numeric(outcomes["items"]), strict=False)
        )
    for name in names:
        if name not in size or pd.isna(size[name]):
            first = data.loc[data["series"] == name, "at_risk"].dropna()
            size[name] = float(first.iloc[0]) if len(first) else 0.0
    wanted = [str(h) for h in highlight if str(h) in names]
    rest = sorted((n for n in names if n not in wanted), key=lambda n: -size[n])
    return (wanted + rest)[:limit]


def draw_survival(
    drawn: Canvas,
    ax: Axes,
    data: pd.DataFrame,
    band: pd.DataFrame,
    shown: list[str],
    deadline: float | None,
    unit: str,
) -> list:
    """The curves (bands where timing is a range), their axes; returns the legend handles for
    the encodings (and, narrow, the series)."""
    lang = drawn.lang
    handles = []
    kinds = set()
    for i, name in enumerate(shown):
        color = CURVE_COLORS[i % len(CURVE_COLORS)]
        part = data.loc[data["series"] == name]
        b = band.loc[band["series"] == name]
        ranged = len(b) and not np.allclose(
            b["pct_not_actioned_earliest"], b["pct_not_actioned_latest"]
        )
        x, ys = _steps(part)
        if ranged:
            ax.fill_between(
                b["time"],
                b["pct_not_actioned_earliest"],
                b["pct_not_actioned_latest"],
                step="post",
                color=color,
                alpha=0.3,
                linewidth=0,
                zorder=1,
            )
            kinds.add("range")
        else:
            ax.fill_between(
                x, ys[1], ys[2], step="post", color=color, alpha=0.14, linewidth=0, zorder=1
            )
            kinds.add("ci")
        ax.step(x, ys[0], where="post", color=color, zorder=3)
        cens = part.loc[part["censored"] > 0]
        ax.plot(cens["time"], cens["pct_not_actioned"], color=color, zorder=4, **_CENSOR_MARK)
        if drawn.narrow:
            handles.append(Line2D([], [], color=color, label=shorten(name, 30)))
    if "ci" in kinds:
        handles.append(Patch(facecolor="#888888", alpha=0.3, label=label("confidence_band", lang)))
    if "range" in kinds:
        handles.append(Patch(facecolor="#888888", alpha=0.55, label=label("timing_band", lang)))
    shown_rows = data.loc[data["series"].isin(shown)]
    if (shown_rows["censored"] > 0).any():
        handles.append(
            Line2D([], [], color="#333333", label=label("censored", lang), **_CENSOR_MARK)
        )
    _time_axis(ax, shown_rows, deadline, unit, drawn)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_ylabel(label("share_not_actioned", lang))
    if not ax.get_xlabel():
        ax.set_xlabel(label(f"{unit}_since_order", lang))
    ax.grid(axis="both")
    if not drawn.narrow:
        _end_labels(drawn, ax, data, shown)
    return handles


def _steps(part: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    x = part["time"].to_numpy()
    if len(x) and x[0] == 0 and part["pct_not_actioned"].iloc[0] < 100:
        # Items actioned at the moment of the order: the curve drops at time 0.
        return np.r_[0.0, x], [np.r_[100.0, part[c].to_numpy()] for c in _PCT]
    return x, [part[c].to_numpy() for c in _PCT]


def _end_labels(drawn: Canvas, ax: Axes, data: pd.DataFrame, shown: list[str]) -> None:
    """Each curve's name at the right edge of the panel, at the height the curve ends, moved
    apart so none overlap (final positions are set once the layout is known)."""
    for i, name in enumerate(shown):
        artist = ax.annotate(
            shorten(name, 26),
            xy=(1.0, 50.0),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=drawn.size.text,
            fontweight="bold",
            color=CURVE_COLORS[i % len(CURVE_COLORS)],
            annotation_clip=False,
        )
        artist.set_gid(f"end-label-{i}")


def _finish_curves(
    drawn: Canvas,
    ax: Axes,
    data: pd.DataFrame,
    shown: list[str],
    deadline: float | None,
    unit: str,
) -> None:
    """Once the layout is known: the end labels at their curves' final heights, moved apart;
    then the deadline line and its label."""
    labels = [t for t in ax.texts if str(t.get_gid() or "").startswith("end-label-")]
    if labels:
        settle(ax.figure)
        x_end = ax.get_xlim()[1]
        wish = []
        for name in shown:
            part = data.loc[(data["series"] == name) & (data["time"] <= x_end)]
            wish.append(float(part["pct_not_actioned"].iloc[-1]) if len(part) else 100.0)
        to_px = ax.transData.transform
        y_px = np.array([to_px((x_end, w))[1] for w in wish])
        renderer = ax.figure.canvas.get_renderer()
        heights = np.array([t.get_window_extent(renderer).height for t in labels])
        box = ax.get_window_extent(renderer)
        placed = dodge(y_px, heights, box.y0, box.y1 + 8)
        for artist, target, y in zip(labels, y_px, placed, strict=True):
            artist.xyann = (8, (y - target) * 72 / ax.figure.dpi)
            artist.xy = (1.0, float(ax.transData.inverted().transform((0, target))[1]))
    if deadline is not None and np.isfinite(deadline):
        value = duration_text(deadline, unit, drawn.lang)
        text = label("deadline_value", drawn.lang, value=value)
        annotate(ax, [(float(deadline), text, EVENT_COLORS["deadline"], "deadline")])


def _time_axis(ax: Axes, data: pd.DataFrame, deadline: float | None, unit: str, drawn) -> None:
    """The time axis runs to :func:`survival_horizon`; when curves go on beyond it, a note in
    the corner says how far."""
    last = float(data["time"].max()) if len(data) else 0.0
    xmax = survival_horizon(data, deadline, unit)
    ax.set_xlim(0, (xmax or 1.0) * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, pos=None: f"{v:,.0f}"))
    ax.xaxis.get_major_locator().set_params(nbins=4 if drawn.narrow else 8)
    if last > xmax * 1.05:
        # Long flat tails (items censored months later) would squash the part that matters;
        # the axis stops after the last action and says where the curves end.
        text = label("continues", drawn.lang, value=duration_text(last, unit, drawn.lang))
        if drawn.narrow:
            ax.set_xlabel(f"{label(f'{unit}_since_order', drawn.lang)}\n{text}")
        else:
            ax.text(
                0.99,
                0.97,
                text,
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=drawn.size.small,
                color="#444444",
            )


def survival_horizon(data: pd.DataFrame, deadline: float | None, unit: str) -> float:
    """How far the time axis runs: twice the last time anything was actioned (at least a week,
    or two days in hours, and past the deadline), never beyond the data."""
    last = float(data["time"].max()) if len(data) else 0.0
    acted = data.loc[data["events"] > 0, "time"] if "events" in data else data["time"]
    horizon = 2 * float(acted.max()) if len(acted) else last
    dl = float(deadline) if deadline is not None and np.isfinite(deadline) else 0.0
    horizon = max(horizon, 7.0 if unit == "days" else 48.0, 2 * dl)
    return min(horizon, last) if last else horizon


def draw_outcomes(drawn: Canvas, ax: Axes, bars: pd.DataFrame) -> list:
    """One stacked bar per order: the share of its items found withheld, suspended, gone or
    with nothing seen, its size at the end; returns the legend handles."""
    lang = drawn.lang
    n = len(bars)
    y = np.arange(n)
    total = bars["items"].to_numpy(dtype="float64")
    safe = np.where(total > 0, total, 1.0)
    left = np.zeros(n)
    names = {
        "withheld": label("withheld", lang),
        "suspended": label("outcome_suspended", lang),
        "gone": label("outcome_gone", lang),
        "no_outcome": label("outcome_none", lang),
    }
    handles = []
    for column, color in OUTCOME_COLORS.items():
        share = 100 * bars[column].to_numpy(dtype="float64") / safe
        height = 0.45 if drawn.narrow else 0.62
        ax.barh(y, share, left=left, height=height, color=color, linewidth=0, zorder=2)
        left += share
        handles.append(Patch(facecolor=color, label=names[column]))
    for yy, t in zip(y, total, strict=True):
        if drawn.narrow:
            break  # on a phone the size goes with the order's name, above the bar
        ax.annotate(
            label("items_total", lang, n=fmt_int(t)),
            xy=(100, yy),
            xytext=(6, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=drawn.size.small,
            color=MUTED,
            annotation_clip=False,
        )
    names = [shorten(o, 36 if drawn.narrow else 26) for o in bars["order_id"]]
    if drawn.narrow:
        names = [
            f"{name} · {label('items_total', lang, n=fmt_int(t))}"
            for name, t in zip(names, total, strict=True)
        ]
    row_names(ax, y, names, narrow=drawn.narrow, size=drawn.size.small, above=0.31)
    ax.set_ylim(n - 0.5, -0.75 if drawn.narrow else -0.55)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_locator(FixedLocator([0, 50, 100] if drawn.narrow else [0, 25, 50, 75, 100]))
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    panel_title(drawn, ax, label("outcomes_title", lang))
    return handles


def _describe(curves: int, bars: int, unit: str, lang: str) -> str:
    if not curves and not bars:
        return label("no_data", lang)
    if not curves:
        return label("describe_lag_bars", lang, bars=fmt_int(bars))
    return label(
        "describe_lag",
        lang,
        unit=label(f"{unit}_since_order", lang).lower(),
        curves=fmt_int(curves),
        bars=fmt_int(bars),
    )
