"""The peers chart: the chosen country's transparency-report counts next to the busiest others.

:func:`peers_data` gives exactly the frame the chart draws and saves as CSV; :func:`draw_peers`
draws it; :func:`peers_chart` does both inside the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.core.times import DEFAULT_TZ, in_zone
from analysis.report.charts.axes import date_axis, date_numbers, thousands
from analysis.report.charts.frame import (
    Canvas,
    Chart,
    canvas,
    drawing,
    require,
    settle,
    source_line,
)
from analysis.report.charts.labels import dodge
from analysis.report.charts.style import PALETTE, size_of
from analysis.report.wording import fmt_int, label

#: Pixels: the height of the lines panel, per size.
_PANEL_H = {"wide": 320.0, "narrow": 260.0}

#: Colour of the countries that are not the chosen one.
_CONTEXT_GREY = "#9a9a9a"


@drawing
def peers_chart(
    peers: pd.DataFrame,
    *,
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
    """One line per country over reporting periods; the chosen country in colour, the rest grey.

    ``peers`` is :func:`analysis.report.questions.peer_comparison`'s table: ``country``,
    ``period_start``, ``period_end``, ``value``, ``bounded``, ``measure``, ``highlight``.
    Points whose value includes a bound (``<10``) are drawn hollow. The data CSV has the same
    columns with local dates (:func:`peers_data`). Each line is labelled at its end, the labels
    moved apart so none overlap. ``size``: ``wide`` or ``narrow``; ``frame=False`` leaves out
    the title, subtitle and source line.
    """
    data = peers_data(peers, tz=tz)
    s = size_of(size)
    with canvas(
        data,
        title=title,
        subtitle=subtitle,
        source=source,
        as_of=as_of,
        lang=lang,
        tz=tz,
        height_ratios=[_PANEL_H[s.name]],
        size=s,
        frame=frame,
    ) as drawn:
        if not drawn.empty:
            draw_peers(drawn, data)
    return Chart(
        drawn.figure,
        data,
        title=title,
        subtitle=subtitle,
        source=source_line(source, as_of, lang, tz),
        description=_describe(data, lang),
    )


def peers_data(peers: pd.DataFrame, *, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The peers table as drawn: the same rows and columns, ``period_start``/``period_end`` as
    local times in ``tz``. Raises ``ValueError`` when a column the chart needs is missing."""
    require(peers, ["country", "period_end", "value", "highlight"], "peers_chart")
    data = peers.copy()
    for column in ("period_start", "period_end"):
        if column in data:
            data[column] = in_zone(data[column], tz)
    return data


def draw_peers(drawn: Canvas, data: pd.DataFrame) -> None:
    """One line per country, labelled at its end (labels moved apart); bounded values hollow."""
    ax = drawn.ax
    ends = []
    for country, part in data.sort_values("period_end").groupby("country", sort=True):
        chosen = bool(part["highlight"].any())
        color = PALETTE[0] if chosen else _CONTEXT_GREY
        x = date_numbers(part["period_end"])
        ax.plot(
            x,
            part["value"],
            color=color,
            linewidth=2.6 if chosen else 1.2,
            zorder=3 if chosen else 2,
        )
        bounded = part["bounded"].to_numpy(dtype=bool) if "bounded" in part else None
        if bounded is not None and bounded.any():
            ax.plot(
                x[bounded],
                part["value"].to_numpy()[bounded],
                linestyle="",
                marker="o",
                markerfacecolor="white",
                color=color,
                zorder=4,
            )
        ends.append((str(country), float(x[-1]), float(part["value"].iloc[-1]), color, chosen))
    date_axis(ax.xaxis, drawn.lang, drawn.tz, maxticks=4 if drawn.narrow else 7)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    artists = [
        ax.annotate(
            country,
            (x, y),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            color=color,
            fontweight="bold" if chosen else "normal",
            fontsize=drawn.size.small,
            annotation_clip=False,
        )
        for country, x, y, color, chosen in ends
    ]
    drawn.fit()
    settle(drawn.figure)
    if artists:
        renderer = drawn.figure.canvas.get_renderer()
        wish = np.array([ax.transData.transform((x, y))[1] for _, x, y, _, _ in ends])
        heights = np.array([a.get_window_extent(renderer).height for a in artists])
        box = ax.get_window_extent(renderer)
        placed = dodge(wish, heights, box.y0, box.y1)
        for artist, target, y in zip(artists, wish, placed, strict=True):
            artist.xyann = (5, (y - target) * 72 / drawn.figure.dpi)


def _describe(data: pd.DataFrame, lang: str) -> str:
    if data.empty:
        return label("no_data", lang)
    chosen = data.loc[data["highlight"].astype(bool), "country"]
    measure = str(data["measure"].iloc[0]) if "measure" in data.columns else ""
    return label(
        "describe_peers",
        lang,
        measure=measure,
        n=fmt_int(data["country"].nunique()),
        country=str(chosen.iloc[0]) if len(chosen) else "-",
    )
