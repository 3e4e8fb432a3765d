"""The reversals timeline: one lane per item (or aggregate group), withheld spans as bars.

:func:`reversal_data` turns the episodes table into exactly the frame the chart draws and saves
as CSV, with its lanes; :func:`draw_reversals` draws it; :func:`reversal_timeline` does both inside
the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.core.times import DEFAULT_TZ, in_zone, local_instant
from analysis.report.charts.axes import date_axis, date_numbers, pad_xlim
from analysis.report.charts.frame import (
    Canvas,
    Chart,
    annotate,
    canvas,
    duration_text,
    legend_below,
    require,
)
from analysis.report.charts.style import EVENT_COLORS, FIGSIZE, MUTED, PALETTE
from analysis.report.wording import label

#: Figure height (inches): this much for the frame plus this much per lane, within the limits.
_BASE_HEIGHT, _LANE_HEIGHT, _MAX_HEIGHT = 2.2, 0.32, 12.0
#: Marker styles, on the lanes and in the legend.
_RESTORED_MARK = {"linestyle": "", "marker": "|", "markersize": 11, "markeredgewidth": 2.2}
_OPEN_MARK = {"linestyle": "", "marker": ">", "markersize": 6}
_REBLOCKED_MARK = {"linestyle": "", "marker": "D", "markersize": 5.5}


@dataclass
class Timeline:
    """What the timeline draws: ``data`` (one row per withheld span, see :func:`reversal_data`),
    the lane labels top to bottom, and how many lanes there were before the cap."""

    data: pd.DataFrame
    lanes: list[str]
    total_lanes: int


def reversal_timeline(
    episodes_df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    annotations: Iterable = (),
    tz: str = DEFAULT_TZ,
    max_lanes: int = 40,
) -> Chart:
    """One lane per item (or per aggregate group of items): withheld spans as bars.

    ``episodes_df`` is :func:`analysis.metrics.reversals.episodes` output: ``item_id``,
    ``order_id``, ``withheld_at``, ``restored_at``, and if present ``duration``, ``unit``,
    ``reblocked_at``, ``n_items``, ``basis``, ``approximate``. A bar runs from ``withheld_at`` to
    ``restored_at``, or to ``as_of`` (open-ended, with an arrow) if never restored; a re-block is a
    diamond. Named items are labelled with their item id (pseudonyms come from
    analysis.report.privacy);
    groups without names with their size and order ("~250 items (order IN-MeitY-2021-01-31)").
    At most ``max_lanes`` lanes are drawn (the first by time; a note says how many were left out).

    Returns a :class:`.frame.Chart` whose data is :func:`reversal_data`'s.
    """
    timeline = reversal_data(episodes_df, as_of=as_of, lang=lang, tz=tz, max_lanes=max_lanes)
    shown = len(timeline.lanes)
    height = float(np.clip(_BASE_HEIGHT + _LANE_HEIGHT * shown, FIGSIZE[1], _MAX_HEIGHT))
    note = (
        label("lanes_truncated", lang, shown=shown, total=timeline.total_lanes)
        if timeline.total_lanes > shown
        else None
    )
    with canvas(
        timeline.data,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height=height,
        note=note,
    ) as drawn:
        if not drawn.empty:
            draw_reversals(drawn, timeline, annotations)
    return Chart(drawn.figure, timeline.data)


def reversal_data(
    episodes_df: pd.DataFrame,
    *,
    as_of,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
    max_lanes: int = 40,
) -> Timeline:
    """The frame the timeline draws, with its lanes.

    Episodes without ``withheld_at`` are left out. One lane per named item, and one per order
    and size of unnamed (aggregate) episodes; lanes are ordered by first block, and only the
    first ``max_lanes`` are kept. The frame has ``lane``, ``item_id``, ``order_id``,
    ``n_items`` (missing: 1), ``withheld_at``, ``restored_at``, ``bar_end`` (the restoration, or
    ``as_of`` when the span was still open then), ``open_ended``, ``duration``, ``unit`` and
    ``reblocked_at``; times are local in ``tz``. Raises ``ValueError`` when a needed column is
    missing.
    """
    require(episodes_df, ["item_id", "order_id", "withheld_at", "restored_at"], "reversal_timeline")
    as_of_ts = local_instant(as_of, tz)
    e = _with_lane_keys(episodes_df, tz)
    lanes = list(dict.fromkeys(e["_key"]))
    total_lanes = len(lanes)
    lanes = lanes[:max_lanes]
    e = e.loc[e["_key"].isin(lanes)]
    lane_label = _lane_labels(e, lanes, lang)
    open_ended = e["restored_at"].isna() | (e["restored_at"] > as_of_ts)
    bar_end = e["restored_at"].where(~open_ended, as_of_ts)
    data = pd.DataFrame(
        {
            "lane": [lane_label[k] for k in e["_key"]],
            "item_id": e["item_id"].astype("str").to_numpy(),
            "order_id": e["order_id"].astype("str").to_numpy(),
            "n_items": e["_n"].astype("int64").to_numpy(),
            "withheld_at": e["withheld_at"].to_numpy(),
            "restored_at": e["restored_at"].to_numpy(),
            "bar_end": bar_end.to_numpy(),
            "open_ended": open_ended.to_numpy(dtype=bool),
            "duration": (
                pd.to_numeric(e["duration"]).to_numpy(dtype="float64")
                if "duration" in e.columns
                else np.nan
            ),
            "unit": e["unit"].astype("str").to_numpy() if "unit" in e.columns else pd.NA,
            "reblocked_at": e["reblocked_at"].to_numpy(),
        }
    )
    for c in ("withheld_at", "restored_at", "bar_end", "reblocked_at"):
        data[c] = in_zone(data[c], tz)
    data["unit"] = data["unit"].astype("str")
    return Timeline(data, [lane_label[k] for k in lanes], total_lanes)


def _with_lane_keys(episodes_df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The episodes with a block time, times local, sorted by block time, each with its lane
    key (``item:<id>``, or ``agg:<order>:<n>`` for unnamed groups), size, approximate flag
    and order id (blank when none)."""
    e = episodes_df.loc[episodes_df["withheld_at"].notna()].copy()
    e["withheld_at"] = in_zone(e["withheld_at"], tz)
    e["restored_at"] = in_zone(e["restored_at"], tz)
    reblocked = (
        e["reblocked_at"] if "reblocked_at" in e.columns else pd.Series(pd.NaT, index=e.index)
    )
    e["reblocked_at"] = in_zone(reblocked, tz)
    n_items = (
        pd.to_numeric(e["n_items"]).fillna(1).astype("int64")
        if "n_items" in e.columns
        else pd.Series(1, index=e.index)
    )
    approx_col = next(
        (c for c in ("approximate", "n_items_is_approximate") if c in e.columns), None
    )
    approx = (
        e[approx_col].fillna(False).astype("bool")
        if approx_col
        else pd.Series(False, index=e.index)
    )
    named = e["item_id"].notna()
    order = e["order_id"].astype("str").where(e["order_id"].notna(), "")
    key = np.where(
        named,
        "item:" + e["item_id"].astype("str"),
        "agg:" + order + ":" + n_items.astype("str"),
    )
    e = e.assign(_key=key, _n=n_items.to_numpy(), _approx=approx.to_numpy(), _order=order)
    return e.sort_values(["withheld_at", "_key"], kind="stable")


def _lane_labels(e: pd.DataFrame, lanes: list[str], lang: str) -> dict[str, str]:
    """Lane key -> label: the item id, or "~250 items (order X)" for an unnamed group."""
    lane_label = {}
    for k in lanes:
        row = e.loc[e["_key"] == k].iloc[0]
        if k.startswith("item:"):
            lane_label[k] = str(row["item_id"])
        else:
            n = ("~" if row["_approx"] else "") + f"{int(row['_n']):,}"
            lane_label[k] = (
                label("n_items_lane", lang, n=n, order=row["_order"])
                if row["_order"]
                else label("n_items_lane_no_order", lang, n=n)
            )
    return lane_label


def draw_reversals(drawn: Canvas, timeline: Timeline, annotations: Iterable) -> None:
    """The spans, their end marks and durations, the lanes, the legend and the key events."""
    ax, lang, data, lanes = drawn.ax, drawn.lang, timeline.data, timeline.lanes
    marks = drawn.marks(annotations)
    ypos = {lane: i for i, lane in enumerate(lanes)}
    y = data["lane"].map(ypos).to_numpy()
    x0 = date_numbers(data["withheld_at"])
    x1 = date_numbers(data["bar_end"])
    xs = [*x0, *x1, *(m[0] for m in marks)]
    span = (np.nanmax(xs) - np.nanmin(xs)) or 1.0
    widths = np.maximum(x1 - x0, 0.006 * span)  # a same-day reversal stays visible
    handles = _draw_spans(ax, data, y, x0, x1, widths, lang)
    _label_durations(ax, data, y, x0, widths, lang)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    pad_xlim(ax, [*xs, float(date_numbers([drawn.as_of])[0])], pad=0.08)
    date_axis(ax.xaxis, lang, drawn.tz)
    legend_below(drawn.layout, handles)
    annotate(ax, marks)


def _draw_spans(
    ax: Axes,
    data: pd.DataFrame,
    y: np.ndarray,
    x0: np.ndarray,
    x1: np.ndarray,
    widths: np.ndarray,
    lang: str,
) -> list:
    """Bars (open spans lighter, with an arrow at the data date), restoration ticks and
    re-block diamonds; returns the legend handles for what was drawn."""
    opened = data["open_ended"].to_numpy()
    color = PALETTE[0]
    ax.barh(y[~opened], widths[~opened], left=x0[~opened], height=0.5, color=color, zorder=2)
    ax.barh(
        y[opened],
        widths[opened],
        left=x0[opened],
        height=0.5,
        color=color,
        alpha=0.45,
        zorder=2,
    )
    handles = [Patch(facecolor=color, label=label("withheld", lang))]
    restored = ~opened & data["restored_at"].notna().to_numpy()
    if restored.any():
        restored_color = EVENT_COLORS["restored"]
        ax.plot(
            x0[restored] + widths[restored],
            y[restored],
            color=restored_color,
            zorder=3,
            **_RESTORED_MARK,
        )
        handles.append(
            Line2D([], [], color=restored_color, label=label("restored", lang), **_RESTORED_MARK)
        )
    if opened.any():
        ax.plot(x1[opened], y[opened], color=color, zorder=3, **_OPEN_MARK)
        handles.append(
            Line2D(
                [], [], color=color, alpha=0.8, label=label("still_withheld", lang), **_OPEN_MARK
            )
        )
    reb = date_numbers(data["reblocked_at"])
    has_reb = np.isfinite(reb)
    if has_reb.any():
        reblocked_color = EVENT_COLORS["reblocked"]
        ax.plot(reb[has_reb], y[has_reb], color=reblocked_color, zorder=4, **_REBLOCKED_MARK)
        handles.append(
            Line2D([], [], color=reblocked_color, label=label("reblocked", lang), **_REBLOCKED_MARK)
        )
    return handles


def _label_durations(
    ax: Axes, data: pd.DataFrame, y: np.ndarray, x0: np.ndarray, widths: np.ndarray, lang: str
) -> None:
    """How long each closed span lasted ("6 h", "same day"), just after its end."""
    opened = data["open_ended"].to_numpy()
    for xe, w, yy, dur, un, op in zip(
        x0, widths, y, data["duration"], data["unit"], opened, strict=True
    ):
        text = None if op else duration_text(dur, un, lang)
        if text:
            ax.annotate(
                text,
                xy=(xe + w, yy),
                xytext=(6, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=8,
                color=MUTED,
            )
