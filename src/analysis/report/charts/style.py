"""The house style: palette, sizes, the bundled font and the rcParams every chart is drawn with.

Nothing here draws. :func:`house_rc` only returns settings; chart functions apply them through
``rc_context`` (see :func:`analysis.report.charts.frame.canvas`), so matplotlib's global settings
are left alone. :func:`use_house_style` is the one function that changes them, for notebooks that
draw their own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from cycler import cycler
from matplotlib import font_manager

from analysis.report.wording import labels_for

FONT_FAMILY = "Hind"

#: Charts are drawn at 72 dots per inch, so one point is one pixel: a font size, a line width or
#: an offset in points is the same number of pixels in the SVG the page shows. PNGs are saved at
#: twice that (2x, sharp on high-density screens).
DPI = 72
SAVE_DPI = 144


@dataclass(frozen=True)
class Size:
    """One drawing of a chart: its width in pixels and the text sizes used at that width.

    The page shows the ``wide`` drawing at up to :attr:`width` pixels and the ``narrow`` one on
    phones (CSS switches them); sizes are chosen so no chart text is drawn smaller than 11 px
    where each is shown.
    """

    name: str
    width: float  # pixels (= points at DPI)
    text: float  # labels, legends, tick labels
    small: float  # notes and secondary labels, never under 11
    title: float  # the title drawn in the PNG (the page writes it as HTML)
    subtitle: float
    source: float

    @property
    def inches(self) -> float:
        return self.width / DPI


SIZES = {
    # The page's figure column is at most 960 px wide; the wide drawing fills it.
    "wide": Size("wide", width=960.0, text=13.0, small=12.0, title=21.0, subtitle=14.0, source=12),
    # A 390 px phone less 16 px padding each side.
    "narrow": Size(
        "narrow", width=358.0, text=12.5, small=11.5, title=17.0, subtitle=12.5, source=11.5
    ),
}


def size_of(size: str | Size) -> Size:
    """``"wide"``/``"narrow"`` (or a :class:`Size`) as a :class:`Size`; a ``ValueError`` names the
    sizes there are."""
    if isinstance(size, Size):
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}") from None


#: Figure size in inches of the wide drawing at its default height (960 x 540 px).
FIGSIZE = (SIZES["wide"].inches, 540 / DPI)

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


def house_rc(lang: str = "en", size: str | Size = "wide") -> dict[str, object]:
    """The house rcParams for a drawing of ``size`` (no side effects; :func:`use_house_style`
    applies them). Text stays text in SVG (``svg.fonttype`` none): the page's own Hind font
    shapes it, Devanagari included."""
    labels_for(lang)  # an unknown language fails here, before anything is drawn
    s = size_of(size)
    return {
        # DejaVu Sans (shipped with matplotlib) only for symbols Hind lacks, such as arrows.
        "font.family": [FONT_FAMILY, "DejaVu Sans"],
        "font.size": s.text,
        "text.color": TEXT_COLOR,
        # Titles and handles may contain "$": never read them as mathtext.
        "text.parse_math": False,
        "text.language": lang,
        "axes.titlesize": s.text,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.titlecolor": TEXT_COLOR,
        "axes.titlepad": 8,
        "axes.labelsize": s.text,
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
        "grid.linewidth": 0.8,
        "xtick.labelsize": s.text,
        "ytick.labelsize": s.text,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "xtick.major.size": 4,
        "ytick.major.size": 0,
        "xtick.major.pad": 4,
        "ytick.major.pad": 5,
        "legend.fontsize": s.text,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        "lines.linewidth": 2.2,
        "hatch.color": "white",
        "hatch.linewidth": 1.2,
        "figure.figsize": (s.inches, 540 / DPI),
        "figure.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.dpi": SAVE_DPI,
        "savefig.facecolor": "white",
        # SVG: real text (the page embeds the font), ids that are the same on every run.
        "svg.fonttype": "none",
        "svg.hashsalt": "takedowns",
    }


def use_house_style(lang: str = "en") -> None:
    """Register the bundled font and apply the house rcParams globally (for notebooks)."""
    register_fonts()
    mpl.rcParams.update(house_rc(lang))
