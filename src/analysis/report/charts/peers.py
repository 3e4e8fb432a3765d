"""The peers chart: the chosen country's transparency-report counts next to the busiest others.

:func:`peers_data` gives exactly the frame the chart draws and saves as CSV; :func:`draw_peers`
draws it; :func:`peers_chart` does both inside the one chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.core.times import DEFAULT_TZ, in_zone
from analysis.report.charts.axes import date_axis, date_numbers, thousands
from analysis.report.charts.frame import Canvas, Chart, canvas, require
from analysis.report.charts.style import PALETTE

#: Colour of the countries that are not the chosen one.
_CONTEXT_GREY = "#9a9a9a"


def peers_chart(
    peers: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
) -> Chart:
    """One line per country over reporting periods; the chosen country in colour, the rest grey.

    ``peers`` is :func:`analysis.report.questions.peer_comparison`'s table: ``country``,
    ``period_start``, ``period_end``, ``value``, ``bounded``, ``measure``, ``highlight``.
    Points whose value includes a bound (``<10``) are drawn hollow. The data CSV has the same
    columns with local dates (:func:`peers_data`).
    """
    data = peers_data(peers, tz=tz)
    with canvas(
        data, title=title, subtitle=subtitle, source=source, as_of=as_of, lang=lang, tz=tz
    ) as drawn:
        if not drawn.empty:
            draw_peers(drawn, data)
    return Chart(drawn.figure, data)


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
    """One line per country, labelled at its end; bounded values hollow."""
    ax = drawn.ax
    for country, part in data.sort_values("period_end").groupby("country", sort=True):
        chosen = bool(part["highlight"].any())
        color = PALETTE[0] if chosen else _CONTEXT_GREY
        x = date_numbers(part["period_end"])
        ax.plot(
            x,
            part["value"],
            color=color,
            linewidth=2.4 if chosen else 1.1,
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
        ax.annotate(
            country,
            (x[-1], part["value"].iloc[-1]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            color=color,
            fontweight="bold" if chosen else "normal",
            fontsize=mpl.rcParams["xtick.labelsize"],
        )
    date_axis(ax.xaxis, drawn.lang, drawn.tz)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    drawn.layout.apply()
