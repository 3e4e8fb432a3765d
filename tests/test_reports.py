"""The report notebooks, executed by papermill as `takedowns report` runs them, and the pages
they produce opened in a real browser with the network blocked.

Two renders of the built-in data are made once per test session: English with the default
parameters, and Hindi for February 2021 only (non-default ``start``, ``end``, ``as_of``, ``lang``).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from analysis.clean.pipeline import clean
from analysis.core.errors import InputError
from analysis.report import present
from analysis.report.render import run_report

from support.browser_pages import check_reports, failures, open_offline

# Every test here executes notebooks or reads their renders: none is in `make test-fast`.
pytestmark = pytest.mark.slow

NOTEBOOKS = ["00-overview", "01-volume", "02-compliance-lag", "03-reversals"]
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
HINDI_PARAMS = {"lang": "hi", "start": "2021-02-01", "end": "2021-02-28", "as_of": "2021-02-28"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("report-data")
    shutil.copytree(request.config.rootpath / "data" / "raw", base / "raw")
    clean(base / "raw", base / "processed")
    return base


@pytest.fixture(scope="module")
def renders(data_dir, tmp_path_factory):
    out = {}
    for name, params in {"en": {}, "hi": HINDI_PARAMS}.items():
        folder = tmp_path_factory.mktemp(f"reports-{name}")
        result = run_report(
            params={"data_dir": str(data_dir), **params},
            out_dir=folder,
            progress=False,
            data_fingerprint=f"test-{name}",
        )
        assert result.ok, result.message()
        out[name] = result
    return out


def _executed(result, stem):
    import nbformat  # imported here: it takes seconds, which `make test-fast` need not pay

    return nbformat.read(result.out_dir / f"{stem}.ipynb", as_version=4)


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebooks_take_their_parameters_and_run_clean(renders, stem):
    nb = _executed(renders["hi"], stem)
    injected = nb.metadata["papermill"]["parameters"]
    assert {k: injected[k] for k in HINDI_PARAMS} == HINDI_PARAMS
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors


@pytest.mark.parametrize("stem", NOTEBOOKS[1:])
def test_each_report_draws_its_chart_and_writes_its_data(renders, stem):
    for result in renders.values():
        nb = _executed(result, stem)
        outputs = [o for c in nb.cells for o in c.get("outputs", [])]
        figures = [
            o
            for o in outputs
            if '<figure class="tk-chart"' in o.get("data", {}).get("text/html", "")
        ]
        assert len(figures) == 1
        html = figures[0]["data"]["text/html"]
        assert html.count("<svg ") == 2  # the wide drawing and the phone's
        assert not [o for o in outputs if "image/png" in o.get("data", {})]
        folder = result.out_dir / stem
        pngs, csvs = sorted(folder.glob("*.png")), sorted(folder.glob("*.csv"))
        # The chart at 2x with its frame, for reuse, and the index's thumbnail.
        assert sorted(p.name.endswith("-thumb.png") for p in pngs) == [False, True]
        assert len(csvs) >= 2
        assert all(p.stat().st_size > 10_000 for p in pngs)


def test_hindi_render_is_in_hindi(renders):
    lag = (renders["hi"].out_dir / "02-compliance-lag.html").read_text(encoding="utf-8")
    assert "अनुपालन में देरी" in lag  # the Hindi page title, not the English introduction
    assert "Compliance lag" not in lag
    csv = (renders["hi"].out_dir / "02-compliance-lag" / "lag-by-order.csv").read_text()
    assert "IN-MeitY-2021-02-04" in csv and "IN-MeitY-2021-01-31" not in csv  # February only


def test_notebooks_run_from_the_notebooks_folder_in_jupyterlab_style(data_dir, tmp_path):
    # A reporter opens a notebook in JupyterLab: the working directory is notebooks/, no
    # parameters are injected, and the package finds the data by itself.
    import papermill

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "lag.ipynb"
    papermill.execute_notebook(
        root / "notebooks" / "02-compliance-lag.ipynb",
        out,
        parameters={"data_dir": str(data_dir), "output_dir": str(tmp_path / "charts")},
        cwd=root / "notebooks",
        progress_bar=False,
        kernel_name="python3",
    )
    charts = tmp_path / "charts"
    curves = pd.read_csv(charts / "survival.csv")
    table = pd.read_csv(charts / "lag-by-order.csv").set_index("order_id")
    # The curves the chart draws, worked out by hand from data/raw: for each order, when it was
    # issued, how many items it listed and how many were acted on how many days later.
    orders = {
        "IN-MeitY-2021-01-31": (dt.date(2021, 1, 31), 257, [(1, 250)]),  # ~250 withheld 1 Feb
        "IN-MeitY-2021-02-04": (dt.date(2021, 2, 4), 1178, [(6, 583)]),  # 583 acted on by 10 Feb
        "IN-2021-04-22": (dt.date(2021, 4, 22), 52, []),  # 52 tweets, no action recorded
    }
    as_of = dt.date(2022, 6, 26)  # the latest date in the data (two handles withheld again)
    assert set(curves["series"]) == set(orders) and set(curves["unit"]) == {"days"}
    columns = ["time", "pct_not_actioned", "at_risk", "events", "censored"]
    for order, (issued, items, actions) in orders.items():
        # (day, % not yet actioned, at risk, acted on, censored): nothing is censored before the
        # as-of date, so the share left is simply the items not yet acted on over those listed.
        rows, left = [(0, 100.0, items, 0, 0)], items
        for day, acted in actions:
            rows.append((day, 100 * (left - acted) / items, left, acted, 0))
            left -= acted
        rows.append(((as_of - issued).days, 100 * left / items, left, 0, left))
        got = curves.loc[curves["series"] == order, columns].to_numpy()
        np.testing.assert_allclose(got, np.array(rows), atol=5e-4, err_msg=order)
        # and the table beside the chart counts the same items
        assert table.loc[order, ["items", "actioned", "censored"]].tolist() == [
            items,
            items - left,
            left,
        ]
    # The PNG is the wide drawing (960 px, the page's chart column) at 2x, not a blank canvas:
    # mostly white, with one colour per curve.
    image = matplotlib.image.imread(charts / "survival.png")[..., :3]
    height, width = image.shape[:2]
    assert width == 2 * 960 and 2 * 400 < height < 2 * 1200, (width, height)
    painted = (image < 0.97).any(axis=2).mean()
    assert 0.02 < painted < 0.5, painted
    pixels = (image.reshape(-1, 3) * 255).round().astype(int)
    vivid = pixels[pixels.max(axis=1) - pixels.min(axis=1) > 100]  # not white, grey or black
    colours, counts = np.unique(vivid, axis=0, return_counts=True)
    assert (counts > 300).sum() >= len(orders), colours[counts > 300]


def _parameters_cell(path: Path) -> str:
    import nbformat  # seconds to import (jsonschema): only where a notebook is read

    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged parameters"
    return tagged[0].source


def test_every_notebook_has_the_same_parameters_cell_and_start_reads_it():
    # `takedowns report -p NAME VALUE` sets a name in every notebook, and present.start reads
    # the same names from each: one parameters cell, copied exactly.
    root = Path(__file__).resolve().parents[1] / "notebooks"
    cells = {path.name: _parameters_cell(path) for path in sorted(root.glob("*.ipynb"))}
    assert len(cells) == len(NOTEBOOKS)
    first = next(iter(cells.values()))
    assert all(cell == first for cell in cells.values()), [
        n for n, c in cells.items() if c != first
    ]
    names = [node.target.id for node in ast.parse(first).body if isinstance(node, ast.AnnAssign)]
    assert tuple(names) == present.PARAMETERS


def test_start_names_the_parameters_a_notebook_lacks():
    with pytest.raises(InputError, match="does not set freq, engine"):
        present.start(
            "01-volume", {n: "" for n in present.PARAMETERS if n not in ("freq", "engine")}
        )


# --- in a browser ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "hi"])
@pytest.mark.parametrize("stem", ["index", *NOTEBOOKS])
def test_pages_open_offline_with_charts_and_without_code(browser, renders, lang, stem):
    context, page, requests, problems = open_offline(
        browser, renders[lang].out_dir / f"{stem}.html"
    )
    try:
        widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert all(w > 0 for w in widths), widths
        charts = page.locator("figure.tk-chart svg").count()
        if stem == "index":
            assert len(widths) == 3  # a thumbnail of each report's chart
        elif stem != "00-overview":
            assert (charts, widths) == (2, [])  # one chart, drawn wide and narrow, as SVG
        code = page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeCell .highlight").count()
        assert code == 0
        assert not requests, requests
        assert not problems, problems
        if lang == "hi":
            heading = page.locator("h1").first.inner_text()
            assert DEVANAGARI.search(heading), heading
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_pages_read_well_on_a_laptop_and_a_phone(browser, renders, lang):
    # At 1366 and 390 px: no two chart texts overlap, no horizontal scroll, no chart text under
    # 11 px, every chart with its title, source, data link and alt text, no notebook-speak.
    checks = check_reports(browser, renders[lang].out_dir, NOTEBOOKS)
    assert not failures(checks), "\n".join(failures(checks))
    assert sum(c.charts for c in checks) == 2 * 3


def test_pages_open_with_the_finding_and_end_with_how_they_were_made(renders):
    html = (renders["en"].out_dir / "02-compliance-lag.html").read_text(encoding="utf-8")
    marks = ('class="tk-kicker"', "<h1", 'class="tk-standfirst"')
    kicker, h1, standfirst = (html.find(m) for m in marks)
    figure, method = html.find("<figure"), html.find('class="tk-method"')
    assert 0 < kicker < h1 < standfirst < figure < method
    assert html.rfind("</details>") > method  # folded, and last
    tail = html[method:]
    for expected in ("Parameters", "acted", "withheld,suspended", "orders-india-2021.csv"):
        assert expected in tail, expected
    assert "takedown-analysis 0.1.0" in tail


def test_index_links_every_report_with_its_headline(renders):
    index = (renders["en"].out_dir / "index.html").read_text(encoding="utf-8")
    for stem in NOTEBOOKS:
        assert f'href="{stem}.html"' in index
    assert "49% of the 1,178 items ordered on 4 Feb 2021 were actioned by 26 Jun 2022" in index
    for stem, chart in (("01-volume", "volume"), ("02-compliance-lag", "survival")):
        assert f'src="{stem}/{chart}-thumb.png"' in index
    assert "Data as of 2022-06-26" in index
    manifest = json.loads((renders["en"].out_dir / "00-overview.ipynb").read_text())
    assert manifest["metadata"]["papermill"]["parameters"]["lang"] == "en"
