"""The house style: palette, sizes, the bundled font and the rcParams every chart is drawn with.

Nothing here draws. :func:`house_rc` only returns settings; chart functions apply them through
``rc_context`` (see :func:`analysis.report.charts.frame.canvas`), so matplotlib's global settings
are left alone. :func:`use_house_style` is the one function that changes them, for notebooks that
draw their own figures.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
from cycler import cycler
from matplotlib import font_manager

from analysis.report.wording import labels_for

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
    labels_for(lang)  # an unknown language fails here, before anything is drawn
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
