"""What we publish is safe: data text is shown, never run; CSV cells never run as formulas; hidden
accounts are named nowhere; nothing touches the network; a notebook without data says what to do.

The reports come from tests/fixtures/hostile/_report (see its sources.toml), rendered once per
session by `takedowns report -p redact_handles true` in a subprocess whose Python processes,
kernels included, cannot open a network connection (tests/support/hostile_reports.py).
"""

from __future__ import annotations

import ast
import csv
import html
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.cli import main
from analysis.report import charts, present, privacy, render
from analysis.store import processed

from support.browser_pages import open_offline
from support.hostile_reports import (
    FORMULA_ORDER,
    HIDDEN,
    IMG_ORDER,
    LINK_ORDER,
    NOTEBOOK_STEMS,
    PUBLIC,
    SCRIPT_ORDER,
    network_blocked_env,
)

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"
ALL_ORDERS = (SCRIPT_ORDER, IMG_ORDER, FORMULA_ORDER, LINK_ORDER)
#: Which hostile order ids each page shows as text.
SHOWN = {
    "index": (IMG_ORDER,),
    "00-overview": (SCRIPT_ORDER, IMG_ORDER),
    "01-volume": (),
    "02-compliance-lag": ALL_ORDERS,
    "03-reversals": (SCRIPT_ORDER, IMG_ORDER, LINK_ORDER),
}
#: Hostile order ids the charts draw as SVG text (labels, cut to fit), per page.
IN_CHARTS = {
    "01-volume": (SCRIPT_ORDER, FORMULA_ORDER),
    "02-compliance-lag": (SCRIPT_ORDER, LINK_ORDER),
}


# --- no network -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_clean_and_report_run_with_the_network_blocked(published_reports):
    printed = published_reports.result.stdout
    assert "Cleaned 3 sources" in printed  # clean ran under the guard too
    assert "Reports written" in printed
    lines = published_reports.network_log.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if line.startswith("blocked")], lines
    armed = [line for line in lines if line.startswith("armed")]
    assert any("-m analysis report" in line for line in armed), armed
    kernels = [line for line in armed if "ipykernel" in line]
    assert len(kernels) == len(NOTEBOOK_STEMS), armed  # every kernel had the guard too


def test_the_guard_refuses_the_network_and_allows_loopback(tmp_path):
    env, log = network_blocked_env(tmp_path)
    script = (
        "import socket\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=5).close()\n"
        "socket.create_connection(('192.0.2.1', 80), timeout=5)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "network access is blocked in this test" in done.stderr
    assert "blocked" in log.read_text(encoding="utf-8")


# --- text from the data is shown, not run ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("stem", list(SHOWN))
def test_hostile_text_is_displayed_not_executed(browser, published_reports, stem):
    page_path = published_reports.out / f"{stem}.html"
    context, page, requests, problems = open_offline(browser, page_path)
    try:
        page.wait_for_timeout(100)  # an onerror handler of a broken image runs after load
        assert page.evaluate("typeof window.__pwned") == "undefined"
        text = page.inner_text("body")
        for order in SHOWN[stem]:
            assert order in text, (order, text[:2000])
        drawn = page.eval_on_selector_all("figure svg text", "els => els.map(e => e.textContent)")
        for order in IN_CHARTS.get(stem, ()):
            assert any(t.startswith(order[:20]) for t in drawn), (order, drawn)
        assert page.locator("img[onerror], [onerror], [onload]").count() == 0
        assert page.locator('a[href^="javascript:" i], a[href*="evil.example"]').count() == 0
        scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
        assert not [s for s in scripts if "__pwned" in s]
        assert not requests, requests
        assert not problems, problems
    finally:
        context.close()


@pytest.mark.slow  # importing nbconvert takes seconds
def test_markdown_text_renders_as_exactly_the_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    texts = [
        *ALL_ORDERS,
        "1. Order *A_1* costs $5 | `x` ~~y~~ \\ https://evil.example a@b.example",
        "आदेश IN-MeitY: 583 में से ~250 (49%)।",
    ]
    for text in texts:
        rendered = markdown2html_mistune(present.markdown_text(text))
        assert "<a " not in rendered and "<em>" not in rendered and "<code>" not in rendered
        visible = re.sub(r"<[^>]+>", "", rendered).strip()
        assert html.unescape(visible) == text


@pytest.mark.slow  # importing nbconvert takes seconds
def test_a_failure_note_quoting_data_is_escaped_too():
    note = render._failure_note(
        {"cell_index": 2, "ename": "InputError", "evalue": "bad id [x](javascript:alert(1))"}
    )
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    assert "<a " not in markdown2html_mistune(note)


# --- CSV cells never run as formulas --------------------------------------------------------------


def _formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run: starting with = + @ tab CR, or - unless a plain number."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                bad.append(cell)
            elif cell[:1] == "-":
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


@pytest.mark.slow
def test_every_csv_in_the_reports_is_safe_and_the_data_keep_the_text(published_reports):
    files = sorted(published_reports.out.rglob("*.csv"))
    assert len(files) >= 8
    for path in files:
        assert not _formula_cells(path.read_text(encoding="utf-8")), path
    lag = (published_reports.out / "02-compliance-lag" / "lag-by-order.csv").read_text()
    assert "'=HYPERLINK" in lag
    orders = processed.read_tables(published_reports.data / "processed", ("orders",))["orders"]
    assert FORMULA_ORDER in set(orders["order_id"])


def _csv_writers() -> list[str]:
    """Every call in the package that writes CSV text: ``to_csv`` or the csv module's writers."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    name = node.func.attr
                    if name in ("to_csv", "writer", "DictWriter", "writerow", "writerows"):
                        found.append(f"{path.relative_to(PACKAGE).as_posix()}:{function.name}")
    return sorted(set(found))


def test_every_csv_writer_in_the_package_goes_through_safe_csv():
    assert _csv_writers() == ["store/export.py:safe_csv"]
    # ... and the code that writes .csv files calls it.
    callers = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "safe_csv(" in path.read_text(encoding="utf-8")
    }
    assert {
        "store/processed.py",
        "report/charts/frame.py",
        "report/present.py",
        "cli.py",
    } <= callers


FORMULAS = pd.DataFrame(
    {
        "order_id": [FORMULA_ORDER, "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\tx", "A-1"],
        "n": [1, -2, 3, 4, 5, 6],
    }
)


def test_rejects_csv_is_safe(tmp_path):
    rejects = pd.DataFrame(
        {
            "source_file": "a.csv",
            "source_row": pd.array(range(2, 8), dtype="Int64"),
            "column": "Handle",
            "value": FORMULAS["order_id"],
            "reason": "bad",
            "level": "row",
        }
    )
    manifest = {"run_id": "x", "package_version": "0", "sources": []}
    processed.write_outputs(tmp_path, {}, rejects, manifest)
    assert not _formula_cells((tmp_path / "rejects.csv").read_text(encoding="utf-8"))
    kept = pq.read_table(tmp_path / "rejects.parquet").column("value").to_pylist()
    assert kept == list(FORMULAS["order_id"])


def test_chart_csv_is_safe(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        charts.save(fig, FORMULAS, tmp_path, "chart", extra={"more": FORMULAS})
    finally:
        plt.close(fig)
    for name in ("chart.csv", "chart-more.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not _formula_cells(text)
        assert "-2" in text  # numbers stay numbers


def test_report_table_csv_is_safe(tmp_path, capsys):
    present.table(FORMULAS, ["order_id", "n"], tmp_path, "table")
    assert not _formula_cells((tmp_path / "table.csv").read_text(encoding="utf-8"))
    capsys.readouterr()


@pytest.mark.slow
def test_metrics_csv_output_is_safe(published_reports, capsys):
    capsys.readouterr()
    args = ["metrics", "lag", "--data", str(published_reports.data), "--format", "csv"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "'=HYPERLINK" in printed
    assert not _formula_cells(printed)


# --- redaction ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_hidden_account_appears_anywhere_in_the_reports(published_reports):
    import nbformat  # imported here: it takes seconds, which `make test-fast` need not pay

    out = published_reports.out
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".png"]
    assert {p.suffix for p in files} >= {".html", ".csv", ".ipynb"}
    for path in files:
        text = path.read_text(encoding="utf-8").casefold()
        leaks = [name for name in HIDDEN if name in text]
        assert not leaks, (path, leaks)
    # Redaction hides exactly what it should: the allowed account is still named, the others
    # carry pseudonyms, and the executed notebooks record the parameter that asked for it.
    reversals = (out / "03-reversals" / "reversals.csv").read_text(encoding="utf-8")
    assert PUBLIC in reversals and "[account 1]" in reversals and "[tweet 1]" in reversals
    for stem in NOTEBOOK_STEMS:
        nb = nbformat.read(out / f"{stem}.ipynb", as_version=4)
        assert nb.metadata["papermill"]["parameters"]["redact_handles"] is True


@pytest.mark.slow
def test_the_processed_data_keep_every_handle(published_reports):
    # Redaction is for what is published; fact-checkers still have the names in Parquet.
    items = processed.read_tables(published_reports.data / "processed", ("items",))["items"]
    named = {"@secret_person", "@third_person", "tweet:1356205424589848599"}
    assert named <= set(items["item_id"])
    assert "hidden_two" in set(items["handle"])


def test_redaction_covers_checks_and_free_text():
    t = pd.Timestamp("2021-02-01", tz="UTC")
    tables = {
        "orders": pd.DataFrame(
            {
                "order_id": ["O1"],
                "issued_at": [t],
                "title": ["Order naming @Hidden_Acct and ab"],
                "notes": ["see https://x.com/hidden_acct/status/123456789012"],
                "source_url": ["https://x.com/ab"],
            }
        ),
        "items": pd.DataFrame(
            {
                "order_id": ["O1", "O1", "O1"],
                "item_id": ["@hidden_acct", "@ab", "tweet:99"],
                "item_type": ["account", "account", "tweet"],
                "handle": ["hidden_acct", "ab", "tweet_author"],
                "tweet_id": [None, None, "99"],
                "raw_value": ["@hidden_acct", "@ab", "x.com/tweet_author/status/99"],
                "notes": [None, None, None],
            }
        ),
        "events": pd.DataFrame(
            {
                "item_id": [None],
                "order_id": ["O1"],
                "event": ["withheld"],
                "at": [t],
                "notes": ["126 blocked, among them tweet_author's 99 and Hidden_Acct"],
                "source_url": ["https://twitter.com/Tweet_Author/status/99"],
            }
        ),
        "checks": pd.DataFrame(
            {
                "item_id": ["@hidden_acct", "@checked_only"],
                "checked_at": [t, t],
                "source_url": [None, "https://x.com/checked_only"],
            }
        ),
    }
    out = privacy.redact(tables, set())
    # Numbered by first appearance (order, event or check), ties by id.
    assert list(out["items"]["item_id"]) == ["[account 3]", "[account 1]", "[tweet 1]"]
    assert list(out["checks"]["item_id"]) == ["[account 3]", "[account 2]"]
    assert out["checks"]["source_url"].iloc[1] == "https://x.com/[account 2]"
    assert out["orders"]["title"].iloc[0] == "Order naming [account 3] and ab"  # 'ab': too short
    assert out["orders"]["notes"].iloc[0] == "see https://x.com/[account 3]/status/[id hidden]"
    assert out["orders"]["source_url"].iloc[0] == "https://x.com/[account 1]"  # in a URL: hidden
    assert out["events"]["notes"].iloc[0] == (
        "126 blocked, among them [author of tweet 1]'s [tweet 1] and [account 3]"
    )
    assert out["events"]["source_url"].iloc[0] == (
        "https://twitter.com/[author of tweet 1]/status/[tweet 1]"
    )
    assert tables["orders"]["title"].iloc[0] == "Order naming @Hidden_Acct and ab"  # input kept


# --- a notebook without data says which command to run --------------------------------------------


@pytest.mark.slow
def test_a_notebook_without_processed_data_names_the_command_in_its_first_cell(tmp_path):
    import nbformat  # imported here: it takes seconds, which `make test-fast` need not pay
    import papermill

    root = Path(__file__).resolve().parents[1]
    executed = tmp_path / "lag.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(
            root / "notebooks" / "02-compliance-lag.ipynb",
            executed,
            parameters={"data_dir": str(tmp_path), "output_dir": str(tmp_path / "charts")},
            cwd=root / "notebooks",
            progress_bar=False,
            kernel_name="python3",
        )
    assert raised.value.ename == "InputError"
    assert "run `takedowns clean`" in raised.value.evalue
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failing = [c for c in code if any(o.output_type == "error" for o in c.outputs)]
    # The first cell after the parameters fails, not one twenty cells later.
    assert failing and failing[0] is next(c for c in code if "present.start(" in c.source)
    error = next(o for o in failing[0].outputs if o.output_type == "error")
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert "run `takedowns clean`" in traceback.splitlines()[-1]
    frames = re.findall(r"^(?:Cell In\[\d+\]|File \S+)", traceback, re.MULTILINE)
    assert len(frames) == 2, traceback  # the cell and present.start, nothing deeper


@pytest.mark.slow
def test_the_browser_check_would_see_a_script_run(browser, tmp_path):
    # Control: the same checks on a page whose payload does run, so a pass above means something.
    page_path = tmp_path / "pwned.html"
    page_path.write_text(
        "<html><body><p>x</p><script>window.__pwned = 1</script></body></html>", encoding="utf-8"
    )
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        page.goto(page_path.as_uri(), wait_until="load")
        assert page.evaluate("typeof window.__pwned") == "number"
    finally:
        context.close()
