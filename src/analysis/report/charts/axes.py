"""Time and number axes in the chart's language: date numbers, date ticks, thousands, x padding.

Times: the canonical tables hold UTC; matplotlib's date numbers are days since the epoch in UTC,
and the tick labels show local time in ``tz`` (India by default).
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter

from analysis.report.charts.style import TEXT_COLOR
from analysis.report.wording import fmt_date_short, labels_for


def date_numbers(values) -> np.ndarray:
    """Matplotlib date numbers (days since the epoch, UTC) for tz-aware timestamps; NaT -> NaN.

    Naive timestamps are taken as UTC.
    """
    s = pd.Series(values)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    s = s.astype("datetime64[us]")
    nums = (s - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype="float64") / 86400
    return nums


class HouseDateFormatter(Formatter):
    """Date tick labels with month names in the chart's language (``31 Jan 2021``,
    ``31 जनवरी 2021``), showing the year only where it first appears or changes."""

    def __init__(self, lang: str, tz: str):
        self.lang = lang
        self.tz = tz
        self.months = labels_for(lang)["months"]

    def _ts(self, x: float) -> pd.Timestamp:
        return pd.Timestamp(mdates.num2date(x, tz="UTC")).tz_convert(self.tz)

    def __call__(self, x, pos=None) -> str:
        ts = self._ts(x)
        text = fmt_date_short(ts, self.lang)
        if ts != ts.normalize():
            text += f" {ts:%H:%M}"
        return text

    def format_ticks(self, values) -> list[str]:
        stamps = [self._ts(v) for v in values]
        if not stamps:
            return []
        midnight = all(t == t.normalize() for t in stamps)
        first_of_month = midnight and all(t.day == 1 for t in stamps)
        if first_of_month and all(t.month == 1 for t in stamps):
            return [str(t.year) for t in stamps]
        out, prev = [], None
        for t in stamps:
            new_year = prev is None or t.year != prev.year
            new_day = prev is None or t.normalize() != prev.normalize()
            if first_of_month:
                text = self.months[t.month - 1] + (f" {t.year}" if new_year else "")
            elif midnight:
                text = fmt_date_short(t, self.lang, year=new_year)
            else:
                text = f"{t:%H:%M}"
                if new_day:
                    text = fmt_date_short(t, self.lang, year=new_year) + "\n" + text
            out.append(text)
            prev = t
        return out


def date_axis(axis, lang: str, tz: str, maxticks: int = 7) -> None:
    """Between 3 (fewer when ``maxticks`` is smaller) and ``maxticks`` date ticks on ``axis``,
    labelled by :class:`HouseDateFormatter`."""
    locator = mdates.AutoDateLocator(tz=tz, minticks=min(3, maxticks), maxticks=maxticks)
    # Longer steps than matplotlib offers, so any span (a few hours to ten years) finds one that
    # gives few enough ticks; without them the locator warns and picks one itself.
    locator.intervald[mdates.MINUTELY] = [1, 5, 10, 15, 30, 60, 120]
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24, 48]
    locator.intervald[mdates.DAILY] = [1, 2, 3, 7, 14, 21, 28, 56]
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12, 24]
    axis.set_major_locator(locator)
    axis.set_major_formatter(HouseDateFormatter(lang, tz))


def thousands(x, pos=None) -> str:
    """A tick label with thousands separators and no decimals: ``1,178``."""
    return f"{x:,.0f}"


def pad_xlim(ax, xs: Iterable[float], pad: float = 0.04) -> None:
    """Set the x range to the finite values of ``xs`` plus ``pad`` of their span on each side
    (NaN and infinities ignored; nothing is changed when none is finite)."""
    values = np.array([x for x in xs if np.isfinite(x)], dtype="float64")
    if not len(values):
        return
    lo, hi = float(values.min()), float(values.max())
    span = (hi - lo) or 1.0
    ax.set_xlim(lo - pad * span, hi + pad * span)


def row_names(ax: Axes, rows: Iterable[float], names: list[str], *, narrow: bool, size: float,
              above: float) -> None:  # fmt: skip
    """The names of a chart's rows (bars, lanes): as y tick labels beside the plot when wide; on
    a phone, where there is no room beside the bars, each name sits above its row, from the
    left edge, ``above`` data units over the row's centre, in ``size`` points."""
    rows = list(rows)
    if not narrow:
        ax.set_yticks(rows, names)
        return
    for y, name in zip(rows, names, strict=True):
        ax.annotate(
            name,
            xy=(0, y - above),
            xycoords=("axes fraction", "data"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=size,
            color=TEXT_COLOR,
            annotation_clip=False,
        )
    ax.set_yticks([])
