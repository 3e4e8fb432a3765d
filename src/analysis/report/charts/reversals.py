"""The reversals chart: what was blocked and then restored, zoomed to the hours that matter.

A block lifted within hours is invisible on a ten-year axis, so the chart has two parts:

- **Context**: the number of items withheld at each moment over the whole period, with each
  reversal marked by a letter (A, B, C...).
- **Zoom**: one panel per reversal (episodes restored close together in time form one), on its
  own time axis from just before the first block to just after the last restoration: one lane
  per item (or aggregate group), a bar while it was withheld, how long that lasted, and when it
  was blocked again. Only the largest reversals and lanes are drawn; a note says how many more
  items are in the chart's data file ("and 1,296 more in reversals.csv").

:func:`reversal_data` turns the episodes table into exactly the frame the chart saves as CSV
(every episode, with the panel and lane it is drawn in, if any); :func:`draw_reversals` draws
it; :func:`reversal_timeline` does both inside the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.core.times import DEFAULT_TZ, in_zone, local_instant
from analysis.report.charts.axes import date_axis, date_numbers, row_names, thousands
from analysis.report.charts.frame import (
    Canvas,
    Chart,
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
from analysis.report.charts.style import EVENT_COLORS, MUTED, PALETTE, TEXT_COLOR, size_of
from analysis.report.wording import fmt_date_short, fmt_int, label

#: Reversal panels and lanes per panel drawn at most, per size.
_PANELS = {"wide": 3, "narrow": 2}
_LANES = {"wide": 6, "narrow": 4}
#: Pixels: the context panel, one lane (a phone's lane has its label above the bar).
_CONTEXT_H = {"wide": 110.0, "narrow": 100.0}
_LANE_H = {"wide": 30.0, "narrow": 46.0}
#: Episodes restored within this long of each other's span form one panel.
_GAP = pd.Timedelta(days=1)
#: Marker styles, on the lanes and in the legend.
_RESTORED_MARK = {"linestyle": "", "marker": "|", "markersize": 13, "markeredgewidth": 2.4}
_REBLOCKED_MARK = {"linestyle": "", "marker": "D", "markersize": 6}
#: The columns of the chart's data, in order.
COLUMNS = [
    "lane",
    "item_id",
    "order_id",
    "n_items",
    "withheld_at",
    "restored_at",
    "bar_end",
    "open_ended",
    "duration",
    "unit",
    "reblocked_at",
    "reversed",
    "panel",
    "shown",
]


@dataclass
class Timeline:
    """What the chart draws: ``data`` (every episode, see :func:`reversal_data`), the panels
    in order (letter, first block, items restored in it) and the reversed items not drawn."""

    data: pd.DataFrame
    panels: list[tuple[str, pd.Timestamp, float]]
    items_left_out: float

    @property
    def lanes(self) -> list[str]:
        """The lanes drawn, panel by panel, top to bottom."""
        shown = self.data.loc[self.data["shown"]]
        return list(dict.fromkeys(shown["lane"]))


@drawing
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
    max_lanes: int | None = None,
    data_name: str | None = None,
    size: str = "wide",
    frame: bool = True,
) -> Chart:
    """Items withheld over time with each reversal marked, and one zoomed panel per reversal.

    ``episodes_df`` is :func:`analysis.metrics.reversals.episodes` output: ``item_id``,
    ``order_id``, ``withheld_at``, ``restored_at``, and if present ``duration``, ``unit``,
    ``reblocked_at``, ``n_items``, ``basis``, ``approximate``. An episode is a **reversal** when
    it was restored by ``as_of``. Named items are labelled with their item id (pseudonyms come
    from analysis.report.privacy); groups without names with their size and order ("~250 items
    (order IN-MeitY-2021-01-31)"). At most ``max_lanes`` lanes per panel are drawn (by default
    6, on a phone 4), the largest first; ``data_name`` names the data file in the note that
    says how many more there are. ``annotations`` are accepted for compatibility and not drawn
    (the context panel shows the whole span). ``size``: ``wide`` or ``narrow``;
    ``frame=False`` leaves out the title, subtitle and source line.

    Returns a :class:`.frame.Chart` whose data is :func:`reversal_data`'s.
    """
    s = size_of(size)
    lanes_cap = max_lanes if max_lanes is not None else _LANES[s.name]
    timeline = reversal_data(
        episodes_df, as_of=as_of, lang=lang, tz=tz, max_lanes=lanes_cap, max_panels=_PANELS[s.name]
    )
    data = timeline.data
    panels = timeline.panels
    heights = [_CONTEXT_H[s.name]]
    for letter, _, _ in panels:
        n = data.loc[data["shown"] & (data["panel"] == letter), "lane"].nunique()
        heights.append(_LANE_H[s.name] * n + 26.0)
    notes = []
    if not data.empty and not panels:
        notes.append(label("no_reversals", lang))
    if timeline.items_left_out > 0:
        file = f"{data_name}.csv" if data_name else label("the_data_file", lang)
        notes.append(label("more_in_csv", lang, n=fmt_int(timeline.items_left_out), file=file))
    with canvas(
        data,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height=sum(heights) + 200,
        height_ratios=heights,
        size=s,
        frame=frame,
        note="; ".join(notes) or None,
    ) as drawn:
        if not drawn.empty:
            draw_reversals(drawn, timeline)
    return Chart(
        drawn.figure,
        data,
        title=title,
        subtitle=subtitle,
        source=source_line(source, as_of, lang, tz),
        description=_describe(timeline, lang, tz),
        names_data=timeline.items_left_out > 0,
    )


def reversal_data(
    episodes_df: pd.DataFrame,
    *,
    as_of,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
    max_lanes: int = 6,
    max_panels: int = 3,
) -> Timeline:
    """Every episode with a block time, and where the chart draws it.

    One lane per named item, and one per order and size of unnamed (aggregate) episodes.
    Reversals (restored by ``as_of``) that overlap or lie within a day of each other form a
    panel; panels are ranked by the items they restored (most first) and the first
    ``max_panels`` get letters in time order; in each, the ``max_lanes`` lanes with the most
    items are drawn. The frame has :data:`COLUMNS`: ``lane``, ``item_id``, ``order_id``,
    ``n_items`` (missing: 1), ``withheld_at``, ``restored_at``, ``bar_end`` (the restoration,
    or ``as_of`` when still withheld then), ``open_ended``, ``duration``, ``unit``,
    ``reblocked_at``, ``reversed``, ``panel`` (its letter, blank when not drawn) and ``shown``;
    times are local in ``tz``, rows in order of block time. Raises ``ValueError`` when a needed
    column is missing.
    """
    require(episodes_df, ["item_id", "order_id", "withheld_at", "restored_at"], "reversal_timeline")
    as_of_ts = local_instant(as_of, tz)
    e = _with_lane_keys(episodes_df, tz)
    lane_label = _lane_labels(e, list(dict.fromkeys(e["_key"])), lang)
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
    data["reversed"] = ~data["open_ended"].to_numpy(dtype=bool) & data["restored_at"].notna()
    data["panel"] = ""
    data["shown"] = False
    panels = _panels(data, max_panels)
    for letter, rows in panels:
        part = data.loc[rows]
        lanes = (
            part.assign(_i=np.arange(len(part)))
            .groupby("lane", sort=False)
            .agg(items=("n_items", "sum"), first=("_i", "min"))
            .sort_values(["items", "first"], ascending=[False, True], kind="stable")
        )
        keep = set(lanes.index[:max_lanes])
        data.loc[rows, "panel"] = letter
        data.loc[rows, "shown"] = part["lane"].isin(keep).to_numpy()
    reversed_items = float(data.loc[data["reversed"], "n_items"].sum())
    shown_items = float(data.loc[data["shown"], "n_items"].sum())
    info = [
        (letter, data.loc[rows, "withheld_at"].min(), float(data.loc[rows, "n_items"].sum()))
        for letter, rows in panels
    ]
    return Timeline(data[COLUMNS], info, reversed_items - shown_items)


def _panels(data: pd.DataFrame, limit: int) -> list[tuple[str, pd.Index]]:
    """Reversals grouped into panels: sorted by block time, a reversal starting within
    :data:`_GAP` of the panel's last restoration joins it. The ``limit`` panels restoring the
    most items are kept, lettered in time order."""
    rev = data.loc[data["reversed"]].sort_values("withheld_at", kind="stable")
    groups: list[list] = []
    end = None
    for index, row in rev.iterrows():
        if end is None or row["withheld_at"] > end + _GAP:
            groups.append([index])
            end = row["restored_at"]
        else:
            groups[-1].append(index)
            end = max(end, row["restored_at"])
    ranked = sorted(
        range(len(groups)),
        key=lambda g: (-float(data.loc[groups[g], "n_items"].sum()), g),
    )[:limit]
    letters = string.ascii_uppercase
    return [(letters[i], pd.Index(groups[g])) for i, g in enumerate(sorted(ranked))]


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
    first = e.drop_duplicates("_key").set_index("_key")
    for k in lanes:
        row = first.loc[k]
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


def draw_reversals(drawn: Canvas, timeline: Timeline) -> None:
    """The context panel, one zoomed panel per reversal, the legend."""
    handles = _draw_context(drawn, drawn.axes[0], timeline)
    zoom_handles: dict[str, object] = {}
    lane_texts = []
    for ax, (letter, start, items) in zip(drawn.axes[1:], timeline.panels, strict=True):
        part = timeline.data.loc[timeline.data["shown"] & (timeline.data["panel"] == letter)]
        used, texts = _draw_panel(drawn, ax, letter, start, items, part)
        zoom_handles.update(used)
        lane_texts.append((ax, texts))
    legend_below(drawn.layout, handles + list(zoom_handles.values()))
    drawn.fit()
    settle(drawn.figure)
    for ax, texts in lane_texts:
        _label_lanes(drawn, ax, texts)
    _letter_marks(drawn, drawn.axes[0], timeline)


def _withheld_over_time(data: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """(date numbers, items withheld from then on): a step function over the whole period."""
    start = date_numbers(data["withheld_at"])
    end = date_numbers(data["restored_at"].where(data["reversed"]))
    n = data["n_items"].to_numpy(dtype="float64")
    times = np.r_[start, end[np.isfinite(end)]]
    change = np.r_[n, -n[np.isfinite(end)]]
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(change[order])
    last = float(date_numbers([as_of])[0])
    times = np.r_[times, max(last, times.max())]
    level = np.r_[level, level[-1]]
    return times, np.maximum(level, 0)


def _draw_context(drawn: Canvas, ax: Axes, timeline: Timeline) -> list:
    """Items withheld at each moment over the whole period, reversals marked."""
    lang, data = drawn.lang, timeline.data
    x, level = _withheld_over_time(data, drawn.as_of)
    color = PALETTE[0]
    ax.fill_between(x, 0, level, step="post", color=color, alpha=0.25, linewidth=0, zorder=1)
    ax.step(x, level, where="post", color=color, linewidth=1.6, zorder=2)
    for letter, _, _ in timeline.panels:
        rows = data.loc[data["panel"] == letter]
        x0 = float(date_numbers([rows["withheld_at"].min()])[0])
        x1 = float(date_numbers([rows["restored_at"].max()])[0])
        ax.axvspan(x0, max(x1, x0), color=EVENT_COLORS["restored"], alpha=0.35, linewidth=0)
        ax.axvline((x0 + x1) / 2, color=EVENT_COLORS["restored"], linewidth=1.4, zorder=3)
    span = float(x.max() - x.min()) or 1.0
    ax.set_xlim(x.min() - 0.02 * span, x.max() + 0.02 * span)
    # Headroom: the reversal letters sit inside the top of the panel.
    ax.set_ylim(0, max(1.0, float(level.max())) * 1.45)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    date_axis(ax.xaxis, lang, drawn.tz, maxticks=4 if drawn.narrow else 8)
    panel_title(drawn, ax, label("context_withheld", lang))
    return [Patch(facecolor=color, alpha=0.5, label=label("withheld", lang))]


def _letter_marks(drawn: Canvas, ax: Axes, timeline: Timeline) -> None:
    """The reversal letters above the context panel, over their times, moved apart so none
    overlap."""
    if not timeline.panels:
        return
    settle(ax.figure)
    data = timeline.data
    centres = []
    for letter, _, _ in timeline.panels:
        rows = data.loc[data["panel"] == letter]
        x0 = float(date_numbers([rows["withheld_at"].min()])[0])
        x1 = float(date_numbers([rows["restored_at"].max()])[0])
        centres.append(ax.transData.transform(((x0 + x1) / 2, 0))[0])
    box = ax.get_window_extent()
    width = drawn.size.text * 1.1
    xs = dodge(centres, width, box.x0 + width / 2, box.x1 - width / 2, gap=4)
    for (letter, _, _), x in zip(timeline.panels, xs, strict=True):
        ax.annotate(
            letter,
            xy=(float(ax.transData.inverted().transform((x, 0))[0]), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=drawn.size.text,
            fontweight="bold",
            color=EVENT_COLORS["restored"],
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            annotation_clip=False,
        ).set_in_layout(False)


def _date_only(part: pd.DataFrame) -> np.ndarray:
    """Episodes known only by date (blocked and restored at local midnights, measured in days):
    they are drawn as whole days, since the hours are not known."""
    start, end = part["withheld_at"], part["bar_end"]
    return (
        (start == start.dt.normalize()) & (end == end.dt.normalize()) & (part["unit"] == "days")
    ).to_numpy(dtype=bool)


def _window(part: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) of a panel: from its first block to its last restoration (the end of that
    day for an episode known only by date), padded on both sides."""
    ends = part["bar_end"] + pd.to_timedelta(np.where(_date_only(part), 1, 0), unit="D")
    start, end = part["withheld_at"].min(), ends.max()
    span = end - start
    whole = bool(_date_only(part).all())
    pad = max(span * 0.12, pd.Timedelta(days=1) if whole else pd.Timedelta(hours=2))
    return start - pad, end + pad


def _draw_panel(
    drawn: Canvas, ax: Axes, letter: str, start: pd.Timestamp, items: float, part: pd.DataFrame
) -> tuple[dict[str, object], list[tuple[float, float, float, str]]]:
    """One reversal, zoomed: a lane per item or group, withheld spans as bars, restorations and
    re-blocks; returns the legend handles it used and, per lane, (y, bar start, bar end, text)
    for :func:`_label_lanes` (how long it lasted, when it was blocked again)."""
    lang = drawn.lang
    lanes = list(dict.fromkeys(part["lane"]))
    ypos = {lane: i for i, lane in enumerate(lanes)}
    y = part["lane"].map(ypos).to_numpy(dtype="float64")
    lo, hi = _window(part)
    x_lo, x_hi = date_numbers([lo, hi])
    x0 = date_numbers(part["withheld_at"])
    x1 = date_numbers(part["bar_end"])
    # A date-only reversal lasted "some time within that day": drawn as the whole day, lighter.
    within_day = _date_only(part) & (x1 - x0 < 1.0)
    x1 = np.where(within_day, x0 + 1.0, x1)
    width = np.maximum(x1 - x0, 0.004 * (x_hi - x_lo))
    color = PALETTE[0]
    height = 0.42 if drawn.narrow else 0.56
    ax.barh(
        y[~within_day],
        width[~within_day],
        left=x0[~within_day],
        height=height,
        color=color,
        zorder=2,
        linewidth=0,
    )
    handles: dict[str, object] = {}
    if within_day.any():
        ax.barh(
            y[within_day],
            width[within_day],
            left=x0[within_day],
            height=height,
            color=color,
            alpha=0.4,
            hatch="///",
            zorder=2,
            linewidth=0,
        )
        handles["day"] = Patch(
            facecolor=color, alpha=0.4, hatch="///", label=label("within_the_day", lang)
        )
    restored = part["reversed"].to_numpy(dtype=bool)
    ends = np.where(within_day, x1, date_numbers(part["restored_at"]))
    ax.plot(ends[restored], y[restored], color=EVENT_COLORS["restored"], zorder=3, **_RESTORED_MARK)
    handles["restored"] = Line2D(
        [], [], color=EVENT_COLORS["restored"], label=label("restored", lang), **_RESTORED_MARK
    )
    reb = date_numbers(part["reblocked_at"])
    inside = np.isfinite(reb) & (reb <= x_hi)
    if inside.any():
        ax.plot(
            reb[inside], y[inside], color=EVENT_COLORS["reblocked"], zorder=4, **_REBLOCKED_MARK
        )
        handles["reblocked"] = Line2D(
            [],
            [],
            color=EVENT_COLORS["reblocked"],
            label=label("reblocked", lang),
            **_REBLOCKED_MARK,
        )
    texts = []
    for yy, begin, end, dur, unit, again, drawn_here, when in zip(
        y, x0, ends, part["duration"], part["unit"], reb, inside, part["reblocked_at"], strict=True
    ):
        text = duration_text(dur, unit, lang) or ""
        if np.isfinite(again) and not drawn_here:
            later = label("blocked_again", lang, date=fmt_date_short(when, lang))
            text = f"{text} · {later}" if text else later
        if text and np.isfinite(end):
            texts.append((float(yy), float(begin), float(end), text))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(len(lanes) - 0.5, -0.5 - (0.35 if drawn.narrow else 0.0))
    names = [shorten(lane, 40) for lane in lanes]
    row_names(ax, range(len(lanes)), names, narrow=drawn.narrow, size=drawn.size.small,
              above=height / 2)  # fmt: skip
    ax.tick_params(axis="y", colors=TEXT_COLOR)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    date_axis(ax.xaxis, lang, drawn.tz, maxticks=3 if drawn.narrow else 6)
    title = f"{letter}: {fmt_date_short(start, lang)}"
    restored_text = label("items_restored", lang, n=fmt_int(items))
    panel_title(drawn, ax, f"{title} · {restored_text}")
    return handles, texts


def _label_lanes(drawn, ax: Axes, texts: list[tuple[float, float, float, str]]) -> None:
    """Each lane's text after its bar, or before it when there is no room on the right; when
    neither fits, the text without the re-block date; else none (once the layout is final, so
    the room is known)."""
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    right = ax.figure.bbox.x1 - 4
    for y, begin, end, text in texts:
        short = text.split(" · ")[0]
        tries = [(text, end, 8, "left"), (text, begin, -8, "right")]
        if short != text:
            tries += [(short, end, 8, "left"), (short, begin, -8, "right")]
        artist = ax.annotate(
            text,
            xy=(end, y),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=drawn.size.small,
            color=MUTED,
            annotation_clip=False,
        )
        artist.set_in_layout(False)
        for candidate, x, dx, ha in tries:
            artist.set_text(candidate)
            artist.xy = (x, y)
            artist.xyann = (dx, 0)
            artist.set_ha(ha)
            extent = artist.get_window_extent(renderer)
            if extent.x0 >= box.x0 and extent.x1 <= right:
                break
        else:
            artist.remove()


def _describe(timeline: Timeline, lang: str, tz: str) -> str:
    data = timeline.data
    if data.empty:
        return label("no_data", lang)
    return label(
        "describe_reversals",
        lang,
        first=fmt_date_short(data["withheld_at"].min(), lang),
        last=fmt_date_short(data["bar_end"].max(), lang),
        k=fmt_int(len(timeline.panels)),
        lanes=fmt_int(len(timeline.lanes)),
    )
