"""The volume chart: items (or orders) per period as bars, with the yearly s.69A totals as context.

:func:`volume_data` and :func:`context_data` turn the metric tables into exactly the frames the
chart draws and saves as CSV; :func:`draw_volume` and :func:`draw_context` draw them;
:func:`volume_chart` does both inside the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.core.times import DEFAULT_TZ, in_zone
from analysis.report.charts.axes import date_axis, date_numbers, pad_xlim, thousands
from analysis.report.charts.frame import Canvas, Chart, annotate, canvas, no_data, require
from analysis.report.charts.style import FIGSIZE, PALETTE, TEXT_COLOR
from analysis.report.wording import label, labels_for

#: Height of the figure (inches) when the yearly context panel is drawn under the bars.
_HEIGHT_WITH_CONTEXT = 5.6
#: Heights of the bars panel and the context panel, relative to each other.
_PANELS = (2.2, 1)
#: At most this many bars carry their value as a label (more would crowd the axis).
_MAX_VALUE_LABELS = 16


def volume_chart(
    volume_df: pd.DataFrame,
    *,
    measure: str = "items",
    context: pd.DataFrame | None = None,
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    annotations: Iterable = (),
    tz: str = DEFAULT_TZ,
) -> Chart:
    """Bars of ``items`` (or ``orders``) per period from :func:`analysis.metrics.volume.volume`.

    Partial periods (``partial`` True: the date range cuts them) are hatched. ``context``, if
    given, is a yearly frame with ``year``, ``items_withheld``, ``scope`` and optionally
    ``partial`` (see :func:`analysis.report.questions.yearly_context`), drawn as a small second
    panel of the s.69A yearly totals, partial years hatched. ``annotations``: ``(time, kind)``
    pairs, kind one of :data:`.frame.EVENT_KINDS` or any short text.

    Returns a :class:`.frame.Chart` whose data is :func:`volume_data`'s; the context panel's
    data (:func:`context_data`) is ``extra["context"]``.
    """
    data = volume_data(volume_df, measure=measure, tz=tz)
    ctx = context_data(context) if context is not None else None
    with canvas(
        data,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height=_HEIGHT_WITH_CONTEXT if ctx is not None else FIGSIZE[1],
        height_ratios=_PANELS if ctx is not None else None,
    ) as drawn:
        marks = draw_volume(drawn, data, measure, annotations)
        if ctx is not None:
            draw_context(drawn.axes[1], ctx, lang)
        annotate(drawn.ax, marks)  # last: it measures the finished layout
    extra = {"context": ctx} if ctx is not None else {}
    return Chart(drawn.figure, data, extra)


def volume_data(
    volume_df: pd.DataFrame, *, measure: str = "items", tz: str = DEFAULT_TZ
) -> pd.DataFrame:
    """The frame the volume chart draws: ``period``, ``period_start``, ``period_end`` (local
    time in ``tz``; end exclusive), the ``measure`` column (missing counts are 0),
    ``items_basis`` (NA when not given) and ``partial`` (missing is False), sorted by start.

    Raises ``ValueError`` for another ``measure``, a missing column, or a period given twice
    (several groups in one table).
    """
    if measure not in ("items", "orders"):
        raise ValueError('measure must be "items" or "orders"')
    require(volume_df, ["period", "period_start", "period_end", measure], "volume_chart")
    if volume_df["period"].duplicated().any():
        raise ValueError(
            "volume_chart draws one series: each period must appear once "
            "(call volume() without by=, or filter to one group first)"
        )
    v = volume_df.reset_index(drop=True)
    data = pd.DataFrame(
        {
            "period": v["period"].astype("str"),
            "period_start": in_zone(v["period_start"], tz),
            "period_end": in_zone(v["period_end"], tz),
            measure: pd.to_numeric(v[measure]).fillna(0).astype("int64"),
        }
    )
    data["items_basis"] = (
        volume_df["items_basis"].astype("str").to_numpy()
        if "items_basis" in volume_df.columns
        else pd.NA
    )
    data["partial"] = (
        volume_df["partial"].fillna(False).astype("bool").to_numpy()
        if "partial" in volume_df.columns
        else False
    )
    return data.sort_values("period_start", kind="stable").reset_index(drop=True)


def context_data(context: pd.DataFrame) -> pd.DataFrame:
    """The frame the context panel draws: ``year``, ``scope`` (missing: ``unspecified``),
    ``items_withheld`` (rounded to whole items; rows without it are left out) and ``partial``
    (missing is False), sorted by scope and year."""
    require(context, ["year", "items_withheld"], "volume_chart context")
    ctx = pd.DataFrame(
        {
            "year": pd.to_numeric(context["year"]).astype("int64").to_numpy(),
            "scope": (
                context["scope"].fillna("unspecified").astype("str").to_numpy()
                if "scope" in context.columns
                else "unspecified"
            ),
            "items_withheld": pd.to_numeric(context["items_withheld"]).to_numpy(),
            "partial": (
                context["partial"].fillna(False).astype("bool").to_numpy()
                if "partial" in context.columns
                else False
            ),
        }
    )
    ctx = ctx.dropna(subset=["items_withheld"])
    ctx["items_withheld"] = ctx["items_withheld"].round().astype("int64")
    return ctx.sort_values(["scope", "year"], kind="stable").reset_index(drop=True)


def draw_volume(
    drawn: Canvas, data: pd.DataFrame, measure: str, annotations: Iterable
) -> list[tuple[float, str, str, str]]:
    """The bars (when there are any) and the count axis; returns the event marks that fall in
    the periods shown, for :func:`.frame.annotate` once the rest of the figure is drawn."""
    ax = drawn.ax
    marks = [] if drawn.empty else _draw_bars(ax, data, measure, drawn.marks(annotations), drawn)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylabel(label(measure, drawn.lang))
    return marks


def _draw_bars(ax: Axes, data: pd.DataFrame, measure: str, marks: list, drawn: Canvas) -> list:
    start = date_numbers(data["period_start"])
    width = date_numbers(data["period_end"]) - start
    # Only events inside the periods shown: the bars set the time range.
    marks = [m for m in marks if start.min() <= m[0] <= (start + width).max()]
    values = data[measure].to_numpy()
    partial = data["partial"].to_numpy(dtype=bool)
    color = PALETTE[0]
    ax.bar(
        start[~partial] + 0.08 * width[~partial],
        values[~partial],
        width=0.84 * width[~partial],
        align="edge",
        color=color,
        zorder=2,
    )
    if partial.any():
        ax.bar(
            start[partial] + 0.08 * width[partial],
            values[partial],
            width=0.84 * width[partial],
            align="edge",
            color=color,
            alpha=0.55,
            hatch="////",
            zorder=2,
        )
        ax.legend(
            handles=[
                Patch(
                    facecolor=color,
                    alpha=0.55,
                    hatch="////",
                    label=label("partial_period", drawn.lang),
                )
            ],
            loc="upper left",
        )
    if len(values) <= _MAX_VALUE_LABELS:
        _label_bars(ax, start, width, values)
    ax.set_ylim(0, max(1, values.max()) * 1.12)
    pad_xlim(ax, [*start, *(start + width), *(m[0] for m in marks)], pad=0.02)
    date_axis(ax.xaxis, drawn.lang, drawn.tz)
    return marks


def _label_bars(ax: Axes, start: np.ndarray, width: np.ndarray, values: np.ndarray) -> None:
    """Each non-zero value above its bar, on a white patch so gridlines do not cross it."""
    for x, w, v in zip(start, width, values, strict=True):
        if v > 0:
            ax.annotate(
                f"{v:,}",
                xy=(x + w / 2, v),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=TEXT_COLOR,
                zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},
            )


def _scope_label(scope: str, lang: str) -> str:
    key = f"scope_{scope}"
    return label(key, lang) if key in labels_for(lang) else scope


def draw_context(ax: Axes, ctx: pd.DataFrame, lang: str) -> None:
    """The yearly context panel: one bar group per year, one colour per scope, partial years
    hatched; "No data" when ``ctx`` is empty."""
    ax.set_title(label("context_title", lang), fontsize=9, pad=4)
    if ctx.empty:
        no_data(ax, lang)
        return
    scopes = list(dict.fromkeys(ctx["scope"]))
    n = len(scopes)
    width = 0.8 / n
    handles = []
    for i, scope in enumerate(scopes):
        part = ctx.loc[ctx["scope"] == scope]
        x = part["year"].to_numpy() - 0.4 + width * (i + 0.5)
        color = PALETTE[(i + 1) % len(PALETTE)] if n > 1 else PALETTE[1]
        partial = part["partial"].to_numpy(dtype=bool)
        v = part["items_withheld"].to_numpy()
        ax.bar(x[~partial], v[~partial], width=width * 0.95, color=color, zorder=2)
        ax.bar(
            x[partial],
            v[partial],
            width=width * 0.95,
            color=color,
            alpha=0.55,
            hatch="////",
            zorder=2,
        )
        handles.append(Patch(facecolor=color, label=_scope_label(scope, lang)))
    if ctx["partial"].any():
        handles.append(
            Patch(facecolor="#888888", alpha=0.55, hatch="////", label=label("partial_year", lang))
        )
    years = sorted(ctx["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.tick_params(axis="x", labelsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylim(0, ctx["items_withheld"].max() * 1.4)
    ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=7.5,
        ncols=len(handles),
        borderaxespad=0.1,
        handlelength=1.5,
        columnspacing=1.2,
    )
