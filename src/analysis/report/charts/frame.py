"""What every chart shares: the :class:`Chart` result, :func:`save`, the SVG the page shows, and
the frame around the axes.

The frame is a **title that states the finding**, a **subtitle giving N and the method** (both
written by the caller, who knows the numbers) and a **source line** naming the data and the date
it describes. :func:`canvas` sets all of it up once: the house style at the drawing's size (wide
for the page and the PNG, narrow for phones), the bundled font, a new figure, the frame, and the
"No data" panel when there is nothing to draw. A drawing without the frame (``frame=False``) is
what the page shows inline: the page writes the title, subtitle and source as HTML around it.

Every chart function is decorated with :func:`drawing`, so its :class:`Chart` can draw itself
again at another size (:meth:`Chart.variant`). When a chart is finished, its layout is frozen
and :func:`.labels.declutter` hides any text that would still overlap another, so no two texts
ever overlap whatever the data; a layout the engine cannot satisfy falls back to fixed margins
instead of failing.
"""

from __future__ import annotations

import functools
import html
import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from kiwisolver import UnsatisfiableConstraint
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from analysis.core.times import local_instant
from analysis.report.charts.axes import date_numbers
from analysis.report.charts.labels import declutter
from analysis.report.charts.style import (
    DPI,
    EVENT_COLORS,
    MUTED,
    SAVE_DPI,
    TEXT_COLOR,
    Size,
    house_rc,
    register_fonts,
    size_of,
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
    are saved as ``<name>-<key>.csv``. ``title``, ``subtitle`` and ``source`` are the frame's
    texts (the page writes them as HTML around a drawing without the frame) and
    ``description`` says what the chart shows, for readers who cannot see it (the SVG's
    ``<desc>``). ``size`` and ``framed`` say which drawing this is.
    """

    figure: Figure
    data: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    title: str = ""
    subtitle: str = ""
    source: str = ""
    description: str = ""
    size: str = "wide"
    framed: bool = True
    redraw: Callable[..., Chart] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator:
        yield self.figure
        yield self.data

    def save(self, out_dir: str | Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.png`` and ``<name>.csv`` (and the extra tables) into ``out_dir``."""
        return save(self.figure, self.data, out_dir, name, extra=self.extra)

    def variant(self, *, size: str = "wide", frame: bool = True) -> Chart:
        """The same chart drawn again at ``size`` (``wide`` or ``narrow``), with or without the
        frame (title, subtitle, source line)."""
        if size == self.size and frame == self.framed:
            return self
        if self.redraw is None:
            raise ValueError("this chart cannot be drawn again; make it with a chart function")
        return self.redraw(size=size, frame=frame)

    def svg(self, chart_id: str) -> str:
        """The chart as inline SVG markup (see :func:`svg_markup`)."""
        title = ". ".join(t for t in (self.title, self.subtitle) if t)
        return svg_markup(self.figure, chart_id=chart_id, title=title, description=self.description)

    def png(self, dpi: float = SAVE_DPI) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()

    def _repr_png_(self):
        width, height = self.figure.get_size_inches() * DPI
        return self.png(), {"width": int(width), "height": int(height)}


def drawing(function: Callable[..., Chart]) -> Callable[..., Chart]:
    """Make a chart function's result able to draw itself again at another size: the
    :class:`Chart` it returns remembers the call (:meth:`Chart.variant`)."""

    @functools.wraps(function)
    def draw(*args, **kwargs) -> Chart:
        result = function(*args, **kwargs)
        result.size = size_of(kwargs.get("size", "wide")).name
        result.framed = bool(kwargs.get("frame", True))
        result.redraw = functools.partial(draw, *args, **kwargs)
        return result

    return draw


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
    check_name(name)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{name}.png"
    csv_path = folder / f"{name}.csv"
    fig.savefig(png, dpi=SAVE_DPI)
    csv_path.write_bytes(_csv_text(data).encode("utf-8"))
    for key, frame in (extra or {}).items():
        (folder / f"{name}-{key}.csv").write_bytes(_csv_text(frame).encode("utf-8"))
    return png, csv_path


def check_name(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a plain file name (no folder, not ``..``)."""
    if not _NAME.match(name) or name in (".", ".."):
        raise ValueError(f"chart name {name!r} must be a file name, not a path")


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
# SVG for the page
# ----------------------------------------------------------------------------------------------

_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_IDS = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'(?:xlink:href|href)="#([^"]+)"')
_URLS = re.compile(r"url\(#([^)]+)\)")
_CHART_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def svg_markup(fig: Figure, *, chart_id: str, title: str, description: str) -> str:
    """The figure as SVG to put inside an HTML page: text kept as text (the page's ``@font-face``
    Hind shapes it), no XML prolog and no namespaces or metadata (nothing that names a URL),
    every id prefixed with ``chart_id`` (several charts on one page never share an id), scaled
    to the width of its container, and labelled for screen readers: ``role="img"`` with a
    ``<title>`` and a ``<desc>``. The same figure always gives the same bytes.
    """
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart id {chart_id!r}: letters, digits, - and _ only")
    buffer = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = _METADATA.sub("", text[text.index("<svg") :])
    view_box = _VIEWBOX.search(text).group(1)
    width = float(view_box.split()[2])
    text = _IDS.sub(lambda m: f'id="{chart_id}-{m.group(1)}"', text)
    text = _REFS.sub(lambda m: f'href="#{chart_id}-{m.group(1)}"', text)
    text = _URLS.sub(lambda m: f"url(#{chart_id}-{m.group(1)})", text)
    root = (
        f'<svg viewBox="{view_box}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" data-width="{width:g}" '
        'style="display:block;width:100%;height:auto">'
        f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>'
    )
    return _SVG_ROOT.sub(lambda m: root, text, count=1).strip()


# ----------------------------------------------------------------------------------------------
# The frame: title, subtitle, source line, and the band left for the axes
# ----------------------------------------------------------------------------------------------

_MARGIN = 10.0  # pixels around the frame


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def wrap(text: str, width_px: float, fontsize: float, weight: str, renderer) -> str:
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
    """The band of the figure left for the axes: ``bottom`` pixels from the bottom edge up to
    ``top_gap`` pixels from the top edge. The frame's texts and the legend keep their distance
    from their edge when the figure grows (:meth:`resize`)."""

    fig: Figure
    bottom: float
    top_gap: float
    from_top: list = field(default_factory=list)  # (artist, pixels from the top edge)
    from_bottom: list = field(default_factory=list)  # (artist, pixels from the bottom edge)

    @property
    def height(self) -> float:
        return float(self.fig.get_size_inches()[1] * self.fig.dpi)

    def apply(self) -> None:
        """Tell the figure's layout engine to keep the axes inside the band (at least 40 px
        of it, so the engine always has room)."""
        engine = self.fig.get_layout_engine()
        if engine is None or not hasattr(engine, "set"):
            return
        height = self.height
        top = height - self.top_gap
        bottom = min(self.bottom, max(top - 40.0, 0.0))
        engine.set(
            rect=(0, bottom / height, 1, max(top - bottom, 1.0) / height),
            h_pad=4 / DPI,
            w_pad=4 / DPI,
            hspace=0.04,
        )

    def resize(self, height: float) -> None:
        """Make the figure ``height`` pixels high, the frame and legend staying put."""
        width = self.fig.get_size_inches()[0]
        self.fig.set_size_inches(width, height / self.fig.dpi)
        for artist, offset in self.from_top:
            artist.set_y((height - offset) / height)
        for artist, offset in self.from_bottom:
            if isinstance(artist, Legend):
                anchor = artist.get_bbox_to_anchor()
                x = anchor.x0 / (width * self.fig.dpi)
                artist.set_bbox_to_anchor((x, offset / height), transform=self.fig.transFigure)
            else:
                artist.set_y(offset / height)
        self.apply()


def _draw_frame(
    fig: Figure,
    size: Size,
    *,
    title: str,
    subtitle: str,
    footer: str,
    note: str | None = None,
    frame: bool = True,
) -> Layout:
    """Draw title, subtitle and source line (when ``frame``) and ``note`` at the bottom; keep
    the axes between."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.get_size_inches() * fig.dpi
    x0 = _MARGIN / width
    avail = width - 2 * _MARGIN
    layout = Layout(fig, bottom=0.0, top_gap=0.0)
    offset = _MARGIN  # pixels from the top, moving down
    texts = [
        (title, size.title, "bold", TEXT_COLOR, 4.0),
        (subtitle, size.subtitle, "normal", MUTED, 10.0),
    ]
    for text, fontsize, weight, color, gap in texts if frame else []:
        if not text:
            continue
        artist = fig.text(
            x0,
            (height - offset) / height,
            wrap(text, avail, fontsize, weight, renderer),
            fontsize=fontsize,
            fontweight=weight,
            color=color,
            ha="left",
            va="top",
            linespacing=1.15,
        )
        layout.from_top.append((artist, offset))
        offset += artist.get_window_extent(renderer).height + gap
    layout.top_gap = offset if frame else 4.0
    y = _MARGIN if frame else 4.0
    for text in (footer if frame else None, note):
        if not text:
            continue
        artist = fig.text(
            x0,
            y / height,
            wrap(text, avail, size.small, "normal", renderer),
            fontsize=size.small,
            color=MUTED,
            ha="left",
            va="bottom",
            linespacing=1.25,
        )
        layout.from_bottom.append((artist, y))
        y += artist.get_window_extent(renderer).height + 3.0
    layout.bottom = y + 4.0
    layout.apply()
    return layout


def settle(fig: Figure) -> bool:
    """Lay the figure out (and draw it without rendering, so every text can be measured).

    Returns False when the layout engine could not do its job: the axes would have collapsed
    (the engine then leaves them where they were; :meth:`Canvas.fit` grows the figure), or the
    constraints cannot be satisfied, in which case the figure falls back to fixed margins
    rather than failing.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fig.draw_without_rendering()
        except UnsatisfiableConstraint:
            fig.set_layout_engine("none")
            fig.draw_without_rendering()
            return False
    collapsed = False
    for warning in caught:
        if "collapsed to zero" in str(warning.message):
            collapsed = True  # handled here: a page must not show the engine's warning
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return not collapsed


def panel_title(drawn: Canvas, ax: Axes, text: str) -> None:
    """A panel's title, bold, left-aligned over it, wrapped to the drawing's width."""
    renderer = drawn.figure.canvas.get_renderer()
    width = drawn.size.width - 2 * _MARGIN - (50 if drawn.narrow else 160)
    ax.set_title(
        wrap(text, width, drawn.size.text, "bold", renderer),
        fontsize=drawn.size.text,
        pad=6,
        linespacing=1.05,
    )


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


def legend_below(layout: Layout, handles: list, *, max_cols: int | None = None) -> None:
    """Legend above the source line, as many entries to a row as fit the figure's width."""
    fig = layout.fig
    if not handles:
        return
    renderer = fig.canvas.get_renderer()
    width = fig.get_size_inches()[0] * fig.dpi - 2 * _MARGIN
    fontsize = mpl.rcParams["legend.fontsize"]
    prop = font_manager.FontProperties(family=mpl.rcParams["font.family"], size=fontsize)
    entry = [
        renderer.get_text_width_height_descent(h.get_label(), prop, ismath=False)[0]
        + 3.2 * fontsize
        for h in handles
    ]
    ncols = len(handles)
    while ncols > 1 and _row_width(entry, ncols) > width:
        ncols -= 1
    if max_cols:
        ncols = min(ncols, max_cols)
    legend = fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(
            _MARGIN / (width + 2 * _MARGIN),
            layout.bottom / (fig.get_size_inches()[1] * fig.dpi),
        ),
        ncols=ncols,
        borderaxespad=0,
        columnspacing=1.2,
        handletextpad=0.5,
    )
    legend.set_in_layout(False)
    layout.from_bottom.append((legend, layout.bottom))
    layout.bottom += legend.get_window_extent(renderer).height + 6.0
    layout.apply()


def _row_width(entry: list[float], ncols: int) -> float:
    """Width of the widest row when ``entry`` widths are laid out ``ncols`` to a row (columns
    are as wide as their widest entry)."""
    columns = [max(entry[c::ncols]) for c in range(ncols)]
    return sum(columns)


# ----------------------------------------------------------------------------------------------
# One chart set-up for every chart
# ----------------------------------------------------------------------------------------------


@dataclass
class Canvas:
    """What a chart's drawing function draws on, made by :func:`canvas`.

    ``as_of`` is the data date as a local time in ``tz``; ``empty`` is True when the chart's data
    has no rows (the "No data" panel is then already drawn on :attr:`ax`). ``size`` is the
    drawing's :class:`~.style.Size` (its width and text sizes).
    """

    figure: Figure
    axes: tuple[Axes, ...]
    layout: Layout
    lang: str
    tz: str
    as_of: pd.Timestamp
    empty: bool
    size: Size = field(default_factory=lambda: size_of("wide"))
    wanted: tuple[float, ...] = ()

    def fit(self) -> None:
        """Grow the figure until its axes are as tall as asked (``height_ratios`` in pixels):
        the frame, tick labels and legend take what room they need, the data keep theirs. Call
        it once everything but the labels placed on the data is drawn."""
        if not self.wanted:
            return
        for _ in range(5):
            ok = settle(self.figure)
            if self.figure.get_layout_engine() is None:
                return
            if not ok:
                self.layout.resize(self.layout.height * 1.3 + 40.0)
                continue
            have = sum(ax.get_window_extent().height for ax in self.axes)
            short = sum(self.wanted) - have
            if short < 1.0:
                return
            self.layout.resize(self.layout.height + short)

    @property
    def ax(self) -> Axes:
        """The main (top) axes."""
        return self.axes[0]

    @property
    def narrow(self) -> bool:
        return self.size.name == "narrow"

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
    height: float = 540.0,
    height_ratios: Sequence[float] | None = None,
    note: str | None = None,
    size: str | Size = "wide",
    frame: bool = True,
) -> Iterator[Canvas]:
    """Set up a chart: the house style at ``size`` (through ``rc_context``, so global settings
    stay as they were), the bundled font, a figure as wide as the size and ``height`` pixels
    high (a first guess: :meth:`Canvas.fit` grows it) with one axes, or one per entry of
    ``height_ratios`` (their heights in pixels), stacked; the frame (when
    ``frame``; ``note`` goes at the bottom either way), and "No data" on the main axes when
    ``data`` is empty.

    The body draws inside the house style; it checks :attr:`Canvas.empty` before drawing data.
    When it is done the layout is frozen and overlapping texts are hidden
    (:func:`.labels.declutter`).
    """
    s = size_of(size)
    with mpl.rc_context(house_rc(lang, s)):
        register_fonts()
        fig = _new_figure(s.width, float(height))
        if height_ratios is None:
            axes = (fig.subplots(),)
        else:
            axes = tuple(
                np.atleast_1d(
                    fig.subplots(len(height_ratios), 1, height_ratios=list(height_ratios))
                )
            )
        layout = _draw_frame(
            fig,
            s,
            title=title,
            subtitle=subtitle,
            footer=source_line(source, as_of, lang, tz),
            note=note,
            frame=frame,
        )
        wanted = tuple(float(h) for h in height_ratios) if height_ratios is not None else ()
        if wanted:
            # A first height from the frame just drawn and room for each panel's axis texts.
            layout.resize(layout.top_gap + layout.bottom + sum(wanted) + 64.0 * len(wanted))
        drawn = Canvas(fig, axes, layout, lang, tz, local_instant(as_of, tz), data.empty, s, wanted)
        if drawn.empty:
            no_data(drawn.ax, lang)
        yield drawn
        finish(fig)


def finish(fig: Figure) -> None:
    """Lay the figure out one last time, freeze that layout (saving at another resolution or as
    SVG moves nothing), then hide any text that still overlaps another."""
    settle(fig)
    fig.set_layout_engine("none")
    declutter(fig)


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


#: At most this many rows of event labels above a chart; labels that would need more are left
#: out (their lines stay).
_MAX_ROWS = 3


def annotate(ax: Axes, marks: list[tuple[float, str, str, str]]) -> None:
    """Vertical lines at ``x`` with short labels above the axes, staggered so none overlap.

    ``marks``: (x in data units, text, colour, kind). Marks at (nearly) the same x share one line
    and one label ("Blocked / Restored"). Call it last: it measures the drawn figure. Labels that
    would need more than three rows are left out; their lines stay.
    """
    lo, hi = ax.get_xlim()
    marks = sorted(
        (m for m in marks if np.isfinite(m[0]) and min(lo, hi) <= m[0] <= max(lo, hi)),
        key=lambda m: m[0],
    )
    if not marks:
        return
    span = abs(hi - lo) or 1.0
    groups: list[list[tuple[float, str, str, str]]] = []
    for m in marks:
        if groups and abs(m[0] - groups[-1][0][0]) <= 0.004 * span:
            groups[-1].append(m)
        else:
            groups.append([m])
    fontsize = mpl.rcParams["xtick.labelsize"]
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
        artist = ax.annotate(
            " / ".join(texts),
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fontsize,
            color=color,
            annotation_clip=False,
        )
        artists.append(artist)
    # Stagger: measure after a layout pass, then lift labels that would overlap to a new row.
    fig = ax.figure
    settle(fig)
    renderer = fig.canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    placed: list[list] = []  # per row: list of (x0, x1)
    line_px = fontsize * 1.7
    for artist in artists:
        box = artist.get_window_extent(renderer)
        if box.x0 < ax_box.x0:
            artist.set_ha("left")
            box = artist.get_window_extent(renderer)
        elif box.x1 > ax_box.x1:
            artist.set_ha("right")
            box = artist.get_window_extent(renderer)
        row = 0
        while row < len(placed) and any(box.x0 < b + 4 and box.x1 > a - 4 for a, b in placed[row]):
            row += 1
        if row >= _MAX_ROWS:
            artist.remove()
            continue
        if row == len(placed):
            placed.append([])
        placed[row].append((box.x0, box.x1))
        artist.xyann = (0, 3 + row * line_px * 72 / fig.dpi)
    settle(fig)


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (order ids can be file names)."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"
