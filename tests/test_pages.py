"""The report pages on data the size of a real handle list: 120 orders over ten years
(tests/support/many_orders.py: a list checked once, a wide sheet with restores, aggregate reports),
rendered in English and Hindi as `takedowns report` renders them, opened in Chromium at 1366 and
390 px.

On this data the old pages stacked a hundred "Order issued" labels and the compliance-lag page
failed (matplotlib's layout could not fit a legend of 120 orders); here every page must render,
read well on a laptop and a phone, and say only what the data know.
"""

from __future__ import annotations

import csv
import re

import pytest

from analysis.clean.pipeline import clean
from analysis.report import questions
from analysis.report.render import run_report

from support.browser_pages import check_reports, failures
from support.many_orders import write_raw

# Every test here renders the reports and opens them in Chromium: none is in `make test-fast`.
pytestmark = pytest.mark.slow

NOTEBOOKS = ["00-overview", "01-volume", "02-compliance-lag", "03-reversals"]
AS_OF = "2024-03-31"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("many-orders")
    write_raw(base / "raw")
    clean(base / "raw", base / "processed")
    return base


@pytest.fixture(scope="module")
def many(data_dir, tmp_path_factory):
    out = {}
    for lang in ("en", "hi"):
        result = run_report(
            params={"data_dir": str(data_dir), "as_of": AS_OF, "lang": lang},
            out_dir=tmp_path_factory.mktemp(f"many-{lang}"),
            progress=False,
            data_fingerprint=f"many-{lang}",
        )
        assert result.ok, result.message()
        out[lang] = result
    return out


def _rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_page_reads_well_on_a_laptop_and_a_phone(browser, many, lang):
    checks = check_reports(browser, many[lang].out_dir, NOTEBOOKS)
    assert not failures(checks), "\n".join(failures(checks))
    assert sum(c.charts for c in checks) == 2 * 3  # three charts, at both widths


def test_orders_are_a_rug_and_only_the_largest_are_labelled(many):
    html = (many["en"].out_dir / "01-volume.html").read_text(encoding="utf-8")
    wide = html[html.index('class="tk-wide"') : html.index('class="tk-narrow"')]
    labels = re.findall(r">(IN-[^<]*: [\d,]+ items)<", wide)
    assert 1 <= len(labels) <= 3, labels
    assert "Order issued (one tick each)" in wide
    assert ">Order issued<" not in html


def test_the_lag_chart_draws_no_curve_for_orders_checked_only_once(many, data_dir):
    folder = many["en"].out_dir / "02-compliance-lag"
    table = _rows(folder / "lag-by-order.csv")
    once = {r["order_id"] for r in table if r["timing_basis"] == "before_first_check"}
    assert len(once) > 50  # most of the list was checked once
    curves = {r["series"] for r in _rows(folder / "survival.csv")}
    assert curves and not curves & once
    outcomes = _rows(folder / "survival-outcomes.csv")
    assert len(outcomes) == len(table) == 120
    assert {"withheld", "suspended", "gone", "no_outcome"} <= set(outcomes[0])
    html = (many["en"].out_dir / "02-compliance-lag.html").read_text(encoding="utf-8")
    shown = sum(r["shown"] == "True" for r in outcomes)
    assert f"and {120 - shown} more in survival-outcomes.csv" in html
    assert 'href="02-compliance-lag/survival-outcomes.csv"' in html
    # The sentences say how they know: no lag in days for an order checked once.
    assert "acted on by 1 Jul 2021 (checked once)" in html


def test_reversals_are_zoomed_and_the_rest_counted(many):
    rows = _rows(many["en"].out_dir / "03-reversals" / "reversals.csv")
    panels = {r["panel"] for r in rows if r["panel"]}
    assert panels and panels <= set("ABC")
    reversed_items = sum(int(r["n_items"]) for r in rows if r["reversed"] == "True")
    shown = sum(int(r["n_items"]) for r in rows if r["shown"] == "True")
    html = (many["en"].out_dir / "03-reversals.html").read_text(encoding="utf-8")
    assert f"and {reversed_items - shown} more in reversals.csv" in html


def test_long_tables_are_folded_with_their_data_linked(many):
    html = (many["en"].out_dir / "02-compliance-lag.html").read_text(encoding="utf-8")
    assert '<details class="tk-fold"><summary>' in html
    assert "all 120 rows" in html
    assert 'href="02-compliance-lag/lag-by-order.csv"' in html
    assert ">Median time to action<" in html and ">km_median<" not in html


def test_hindi_pages_are_in_hindi(many):
    html = (many["hi"].out_dir / "02-compliance-lag.html").read_text(encoding="utf-8")
    assert "अनुपालन में देरी" in html and "यह कैसे बना" in html
    assert ">कार्रवाई में लगा मध्य समय<" in html
    assert "Compliance lag" not in html and "How this was made" not in html


def test_acted_decides_what_counts_as_acting_on_an_order(data_dir):
    tables = questions.load(data_dir)
    default = questions.answer_lag(tables, as_of=AS_OF).table
    with_gone = questions.answer_lag(tables, as_of=AS_OF, acted="withheld,suspended,gone").table
    assert with_gone["actioned"].sum() > default["actioned"].sum()
