"""The compliance-lag chart: Kaplan-Meier curves of the share of items not yet acted on.

:func:`survival_data` turns the Kaplan-Meier tables into exactly the frame the chart draws and
saves as CSV; :func:`draw_survival` draws it; :func:`survival_chart` does both inside the one
chart set-up (:func:`.frame.canvas`).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from analysis.core.times import DEFAULT_TZ
from analysis.report.charts.frame import (
    Canvas,
    Chart,
    annotate,
    canvas,
    duration_text,
    legend_below,
    require,
)
from analysis.report.charts.style import EVENT_COLORS, PALETTE
from analysis.report.wording import label

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
_PCT = ["pct_not_actioned", "ci_lower_pct", "ci_upper_pct"]
#: How a censoring mark looks, on the curves and in the legend.
_CENSOR_MARK = {"linestyle": "", "marker": "+", "markersize": 9, "markeredgewidth": 1.6}


def survival_chart(
    curves: Mapping[str, pd.DataFrame],
    *,
    deadline: float | None = None,
    unit: str = "hours",
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
) -> Chart:
    """Kaplan-Meier step curves of the share of items **not yet actioned**, one per order.

    ``curves`` maps a series label (e.g. the order id) to a table from
    :func:`analysis.metrics.lag.survival_curve` (``time``, ``survival``, ``ci_lower``,
    ``ci_upper``, ``censored``; ``at_risk`` and ``events`` if present). Each curve starts at 100%
    at time 0; its 95% pointwise band is shaded; ``+`` marks times where items were censored (still
    waiting at the data date). ``deadline`` (in ``unit``, ``"hours"`` or ``"days"``) is drawn as a
    dashed vertical line.

    Returns a :class:`.frame.Chart` whose data is :func:`survival_data`'s.
    """
    data = survival_data(curves, unit=unit)
    with canvas(
        data, title=title, subtitle=subtitle, source=source, as_of=as_of, lang=lang, tz=tz
    ) as drawn:
        if not drawn.empty:
            draw_survival(drawn, data, deadline=deadline, unit=unit)
    return Chart(drawn.figure, data)


def survival_data(curves: Mapping[str, pd.DataFrame], *, unit: str = "hours") -> pd.DataFrame:
    """The frame the lag chart draws: :data:`COLUMNS`, one row per time per curve, the curves in
    the order given.

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


def draw_survival(drawn: Canvas, data: pd.DataFrame, *, deadline: float | None, unit: str) -> None:
    """The curves, their legend under the axes, the axes, and the deadline line."""
    ax, lang = drawn.ax, drawn.lang
    handles = _draw_curves(ax, data)
    handles.append(Patch(facecolor="#888888", alpha=0.3, label=label("confidence_band", lang)))
    if (data["censored"] > 0).any():
        handles.append(
            Line2D([], [], color="#333333", label=label("censored", lang), **_CENSOR_MARK)
        )
    legend_below(drawn.layout, handles)
    _time_axis(ax, data, deadline, unit, lang)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator([0, 25, 50, 75, 100]))
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_ylabel(label("share_not_actioned", lang))
    ax.set_xlabel(label(f"{unit}_since_order", lang))
    ax.grid(axis="both")
    if deadline is not None:
        value = duration_text(deadline, unit, lang)
        text = label("deadline_value", lang, value=value)
        annotate(ax, [(float(deadline), text, EVENT_COLORS["deadline"], "deadline")])


def _draw_curves(ax: Axes, data: pd.DataFrame) -> list:
    """One step curve per series with its shaded band and censoring marks; returns a legend
    handle per series."""
    handles = []
    for i, name in enumerate(dict.fromkeys(data["series"])):
        part = data.loc[data["series"] == name]
        color = PALETTE[i % len(PALETTE)]
        x = part["time"].to_numpy()
        if x[0] == 0 and part["pct_not_actioned"].iloc[0] < 100:
            # Items actioned at the moment of the order: the curve drops at time 0.
            x = np.r_[0.0, x]
            ys = [np.r_[100.0, part[c].to_numpy()] for c in _PCT]
        else:
            ys = [part[c].to_numpy() for c in _PCT]
        ax.fill_between(
            x, ys[1], ys[2], step="post", color=color, alpha=0.18, linewidth=0, zorder=1
        )
        ax.step(x, ys[0], where="post", color=color, zorder=3)
        cens = part.loc[part["censored"] > 0]
        ax.plot(cens["time"], cens["pct_not_actioned"], color=color, zorder=4, **_CENSOR_MARK)
        handles.append(Line2D([], [], color=color, label=name))
    return handles


def _time_axis(ax: Axes, data: pd.DataFrame, deadline: float | None, unit: str, lang: str) -> None:
    """The time axis runs to :func:`survival_horizon`; when curves go on beyond it, a note in
    the corner says how far."""
    last = float(data["time"].max())
    xmax = survival_horizon(data, deadline, unit)
    ax.set_xlim(0, (xmax or 1.0) * 1.05)
    if last > xmax * 1.05:
        # Long flat tails (items censored months later) would squash the part that matters;
        # the axis stops after the last action and says where the curves end.
        ax.text(
            0.99,
            0.97,
            label("continues", lang, value=duration_text(last, unit, lang)),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=mpl.rcParams["xtick.labelsize"],
            color="#444444",
        )


def survival_horizon(data: pd.DataFrame, deadline: float | None, unit: str) -> float:
    """How far the time axis runs: twice the last time anything was actioned (at least a week,
    or two days in hours, and past the deadline), never beyond the data."""
    last = float(data["time"].max())
    acted = data.loc[data["events"] > 0, "time"] if "events" in data else data["time"]
    horizon = 2 * float(acted.max()) if len(acted) else last
    horizon = max(horizon, 7.0 if unit == "days" else 48.0, 2 * float(deadline or 0))
    return min(horizon, last) if last else horizon
