"""The report notebooks, executed by papermill as `takedowns report` runs them, and the pages
they produce opened in a real browser with the network blocked.

Two renders of the built-in data are made once per test session: English with the default
parameters, and Hindi for February 2021 only (non-default ``start``, ``end``, ``as_of``, ``lang``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from analysis.clean.pipeline import clean
from analysis.report.render import run_report

from support.browser_pages import open_offline

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
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1
        folder = result.out_dir / stem
        pngs, csvs = sorted(folder.glob("*.png")), sorted(folder.glob("*.csv"))
        assert len(pngs) == 1 and len(csvs) >= 2
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
    assert (tmp_path / "charts" / "survival.png").is_file()


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
        if stem not in ("index", "00-overview"):
            assert len(widths) == 1
        code = page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeCell .highlight").count()
        assert code == 0
        assert not requests, requests
        assert not problems, problems
        if lang == "hi":
            heading = page.locator("h1").first.inner_text()
            assert DEVANAGARI.search(heading), heading
    finally:
        context.close()


def test_index_links_every_report_with_its_headline(renders):
    index = (renders["en"].out_dir / "index.html").read_text(encoding="utf-8")
    for stem in NOTEBOOKS:
        assert f'href="{stem}.html"' in index
    assert "583 of 1,178 items (49%)" in index
    assert "Data as of 2022-06-26" in index
    manifest = json.loads((renders["en"].out_dir / "00-overview.ipynb").read_text())
    assert manifest["metadata"]["papermill"]["parameters"]["lang"] == "en"
