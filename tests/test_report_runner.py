"""The report runner: papermill execution, offline HTML pages, the index, failures and the cache.

Executing notebooks is slow (a kernel each), so the whole file executes four: the two fixture
notebooks once in a shared run, then the overview twice for the cache. Everything else reads
those runs' outputs or never reaches execution.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from analysis.core.errors import InputError
from analysis.report import render
from analysis.report.render import UnknownParameterWarning, run_report

# Every test here executes notebooks: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"
OVERVIEW = NOTEBOOKS / "00-overview.ipynb"
BROKEN = NOTEBOOKS / "01-broken.ipynb"
HEADLINE = "12 orders from IN in three months (hi)."
CODE_BLOCK = 'class="highlight hl-ipython3"'  # how nbconvert renders a code cell's input
NETWORK = re.compile(r"<(?:script|link|iframe|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Both fixture notebooks, rendered once, with a stale temporary from a 'killed' run."""
    out_dir = tmp_path_factory.mktemp("run") / "reports"
    stale = out_dir.parent / ".reports.tmp-999999999-killed"  # no such process
    (stale / "00-overview").mkdir(parents=True)
    (stale / "00-overview.html").write_text("<html>half", encoding="utf-8")
    stderr = io.StringIO()
    with pytest.warns(UnknownParameterWarning) as warned, contextlib.redirect_stderr(stderr):
        result = run_report(
            notebooks=[OVERVIEW, BROKEN],
            params={"as_of": "2021-03-31", "country": "IN", "not_a_parameter": 1},
            out_dir=out_dir,
            lang="hi",
            workers=2,
            timeout=120,
            progress=True,
            data_fingerprint="run-1",
        )
    return SimpleNamespace(
        result=result,
        out=out_dir,
        pages=out_dir / render.FAILED_DIR,  # a notebook failed: the run is set aside there
        stale=stale,
        stderr=stderr.getvalue(),
        warnings=[str(w.message) for w in warned],
    )


def executed(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder`` -> (modification time in ns, content)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_outputs_are_written_for_every_notebook(run):
    out, pages = run.out, run.pages
    assert run.result.out_dir == out
    assert run.result.index == pages / "index.html"
    assert run.result.pages == [pages / "00-overview.html", pages / "01-broken.html"]
    for stem in ("00-overview", "01-broken"):
        assert (pages / f"{stem}.html").is_file()
        assert (pages / f"{stem}.ipynb").is_file()
    # A notebook failed, so nothing was published in the reports folder itself.
    assert sorted(p.name for p in out.iterdir()) == [render.FAILED_DIR]
    assert set(run.result.timings) == {"00-overview", "01-broken"}
    assert not run.result.cached


@pytest.mark.slow
def test_parameters_are_injected_only_where_declared(run):
    overview = executed(run.pages / "00-overview.ipynb")["metadata"]["papermill"]
    assert overview["parameters"] == {
        "lang": "hi",
        "as_of": "2021-03-31",
        "country": "IN",
        "output_dir": str(run.pages / "00-overview"),  # where the charts are, not the staging
    }
    assert overview["output_path"] == str(run.pages / "00-overview.ipynb")
    broken = executed(run.pages / "01-broken.ipynb")["metadata"]["papermill"]["parameters"]
    assert broken == {"lang": "hi", "output_dir": str(run.pages / "01-broken")}
    assert any("not_a_parameter" in message for message in run.warnings)


@pytest.mark.slow
def test_notebook_writes_its_charts_into_its_own_folder(run):
    charts = run.pages / "00-overview"
    assert (charts / "orders-by-month.png").read_bytes().startswith(b"\x89PNG")
    assert (charts / "orders-by-month.csv").read_text().startswith("month,orders\n")


@pytest.mark.slow
def test_page_is_offline_with_embedded_chart_and_no_code(run):
    page = (run.pages / "00-overview.html").read_text(encoding="utf-8")
    assert re.search(r'<img [^>]*src="data:image/png;base64,', page)
    assert not NETWORK.search(page), NETWORK.search(page)
    assert "<script src" not in page
    assert "mathjax" not in page.lower() and "require.js" not in page.lower()
    assert CODE_BLOCK not in page
    assert "secret_marker_total" not in page  # a variable only the code mentions
    assert "plt.subplots" not in page
    assert HEADLINE in page  # outputs stay
    assert "<title>Fixture overview: orders by month</title>" in page
    assert '<html lang="hi">' in page


@pytest.mark.slow
def test_index_lists_reports_with_titles_and_headlines(run):
    index = run.result.index.read_text(encoding="utf-8")
    assert "<title>टेकडाउन आदेश: रिपोर्टें</title>" in index  # the run is in Hindi (lang="hi")
    assert '<a class="topic" href="00-overview.html">Fixture overview: orders by month</a>' in index
    assert '<a class="topic" href="01-broken.html">Fixture failure: a broken report</a>' in index
    assert HEADLINE in index
    assert "आँकड़े 2021-03-31 तक" in index
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", index)
    assert "<script" not in index and "http" not in index


@pytest.mark.slow
def test_failing_notebook_is_reported_and_still_rendered(run):
    (failure,) = run.result.failures
    assert failure.notebook == BROKEN
    assert failure.cell_index == 3  # the fourth cell of the stored notebook
    assert failure.ename == "ZeroDivisionError"
    assert failure.evalue == "division by zero"
    assert failure.page == run.pages / "01-broken.html"
    message = run.result.message()
    assert "01-broken.ipynb" in message and "cell 4" in message
    assert "broken_ratio = 12 / zero_orders" in message
    assert f"its page, with the traceback, is {run.pages / '01-broken.html'}" in message
    assert f"the reports in {run.out} were left as they were" in message

    page = (run.pages / "01-broken.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in page and "did not run to the end" in page
    assert page.count(CODE_BLOCK) == 1  # the failing cell's code, and only that
    assert "before the failure" in page  # what ran before it
    assert not NETWORK.search(page)
    cells = executed(run.pages / "01-broken.ipynb")["cells"]
    errors = [o for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ZeroDivisionError"]
    assert "सेल 4 पर विफल: ZeroDivisionError" in run.result.index.read_text(encoding="utf-8")


@pytest.mark.slow
def test_progress_is_one_line_per_notebook(run):
    lines = run.stderr.splitlines()
    assert len(lines) == 2, run.stderr
    assert any(re.fullmatch(r"\[[12]/2\] 00-overview \.\.\. done in \d+\.\d s", ln) for ln in lines)
    assert any(
        re.fullmatch(r"\[[12]/2\] 01-broken \.\.\. FAILED at cell 4 \(ZeroDivisionError\).*", ln)
        for ln in lines
    )


@pytest.mark.slow
def test_temporaries_are_gone_and_a_failed_run_is_not_cached(run):
    assert not run.stale.exists()
    assert not list(run.out.parent.glob(".reports.tmp-*"))
    assert not list(run.out.glob(render.STAGING_PREFIX + "*"))
    assert not (run.out / render.CACHE_FILE).exists()


@pytest.mark.slow
def test_unchanged_run_is_cached_and_a_change_reruns(tmp_path, monkeypatch):
    notebook = tmp_path / "notebooks" / "00-overview.ipynb"
    notebook.parent.mkdir()
    shutil.copy(OVERVIEW, notebook)
    out_dir = tmp_path / "reports"
    settings = dict(notebooks=[notebook], out_dir=out_dir, data_fingerprint="run-1", workers=1)
    # the package's own source is part of the key; pin it, others may be editing the tree
    monkeypatch.setattr(render, "_package_fingerprint", lambda: "package-1")

    first = run_report(params={"as_of": "2021-03-31"}, progress=False, **settings)
    assert first.ok and not first.cached

    # The same run again executes no notebook (no kernel starts) and rewrites no file.
    def ran(*args, **kwargs):
        raise LookupError("executed")

    written = _files(out_dir)
    monkeypatch.delenv("CI", raising=False)
    stderr = io.StringIO()
    with monkeypatch.context() as guard, contextlib.redirect_stderr(stderr):
        guard.setattr(render, "_execute_all", ran)
        second = run_report(params={"as_of": "2021-03-31"}, **settings)
    assert second.cached and second.pages == first.pages and second.index == first.index
    assert second.timings == {}
    assert _files(out_dir) == written
    assert "unchanged" in stderr.getvalue()

    third = run_report(params={"as_of": "2021-04-30"}, progress=False, **settings)
    assert not third.cached and third.ok
    parameters = executed(out_dir / "00-overview.ipynb")["metadata"]["papermill"]["parameters"]
    assert parameters["as_of"] == "2021-04-30"
    assert "Data as of 2021-04-30" in third.index.read_text(encoding="utf-8")
    assert (out_dir / "00-overview" / "orders-by-month.png").is_file()

    # Each input of the cache key forces a new run (stopped before any kernel starts).
    monkeypatch.setattr(render, "_execute_all", ran)
    monkeypatch.setenv("CI", "true")
    again = dict(settings, params={"as_of": "2021-04-30"})
    with contextlib.redirect_stderr(io.StringIO()) as quiet:
        assert run_report(**again).cached  # and, with CI set, no progress output
    assert quiet.getvalue() == ""
    changes = [
        dict(again, data_fingerprint="run-2"),
        dict(again, lang="hi"),
        dict(again, force=True),
    ]
    for change in changes:
        with pytest.raises(LookupError):
            run_report(**change)
    monkeypatch.setattr(render, "_package_fingerprint", lambda: "package-2")
    with pytest.raises(LookupError):
        run_report(**again)
    monkeypatch.setattr(render, "_package_fingerprint", lambda: "package-1")
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(LookupError):
        run_report(**again)


def test_missing_or_clashing_notebooks_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such notebook"):
        run_report(notebooks=[tmp_path / "nope.ipynb"], out_dir=tmp_path / "out")
    twin = tmp_path / "00-overview.ipynb"
    shutil.copy(OVERVIEW, twin)
    with pytest.raises(InputError, match="rename one"):
        run_report(notebooks=[OVERVIEW, twin], out_dir=tmp_path / "out")


def test_index_escapes_text_from_notebooks():
    outcome = {
        "stem": "x",
        "page": "a b.html",
        "title": "<script>alert(1)</script>",
        "headline": 'Orders & "items" <rose>',
        "failure": None,
    }
    page = render._index_html([outcome], "2021-03-31 <b>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Orders &amp; &quot;items&quot; &lt;rose&gt;" in page
    assert 'href="a%20b.html"' in page
    assert "2021-03-31 &lt;b&gt;" in page


# --- a failed run publishes nothing; staging lives inside the output folder (issue 20) --------


def test_a_failed_run_leaves_the_published_reports_and_charts_in_place(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    monkeypatch.setattr(render, "_package_fingerprint", lambda: "package-1")
    settings = dict(out_dir=out, workers=1, progress=False, timeout=120)
    good = run_report(notebooks=[OVERVIEW], data_fingerprint="run-1", **settings)
    assert good.ok
    published = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
    }
    assert "00-overview/orders-by-month.png" in published and "index.html" in published

    failed = run_report(notebooks=[OVERVIEW, BROKEN], data_fingerprint="run-2", **settings)
    assert not failed.ok
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    kept = {name: data for name, data in after.items() if not name.startswith("failed/")}
    assert kept == published  # pages, charts, index and cache, byte for byte
    (failure,) = failed.failures
    assert failure.page == out / "failed" / "01-broken.html" and failure.page.is_file()
    assert (out / "failed" / "00-overview" / "orders-by-month.png").is_file()
    assert failed.index == out / "failed" / "index.html"

    again = run_report(notebooks=[OVERVIEW], data_fingerprint="run-3", **settings)
    assert again.ok and not (out / "failed").exists()  # out of date once a run succeeds


def test_staging_is_inside_the_output_folder_so_moves_never_cross_devices(tmp_path, monkeypatch):
    parent = tmp_path / "mount"
    out = parent / "reports"
    out.mkdir(parents=True)
    made = []
    real = render.tempfile.mkdtemp

    def mkdtemp(*, prefix, dir):
        # A mount point's parent is another file system: a staging folder there would make
        # every os.replace a cross-device link (errno 18).
        made.append(Path(dir))
        if Path(dir) != out:
            raise PermissionError(13, "Permission denied", str(dir))
        return real(prefix=prefix, dir=dir)

    monkeypatch.setattr(render.tempfile, "mkdtemp", mkdtemp)
    parent.chmod(0o555)  # the parent cannot be written (for a user other than root)
    try:
        result = run_report(
            notebooks=[OVERVIEW], out_dir=out, workers=1, progress=False, data_fingerprint="x"
        )
    finally:
        parent.chmod(0o755)
    assert result.ok
    assert made == [out]
    assert (out / "00-overview.html").is_file() and (out / "00-overview").is_dir()
    assert not list(out.glob(render.STAGING_PREFIX + "*"))
    assert sorted(p.name for p in parent.iterdir()) == ["reports"]
