"""What keeps a page's charts cheap to draw must not change what they show.

* The house canvas's renderer shares text measurements between drawings and reads a font's
  heights once: every text gets exactly the box matplotlib's own Agg renderer gives it (Latin and
  Devanagari, sizes, weights, several lines).
* ``settle`` lays a figure out again only when something in it changed since the last layout.
* The page keeps the notebook's own wide drawing with its frame for the PNG: a chart is drawn
  three times for a page (wide with its frame, wide without, narrow), not four.
* The report runner loads papermill without the grammar jsonschema would build for a format
  nothing checks.
"""

from __future__ import annotations

import subprocess
import sys

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.report import charts, present
from analysis.report.charts import frame

TEXTS = [
    ("Days since the order", 13.0, "normal", 1.2),
    ("Share not yet actioned", 12.5, "bold", 1.2),
    ("IN-MeitY-2021-02-04 · 1,178 items", 11.5, "normal", 1.2),
    ("Half the 257 items were acted on\nwithin 1 day of the order", 21.0, "bold", 1.15),
    ("प्रतिबंधित खाते", 13.0, "normal", 1.2),
    ("आदेश के बाद के दिन\nस्रोत: सार्वजनिक रिपोर्टिंग", 12.0, "bold", 1.25),
    ("", 13.0, "normal", 1.2),
]


def _boxes(canvas_class, dpi: float) -> list[tuple[float, ...]]:
    with mpl.rc_context(charts.house_rc("hi")):
        charts.register_fonts()
        fig = Figure(figsize=(4, 3), dpi=dpi)
        canvas_class(fig)
        texts = [
            fig.text(0.1, 0.1 * i, text, fontsize=size, fontweight=weight, linespacing=spacing)
            for i, (text, size, weight, spacing) in enumerate(TEXTS)
        ]
        renderer = fig.canvas.get_renderer()
        # Twice: the second time from the shared measurements.
        first = [tuple(t.get_window_extent(renderer).bounds) for t in texts]
        again = [tuple(t.get_window_extent(renderer).bounds) for t in texts]
    assert first == again
    return first


@pytest.mark.parametrize("dpi", [charts.DPI, charts.SAVE_DPI])
def test_the_house_renderer_measures_every_text_as_matplotlib_does(dpi):
    assert _boxes(frame._Canvas, dpi) == _boxes(FigureCanvasAgg, dpi)


def test_a_figure_is_laid_out_again_only_when_it_changed():
    fig = frame._new_figure(400, 300)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    drawn = []
    fig.canvas.mpl_connect("draw_event", lambda event: drawn.append(event))
    assert frame.settle(fig)
    assert frame.settle(fig)
    assert len(drawn) == 1  # nothing changed: the second settle drew nothing
    ax.set_title("A longer title")
    frame.settle(fig)
    assert len(drawn) == 2
    layout = frame.Layout(fig, bottom=40.0, top_gap=30.0)
    layout.apply()  # the layout engine's band changed: that is a change too
    frame.settle(fig)
    assert len(drawn) == 3


@pytest.mark.slow
def test_the_page_draws_a_chart_three_times_and_keeps_the_notebooks_drawing(tmp_path):
    months = pd.date_range("2021-01-01", periods=3, freq="MS", tz="UTC")
    volume = pd.DataFrame(
        {
            "period": ["2021-01", "2021-02", "2021-03"],
            "period_start": months,
            "period_end": months + pd.offsets.MonthBegin(1),
            "orders": [1, 2, 0],
            "items": [257, 1178, 0],
        }
    )
    result = charts.volume_chart(
        volume,
        title="Most items were ordered in February",
        subtitle="N = 1,435 items; counted by order date",
        source="Test data",
        as_of="2021-03-31",
    )
    calls = []
    redraw = result.redraw

    def counted(**kwargs):
        calls.append(kwargs)
        return redraw(**kwargs)

    result.redraw = counted
    result.redraw.keywords = redraw.keywords  # what the page reads: the call's own arguments
    present.chart(result, tmp_path, "volume")
    assert [(c["size"], c["frame"]) for c in calls] == [("wide", False), ("narrow", False)]
    assert (tmp_path / "volume.png").read_bytes() == result.png()


def test_the_runner_imports_papermill_without_building_the_iri_grammar():
    """rfc3987-syntax (pulled in by JupyterLab) would cost every runner process about 2 s of
    CPU when jsonschema is imported; nbformat never checks that format."""
    code = (
        "import sys\n"
        "from analysis.report import render\n"
        "render.import_runner_modules()\n"
        "assert 'papermill' in sys.modules and 'nbconvert' in sys.modules\n"
        "assert 'lark' not in sys.modules and 'rfc3987_syntax' not in sys.modules\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('rfc3987_syntax') is None or "
        "__import__('rfc3987_syntax')  # importable again afterwards\n"
        "import analysis.report.preload\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
