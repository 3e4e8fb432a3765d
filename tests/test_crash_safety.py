"""A `takedowns clean` or `takedowns report` killed with SIGKILL mid-run leaves the previous outputs
as they were (or, in the instant between two renames, says so instead of mixing runs), and the
next run finishes and sweeps up the temporaries.

The clean is paused at a chosen point by a wrapper that patches ``analysis.store.processed`` and
then runs the ordinary command; the test waits for the pause, kills the process, and looks at the
folder. A fault-injection test also stops a clean of a sheet cleaned in pieces (DuckDB, a spill
folder) at random moments with SIGTERM, SIGINT and SIGKILL (``TAKEDOWNS_FAULT_SEED`` repeats a
run's moments): the first two end it with exit 143 and 130 and nothing left behind, and after
any of them the previous outputs are intact and the next run leaves no temporary anywhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.core import duck
from analysis.core.errors import InputError
from analysis.report import questions, render
from analysis.store.processed import read_tables

from support.hostile_reports import NOTEBOOK_STEMS

# Every test here kills or pauses whole runs: `make test` runs them, `make test-fast` does not.
pytestmark = pytest.mark.slow

#: Runs `takedowns clean` with a pause after the Nth temporary is written (``stage``) or after
#: the Nth temporary is renamed into place (``rename``), then waits to be killed.
WRAPPER = """
import os, sys, time
from pathlib import Path

from analysis.store import processed

point, flag = os.environ["PAUSE_AT"], os.environ["PAUSE_FLAG"]
after = int(os.environ["PAUSE_AFTER"])
calls = []


def pause():
    calls.append(1)
    if len(calls) == after:
        Path(flag).write_text("paused", encoding="utf-8")
        time.sleep(600)


if point == "stage":
    real_stage = processed.stage_bytes

    def stage(data, target):
        path = real_stage(data, target)
        pause()
        return path

    processed.stage_bytes = stage
else:
    real_replace = processed.os.replace

    def replace(src, dst):
        real_replace(src, dst)
        pause()

    processed.os.replace = replace

from analysis.cli import main

sys.exit(main(sys.argv[1:]))
"""


def _files(folder: Path) -> dict[str, bytes]:
    """The outputs a reader sees: every file but the temporaries."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".tmp-"))


def _killed_clean(raw: Path, out: Path, tmp: Path, point: str, after: int) -> None:
    wrapper = tmp / "paused_clean.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    flag = tmp / "paused.flag"
    env = {**os.environ, "PAUSE_AT": point, "PAUSE_AFTER": str(after), "PAUSE_FLAG": str(flag)}
    process = subprocess.Popen(
        [sys.executable, str(wrapper), "clean", "--raw", str(raw), "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert process.poll() is None, "clean ended before the pause"
            assert time.monotonic() < deadline, "clean never reached the pause"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def raw_and_previous(tmp_path, fixtures_dir):
    """A cleaned folder from the messy fixture, then a raw change the next clean would write."""
    raw, out = tmp_path / "raw", tmp_path / "processed"
    shutil.copytree(fixtures_dir / "messy", raw)
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    with (raw / "orders.csv").open("ab") as orders:
        orders.write(b"A-9,01/03/2021,X,1,\r\n")
    return raw, out


@pytest.mark.slow
def test_clean_killed_while_writing_leaves_the_previous_outputs_intact(raw_and_previous, tmp_path):
    raw, out = raw_and_previous
    before = _files(out)
    tables_before = read_tables(out)
    _killed_clean(raw, out, tmp_path, "stage", after=2)  # paused in the second table's staging

    assert _files(out) == before  # byte for byte
    # The kill really came mid-write: tables were staged (two threads stage them, so how many
    # depends on scheduling) and none was moved into place.
    assert len(_temporaries(out)) >= 2
    after = read_tables(out)  # readable, and every table from the same (previous) run
    for name, frame in tables_before.items():
        assert after[name].equals(frame), name

    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0  # the next run completes
    assert not _temporaries(out)
    assert "A-9" in set(read_tables(out)["orders"]["order_id"])


@pytest.mark.slow
def test_clean_killed_between_two_renames_is_detected_not_mixed(raw_and_previous, tmp_path, capsys):
    raw, out = raw_and_previous
    _killed_clean(raw, out, tmp_path, "rename", after=2)  # two new tables in place, four old
    with pytest.raises(InputError, match="interrupted clean"):
        read_tables(out)
    with pytest.raises(InputError, match="run `takedowns clean`"):
        questions.load(tmp_path)
    capsys.readouterr()
    assert main(["metrics", "volume", "--data", str(tmp_path)]) == 2
    assert "run `takedowns clean`" in capsys.readouterr().err

    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    read_tables(out)
    assert not _temporaries(out)


# --- report -----------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]


@pytest.mark.slow
def test_report_killed_mid_run_leaves_the_previous_reports_intact(report_after_crash):
    crash = report_after_crash
    # Every file, hidden ones too, byte for byte, but for the killed run's staging folder and
    # its lock file (the lock itself went with the process; the next run takes the file over).
    left = {
        name: data
        for name, data in crash.after_kill.items()
        if not name.startswith(".staging-") and name != ".lock"
    }
    assert left == crash.before
    assert crash.leftovers  # the killed run had started writing, inside the reports folder
    index = crash.before["index.html"].decode("utf-8")
    parser = _Links()
    parser.feed(index)
    assert parser.links == [f"{stem}.html" for stem in NOTEBOOK_STEMS]
    assert all(f"{stem}.html" in crash.before for stem in NOTEBOOK_STEMS)


@pytest.mark.slow
def test_the_next_report_run_succeeds_and_removes_the_leftovers(report_after_crash):
    rerun = report_after_crash.rerun
    assert rerun.result.returncode == 0, rerun.result.stderr
    assert not report_after_crash.leftovers_after_rerun
    assert (rerun.out / "index.html").is_file()
    assert not (rerun.out / ".lock").exists()


def test_a_cached_report_run_also_removes_a_killed_runs_leftovers(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    out.mkdir()
    leftover = tmp_path / ".reports.tmp-999999999-killed"  # no such process
    (leftover / "00-overview").mkdir(parents=True)
    cached = render.ReportResult(out, out / "index.html", [], [], True, {})
    monkeypatch.setattr(render, "_cached_result", lambda out_dir, key: cached)
    notebook = Path(__file__).resolve().parent / "fixtures" / "notebooks" / "00-overview.ipynb"
    result = render.run_report(
        notebooks=[notebook], out_dir=out, progress=False, data_fingerprint="same"
    )
    assert result.cached
    assert not leftover.exists()


def test_clean_removes_a_dead_runs_temporaries_but_not_a_running_ones(tmp_path, fixtures_dir):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    shutil.copytree(fixtures_dir / "messy", raw)
    out.mkdir()
    dead = out / ".tmp-999999999-orders.parquet.abc"  # no such process
    legacy = out / ".tmp-orders.parquet.def"  # written before temporaries named their process
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            alive = out / f".tmp-{other.pid}-orders.parquet.ghi"  # another clean, still writing
            for path in (dead, legacy, alive):
                path.write_bytes(b"half")
            # a name without its writer's pid goes by age: a day old is a killed run's
            two_days_ago = time.time() - 2 * 24 * 3600
            os.utime(legacy, (two_days_ago, two_days_ago))
            recent = out / ".tmp-orders.parquet.jkl"  # no pid, written a moment ago: kept
            recent.write_bytes(b"half")
            assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
            assert _temporaries(out) == sorted([alive.name, recent.name])
        finally:
            other.kill()


# --- clean killed at random points while cleaning a sheet in pieces (issue 20) ------------------

#: Runs `takedowns clean` with every handle sheet cleaned in pieces (checked by worker processes,
#: its items and events kept in a spill folder and sorted by DuckDB), touching ``STARTED_FLAG``
#: once the clean starts (the signal handlers are in place by then).
FAULT_WRAPPER = """
import os, sys
from pathlib import Path

from analysis.clean import pipeline

pipeline.PIECE_ROWS = 1000
real_clean = pipeline.clean


def clean(raw, out, **options):
    Path(os.environ["STARTED_FLAG"]).touch()
    return real_clean(raw, out, **{**options, "route": "pieces", "workers": 2})


pipeline.clean = clean

from analysis.cli import main

sys.exit(main(sys.argv[1:]))
"""

HANDLES_TOML = """
[[source]]
path = "handles.csv"
kind = "wide_handles"
[source.columns]
"Handle" = "item"
"Order" = "order_id"
"Withheld on" = "withheld"
"Restored on" = "restored"
"""


def _handles(path: Path, rows: int) -> None:
    lines = ["Handle,Order,Withheld on,Restored on"]
    for i in range(rows):
        day = 1 + i % 27
        restored = f"{day + 1:02d}/02/2021" if i % 3 == 0 else ""
        lines.append(f"@user_{i},A-{1 + i % 2},{day:02d}/02/2021,{restored}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _visible(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def _hidden(folder: Path) -> list[str]:
    """Temporaries, spill folders, a lock file: whatever a run leaves that is not an output."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _workers_left(flag: Path, wait: float) -> list[int]:
    """The worker processes (``analysis.clean.workers``) of the runs given ``STARTED_FLAG=flag``
    still alive after up to ``wait`` seconds."""
    mark = f"STARTED_FLAG={flag}".encode()
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if b"analysis.clean.workers" not in (proc / "cmdline").read_bytes():
                    continue
                if mark in (proc / "environ").read_bytes().split(b"\0"):
                    state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":  # a zombie is gone, only not yet waited for
                        alive.append(int(proc.name))
            except OSError:  # ended while looked at, or not ours to read
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def test_clean_killed_at_random_points_leaves_the_previous_outputs_and_no_temporaries(
    tmp_path, fixtures_dir
):
    seed = int(os.environ.get("TAKEDOWNS_FAULT_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    raw, out, spills = tmp_path / "raw", tmp_path / "processed", tmp_path / "tmpdir"
    shutil.copytree(fixtures_dir / "hostile" / "_base", raw)
    (raw / "sources.toml").write_text(
        (raw / "sources.toml").read_text(encoding="utf-8") + HANDLES_TOML, encoding="utf-8"
    )
    _handles(raw / "handles.csv", 10)
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0  # the previous outputs
    _handles(raw / "handles.csv", 8_000)
    spills.mkdir()
    wrapper, flag = tmp_path / "clean_in_pieces.py", tmp_path / "started"
    wrapper.write_text(FAULT_WRAPPER, encoding="utf-8")
    # A temporary put in $TMPDIR would show up here.
    env = {**os.environ, "STARTED_FLAG": str(flag), "TMPDIR": str(spills)}
    env.pop(duck.SPILL_DIR_ENV, None)

    def run(target: Path, signum: int | None, delay: float) -> tuple[int, str, float]:
        flag.unlink(missing_ok=True)
        with (tmp_path / "stderr").open("w+", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(wrapper), "clean", "--raw", str(raw), "--out", str(target)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            try:
                deadline = time.monotonic() + 60
                while not flag.exists():
                    assert process.poll() is None, f"clean ended before it started (seed {seed})"
                    assert time.monotonic() < deadline, "clean never started"
                    time.sleep(0.01)
                started = time.monotonic()
                if signum is not None:
                    time.sleep(delay)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signum)
                status = process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            stderr.seek(0)
            return status, stderr.read(), time.monotonic() - started

    # One complete run elsewhere: how long the work takes, and what its outputs are.
    status, _, seconds = run(tmp_path / "complete", None, 0.0)
    assert status == 0
    new_run = json.loads((tmp_path / "complete" / "manifest.json").read_bytes())["run_id"]

    expected = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL}
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        before = _visible(out)
        delay = rng.uniform(0, seconds)
        status, stderr, _ = run(out, signum, delay)
        where = f"{signal.Signals(signum).name} after {delay:.2f} s (seed {seed}): {stderr}"
        if status == -signum and signum != signal.SIGKILL:
            # The command had finished and returned; the signal came as the interpreter was
            # exiting, after every output was in place: the new run's, whole, nothing left.
            assert not stderr and not _hidden(out), where
            assert json.loads(_visible(out)["manifest.json"])["run_id"] == new_run, where
            continue
        assert status in (expected[signum], 0), where  # 0: it finished before the signal
        if signum != signal.SIGKILL:
            assert "Traceback" not in stderr, where
            assert status == 0 or "interrupted" in stderr, where
            assert not _hidden(out), where  # removed on the way out: temporaries, spill, lock
            assert not list(spills.iterdir()), where
            assert not _workers_left(flag, 2.0), where  # the clean ended its workers
        else:  # a worker whose parent is gone ends when its input does
            assert not _workers_left(flag, 30.0), where
        if _visible(out) != before:  # the signal came once every file was in place
            try:
                read_tables(out)
            except InputError as err:  # SIGKILL between two renames: detected, not mixed
                assert signum == signal.SIGKILL and "interrupted clean" in str(err), where
            else:
                assert json.loads(_visible(out)["manifest.json"])["run_id"] == new_run, where

    # The next run finishes, and nothing of the killed runs is left anywhere.
    status, stderr, _ = run(out, None, 0.0)
    assert status == 0, stderr
    assert not _hidden(out) and not list(spills.iterdir())
    done, complete = _visible(out), _visible(tmp_path / "complete")
    assert {n: d for n, d in done.items() if n != "manifest.json"} == {
        n: d for n, d in complete.items() if n != "manifest.json"
    }  # the same bytes as a run never interrupted
    read_tables(out)
