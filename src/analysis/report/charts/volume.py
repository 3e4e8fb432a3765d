"""The volume chart: items (or orders) per period as bars, a tick under the bars for every order,
the few orders that matter labelled, and the yearly s.69A totals as context.

:func:`volume_data` and :func:`context_data` turn the metric tables into exactly the frames the
chart draws and saves as CSV; :func:`draw_volume` and :func:`draw_context` draw them;
:func:`volume_chart` does both inside the one chart set-up (:func:`.frame.canvas`).

However many orders there are, the chart stays readable: orders are a rug of ticks (one per
order, no text), and only the largest orders (or those named in ``highlight``) get a label,
placed where it collides with nothing (:func:`.labels.place_labels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.core.times import DEFAULT_TZ, in_zone
from analysis.report.charts.axes import date_axis, date_numbers, pad_xlim, thousands
from analysis.report.charts.frame import (
    Canvas,
    Chart,
    annotate,
    canvas,
    drawing,
    legend_below,
    panel_title,
    require,
    settle,
    shorten,
    source_line,
)
from analysis.report.charts.labels import place_labels
from analysis.report.charts.style import PALETTE, TEXT_COLOR, size_of
from analysis.report.wording import fmt_int, label, labels_for

#: Panel heights in pixels (bars, rug of orders, yearly context), per drawing size.
_PANELS = {"wide": (300.0, 16.0, 150.0), "narrow": (230.0, 16.0, 130.0)}
#: Room for the frame (title, subtitle, source), axis texts and the legend, per size.
_FRAME = {"wide": 150.0, "narrow": 190.0}
#: Orders labelled (the largest, when ``highlight`` names none), per size.
_LABELLED = {"wide": 3, "narrow": 2}
#: Bars carry their value when there are at most this many, per size.
_MAX_VALUE_LABELS = {"wide": 16, "narrow": 8}
_RUG_COLOR = "#4d4d4d"


@drawing
def volume_chart(
    volume_df: pd.DataFrame,
    *,
    measure: str = "items",
    context: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    highlight: Sequence[str] = (),
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    annotations: Iterable = (),
    tz: str = DEFAULT_TZ,
    data_name: str | None = None,
    size: str = "wide",
    frame: bool = True,
) -> Chart:
    """Bars of ``items`` (or ``orders``) per period from :func:`analysis.metrics.volume.volume`.

    Partial periods (``partial`` True: the date range cuts them) are hatched. ``orders`` (one
    row per order: ``order_id``, ``issued_at``, ``items``; see
    :func:`analysis.report.questions.order_sizes`) are drawn as a rug of ticks under the bars;
    the orders in ``highlight`` are labelled, or when it names none the largest few. ``context``,
    if given and not empty, is a yearly frame with ``year``, ``items_withheld``, ``scope`` and
    optionally ``partial`` (see :func:`analysis.report.questions.yearly_context`), drawn as a
    small second panel, partial years hatched. ``annotations``: ``(time, kind)`` pairs; orders
    issued (``order_issued``) join the rug when ``orders`` is not given, other kinds are drawn as
    labelled lines. ``size``: ``wide`` or ``narrow`` (phones); ``frame=False`` leaves out the
    title, subtitle and source line (the page writes them); ``data_name`` (the name the data is
    saved under) is accepted like every chart's and not needed here.

    Returns a :class:`.frame.Chart` whose data is :func:`volume_data`'s; the context panel's
    data (:func:`context_data`) is ``extra["context"]``.
    """
    data = volume_data(volume_df, measure=measure, tz=tz)
    ctx = context_data(context) if context is not None else None
    with_context = ctx is not None and not ctx.empty
    s = size_of(size)
    bars_h, rug_h, ctx_h = _PANELS[s.name]
    heights = [bars_h, rug_h, *([ctx_h] if with_context else [])]
    height = sum(heights) + _FRAME[s.name] - (0 if frame else 80.0) + (50.0 if with_context else 0)
    with canvas(
        data,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height=height,
        height_ratios=heights,
        size=s,
        frame=frame,
    ) as drawn:
        rug = _rug_orders(orders, annotations, drawn)
        handles = draw_volume(drawn, data, measure, rug)
        if with_context:
            handles += draw_context(drawn.axes[2], ctx, drawn)
        legend_below(drawn.layout, handles)
        drawn.fit()
        others = [m for m in drawn.marks(annotations) if m[3] != "order_issued"]
        if not drawn.empty:
            annotate(drawn.ax, others)
            _label_orders(drawn, data, measure, rug, highlight)
    extra = {"context": ctx} if ctx is not None else {}
    return Chart(
        drawn.figure,
        data,
        extra,
        title=title,
        subtitle=subtitle,
        source=source_line(source, as_of, lang, tz),
        description=describe_volume(data, measure, rug, lang),
    )


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


def _rug_orders(orders: pd.DataFrame | None, annotations: Iterable, drawn: Canvas) -> pd.DataFrame:
    """One row per order to tick: ``order_id`` (blank when only a date is known), ``x`` (date
    number), ``items`` (NaN when unknown), for orders issued by the data date."""
    if orders is not None and len(orders):
        require(orders, ["order_id", "issued_at"], "volume_chart orders")
        issued = in_zone(orders["issued_at"], drawn.tz)
        rows = pd.DataFrame(
            {
                "order_id": orders["order_id"].astype("str").fillna("").to_numpy(),
                "x": date_numbers(issued),
                "items": (
                    pd.to_numeric(orders["items"]).to_numpy(dtype="float64", na_value=np.nan)
                    if "items" in orders.columns
                    else np.nan
                ),
                "_when": issued.to_numpy(),
            }
        )
        rows = rows.loc[pd.notna(rows["_when"]) & (rows["_when"] <= drawn.as_of)]
        return rows.drop(columns="_when").reset_index(drop=True)
    marks = [m for m in drawn.marks(annotations) if m[3] == "order_issued"]
    return pd.DataFrame(
        {"order_id": [""] * len(marks), "x": [m[0] for m in marks], "items": np.nan}
    )


def draw_volume(drawn: Canvas, data: pd.DataFrame, measure: str, rug: pd.DataFrame) -> list:
    """The bars (when there are any), the count axis and the rug of orders under them; returns
    the legend handles for what was drawn."""
    ax, rug_ax = drawn.axes[0], drawn.axes[1]
    handles: list = []
    if not drawn.empty:
        handles += _draw_bars(ax, data, measure, drawn)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5 if not drawn.narrow else 4, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylabel(label(measure, drawn.lang))
    ax.tick_params(axis="x", labelbottom=False, length=0)
    ax.spines["bottom"].set_visible(True)
    rug_ax.sharex(ax)
    rug_ax.set_ylim(0, 1)
    rug_ax.set_yticks([])
    rug_ax.grid(False)
    for side in ("left", "top", "right"):
        rug_ax.spines[side].set_visible(False)
    rug_ax.spines["bottom"].set_visible(False)
    rug_ax.patch.set_alpha(0)
    if len(rug):
        rug_ax.vlines(rug["x"], 0.1, 0.9, color=_RUG_COLOR, linewidth=1.0, alpha=0.75)
        handles.append(
            Line2D(
                [],
                [],
                color=_RUG_COLOR,
                marker="|",
                linestyle="",
                markersize=11,
                markeredgewidth=1.4,
                label=label("orders_rug", drawn.lang),
            )
        )
    if drawn.empty:
        rug_ax.set_xticks([])
    else:
        date_axis(rug_ax.xaxis, drawn.lang, drawn.tz, maxticks=4 if drawn.narrow else 8)
    return handles


def _draw_bars(ax: Axes, data: pd.DataFrame, measure: str, drawn: Canvas) -> list:
    start = date_numbers(data["period_start"])
    width = date_numbers(data["period_end"]) - start
    values = data[measure].to_numpy()
    partial = data["partial"].to_numpy(dtype=bool)
    color = PALETTE[0]
    # Bars at least about a pixel wide: ten years of days must still show.
    gap = np.where(width > 2.0, 0.08, 0.0) * width
    ax.bar(
        start[~partial] + gap[~partial],
        values[~partial],
        width=(width - 2 * gap)[~partial],
        align="edge",
        color=color,
        zorder=2,
        linewidth=0,
    )
    handles: list = []
    if partial.any():
        ax.bar(
            start[partial] + gap[partial],
            values[partial],
            width=(width - 2 * gap)[partial],
            align="edge",
            color=color,
            alpha=0.55,
            hatch="////",
            zorder=2,
            linewidth=0,
        )
        handles.append(
            Patch(
                facecolor=color,
                alpha=0.55,
                hatch="////",
                label=label("partial_period", drawn.lang),
            )
        )
    # Headroom above the tallest bar: the order labels go there, one row each.
    labelled = _LABELLED[drawn.size.name]
    ax.set_ylim(0, max(1, values.max()) * (1.2 + 0.15 * labelled))
    pad_xlim(ax, [*start, *(start + width)], pad=0.01)
    if len(values) <= _MAX_VALUE_LABELS[drawn.size.name]:
        _label_bars(ax, start, width, values, drawn)
    return handles


def _label_bars(ax: Axes, start, width, values, drawn: Canvas) -> None:
    """Each non-zero value above its bar, when the bar is wide enough for it."""
    settle(ax.figure)
    px_per_day = ax.get_window_extent().width / max(np.ptp(ax.get_xlim()), 1e-9)
    for x, w, v in zip(start, width, values, strict=True):
        text = f"{v:,}"
        if v <= 0 or w * px_per_day < len(text) * drawn.size.small * 0.62:
            continue
        ax.annotate(
            text,
            xy=(x + w / 2, v),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=drawn.size.small,
            color=TEXT_COLOR,
            zorder=3,
        )


def _label_orders(
    drawn: Canvas, data: pd.DataFrame, measure: str, rug: pd.DataFrame, highlight: Sequence[str]
) -> None:
    """Label the orders named in ``highlight`` (else the largest few) at the top of their bar,
    where the label collides with nothing; orders that find no room stay ticks."""
    named = rug.loc[rug["order_id"] != ""]
    if named.empty:
        return
    wanted = [str(h) for h in highlight if str(h)]
    if wanted:
        chosen = named.loc[named["order_id"].isin(wanted)]
    else:
        ranked = named.assign(_i=np.arange(len(named))).sort_values(
            ["items", "_i"], ascending=[False, True], na_position="last", kind="stable"
        )
        chosen = ranked.loc[ranked["items"].notna()].head(_LABELLED[drawn.size.name])
    if chosen.empty:
        return
    ax = drawn.ax
    settle(ax.figure)
    start = date_numbers(data["period_start"])
    end = date_numbers(data["period_end"])
    values = data[measure].to_numpy()
    anchors, texts = [], []
    for _, row in chosen.iterrows():
        inside = np.flatnonzero((start <= row["x"]) & (row["x"] < end))
        top = float(values[inside[0]]) if len(inside) else 0.0
        anchors.append((row["x"], top))
        items = "" if pd.isna(row["items"]) else fmt_int(row["items"])
        limit = 20 if drawn.narrow else 28
        texts.append(
            label("order_label", drawn.lang, order=shorten(row["order_id"], limit), n=items)
            if items
            else shorten(row["order_id"], limit)
        )
    renderer = ax.figure.canvas.get_renderer()
    obstacles = [p.get_window_extent(renderer) for p in ax.patches]
    obstacles += [t.get_window_extent(renderer) for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None:
        obstacles.append(legend.get_window_extent(renderer))
    place_labels(
        ax, anchors, texts, fontsize=drawn.size.small, colors=TEXT_COLOR, obstacles=obstacles
    )
    # The labelled orders' ticks are drawn darker, so a reader can find them on the rug.
    drawn.axes[1].vlines(chosen["x"], 0.0, 1.0, color=TEXT_COLOR, linewidth=2.0)


def _scope_label(scope: str, lang: str) -> str:
    key = f"scope_{scope}"
    return label(key, lang) if key in labels_for(lang) else scope


def draw_context(ax: Axes, ctx: pd.DataFrame, drawn: Canvas) -> list:
    """The yearly context panel: one bar group per year, one colour per scope, partial years
    hatched; returns its legend handles."""
    lang = drawn.lang
    panel_title(drawn, ax, label("context_title", lang))
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
        ax.bar(x[~partial], v[~partial], width=width * 0.95, color=color, zorder=2, linewidth=0)
        ax.bar(
            x[partial],
            v[partial],
            width=width * 0.95,
            color=color,
            alpha=0.55,
            hatch="////",
            zorder=2,
            linewidth=0,
        )
        handles.append(Patch(facecolor=color, label=_scope_label(scope, lang)))
    if ctx["partial"].any():
        handles.append(
            Patch(facecolor="#888888", alpha=0.55, hatch="////", label=label("partial_year", lang))
        )
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5 if drawn.narrow else 10, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, pos=None: f"{x:.0f}"))
    years = ctx["year"].to_numpy()
    ax.set_xlim(years.min() - 0.6, years.max() + 0.6)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylim(0, max(1, ctx["items_withheld"].max()) * 1.15)
    return handles


def describe_volume(data: pd.DataFrame, measure: str, rug: pd.DataFrame, lang: str) -> str:
    """What the chart shows, in a sentence for screen readers (the SVG's ``<desc>``)."""
    if data.empty:
        return label("no_data", lang)
    top = data.loc[data[measure].idxmax()]
    return label(
        "describe_volume",
        lang,
        measure=label(measure, lang),
        first=data["period"].iloc[0],
        last=data["period"].iloc[-1],
        top=top["period"],
        value=fmt_int(top[measure]),
        orders=fmt_int(len(rug)),
    )
