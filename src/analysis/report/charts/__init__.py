"""The house chart style, and one module per chart.

Every chart has the same frame: a **title that states the finding** and a **subtitle giving N and
the method** (both written by the caller, who knows the numbers), a **source line** naming the data
and the date it describes, and key events (order issued, blocked, restored, a deadline) drawn as a
vertical line with a short label. Every fixed text a chart draws (axis labels, legend entries,
"Source", month names...) comes from :data:`analysis.report.wording.LABELS`, so ``lang="hi"`` draws
the whole chart in Hindi. The bundled Hind font covers Latin and Devanagari; matplotlib shapes
Devanagari (conjuncts, matras) through libraqm, so no system font is needed.

The rooms:

- ``style``: palette, the two drawing sizes (``wide`` for the page and the PNG, ``narrow`` for
  phones), the bundled font, the house rcParams (text stays text in SVG).
- ``axes``: date and number axes in the chart's language.
- ``labels``: labels that never overlap (moved apart in a column, placed around points, and a
  last check that hides whatever still collides).
- ``frame``: the :class:`Chart` result, :func:`save` (PNG at 2x and the chart's data as CSV),
  :func:`svg_markup` (the inline SVG the page shows, with ``<title>`` and ``<desc>``), and
  :func:`~analysis.report.charts.frame.canvas`, the one set-up every chart draws in (style, font,
  figure, title/subtitle/source frame, "No data"), with the event marks and the legend helper.
- ``volume``, ``survival``, ``peers``, ``reversals``: one chart each; each has a ``*_data``
  function giving exactly the frame the chart draws (and saves as CSV) and a ``draw_*`` function.

Chart functions take DataFrames (the metric tables) and return a :class:`Chart`: the matplotlib
``Figure`` and the DataFrame it plotted (``fig, data = volume_chart(...)`` works). Each takes
``size`` (``wide``, ``narrow``) and ``frame`` (False: no title, subtitle or source line, which
the page writes as HTML), and ``chart.variant(size="narrow", frame=False)`` draws it again.
Every chart function is total: any frame of the right columns, empty or of any size, gives a
figure. They never read
files and leave matplotlib's global settings alone (the style is applied through
``rc_context``; only the bundled font is registered with the font manager). :func:`save` writes
the PNG and the chart's data as a CSV beside it, ready for a graphics desk to rebuild the chart
in Datawrapper. What to annotate and which context to show is chosen in the answers layer
(:mod:`analysis.report.questions`: ``key_events``, ``yearly_context``).

Times: the canonical tables hold UTC; charts show local time in ``tz`` (India by default). Naive
times passed to a chart (``as_of``, annotation dates) are taken as local time in ``tz``.
"""

from analysis.report.charts.axes import HouseDateFormatter, date_numbers
from analysis.report.charts.frame import EVENT_KINDS, Chart, save, svg_markup
from analysis.report.charts.peers import peers_chart, peers_data
from analysis.report.charts.reversals import reversal_data, reversal_timeline
from analysis.report.charts.style import (
    DPI,
    EVENT_COLORS,
    FIGSIZE,
    FONT_FAMILY,
    GRID,
    MUTED,
    OKABE_ITO,
    PALETTE,
    SAVE_DPI,
    SIZES,
    TEXT_COLOR,
    Size,
    font_files,
    house_rc,
    register_fonts,
    use_house_style,
)
from analysis.report.charts.survival import survival_chart, survival_data
from analysis.report.charts.volume import context_data, volume_chart, volume_data
from analysis.report.wording import label, labels_for

__all__ = [
    "DPI",
    "EVENT_COLORS",
    "EVENT_KINDS",
    "FIGSIZE",
    "FONT_FAMILY",
    "GRID",
    "MUTED",
    "OKABE_ITO",
    "PALETTE",
    "SAVE_DPI",
    "SIZES",
    "TEXT_COLOR",
    "Chart",
    "Size",
    "HouseDateFormatter",
    "context_data",
    "date_numbers",
    "font_files",
    "house_rc",
    "label",
    "labels_for",
    "peers_chart",
    "peers_data",
    "register_fonts",
    "reversal_data",
    "reversal_timeline",
    "save",
    "survival_chart",
    "svg_markup",
    "survival_data",
    "use_house_style",
    "volume_chart",
    "volume_data",
]
