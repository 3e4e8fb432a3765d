"""The house chart style, and one function per chart.

Every chart has the same frame: a **title that states the finding** and a **subtitle giving N and
the method** (both written by the caller, who knows the numbers), a **source line** naming the data
and the date it describes, and key events (order issued, blocked, restored, a deadline) drawn as a
vertical line with a short label. Every fixed text a chart draws (axis labels, legend entries,
"Source", month names...) comes from :data:`analysis.report.wording.LABELS`, so ``lang="hi"`` draws
the whole chart in Hindi. The bundled Hind font covers Latin and Devanagari; matplotlib shapes
Devanagari (conjuncts, matras) through libraqm, so no system font is needed.

Chart functions take DataFrames (the metric tables) and return a :class:`Chart`: the matplotlib
``Figure`` and the DataFrame it plotted (``fig, data = volume_chart(...)`` works). They never read
files and leave matplotlib's global settings alone (the style is applied through
``rc_context``; only the bundled font is registered with the font manager). :func:`save` writes
the PNG and the chart's data as a CSV beside it, ready for a graphics desk to rebuild the chart
in Datawrapper.

Times: the canonical tables hold UTC; charts show local time in ``tz`` (India by default). Naive
times passed to a chart (``as_of``, annotation dates) are taken as local time in ``tz``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator, PercentFormatter

from analysis.core.times import DEFAULT_TZ, in_zone, local_instant
from analysis.report.wording import fmt_date_short as _fmt_date
from analysis.report.wording import label, labels_for
from analysis.store.export import safe_csv

FONT_FAMILY = "Hind"

#: Figure size in inches at :data:`DPI`: 640 x 400 px on screen. PNGs are saved at twice that.
FIGSIZE = (6.4, 4.0)
DPI = 100
SAVE_DPI = 200

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
#: Series colours in order of use; yellow last (low contrast on white).
PALETTE = [
    OKABE_ITO[c]
    for c in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "reddish_purple",
        "sky_blue",
        "yellow",
    )
]
TEXT_COLOR = "#222222"
MUTED = "#595959"
GRID = "#DDDDDD"

#: Colours of the key events drawn as vertical lines.
EVENT_COLORS = {
    "order_issued": "#333333",
    "blocked": OKABE_ITO["vermillion"],
    "reblocked": OKABE_ITO["vermillion"],
    "restored": OKABE_ITO["bluish_green"],
    "deadline": "#333333",
}

#: Annotation kinds whose label comes from :data:`analysis.report.wording.LABELS` (any other string
#: is drawn as given).
EVENT_KINDS = ("order_issued", "blocked", "restored", "reblocked", "deadline")


# ----------------------------------------------------------------------------------------------
# Style
# ----------------------------------------------------------------------------------------------


def font_files() -> list[Path]:
    """The bundled Hind TTF files (from the ``fontpkg_hind`` package)."""
    import fontpkg_hind

    root = Path(getattr(fontpkg_hind, "ROOT", Path(fontpkg_hind.__file__).resolve().parent))
    files = sorted((root / "files").glob("Hind-*.ttf")) or sorted(root.rglob("Hind-*.ttf"))
    if not files:
        raise RuntimeError(f"no Hind-*.ttf files in {root}; reinstall fontpkg-hind")
    return files


def register_fonts() -> str:
    """Add the bundled Hind faces to matplotlib's font manager (once); return the family name."""
    known = {Path(f.fname).resolve() for f in font_manager.fontManager.ttflist}
    for path in font_files():
        if path.resolve() not in known:
            font_manager.fontManager.addfont(str(path))
    return FONT_FAMILY


def house_rc(lang: str = "en") -> dict[str, object]:
    """The house rcParams (no side effects; :func:`use_house_style` applies them)."""
    labels_for(lang)
    return {
        # DejaVu Sans (shipped with matplotlib) only for symbols Hind lacks, such as arrows.
        "font.family": [FONT_FAMILY, "DejaVu Sans"],
        "font.size": 10,
        "text.color": TEXT_COLOR,
        # Titles and handles may contain "$": never read them as mathtext.
        "text.parse_math": False,
        "text.language": lang,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.titlecolor": TEXT_COLOR,
        "axes.labelsize": 9.5,
        "axes.labelcolor": MUTED,
        "axes.edgecolor": "#777777",
        "axes.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=PALETTE),
        "grid.color": GRID,
        "grid.linewidth": 0.6,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "xtick.major.size": 3,
        "ytick.major.size": 0,
        "legend.fontsize": 8.5,
        "legend.frameon": False,
        "lines.linewidth": 2.0,
        "hatch.color": "white",
        "hatch.linewidth": 1.0,
        "figure.figsize": FIGSIZE,
        "figure.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.dpi": SAVE_DPI,
        "savefig.facecolor": "white",
    }


def use_house_style(lang: str = "en") -> None:
    """Register the bundled font and apply the house rcParams globally (for notebooks)."""
    register_fonts()
    mpl.rcParams.update(house_rc(lang))


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
# Time helpers
# ----------------------------------------------------------------------------------------------


def _num(values) -> np.ndarray:
    """Matplotlib date numbers (days since the epoch, UTC) for tz-aware timestamps; NaT -> NaN."""
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
        text = _fmt_date(ts, self.lang)
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
                text = _fmt_date(t, self.lang, year=new_year)
            else:
                text = f"{t:%H:%M}"
                if new_day:
                    text = _fmt_date(t, self.lang, year=new_year) + "\n" + text
            out.append(text)
            prev = t
        return out


def _date_axis(axis, lang: str, tz: str) -> None:
    locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=7)
    axis.set_major_locator(locator)
    axis.set_major_formatter(HouseDateFormatter(lang, tz))


def _thousands(x, pos=None) -> str:
    return f"{x:,.0f}"


# ----------------------------------------------------------------------------------------------
# Frame: title, subtitle, source line; event annotations
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


def _source_line(source: str, as_of, lang: str, tz: str) -> str:
    date = local_instant(as_of, tz).strftime("%Y-%m-%d")
    return f"{label('source', lang)}: {source} | {label('data_as_of', lang, date=date)}"


@dataclass
class _Layout:
    """The band of the figure (in inches from the bottom) left for the axes."""

    fig: Figure
    bottom: float
    top: float

    def apply(self) -> None:
        height = self.fig.get_size_inches()[1]
        self.fig.get_layout_engine().set(
            rect=(0, self.bottom / height, 1, (self.top - self.bottom) / height),
            h_pad=0.06,
            w_pad=0.06,
        )


def _frame(
    fig: Figure, *, title: str, subtitle: str, footer: str, note: str | None = None
) -> _Layout:
    """Draw title, subtitle and source line; keep the axes between them."""
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
    layout = _Layout(fig, bottom=y + 0.06, top=top)
    layout.apply()
    return layout


def _event_label(kind_or_text: str, lang: str) -> tuple[str, str, str]:
    """(text, colour, kind) for an annotation given as an event kind or as free text."""
    if kind_or_text in EVENT_KINDS:
        return label(kind_or_text, lang), EVENT_COLORS[kind_or_text], kind_or_text
    return str(kind_or_text), "#333333", "other"


def _annotate(ax, marks: list[tuple[float, str, str, str]]) -> None:
    """Vertical lines at ``x`` with short labels above the axes, staggered so none overlap.

    ``marks``: (x in data units, text, colour, kind). Marks at (nearly) the same x share one line
    and one label ("Blocked / Restored").
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


def _event_marks(annotations: Iterable, lang: str, tz: str, as_of: pd.Timestamp) -> list:
    """(x, text, colour, kind) per ``(time, kind)`` annotation; events after ``as_of`` are left
    out (the chart describes the data as of that date)."""
    marks = []
    for entry in annotations:
        when, what = local_instant(entry[0], tz), entry[1]
        if when > as_of:
            continue
        text, color, kind = _event_label(what, lang)
        marks.append((float(_num([when])[0]), text, color, kind))
    return marks


def _legend_below(layout: _Layout, handles: list) -> None:
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


def _no_data(ax, lang: str) -> None:
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


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}")


def _pad_xlim(ax, xs: Iterable[float], pad: float = 0.04) -> None:
    values = np.array([x for x in xs if np.isfinite(x)], dtype="float64")
    if not len(values):
        return
    lo, hi = float(values.min()), float(values.max())
    span = (hi - lo) or 1.0
    ax.set_xlim(lo - pad * span, hi + pad * span)


# ----------------------------------------------------------------------------------------------
# Key events from the canonical tables
# ----------------------------------------------------------------------------------------------


def key_events(
    orders: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    order_ids: Iterable[str] | None = None,
) -> list[tuple[pd.Timestamp, str]]:
    """Annotations for the charts from the canonical tables: ``(time UTC, kind)`` pairs.

    Each order's ``issued_at`` is ``order_issued``; the first ``withheld``/``suspended`` event and
    the first ``restored``/``reinstated`` event per order and time are ``blocked`` and
    ``restored``. ``order_ids`` limits both tables to those orders (events without an
    ``order_id`` are then left out).
    """
    wanted = None if order_ids is None else {str(o) for o in order_ids}
    out: list[tuple[pd.Timestamp, str]] = []
    if orders is not None and len(orders):
        o = orders.loc[orders["issued_at"].notna()]
        if wanted is not None:
            o = o.loc[o["order_id"].astype("str").isin(wanted)]
        out += [(pd.Timestamp(t), "order_issued") for t in o["issued_at"].drop_duplicates()]
    if events is not None and len(events):
        kinds = {
            "withheld": "blocked",
            "suspended": "blocked",
            "restored": "restored",
            "reinstated": "restored",
        }
        e = events.loc[events["at"].notna()].copy()
        e["kind"] = e["event"].astype("str").str.strip().str.lower().map(kinds)
        e = e.loc[e["kind"].notna()]
        if wanted is not None:
            e = e.loc[e["order_id"].notna() & e["order_id"].astype("str").isin(wanted)]
        e = e.drop_duplicates(["at", "kind"])
        out += [(pd.Timestamp(t), k) for t, k in zip(e["at"], e["kind"], strict=True)]
    return sorted(out, key=lambda p: p[0])


# ----------------------------------------------------------------------------------------------
# Volume
# ----------------------------------------------------------------------------------------------


def yearly_context(
    transparency: pd.DataFrame,
    *,
    country: str | None = None,
    scopes: Iterable[str] | None = None,
    tz: str = DEFAULT_TZ,
) -> pd.DataFrame:
    """Yearly ``items_withheld`` per ``scope`` from the transparency table (for the volume chart).

    Returns ``year``, ``scope``, ``items_withheld``, ``partial`` (True when the rows do not cover
    the whole local calendar year, e.g. a parliamentary reply for Jan-Oct 2023), ``period_start``
    and ``period_end`` (local dates covered; ``period_end`` inclusive). Rows without
    ``items_withheld`` are left out; rows with no ``scope`` use their ``platform``.
    """
    _require(transparency, ["period_start", "period_end", "items_withheld"], "yearly_context")
    t = transparency.loc[transparency["items_withheld"].notna()].copy()
    if country is not None and "country" in t.columns:
        t = t.loc[t["country"] == country]
    scope = t["scope"] if "scope" in t.columns else pd.Series(pd.NA, index=t.index)
    if "platform" in t.columns:
        scope = scope.fillna(t["platform"])
    t["scope"] = scope.fillna("unspecified").astype("str")
    if scopes is not None:
        t = t.loc[t["scope"].isin(list(scopes))]
    start = in_zone(t["period_start"], tz).dt.tz_localize(None).dt.normalize()
    end = in_zone(t["period_end"], tz).dt.tz_localize(None).dt.normalize()
    # An end at local midnight of 1 January is an exclusive end: the period ran to 31 December.
    end = end.where(
        ~((end.dt.month == 1) & (end.dt.day == 1) & (end > start)), end - pd.Timedelta(days=1)
    )
    t = t.assign(
        year=start.dt.year.to_numpy(),
        _start=start.to_numpy(),
        _end=end.to_numpy(),
        _days=((end - start).dt.days + 1).to_numpy(),
    )
    grouped = (
        t.groupby(["year", "scope"], sort=True)
        .agg(
            items_withheld=("items_withheld", "sum"),
            period_start=("_start", "min"),
            period_end=("_end", "max"),
            days=("_days", "sum"),
        )
        .reset_index()
    )
    year_days = np.where(
        pd.to_datetime(grouped["year"].astype("str") + "-12-31").dt.is_leap_year, 366, 365
    )
    grouped["partial"] = grouped["days"].to_numpy() < year_days
    grouped["items_withheld"] = grouped["items_withheld"].astype("int64")
    return grouped[["year", "scope", "items_withheld", "partial", "period_start", "period_end"]]


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
    ``partial`` (see :func:`yearly_context`), drawn as a small second panel of the s.69A yearly
    totals, partial years hatched. ``annotations``: ``(time, kind)`` pairs, kind one of
    :data:`EVENT_KINDS` or any short text.

    Returns a :class:`Chart` whose data has ``period``, ``period_start``, ``period_end`` (local
    time; end exclusive), the measure column, ``items_basis`` and ``partial``; the context panel's
    data is ``extra["context"]``.
    """
    if measure not in ("items", "orders"):
        raise ValueError('measure must be "items" or "orders"')
    _require(volume_df, ["period", "period_start", "period_end", measure], "volume_chart")
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
    data = data.sort_values("period_start", kind="stable").reset_index(drop=True)

    ctx = _context_data(context) if context is not None else None
    with mpl.rc_context(house_rc(lang)):
        register_fonts()
        fig = _new_figure(5.6 if ctx is not None else FIGSIZE[1])
        if ctx is not None:
            ax, cax = fig.subplots(2, 1, height_ratios=[2.2, 1])
        else:
            ax, cax = fig.subplots(), None
        _frame(
            fig,
            title=title,
            subtitle=subtitle,
            footer=_source_line(source, as_of, lang, tz),
        )
        marks = _event_marks(annotations, lang, tz, local_instant(as_of, tz))
        if data.empty:
            _no_data(ax, lang)
        else:
            start = _num(data["period_start"])
            width = _num(data["period_end"]) - start
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
                            label=label("partial_period", lang),
                        )
                    ],
                    loc="upper left",
                )
            if len(values) <= 16:
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
            ax.set_ylim(0, max(1, values.max()) * 1.12)
            _pad_xlim(ax, [*start, *(start + width), *(m[0] for m in marks)], pad=0.02)
            _date_axis(ax.xaxis, lang, tz)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(label(measure, lang))
        if cax is not None:
            _draw_context(cax, ctx, lang)
        if not data.empty:
            _annotate(ax, marks)
    extra = {"context": ctx} if ctx is not None else {}
    return Chart(fig, data, extra)


def _context_data(context: pd.DataFrame) -> pd.DataFrame:
    _require(context, ["year", "items_withheld"], "volume_chart context")
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


def _scope_label(scope: str, lang: str) -> str:
    key = f"scope_{scope}"
    return label(key, lang) if key in labels_for(lang) else scope


def _draw_context(ax, ctx: pd.DataFrame, lang: str) -> None:
    ax.set_title(label("context_title", lang), fontsize=9, pad=4)
    if ctx.empty:
        _no_data(ax, lang)
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
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
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


# ----------------------------------------------------------------------------------------------
# Survival (compliance lag)
# ----------------------------------------------------------------------------------------------


def _fmt_number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


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

    Returns a :class:`Chart` whose data has ``series``, ``time``, ``unit``, ``pct_not_actioned``,
    ``ci_lower_pct``, ``ci_upper_pct``, ``at_risk``, ``events``, ``censored`` (percentages 0-100;
    a first row at time 0 and 100% is added when a curve's first time is after 0).
    """
    if unit not in ("hours", "days"):
        raise ValueError('unit must be "hours" or "days"')
    frames = []
    for name, km in curves.items():
        _require(km, ["time", "survival"], f"survival_chart curve {name!r}")
        k = km.sort_values("time", kind="stable")
        surv = k["survival"].to_numpy(dtype="float64")
        lo = (k["ci_lower"] if "ci_lower" in k else k["survival"]).to_numpy(dtype="float64")
        hi = (k["ci_upper"] if "ci_upper" in k else k["survival"]).to_numpy(dtype="float64")
        part = pd.DataFrame(
            {
                "series": str(name),
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
                "series": str(name),
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
        frames.append(part)
    columns = [
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
    data = (
        pd.concat(frames, ignore_index=True)[columns]
        if frames
        else pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    )
    data["series"] = data["series"].astype("str")
    data["unit"] = data["unit"].astype("str")
    # 0.001 percentage points is finer than any published figure; it keeps the CSV readable.
    pct = ["pct_not_actioned", "ci_lower_pct", "ci_upper_pct"]
    data[pct] = data[pct].round(3)

    with mpl.rc_context(house_rc(lang)):
        register_fonts()
        fig = _new_figure()
        ax = fig.subplots()
        layout = _frame(
            fig, title=title, subtitle=subtitle, footer=_source_line(source, as_of, lang, tz)
        )
        if data.empty:
            _no_data(ax, lang)
            return Chart(fig, data)
        handles = []
        for i, name in enumerate(dict.fromkeys(data["series"])):
            part = data.loc[data["series"] == name]
            color = PALETTE[i % len(PALETTE)]
            x = part["time"].to_numpy()
            if x[0] == 0 and part["pct_not_actioned"].iloc[0] < 100:
                # Items actioned at the moment of the order: the curve drops at time 0.
                x = np.r_[0.0, x]
                ys = [
                    np.r_[100.0, part[c].to_numpy()]
                    for c in ("pct_not_actioned", "ci_lower_pct", "ci_upper_pct")
                ]
            else:
                ys = [
                    part[c].to_numpy() for c in ("pct_not_actioned", "ci_lower_pct", "ci_upper_pct")
                ]
            ax.fill_between(
                x, ys[1], ys[2], step="post", color=color, alpha=0.18, linewidth=0, zorder=1
            )
            ax.step(x, ys[0], where="post", color=color, zorder=3)
            cens = part.loc[part["censored"] > 0]
            ax.plot(
                cens["time"],
                cens["pct_not_actioned"],
                linestyle="",
                marker="+",
                markersize=9,
                markeredgewidth=1.6,
                color=color,
                zorder=4,
            )
            handles.append(Line2D([], [], color=color, label=name))
        handles.append(Patch(facecolor="#888888", alpha=0.3, label=label("confidence_band", lang)))
        if (data["censored"] > 0).any():
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#333333",
                    linestyle="",
                    marker="+",
                    markersize=9,
                    markeredgewidth=1.6,
                    label=label("censored", lang),
                )
            )
        _legend_below(layout, handles)
        last = float(data["time"].max())
        xmax = _survival_horizon(data, deadline, unit)
        ax.set_xlim(0, (xmax or 1.0) * 1.05)
        if last > xmax * 1.05:
            # Long flat tails (items censored months later) would squash the part that matters;
            # the axis stops after the last action and says where the curves end.
            ax.text(
                0.99,
                0.97,
                label("continues", lang, value=_duration_text(last, unit, lang)),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=mpl.rcParams["xtick.labelsize"],
                color="#444444",
            )
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_locator(mpl.ticker.FixedLocator([0, 25, 50, 75, 100]))
        ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        ax.set_ylabel(label("share_not_actioned", lang))
        ax.set_xlabel(label(f"{unit}_since_order", lang))
        ax.grid(axis="both")
        if deadline is not None:
            value = _duration_text(deadline, unit, lang)
            _annotate(
                ax,
                [
                    (
                        float(deadline),
                        label("deadline_value", lang, value=value),
                        EVENT_COLORS["deadline"],
                        "deadline",
                    )
                ],
            )
    return Chart(fig, data)


# ----------------------------------------------------------------------------------------------
# Reversals
# ----------------------------------------------------------------------------------------------


def _duration_text(duration, unit, lang: str) -> str | None:
    """``6 h``, ``1 day``, ``9 days``, ``same day`` (a 0-day lag in calendar days)."""
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
    columns with local dates.
    """
    _require(peers, ["country", "period_end", "value", "highlight"], "peers_chart")
    data = peers.copy()
    for column in ("period_start", "period_end"):
        if column in data:
            data[column] = in_zone(data[column], tz)
    with mpl.rc_context(house_rc(lang)):
        register_fonts()
        fig = _new_figure()
        ax = fig.subplots()
        layout = _frame(
            fig, title=title, subtitle=subtitle, footer=_source_line(source, as_of, lang, tz)
        )
        if data.empty:
            _no_data(ax, lang)
            return Chart(fig, data)
        for country, part in data.sort_values("period_end").groupby("country", sort=True):
            chosen = bool(part["highlight"].any())
            color = PALETTE[0] if chosen else "#9a9a9a"
            x = _num(part["period_end"])
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
        _date_axis(ax.xaxis, lang, tz)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y")
        layout.apply()
    return Chart(fig, data)


def _survival_horizon(data: pd.DataFrame, deadline: float | None, unit: str) -> float:
    """How far the time axis runs: twice the last time anything was actioned (at least a week,
    or two days in hours, and past the deadline), never beyond the data."""
    last = float(data["time"].max())
    acted = data.loc[data["events"] > 0, "time"] if "events" in data else data["time"]
    horizon = 2 * float(acted.max()) if len(acted) else last
    horizon = max(horizon, 7.0 if unit == "days" else 48.0, 2 * float(deadline or 0))
    return min(horizon, last) if last else horizon


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

    Returns a :class:`Chart` whose data has ``lane``, ``item_id``, ``order_id``, ``n_items``,
    ``withheld_at``, ``restored_at``, ``bar_end``, ``open_ended``, ``duration``, ``unit``,
    ``reblocked_at`` (times local).
    """
    _require(
        episodes_df, ["item_id", "order_id", "withheld_at", "restored_at"], "reversal_timeline"
    )
    as_of_ts = local_instant(as_of, tz)
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
    e = e.sort_values(["withheld_at", "_key"], kind="stable")
    lanes = list(dict.fromkeys(e["_key"]))
    total_lanes = len(lanes)
    lanes = lanes[:max_lanes]
    e = e.loc[e["_key"].isin(lanes)]

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

    height = float(np.clip(2.2 + 0.32 * len(lanes), FIGSIZE[1], 12.0))
    note = (
        label("lanes_truncated", lang, shown=len(lanes), total=total_lanes)
        if total_lanes > len(lanes)
        else None
    )
    with mpl.rc_context(house_rc(lang)):
        register_fonts()
        fig = _new_figure(height)
        ax = fig.subplots()
        layout = _frame(
            fig,
            title=title,
            subtitle=subtitle,
            footer=_source_line(source, as_of, lang, tz),
            note=note,
        )
        marks = _event_marks(annotations, lang, tz, as_of_ts)
        if data.empty:
            _no_data(ax, lang)
            return Chart(fig, data)
        ypos = {lane_label[k]: i for i, k in enumerate(lanes)}
        y = data["lane"].map(ypos).to_numpy()
        x0 = _num(data["withheld_at"])
        x1 = _num(data["bar_end"])
        xs = [*x0, *x1, *(m[0] for m in marks)]
        span = (np.nanmax(xs) - np.nanmin(xs)) or 1.0
        widths = np.maximum(x1 - x0, 0.006 * span)  # a same-day reversal stays visible
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
            ax.plot(
                x0[restored] + widths[restored],
                y[restored],
                linestyle="",
                marker="|",
                markersize=11,
                markeredgewidth=2.2,
                color=EVENT_COLORS["restored"],
                zorder=3,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker="|",
                    markersize=11,
                    markeredgewidth=2.2,
                    color=EVENT_COLORS["restored"],
                    label=label("restored", lang),
                )
            )
        if opened.any():
            ax.plot(
                x1[opened], y[opened], linestyle="", marker=">", markersize=6, color=color, zorder=3
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker=">",
                    markersize=6,
                    color=color,
                    alpha=0.8,
                    label=label("still_withheld", lang),
                )
            )
        reb = _num(data["reblocked_at"])
        has_reb = np.isfinite(reb)
        if has_reb.any():
            ax.plot(
                reb[has_reb],
                y[has_reb],
                linestyle="",
                marker="D",
                markersize=5.5,
                color=EVENT_COLORS["reblocked"],
                zorder=4,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker="D",
                    markersize=5.5,
                    color=EVENT_COLORS["reblocked"],
                    label=label("reblocked", lang),
                )
            )
        for xe, w, yy, dur, un, op in zip(
            x0, widths, y, data["duration"], data["unit"], opened, strict=True
        ):
            text = None if op else _duration_text(dur, un, lang)
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
        ax.set_yticks(range(len(lanes)), [lane_label[k] for k in lanes])
        ax.set_ylim(len(lanes) - 0.4, -0.6)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        _pad_xlim(ax, [*xs, float(_num([as_of_ts])[0])], pad=0.08)
        _date_axis(ax.xaxis, lang, tz)
        _legend_below(layout, handles)
        _annotate(ax, marks)
    return Chart(fig, data)
