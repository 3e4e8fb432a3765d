"""Render the report notebooks: execute them with papermill, export HTML, write an index page.

``run_report`` is what ``takedowns report`` and CI call. For every notebook in ``notebooks/`` it

1. injects the parameters the notebook's ``parameters`` cell declares (``params`` plus ``lang`` and
   ``output_dir``, the notebook's own chart folder ``<out>/<stem>/``) and warns about parameters no
   notebook declares, which are usually typos;
2. executes it with papermill in a pool of worker processes, one kernel per notebook. Workers are
   never forked from the caller (a forked copy of a process that holds ZeroMQ sockets and
   kernel-manager threads can hang): on Linux they fork from a clean ``forkserver`` that has
   imported papermill once, elsewhere they are spawned. Like any spawning code, a *script* that
   calls ``run_report`` must do so under ``if __name__ == "__main__":``;
3. exports it to HTML with the code hidden and nothing fetched from the network, so the page opens
   offline: charts are inline SVG with real text, the Hind font is embedded (only the glyphs the
   page uses), and the require.js, MathJax, Mermaid and widget scripts and the JupyterLab styles
   of nbconvert's ``lab`` template are replaced by the house page style (:data:`PAGE_CSS`: an
   article column, figures full width, tables that become cards on a phone); markdown cells
   tagged ``notebook-only`` (notes for JupyterLab users) are left out of every page;
4. writes ``index.html``: one entry per report with its title (the ``title`` cell's text, else the
   notebook's first markdown heading), its headline (the text output of the cell tagged
   ``headline``) and a thumbnail of its first chart.

Everything is first written to a staging folder inside ``out_dir`` (``.staging-<pid>-...``, on
the same file system, so the moves never cross devices when ``out_dir`` is a mount point) and
then moved into place with ``os.replace``, charts first and ``index.html`` last, so a killed run
never leaves a half-written file visible; the temporaries of killed runs are removed by the next
run. One run at a time writes ``out_dir``: a second stops at once, naming the first
(:mod:`analysis.store.lock`).

A notebook that fails does not stop the others, but a run with a failure publishes nothing: the
pages and chart folders already in ``out_dir`` stay as they were, and the whole run (index,
pages, executed notebooks, charts) goes to ``out_dir/failed/`` instead, the failing page showing
the failing cell's code and traceback. The failures are listed in ``ReportResult.failures``
(each naming its page); the caller decides the exit status. The next successful run removes
``failed/``.

When the notebooks, the parameters, the package and the data are the same as at the last
successful run (recorded in ``<out>/.report-cache.json``), nothing is executed and the result
says ``cached=True``.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import datetime as dt
import functools
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analysis import __version__
from analysis.core import interrupts, paths
from analysis.core.errors import InputError
from analysis.core.temporaries import remove_leftovers, temporary_prefix
from analysis.report.wording import LANGS, phrase
from analysis.store.atomic import set_new_file_mode
from analysis.store.lock import folder_lock

INDEX_FILE = "index.html"
CACHE_FILE = ".report-cache.json"
#: Where a run with a failed notebook puts its pages, inside the output folder.
FAILED_DIR = "failed"
#: The staging folder of a run, inside the output folder; the writer's process id follows.
STAGING_PREFIX = ".staging-"
HEADLINE_TAG = "headline"
AS_OF_TAG = "as-of"
TITLE_TAG = "title"
#: Markdown cells written in English only (a notebook's introduction), left out of other languages.
ENGLISH_ONLY_TAG = "lang-en"
#: Markdown cells for people running the notebook (in JupyterLab), left out of every page.
NOTEBOOK_ONLY_TAG = "notebook-only"
KERNEL = "python3"

#: Bump when the pages this module writes change, so cached reports are rendered again.
_FORMAT = 2
_TMP_MARK = ".tmp-"
_LOG_DIR = ".logs"
_PAPERMILL_MARKER_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
_RUNTIME_PARAMETERS = ("lang", "output_dir")

#: nbconvert's ``lab`` template without anything that loads from the network (require.js,
#: MathJax: maths stays as TeX text, Mermaid, the Jupyter widgets renderer) and without the
#: JupyterLab styles: the page is styled by :data:`PAGE_CSS` as an article.
_OFFLINE_TEMPLATE_NAME = "takedowns-offline.html.j2"
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block notebook_css -%}{%- endblock notebook_css -%}
{%- block body_header -%}
<body class="tk-page">
<main class="tk-article">
{%- endblock body_header -%}
"""
#: Output types that need JavaScript (widgets, plotly, bokeh...) and cannot work offline; a cell's
#: other representations (PNG, plain text) are shown instead.
_SCRIPT_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json")
#: Last line of defence, for raw HTML in markdown cells: anything that would load from the network.
_NETWORK_TAG = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>.*?</script\s*>"
    r"|<(?:link|iframe|embed|img|audio|video|source)\b[^>]*\b(?:href|src)\s*=\s*[\"']?"
    r"(?:https?:)?//[^>]*>",
    re.IGNORECASE | re.DOTALL,
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class UnknownParameterWarning(UserWarning):
    """A parameter was given that no notebook's ``parameters`` cell declares."""


@dataclass(frozen=True)
class NotebookFailure:
    """One notebook that did not run to the end.

    ``cell_index`` counts the cells of the notebook file as stored (markdown cells included) from
    0, as nbformat does; ``None`` when no cell ran (the kernel did not start, the file is damaged).
    """

    notebook: Path
    cell_index: int | None
    ename: str
    evalue: str
    source_line: str = ""
    page: Path | None = None  # the failed run's page for this notebook, when one was written

    def message(self) -> str:
        name = _display_path(self.notebook)
        error = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        page = f"; its page is {self.page}" if self.page else ""
        if self.cell_index is None:
            return f"{name} could not be run ({error}){page}."
        where = f"cell {self.cell_index + 1}"
        if self.source_line:
            where += f" (`{self.source_line}`)"
        shows = f"; its page, with the traceback, is {self.page}" if self.page else ""
        return f"{name} failed at {where} with {error}{shows}."


@dataclass
class ReportResult:
    """What a report run wrote. ``pages`` follow the notebooks' order; ``timings`` are in seconds
    per notebook stem (empty when ``cached``). When a notebook failed, ``index`` and ``pages``
    are in ``out_dir/failed/`` and the published reports in ``out_dir`` were left alone."""

    out_dir: Path
    index: Path
    pages: list[Path] = field(default_factory=list)
    failures: list[NotebookFailure] = field(default_factory=list)
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def message(self) -> str:
        """One sentence per failed notebook, one per line, then where the published reports
        are; empty when every notebook ran."""
        if not self.failures:
            return ""
        lines = [failure.message() for failure in self.failures]
        lines.append(
            f"Nothing was published: the reports in {self.out_dir} were left as they were; "
            f"this run's pages are in {self.index.parent}."
        )
        return "\n".join(lines)


def default_notebooks() -> list[Path]:
    """The report notebooks, in file-name order (so ``00-overview.ipynb`` comes first)."""
    return sorted(paths.notebooks_dir().glob("*.ipynb"))


def run_report(
    *,
    notebooks: list[Path] | None = None,
    params: dict | None = None,
    out_dir: Path | None = None,
    lang: str = "en",
    workers: int = 2,
    timeout: int = 600,
    progress: bool | None = None,
    data_fingerprint: str | Callable[[], str | None] | None = None,
    force: bool = False,
) -> ReportResult:
    """Execute the report notebooks and write their HTML pages and ``index.html`` to ``out_dir``.

    ``params`` go to every notebook that declares them (``params["lang"]``, when given, wins over
    ``lang``; ``output_dir`` is always the notebook's chart folder). ``timeout`` is per cell, in
    seconds. ``progress`` prints one line per notebook on stderr; by default it is on unless the
    environment variable ``CI`` is set. ``data_fingerprint`` identifies the data the notebooks read
    (e.g. the processed manifest's ``run_id``; a callable is called); when it is ``None`` the
    processed folder's ``manifest.json`` is fingerprinted, and without one nothing is cached.
    ``force`` runs even when the cache says nothing changed. ``workers <= 1`` executes in this
    process, one notebook after another.

    Raises :class:`InputError` when a notebook is missing or unreadable. Notebook errors do not
    raise; they are returned in ``ReportResult.failures``.
    """
    started = time.perf_counter()
    notebooks = _check_notebooks(default_notebooks() if notebooks is None else notebooks)
    out_dir = Path(out_dir).absolute() if out_dir is not None else paths.reports_dir()
    values = _plain({"lang": lang, **(params or {})})
    if progress is None:
        progress = "CI" not in os.environ
    if callable(data_fingerprint):
        data_fingerprint = data_fingerprint()
    if data_fingerprint is None:
        data_fingerprint = _manifest_fingerprint()

    key = None if data_fingerprint is None else _cache_key(notebooks, values, data_fingerprint)
    with folder_lock(out_dir, "report"):  # one writer at a time
        # A killed run's staging folder goes even when nothing needs rendering now.
        _remove_stale_temporaries(out_dir)
        if key is not None and not force:
            cached = _cached_result(out_dir, key)
            if cached is not None:
                if progress:
                    _say(f"Reports unchanged since the last run; nothing to do ({cached.index}).")
                return cached
        context = _pool_context() if workers > 1 else None
        declared = {nb: _declared_parameters(nb) for nb in notebooks}
        _warn_unknown(values, declared)
        # Inside out_dir: the moves into place stay on one file system (a mount point, a
        # Docker volume), and a parent folder that cannot be written does not matter.
        staging = Path(tempfile.mkdtemp(prefix=temporary_prefix(STAGING_PREFIX), dir=out_dir))
        try:
            jobs = [_job(nb, declared[nb], values, staging, out_dir, timeout) for nb in notebooks]
            outcomes = _execute_all(jobs, workers, progress, context)
            as_of = _as_of(values, outcomes, declared)
            index_lang = values.get("lang") if values.get("lang") in LANGS else "en"
            index = _index_html(outcomes, as_of, index_lang)
            (staging / INDEX_FILE).write_text(index, encoding="utf-8")
            return _finish(staging, out_dir, outcomes, key, started)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _finish(
    staging: Path, out_dir: Path, outcomes: list[dict], key: str | None, started: float
) -> ReportResult:
    """Publish the run from ``staging`` (and cache it), or, when a notebook failed, set it
    aside in ``out_dir/failed/`` and publish nothing."""
    timings = {outcome["stem"]: round(outcome["seconds"], 3) for outcome in outcomes}
    if any(outcome["failure"] for outcome in outcomes):
        # The published pages and charts stay; this run is kept where it can be read.
        folder = _set_aside(staging, out_dir, outcomes)
        pages = [folder / outcome["page"] for outcome in outcomes if outcome["page"]]
        failures = [
            _failure(outcome, folder / outcome["page"] if outcome["page"] else None)
            for outcome in outcomes
            if outcome["failure"]
        ]
        return ReportResult(out_dir, folder / INDEX_FILE, pages, failures, False, timings)
    (out_dir / CACHE_FILE).unlink(missing_ok=True)
    _publish(staging, out_dir, outcomes)
    pages = [out_dir / outcome["page"] for outcome in outcomes if outcome["page"]]
    if key is not None:
        _write_cache(out_dir, key, pages, started)
    return ReportResult(out_dir, out_dir / INDEX_FILE, pages, [], False, timings)


# --- planning -----------------------------------------------------------------------------------


def _check_notebooks(notebooks: list[Path]) -> list[Path]:
    if not notebooks:
        raise InputError(f"no notebooks to render (none in {paths.notebooks_dir()})")
    checked: list[Path] = []
    stems: dict[str, Path] = {}
    for notebook in notebooks:
        path = Path(notebook).absolute()
        if not path.is_file():
            raise InputError(f"{path}: no such notebook")
        if path.stem in stems:
            raise InputError(
                f"{path} and {stems[path.stem]} would both be written as {path.stem}.html; "
                "rename one"
            )
        stems[path.stem] = path
        checked.append(path)
    return checked


def _plain(value: Any) -> Any:
    """Parameters as JSON-like values papermill can write into a cell (paths and dates as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _declared_parameters(notebook: Path) -> dict[str, dict]:
    import papermill

    try:
        return dict(papermill.inspect_notebook(str(notebook)))
    except Exception as err:  # damaged JSON, not a notebook, unreadable file
        raise InputError(f"{notebook} cannot be read as a notebook ({err})") from None


def _warn_unknown(values: dict, declared: dict[Path, dict[str, dict]]) -> None:
    known = {name for names in declared.values() for name in names}
    for name in sorted(set(values) - known - set(_RUNTIME_PARAMETERS)):
        warnings.warn(
            f"parameter {name!r} is not declared in the parameters cell of any notebook "
            f"({', '.join(sorted(known)) or 'none declared'}); it was not used",
            UnknownParameterWarning,
            stacklevel=3,
        )


def _job(
    notebook: Path,
    declared: dict[str, dict],
    values: dict,
    staging: Path,
    out_dir: Path,
    timeout: int,
) -> dict:
    chart_dir = staging / notebook.stem
    given = {**values, "output_dir": str(chart_dir)}
    injected = {name: value for name, value in given.items() if name in declared}
    if "output_dir" in injected:
        chart_dir.mkdir()
    return {
        "notebook": str(notebook),
        "stem": notebook.stem,
        "parameters": injected,
        "staging": str(staging),
        "out_dir": str(out_dir),
        "timeout": timeout,
        "lang": _language_code(values.get("lang")),
        "env": dict(os.environ),
    }


# --- execution ----------------------------------------------------------------------------------


def _pool_context() -> multiprocessing.context.BaseContext:
    """Where the workers come from; on Linux the fork server starts now, importing papermill and
    nbconvert while this process inspects the notebooks."""
    if sys.platform.startswith("linux"):
        import multiprocessing.forkserver

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "papermill", "nbconvert"])
        multiprocessing.forkserver.ensure_running()
        return context
    return multiprocessing.get_context("spawn")  # macOS: forking after imports is unsafe


def _execute_all(
    jobs: list[dict],
    workers: int,
    progress: bool,
    context: multiprocessing.context.BaseContext | None,
) -> list[dict]:
    total = len(jobs)
    done: dict[str, dict] = {}

    def report(outcome: dict) -> None:
        done[outcome["stem"]] = outcome
        if progress:
            _say(f"[{len(done)}/{total}] {_progress_text(outcome)}")

    if context is None:
        for job in jobs:
            try:
                outcome = _render_one(job)
            except Exception as err:  # a bug here or in nbconvert: the other notebooks still run
                outcome = _lost(job, err)
            report(outcome)
    else:
        with ProcessPoolExecutor(
            max_workers=min(workers, total),
            mp_context=context,
            initializer=_watch_caller,
            initargs=(os.getpid(),),
        ) as pool:
            futures: dict[Future, dict] = {pool.submit(_render_one, job): job for job in jobs}
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as err:  # worker died (killed, out of memory) or a bug here
                    outcome = _lost(futures[future], err)
                report(outcome)
    return [done[job["stem"]] for job in jobs]


def _watch_caller(pid: int) -> None:
    """Pool initializer: end this worker (and so its kernel, which watches its parent) when the
    process that started the run is gone, killed too hard to shut the pool down; otherwise the
    worker would wait for jobs forever."""
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        return

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="watch-caller", daemon=True).start()


def _progress_text(outcome: dict) -> str:
    seconds = f"{outcome['seconds']:.1f} s"
    failure = outcome["failure"]
    if not failure:
        return f"{outcome['stem']} ... done in {seconds}"
    where = "" if failure["cell_index"] is None else f" at cell {failure['cell_index'] + 1}"
    return f"{outcome['stem']} ... FAILED{where} ({failure['ename']}) after {seconds}"


def _lost(job: dict, err: BaseException) -> dict:
    detail = str(err) or "the worker process stopped"
    if type(err).__name__ == "BrokenProcessPool":
        detail += (
            ' (a script that calls run_report must do so under `if __name__ == "__main__":`;'
            " otherwise the machine may have run out of memory)"
        )
    return {
        "stem": job["stem"],
        "notebook": job["notebook"],
        "seconds": 0.0,
        "page": None,
        "chart_dir": None,
        "title": job["stem"],
        "headline": "",
        "as_of": None,
        "thumbnail": None,
        "failure": {
            "cell_index": None,
            "ename": type(err).__name__,
            "evalue": detail,
            "source_line": "",
        },
    }


def _render_one(job: dict) -> dict:
    """Execute one notebook and export it to HTML, all inside the staging folder.

    Runs in a worker process; takes and returns plain dicts so nothing unpicklable crosses over.
    """

    import nbformat
    import papermill

    started = time.perf_counter()
    notebook, stem = Path(job["notebook"]), job["stem"]
    staging, out_dir = Path(job["staging"]), Path(job["out_dir"])
    executed = staging / f"{stem}.ipynb"
    log = staging / _LOG_DIR / f"{stem}.log"
    log.parent.mkdir(exist_ok=True)
    crash: tuple[str, str] | None = None
    with _stderr_to(log), _kernel_environment(job["env"]):
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=job["parameters"],
                kernel_name=KERNEL,
                cwd=str(notebook.parent),
                progress_bar=False,
                execution_timeout=job["timeout"],
                log_output=False,
            )
        except papermill.PapermillExecutionError:
            pass  # papermill saved the notebook with the traceback; found again below
        except Exception as err:  # kernel did not start, cell timed out, kernel died
            crash = (type(err).__name__, _crash_detail(err, job["timeout"]))

        ran = executed.is_file()  # if not, show the notebook as stored, with the reason on top
        nb = nbformat.read(executed if ran else notebook, as_version=4)
        if crash is None:
            failure = _find_failure(nb)
        else:
            nb.cells[:] = [cell for cell in nb.cells if not _is_error_marker(cell)]
            stopped = _find_failure(nb) or (_last_started(nb) if ran else None)
            failure = _mark_crash(nb, stopped, *crash)
        _relocate(nb, staging, out_dir)
        nbformat.write(nb, executed)
        title = _title(nb, stem)
        page = staging / f"{stem}.html"
        page.write_text(_to_html(nb, title, failure, job["lang"]), encoding="utf-8")
    seconds = time.perf_counter() - started

    chart_dir = staging / stem
    return {
        "stem": stem,
        "notebook": str(notebook),
        "seconds": seconds,
        "page": page.name,
        "chart_dir": stem if chart_dir.is_dir() else None,
        "title": title,
        "headline": _tagged_text(nb, HEADLINE_TAG),
        "as_of": _tagged_text(nb, AS_OF_TAG) or _metadata_as_of(nb),
        "thumbnail": _thumbnail(nb, staging),
        "failure": failure,
    }


@contextlib.contextmanager
def _stderr_to(log: Path) -> Iterator[None]:
    """Send this process's stderr (and so the kernel's, which inherits it) to a log file, so the
    kernel's start-up chatter does not interleave with the progress lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log.open("ab") as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


@contextlib.contextmanager
def _kernel_environment(env: dict[str, str]) -> Iterator[None]:
    """The caller's environment (a worker from the fork server would otherwise have the one the
    server started with, e.g. an old ``TAKEDOWNS_DATA``), with charts drawn inline (an
    ``MPLBACKEND=Agg`` set for CI would leave the pages without images) and no debugger warnings.
    The kernel inherits it."""
    saved = dict(os.environ)
    wanted = {**env, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    wanted.pop("MPLBACKEND", None)
    try:
        os.environ.clear()
        os.environ.update(wanted)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _source_cells(nb) -> Iterator[tuple[int, int, Any]]:
    """(position in the executed notebook, index in the stored notebook, cell); papermill's
    injected-parameters cell counts as the parameters cell before it."""
    index = -1
    for position, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if not tags & _PAPERMILL_MARKER_TAGS:
            index += 1
        elif "injected-parameters" not in tags:
            continue
        yield position, max(index, 0), cell


def _find_failure(nb) -> dict | None:
    """The cell papermill marked as failed: the first with an error output (``sys.exit(0)``
    aside), else one papermill flagged."""
    flagged = None
    for position, index, cell in _source_cells(nb):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
                continue
            info = _failure_info(position, index, cell, output.get("ename"), output.get("evalue"))
            return {**info, "source_line": _failing_line(output) or info["source_line"]}
        state = cell.get("metadata", {}).get("papermill", {})
        if flagged is None and state.get("exception") is True:
            flagged = (position, index, cell)
    if flagged is not None:
        return _failure_info(*flagged, "CellExecutionError", "", traceback=False)
    return None


def _last_started(nb) -> dict | None:
    """The last cell that started running: the one the kernel died in or that timed out."""
    last = None
    for position, index, cell in _source_cells(nb):
        if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            last = (position, index, cell)
    return None if last is None else _failure_info(*last, "", "", traceback=False)


def _crash_detail(err: Exception, timeout: int) -> str:
    if isinstance(err, TimeoutError):
        return f"the cell was still running after {timeout} s, the time allowed per cell"
    return _one_line(str(err)) or "no detail"


def _failure_info(position, index, cell, ename, evalue, *, traceback: bool = True) -> dict:
    return {
        "position": position,
        "cell_index": index,
        "ename": str(ename or "Error"),
        "evalue": _one_line(str(evalue or "")),
        "source_line": _first_line(cell.get("source", "")),
        "traceback": traceback,  # whether the cell has an error output to show
    }


def _failing_line(output) -> str:
    """The cell's own line the traceback points at (``----> 2 ratio = a / b``), if shown."""
    text = _ANSI.sub("", "\n".join(output.get("traceback", [])))
    match = re.search(r"^-+>\s*\d+\s+(.*\S)", text, re.MULTILINE)
    return _one_line(match.group(1), 80) if match else ""


def _mark_crash(nb, stopped: dict | None, ename: str, evalue: str) -> dict:
    """Record an execution that stopped without a cell error output (timeout, dead kernel,
    kernel that never started) in the notebook itself, so the page says what happened."""
    import nbformat

    failure = {"position": None, "cell_index": None, "source_line": "", "traceback": False}
    failure.update(stopped or {}, ename=ename, evalue=evalue)
    if failure["position"] is not None:  # as papermill does: a note before the cell, one on top
        cell = nb.cells[failure["position"]]
        if not failure["traceback"]:
            error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
            error.traceback = [f"{ename}: {evalue}"]
            cell.setdefault("outputs", []).append(error)
        anchor = nbformat.v4.new_markdown_cell("**The cell that failed:**")
        anchor.metadata["tags"] = ["papermill-error-cell-tag"]
        nb.cells.insert(failure["position"], anchor)
        failure["position"] += 2
    note = nbformat.v4.new_markdown_cell(_failure_note(failure))
    note.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells.insert(0, note)
    return failure


def _is_error_marker(cell) -> bool:
    return "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", [])


def _relocate(nb, staging: Path, out_dir: Path) -> None:
    """Rewrite the staging folder to the final folder where papermill recorded it (the
    ``output_dir`` parameter, the output path), so the saved notebook names where its charts are."""
    swaps = [(str(staging), str(out_dir))]
    swaps.append((swaps[0][0].replace("\\", "\\\\"), swaps[0][1].replace("\\", "\\\\")))

    def fix(text: str) -> str:
        for old, new in swaps:
            text = text.replace(old, new)
        return text

    meta = nb.metadata.get("papermill", {})
    for name, value in list(meta.get("parameters", {}).items()):
        if isinstance(value, str):
            meta["parameters"][name] = fix(value)
    if isinstance(meta.get("output_path"), str):
        meta["output_path"] = fix(meta["output_path"])
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = fix(cell.source)


# --- reading the executed notebook --------------------------------------------------------------


def _title(nb, fallback: str) -> str:
    """The page title: a ``title``-tagged cell's text (reports in other languages), else the
    notebook's first markdown heading."""
    translated = _tagged_text(nb, TITLE_TAG)
    if translated:
        return translated
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _PAPERMILL_MARKER_TAGS:
            continue
        match = _HEADING.search(cell.source)
        if match:
            return match.group(1).strip()
    return fallback


def _tagged_text(nb, tag: str) -> str:
    """The text a cell tagged ``tag`` printed or returned (``text/plain``), on one line."""
    for cell in nb.cells:
        if cell.cell_type != "code" or tag not in cell.get("metadata", {}).get("tags", []):
            continue
        parts = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                parts.append(output.get("text", ""))
            elif output.get("output_type") in ("execute_result", "display_data"):
                parts.append(_unquote(output.get("data", {}).get("text/plain", "")))
        text = " ".join(" ".join(parts).split())
        if text:
            return text
    return ""


def _unquote(text: str) -> str:
    """``'Orders rose 40%'`` (the repr a cell shows for a string) -> ``Orders rose 40%``."""
    if isinstance(text, list):
        text = "".join(text)
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(stripped)
            if isinstance(value, str):
                return value
    return text


_THUMBNAIL = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+\.png$")


def _thumbnail(nb, staging: Path) -> dict | None:
    """The first chart a notebook showed (``analysis.report.present.chart`` records its
    thumbnail in the output's metadata): ``{"src": "<stem>/<name>-thumb.png", "alt": title}``,
    or None. Only a plain relative path to a file the run wrote is accepted."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("takedowns")
            if not isinstance(meta, dict):
                continue
            src = str(meta.get("thumbnail", ""))
            if _THUMBNAIL.match(src) and ".." not in src and (staging / src).is_file():
                return {"src": src, "alt": str(meta.get("title", ""))}
    return None


def _metadata_as_of(nb) -> str | None:
    meta = nb.metadata
    value = meta.get("takedowns", {}).get("as_of") or meta.get("as_of")
    return str(value) if value else None


def _as_of(values: dict, outcomes: list[dict], declared: dict[Path, dict[str, dict]]) -> str:
    """The data's as-of date: the ``as_of`` parameter, else what the notebooks report (a cell
    tagged ``as-of``, or ``as_of`` in their metadata), else their ``as_of`` default."""
    if values.get("as_of"):
        return str(values["as_of"])
    found = [outcome["as_of"] for outcome in outcomes if outcome["as_of"]]
    if not found:
        for names in declared.values():
            with contextlib.suppress(ValueError, SyntaxError, KeyError, TypeError):
                default = ast.literal_eval(names["as_of"]["default"])
                if default:
                    found.append(str(default))
    return ", ".join(dict.fromkeys(found)) or "not stated"


def _failure_note(failure: dict) -> str:
    from analysis.report.present import (
        markdown_text,  # an error message may quote a cell of the data
    )

    error = markdown_text(f"{failure['ename']}: {failure['evalue']}".rstrip(": "))
    if failure["cell_index"] is None:
        return f"**This report could not be run** ({error})."
    return (
        f"**This report did not run to the end.** Cell {failure['cell_index'] + 1} raised "
        f"{error}; the cell and its traceback are shown below, the rest of the page is what ran "
        "before it."
    )


def _failure(outcome: dict, page: Path | None = None) -> NotebookFailure:
    failure = outcome["failure"]
    return NotebookFailure(
        notebook=Path(outcome["notebook"]),
        cell_index=failure["cell_index"],
        ename=failure["ename"],
        evalue=failure["evalue"],
        source_line=failure.get("source_line", ""),
        page=page,
    )


# --- HTML ---------------------------------------------------------------------------------------


def _to_html(nb, title: str, failure: dict | None, lang: str) -> str:
    """The page: code hidden (except a failing cell's), prompts hidden, nothing from the network."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # widget state: a script tag that needs a CDN renderer
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            for mimetype in _SCRIPT_MIMETYPES:
                data.pop(mimetype, None)
            if "<script" in str(data.get("text/html", "")).lower() and len(data) > 1:
                data.pop("text/html")

    left_out = {NOTEBOOK_ONLY_TAG} | ({ENGLISH_ONLY_TAG} if lang != "en" else set())
    nb.cells = [
        c
        for c in nb.cells
        if not (c.cell_type == "markdown" and left_out & set(c.metadata.get("tags", [])))
    ]
    failing = failure.get("position") if failure else None
    if failing is not None:  # hide code per cell, so the failing cell's code stays visible
        for position, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and position != failing:
                cell.metadata["transient"] = {"remove_source": True}
    if failure:  # papermill's notes point at "In [n]", a prompt the page does not show
        for position, cell in enumerate(nb.cells):
            if _is_error_marker(cell):
                cell.source = (
                    _failure_note(failure) if position == 0 else "**The cell that failed:**"
                )

    exporter = HTMLExporter(
        template_name="lab",
        template_file=_OFFLINE_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_OFFLINE_TEMPLATE_NAME: _OFFLINE_TEMPLATE})],
        exclude_input=failing is None,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        mathjax_url="",
        require_js_url="",
        language_code=lang,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _NETWORK_TAG.sub("", body)
    # The house font travels inside the page (only the glyphs it uses), so the charts' text and
    # Devanagari render offline on any machine, with the metrics the charts were laid out with.
    style = f"<style>{font_face_css(body)}{PAGE_CSS}</style>\n</head>"
    return body.replace("</head>", style, 1)


#: The page style: an article column for text, figures as wide as 960 px, the wide chart
#: drawing from 912 px up and the narrow one below (its text is never under 11 px), tables that
#: become one card per row on a phone, nothing wider than the screen.
PAGE_CSS = """
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: #1a1a1a;
       font: 18px/1.55 Hind, system-ui, -apple-system, "Segoe UI", sans-serif; }
main.tk-article { max-width: 992px; margin: 0 auto; padding: 28px 16px 64px; }
.tk-article p, .tk-article li { overflow-wrap: anywhere; }
.jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output,
.jp-Cell-inputWrapper, .jp-InputArea, .jp-RenderedHTMLCommon { min-width: 0; max-width: 100%; }
.jp-OutputPrompt, .jp-InputPrompt, .jp-Collapser, a.anchor-link { display: none; }
.tk-kicker { margin: 0 0 .35rem; color: #0b57a4; font-weight: 700; font-size: 1rem;
             line-height: 1.35; max-width: 680px; }
h1 { font-size: 2.2rem; line-height: 1.18; margin: 0 0 .9rem; max-width: 760px; }
h2 { font-size: 1.45rem; line-height: 1.25; margin: 2.2rem 0 .6rem; max-width: 760px; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
p, ul, ol { max-width: 680px; margin: 0 0 1rem; }
.tk-standfirst { font-size: 1.2rem; line-height: 1.5; color: #333; }
.tk-meta { color: #595959; font-size: .95rem; border-bottom: 1px solid #ddd;
           padding-bottom: 1rem; max-width: 960px; }
a { color: #0b57a4; }
figure.tk-chart { margin: 2rem 0 2.4rem; max-width: 960px; }
.tk-chart-title { font-size: 1.3rem; line-height: 1.3; margin: 0 0 .25rem; }
.tk-chart-dek { color: #595959; font-size: 1rem; line-height: 1.45; margin: 0 0 .9rem;
                max-width: 960px; }
.tk-chart .tk-narrow { display: none; }
.tk-chart svg { display: block; width: 100%; height: auto; }
.tk-source { color: #595959; font-size: .9rem; line-height: 1.45; margin-top: .6rem;
             overflow-wrap: anywhere; }
.tk-data-links a { margin-left: .6rem; white-space: nowrap; font-weight: 600; }
.tk-findings p { margin-bottom: .7rem; }
.tk-links { list-style: none; padding: 0; }
.tk-links li { border-top: 1px solid #ddd; padding: .7rem 0; }
.tk-links .tk-topic { display: block; color: #595959; font-size: .95rem; }
.tk-links a { font-weight: 600; }
details > summary { cursor: pointer; font-weight: 600; color: #0b57a4; padding: .3rem 0; }
details { max-width: 960px; margin: 0 0 1rem; }
.tk-table-block { max-width: 960px; margin: 1.6rem 0; }
.tk-scroll { max-width: 100%; overflow-x: auto; }
.tk-caption { font-weight: 600; margin-bottom: .4rem; }
table.tk-table { border-collapse: collapse; width: 100%; font-size: .95rem;
                 font-variant-numeric: tabular-nums; }
.tk-table th, .tk-table td { text-align: left; vertical-align: top; padding: .4rem .55rem;
                             border-bottom: 1px solid #e2e2e2; overflow-wrap: break-word; }
.tk-table th { border-bottom: 2px solid #999; font-weight: 600; line-height: 1.3;
               vertical-align: bottom; hyphens: manual; }
.tk-table td:first-child { white-space: nowrap; }
.tk-table .num { text-align: right; }
.tk-table tbody tr:nth-child(even) { background: #f7f7f7; }
.tk-how { border-top: 1px solid #ddd; margin-top: 2.5rem; padding-top: .6rem; color: #333; }
.tk-how table { border-collapse: collapse; font-size: .9rem; margin-bottom: 1rem; }
.tk-how th, .tk-how td { text-align: left; padding: .25rem .6rem .25rem 0; vertical-align: top;
                         border-bottom: 1px solid #eee; overflow-wrap: anywhere; }
code { font-size: .9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .6rem;
      font-size: .8rem; max-width: 100%; }
img { max-width: 100%; height: auto; }
@media (max-width: 911px) {
  .tk-chart .tk-wide { display: none; }
  .tk-chart .tk-narrow { display: block; max-width: 560px; }
}
@media (max-width: 700px) {
  body { font-size: 17px; }
  main.tk-article { padding: 20px 16px 48px; }
  h1 { font-size: 1.75rem; }
  h2 { font-size: 1.3rem; }
  .tk-standfirst { font-size: 1.1rem; }
  .tk-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
                    clip: rect(0 0 0 0); }
  .tk-table, .tk-table tbody, .tk-table tr, .tk-table td { display: block; width: 100%; }
  .tk-table tr { border-bottom: 1px solid #ccc; padding: .45rem 0; }
  .tk-table tbody tr:nth-child(even) { background: none; }
  .tk-table td { border: 0; padding: .1rem 0; display: flex; justify-content: space-between;
                 gap: 1rem; text-align: right; overflow-wrap: anywhere; }
  .tk-table td:first-child { white-space: normal; }
  .tk-table td::before { content: attr(data-label); text-align: left; color: #595959;
                         font-weight: 600; flex: 0 0 45%; }
}
"""

#: Characters every page can draw whatever its text (a chart's digits and punctuation).
_ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "–—…·×’‘“”~%"


@functools.lru_cache(maxsize=16)
def _font_subset(path: str, text: str) -> bytes:
    """The font at ``path`` cut down to the glyphs ``text`` needs (its shaping rules kept, so
    Devanagari conjuncts still form), as WOFF."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.flavor = "woff"
    options.notdef_outline = True
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff"
    font.save(buffer)
    return buffer.getvalue()


def font_face_css(text: str | None = None) -> str:
    """``@font-face`` rules embedding the bundled Hind (Latin and Devanagari), regular and bold:
    with ``text``, only the glyphs that text needs (a page's own text: a few kB in English),
    else the whole font."""
    from analysis.report.charts import font_files

    files = {f.name: f for f in font_files()}
    rules = []
    for weight, name in ((400, "Hind-Regular.ttf"), (700, "Hind-Bold.ttf")):
        if name not in files:
            continue
        if text is None:
            data, kind, fmt = files[name].read_bytes(), "font/ttf", "truetype"
        else:
            chars = "".join(sorted(set(_ALWAYS) | {c for c in text if c >= " "}))
            data, kind, fmt = _font_subset(str(files[name]), chars), "font/woff", "woff"
        encoded = base64.b64encode(data).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: Hind; font-weight: {weight}; font-style: normal; "
            f"src: url(data:{kind};base64,{encoded}) format('{fmt}'); }}\n"
        )
    return "".join(rules)


_INDEX_CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font: 17px/1.5 Hind, system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
       background: #fff; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 28px 16px 48px; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .3rem; }
.meta { color: #595959; margin: 0 0 1.2rem; }
ol { list-style: none; padding: 0; margin: 0; }
li { border-top: 1px solid #ddd; padding: 1rem 0; display: flex; gap: 1.2rem;
     align-items: flex-start; }
.thumb { flex: 0 0 240px; display: block; border: 1px solid #e5e5e5; }
.thumb img { display: block; width: 100%; height: 150px; object-fit: cover;
             object-position: left top; }
.text { min-width: 0; flex: 1 1 auto; }
.topic { display: block; font-size: 1.1rem; font-weight: 700; color: #0b57a4; }
.headline { margin: .3rem 0 0; font-size: 1.05rem; overflow-wrap: anywhere; }
.failed .status { color: #a40e26; font-weight: 600; margin: .3rem 0 0; overflow-wrap: anywhere; }
footer { color: #595959; font-size: .85rem; border-top: 1px solid #ddd; padding-top: .75rem; }
@media (max-width: 600px) {
  li { flex-direction: column; gap: .6rem; }
  .thumb { flex: none; width: 100%; }
  .thumb img { height: auto; max-height: 220px; }
}
"""


def _index_html(outcomes: list[dict], as_of: str, lang: str = "en") -> str:
    """The index: self-contained (inline CSS and font, no scripts), every text from the data
    escaped; each report with its title, its headline and a thumbnail of its first chart."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run_on = now.strftime("%Y-%m-%d %H:%M UTC")
    esc = html.escape
    title_text = phrase("index_title", lang)
    items = []
    for outcome in outcomes:
        title = esc(outcome["title"])
        href = esc(quote(outcome["page"])) if outcome["page"] else ""
        link = (
            f'<a class="topic" href="{href}">{title}</a>'
            if href
            else f'<span class="topic">{title}</span>'
        )
        failure = outcome["failure"]
        thumb = outcome.get("thumbnail")
        picture = ""
        if thumb and href and not failure:
            # Decoration beside the link (the link's text is the title): one link per report.
            picture = (
                f'<div class="thumb"><img src="{esc(quote(thumb["src"]))}" alt="" '
                'loading="lazy"></div>\n'
            )
        if failure:
            cell = failure["cell_index"]
            failed = (
                phrase("failed", lang) if cell is None else phrase("failed_at", lang, n=cell + 1)
            )
            error = f"{failure['ename']}: {failure['evalue']}".rstrip(": ")
            detail = f'<p class="status">{esc(failed)}: {esc(error)}</p>'
            items.append(f'<li class="failed"><div class="text">{link}\n{detail}</div></li>')
        else:
            headline = outcome["headline"]
            detail = f'<p class="headline">{esc(headline)}</p>' if headline else ""
            items.append(f'<li>{picture}<div class="text">{link}\n{detail}</div></li>')
    body = f"""<main>
<h1>{esc(title_text)}</h1>
<p class="meta">{esc(phrase("run_on", lang))}
<time datetime="{esc(now.isoformat())}">{esc(run_on)}</time>.
{esc(phrase("data_as_of", lang, date=as_of))}.</p>
<ol>
{chr(10).join(items)}
</ol>
<footer>{esc(phrase("rendered_by", lang, version=__version__))}</footer>
</main>"""
    return f"""<!DOCTYPE html>
<html lang="{esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title_text)}</title>
<style>{font_face_css(body)}{_INDEX_CSS}</style>
</head>
<body>
{body}
</body>
</html>
"""


# --- publishing and temporaries -----------------------------------------------------------------


def _publish(staging: Path, out_dir: Path, outcomes: list[dict]) -> None:
    """Move the run's files into ``out_dir``: chart folders, notebooks, pages, the index last."""
    retired = staging / ".retired"
    retired.mkdir()
    with interrupts.deferred():  # a signal waits: never half the pages of one run
        _move_into_place(staging, out_dir, outcomes, retired)


def _move_into_place(staging: Path, out_dir: Path, outcomes: list[dict], retired: Path) -> None:
    for outcome in outcomes:
        if outcome["chart_dir"]:
            target = out_dir / outcome["chart_dir"]
            if target.is_dir() and not target.is_symlink():
                os.replace(target, retired / outcome["chart_dir"])
            os.replace(staging / outcome["chart_dir"], target)
    for suffix in (".ipynb", ".html"):
        for outcome in outcomes:
            if outcome["page"]:
                name = outcome["stem"] + suffix
                os.replace(staging / name, out_dir / name)
    os.replace(staging / INDEX_FILE, out_dir / INDEX_FILE)
    # An earlier failed run's pages are out of date now; they go with the staging folder.
    failed = out_dir / FAILED_DIR
    if failed.is_dir() and not failed.is_symlink():
        os.replace(failed, retired / FAILED_DIR)


def _set_aside(staging: Path, out_dir: Path, outcomes: list[dict]) -> Path:
    """Move a run with a failed notebook to ``out_dir/failed/`` (replacing an earlier failed
    run's) and return that folder; nothing already published is touched."""
    run = staging / ".failed-run"
    run.mkdir()
    for outcome in outcomes:
        names = [outcome["chart_dir"]] if outcome["chart_dir"] else []
        if outcome["page"]:
            names += [outcome["stem"] + ".ipynb", outcome["stem"] + ".html"]
        for name in names:
            os.replace(staging / name, run / name)
        if outcome["page"]:
            _point_to(run / f"{outcome['stem']}.ipynb", out_dir, out_dir / FAILED_DIR)
    os.replace(staging / INDEX_FILE, run / INDEX_FILE)
    target = out_dir / FAILED_DIR
    if target.is_dir() and not target.is_symlink():
        os.replace(target, staging / ".retired-failed")
    os.replace(run, target)
    return target


def _point_to(executed: Path, out_dir: Path, folder: Path) -> None:
    """Rewrite where the executed notebook says it and its charts were saved (``out_dir/<stem>``
    as the worker recorded it) to ``folder``, where a failed run is kept."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    stem = executed.stem
    # ``out_dir/<stem>`` starts both the chart folder (``output_dir``) and papermill's
    # ``output_path`` (``out_dir/<stem>.ipynb``).
    _relocate(nb, out_dir / stem, folder / stem)
    nbformat.write(nb, executed)


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Delete the staging folders and cache files of runs that were killed; they were never
    visible as outputs. (Older versions staged beside ``out_dir``; those go too.)"""
    remove_leftovers(out_dir, STAGING_PREFIX)
    if out_dir.parent.is_dir():
        remove_leftovers(out_dir.parent, f".{out_dir.name}{_TMP_MARK}")
    remove_leftovers(out_dir, CACHE_FILE + _TMP_MARK)


# --- cache --------------------------------------------------------------------------------------


def _cache_key(notebooks: list[Path], values: dict, data_fingerprint: str) -> str:
    """What the reports depend on: the notebooks' bytes, the parameters, this package (version
    and source, so a changed metric or chart re-renders) and the data's fingerprint."""
    inputs = {
        "format": _FORMAT,
        "notebooks": [[nb.name, hashlib.sha256(nb.read_bytes()).hexdigest()] for nb in notebooks],
        "params": values,
        "version": __version__,
        "package": _package_fingerprint(),
        "data": str(data_fingerprint),
        "kernel": KERNEL,
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _package_fingerprint() -> str:
    """This package's source: a changed metric or chart function re-renders the reports even
    when the version number stayed the same."""
    package = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]  # the whole analysis package
    for source in sorted(root.rglob("*.py")):
        package.update(source.relative_to(root).as_posix().encode() + b"\0")
        package.update(source.read_bytes())
    return package.hexdigest()


def _manifest_fingerprint() -> str | None:
    manifest = paths.processed_dir() / "manifest.json"
    try:
        return "manifest:" + hashlib.sha256(manifest.read_bytes()).hexdigest()
    except OSError:
        return None


def _cached_result(out_dir: Path, key: str) -> ReportResult | None:
    try:
        record = json.loads((out_dir / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    index = out_dir / INDEX_FILE
    pages = [out_dir / name for name in record.get("pages", [])]
    if not index.is_file() or not all(page.is_file() for page in pages):
        return None
    return ReportResult(out_dir, index, pages, [], True, {})


def _write_cache(out_dir: Path, key: str, pages: list[Path], started: float) -> None:
    record = {
        "key": key,
        "pages": [page.name for page in pages],
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
    }
    fd, temporary = tempfile.mkstemp(prefix=temporary_prefix(CACHE_FILE + _TMP_MARK), dir=out_dir)
    set_new_file_mode(fd)  # mkstemp's 0600 would keep the cache from a web server's user
    with os.fdopen(fd, "w", encoding="utf-8") as sink:
        json.dump(record, sink, indent=1)
    os.replace(temporary, out_dir / CACHE_FILE)


# --- small helpers ------------------------------------------------------------------------------


def _language_code(lang: Any) -> str:
    """``lang`` for the page's ``<html lang>`` attribute (which nbconvert does not escape)."""
    text = str(lang or "")
    return text if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", text) else "en"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return _one_line(line.strip(), 80)
    return ""


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
