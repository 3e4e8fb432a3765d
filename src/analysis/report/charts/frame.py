"""What every chart shares: the :class:`Chart` result and :func:`save`, and the frame around the
axes.

The frame is a **title that states the finding**, a **subtitle giving N and the method** (both
written by the caller, who knows the numbers) and a **source line** naming the data and the date
it describes; key events (order issued, blocked, restored, a deadline) are drawn as vertical lines
with short labels that never overlap. :func:`canvas` sets all of it up once: the house style, the
bundled font, a new figure, the frame, and the "No data" panel when there is nothing to draw.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.core.times import local_instant
from analysis.report.charts.axes import date_numbers
from analysis.report.charts.style import (
    DPI,
    EVENT_COLORS,
    FIGSIZE,
    MUTED,
    SAVE_DPI,
    TEXT_COLOR,
    house_rc,
    register_fonts,
)
from analysis.report.wording import label
from analysis.store.export import safe_csv

#: Annotation kinds whose label comes from :data:`analysis.report.wording.LABELS` (any other string
#: is drawn as given).
EVENT_KINDS = ("order_issued", "blocked", "restored", "reblocked", "deadline")

# ----------------------------------------------------------------------------------------------
# Result and saving
# ----------------------------------------------------------------------------------------------


@dataclass
class Chart:
    """A chart: the figure and the data it plotted (unpacks as ``fig, data``).

    ``extra`` holds further tables drawn in the same figure (e.g. the yearly context panel); they
    are saved as ``<name>-<key>.csv``.
    """

    figure: Figure
    data: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        yield self.figure
        yield self.data

    def save(self, out_dir: str | Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.png`` and ``<name>.csv`` (and the extra tables) into ``out_dir``."""
        return save(self.figure, self.data, out_dir, name, extra=self.extra)

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=SAVE_DPI)
        width, height = self.figure.get_size_inches() * DPI
        return buffer.getvalue(), {"width": int(width), "height": int(height)}


_NAME = re.compile(r"^[^/\\\x00]+$")


def save(
    fig: Figure,
    data: pd.DataFrame,
    out_dir: str | Path,
    name: str,
    *,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[Path, Path]:
    """Write the chart as ``<out_dir>/<name>.png`` (at 2x) and its data as ``<name>.csv``.

    The CSV is UTF-8, comma-separated, one header row (Datawrapper reads it as is). Times are
    local (the chart's time zone), written ``YYYY-MM-DD`` when every value is a midnight, else
    ``YYYY-MM-DD HH:MM``; missing values are empty. Text cells that a spreadsheet would run as a
    formula (starting with ``= + - @``) are prefixed with ``'``.
    """
    if not _NAME.match(name) or name in (".", ".."):
        raise ValueError(f"chart name {name!r} must be a file name, not a path")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{name}.png"
    csv_path = folder / f"{name}.csv"
    fig.savefig(png, dpi=SAVE_DPI)
    csv_path.write_bytes(_csv_text(data).encode("utf-8"))
    for key, frame in (extra or {}).items():
        (folder / f"{name}-{key}.csv").write_bytes(_csv_text(frame).encode("utf-8"))
    return png, csv_path


def _csv_text(data: pd.DataFrame) -> str:
    out = data.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = _format_times(out[column])
    return safe_csv(out)


def _format_times(values: pd.Series) -> pd.Series:
    present = values.dropna()
    midnight = bool((present == present.dt.normalize()).all()) if len(present) else True
    text = values.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    return text.astype("str").where(values.notna(), "")


# ----------------------------------------------------------------------------------------------
# The frame: title, subtitle, source line, and the band left for the axes
# ----------------------------------------------------------------------------------------------

_TITLE_SIZE = 13
_SUBTITLE_SIZE = 9.5
_SOURCE_SIZE = 8
_MARGIN_IN = 0.14


def _new_figure(height: float = FIGSIZE[1]) -> Figure:
    fig = Figure(figsize=(FIGSIZE[0], height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _wrap(text: str, width_px: float, fontsize: float, weight: str, renderer) -> str:
    """Greedy word wrap measured with the renderer (so Devanagari widths are exact)."""
    prop = font_manager.FontProperties(family=mpl.rcParams["font.family"], size=fontsize)
    prop.set_weight(weight)
    lines = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            w, _, _ = renderer.get_text_width_height_descent(candidate, prop, ismath=False)
            if line and w > width_px:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def source_line(source: str, as_of, lang: str, tz: str) -> str:
    """``Source: <source> | Data as of <local date of as_of>`` in the chart's language."""
    date = local_instant(as_of, tz).strftime("%Y-%m-%d")
    return f"{label('source', lang)}: {source} | {label('data_as_of', lang, date=date)}"


@dataclass
class Layout:
    """The band of the figure (in inches from the bottom) left for the axes."""

    fig: Figure
    bottom: float
    top: float

    def apply(self) -> None:
        """Tell the figure's layout engine to keep the axes inside the band."""
        height = self.fig.get_size_inches()[1]
        self.fig.get_layout_engine().set(
            rect=(0, self.bottom / height, 1, (self.top - self.bottom) / height),
            h_pad=0.06,
            w_pad=0.06,
        )


def _draw_frame(
    fig: Figure, *, title: str, subtitle: str, footer: str, note: str | None = None
) -> Layout:
    """Draw title, subtitle and source line (and ``note`` above it); keep the axes between."""
    renderer = fig.canvas.get_renderer()
    width_in, height_in = fig.get_size_inches()
    x0 = _MARGIN_IN / width_in
    avail = (width_in - 2 * _MARGIN_IN) * fig.dpi
    y = height_in - _MARGIN_IN  # inches from the bottom, moving down
    for text, size, weight, color, gap in (
        (title, _TITLE_SIZE, "bold", TEXT_COLOR, 0.05),
        (subtitle, _SUBTITLE_SIZE, "normal", MUTED, 0.12),
    ):
        if not text:
            continue
        artist = fig.text(
            x0,
            y / height_in,
            _wrap(text, avail, size, weight, renderer),
            fontsize=size,
            fontweight=weight,
            color=color,
            ha="left",
            va="top",
            linespacing=1.15,
        )
        y -= artist.get_window_extent(renderer).height / fig.dpi + gap
    top = y
    y = _MARGIN_IN
    for text in (footer, note):
        if not text:
            continue
        artist = fig.text(
            x0,
            y / height_in,
            _wrap(text, avail, _SOURCE_SIZE, "normal", renderer),
            fontsize=_SOURCE_SIZE,
            color=MUTED,
            ha="left",
            va="bottom",
            linespacing=1.15,
        )
        y += artist.get_window_extent(renderer).height / fig.dpi + 0.04
    layout = Layout(fig, bottom=y + 0.06, top=top)
    layout.apply()
    return layout


def no_data(ax: Axes, lang: str) -> None:
    """Write "No data" in the middle of ``ax`` and take its ticks away."""
    ax.text(
        0.5,
        0.5,
        label("no_data", lang),
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=MUTED,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def legend_below(layout: Layout, handles: list) -> None:
    """Legend above the source line, in one row when it fits, else in two columns."""
    fig = layout.fig
    chars = sum(len(h.get_label()) + 6 for h in handles)
    ncols = len(handles) if chars <= 70 else 2
    legend = fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, layout.bottom / fig.get_size_inches()[1]),
        ncols=ncols,
        borderaxespad=0,
    )
    legend.set_in_layout(False)
    layout.bottom += legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi + 0.08
    layout.apply()


# ----------------------------------------------------------------------------------------------
# One chart set-up for every chart
# ----------------------------------------------------------------------------------------------


@dataclass
class Canvas:
    """What a chart's drawing function draws on, made by :func:`canvas`.

    ``as_of`` is the data date as a local time in ``tz``; ``empty`` is True when the chart's data
    has no rows (the "No data" panel is then already drawn on :attr:`ax`).
    """

    figure: Figure
    axes: tuple[Axes, ...]
    layout: Layout
    lang: str
    tz: str
    as_of: pd.Timestamp
    empty: bool

    @property
    def ax(self) -> Axes:
        """The main (top) axes."""
        return self.axes[0]

    def marks(self, annotations: Iterable) -> list[tuple[float, str, str, str]]:
        """``(x, text, colour, kind)`` per ``(time, kind)`` annotation, for :func:`annotate`;
        events after the data date are left out (the chart describes the data as of then)."""
        return _event_marks(annotations, self.lang, self.tz, self.as_of)


@contextmanager
def canvas(
    data: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    source: str,
    as_of,
    lang: str,
    tz: str,
    height: float = FIGSIZE[1],
    height_ratios: Sequence[float] | None = None,
    note: str | None = None,
) -> Iterator[Canvas]:
    """Set up a chart: the house style (through ``rc_context``, so global settings stay as they
    were), the bundled font, a figure :data:`FIGSIZE` wide and ``height`` inches high with one axes
    (or one per entry of ``height_ratios``, stacked), the frame (``note`` goes above the source
    line), and "No data" on the main axes when ``data`` is empty.

    The body draws inside the house style; it checks :attr:`Canvas.empty` before drawing data.
    """
    with mpl.rc_context(house_rc(lang)):
        register_fonts()
        fig = _new_figure(height)
        if height_ratios is None:
            axes = (fig.subplots(),)
        else:
            axes = tuple(fig.subplots(len(height_ratios), 1, height_ratios=list(height_ratios)))
        layout = _draw_frame(
            fig,
            title=title,
            subtitle=subtitle,
            footer=source_line(source, as_of, lang, tz),
            note=note,
        )
        drawn = Canvas(fig, axes, layout, lang, tz, local_instant(as_of, tz), data.empty)
        if drawn.empty:
            no_data(drawn.ax, lang)
        yield drawn


# ----------------------------------------------------------------------------------------------
# Key events: vertical lines with labels that never overlap
# ----------------------------------------------------------------------------------------------


def event_label(kind_or_text: str, lang: str) -> tuple[str, str, str]:
    """(text, colour, kind) for an annotation given as an event kind or as free text."""
    if kind_or_text in EVENT_KINDS:
        return label(kind_or_text, lang), EVENT_COLORS[kind_or_text], kind_or_text
    return str(kind_or_text), "#333333", "other"


def _event_marks(annotations: Iterable, lang: str, tz: str, as_of: pd.Timestamp) -> list:
    marks = []
    for entry in annotations:
        when, what = local_instant(entry[0], tz), entry[1]
        if when > as_of:
            continue
        text, color, kind = event_label(what, lang)
        marks.append((float(date_numbers([when])[0]), text, color, kind))
    return marks


def annotate(ax: Axes, marks: list[tuple[float, str, str, str]]) -> None:
    """Vertical lines at ``x`` with short labels above the axes, staggered so none overlap.

    ``marks``: (x in data units, text, colour, kind). Marks at (nearly) the same x share one line
    and one label ("Blocked / Restored"). Call it last: it measures the drawn figure.
    """
    marks = sorted((m for m in marks if np.isfinite(m[0])), key=lambda m: m[0])
    if not marks:
        return
    lo, hi = ax.get_xlim()
    span = abs(hi - lo) or 1.0
    groups: list[list[tuple[float, str, str, str]]] = []
    for m in marks:
        if groups and abs(m[0] - groups[-1][0][0]) <= 0.004 * span:
            groups[-1].append(m)
        else:
            groups.append([m])
    artists = []
    for group in groups:
        x = group[0][0]
        texts = list(dict.fromkeys(m[1] for m in group))
        colors = {m[2] for m in group}
        color = colors.pop() if len(colors) == 1 else "#333333"
        dashed = all(m[3] in ("order_issued", "deadline", "other") for m in group)
        ax.axvline(
            x,
            color=color,
            linewidth=1.1,
            linestyle=(0, (3, 2)) if dashed else "-",
            zorder=2.5,
        )
        artists.append(
            ax.annotate(
                " / ".join(texts),
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=color,
                annotation_clip=False,
            )
        )
    # Stagger: measure after a layout pass, then lift labels that would overlap to a new row.
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    placed: list[list] = []  # per row: list of (x0, x1)
    line_pt = 8 * 1.35
    for artist in artists:
        box = artist.get_window_extent(renderer)
        if box.x0 < ax_box.x0 - 20:
            artist.set_ha("left")
            box = artist.get_window_extent(renderer)
        elif box.x1 > ax_box.x1 + 20:
            artist.set_ha("right")
            box = artist.get_window_extent(renderer)
        row = 0
        while row < len(placed) and any(box.x0 < b + 4 and box.x1 > a - 4 for a, b in placed[row]):
            row += 1
        if row == len(placed):
            placed.append([])
        placed[row].append((box.x0, box.x1))
        artist.xyann = (0, 3 + row * line_pt)


# ----------------------------------------------------------------------------------------------
# Checks and short texts several charts use
# ----------------------------------------------------------------------------------------------


def require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the columns ``what`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}")


def _fmt_number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def duration_text(duration, unit, lang: str) -> str | None:
    """``6 h``, ``1 day``, ``9 days``, ``same day`` (a 0-day lag in calendar days); None when
    the duration or unit is missing or the unit is neither ``hours`` nor ``days``."""
    if duration is None or pd.isna(duration) or unit is None or pd.isna(unit):
        return None
    unit, value = str(unit), float(duration)
    if unit not in ("hours", "days"):
        return None
    if unit == "days" and value == 0:
        return label("same_day", lang)
    if unit == "days" and value == 1:
        return label("duration_one_day", lang)
    return label(f"duration_{unit}", lang, n=_fmt_number(value))
