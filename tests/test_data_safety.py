"""The machine around the data: file modes, where outputs may go, locks, read-only and full disks,
damaged outputs, odd files handed to `append`, the DuckDB memory setting (issue 20).

Each problem of the environment or of a path is exit 2 with one sentence naming the path and
what to do, never exit 3 (a bug) and never a traceback; docs/data-safety.md lists them.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.core import duck
from analysis.core.errors import InputError
from analysis.store import atomic, lock
from analysis.store.processed import read_tables

# Each test here runs whole commands (many in a second process): `make test` runs them.
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOOKUPS = FIXTURES / "sources" / "x_lookups" / "2021-02-02-v2.json"


@pytest.fixture
def raw(tmp_path) -> Path:
    shutil.copytree(FIXTURES / "messy", tmp_path / "raw")
    return tmp_path / "raw"


def _one_sentence(capsys, *parts: str) -> str:
    """The one line a command printed on stderr, checked to be an input error naming ``parts``."""
    printed = capsys.readouterr()
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1, printed
    assert lines[0].startswith("error: "), printed
    assert "Traceback" not in printed.out + printed.err
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- 10. outputs get the mode a normal write would ----------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_processed_outputs_get_the_mode_of_a_normal_write(raw, tmp_path, umask):
    before = os.umask(umask)
    try:
        assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
        assert main(["append", str(LOOKUPS), "--dataset", str(tmp_path / "checks")]) == 0
    finally:
        os.umask(before)
    files = [p for p in (tmp_path / "out").iterdir() if p.is_file()]
    files += [p for p in (tmp_path / "checks").rglob("*") if p.is_file()]
    assert len(files) >= 8
    expected = 0o666 & ~umask  # 0644 under umask 022, as open() would give
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


# --- 11. the raw folder is never written ----------------------------------------------------------


@pytest.mark.parametrize("where", ["same", "inside", "deep"])
def test_clean_refuses_an_output_folder_in_the_raw_folder(raw, capsys, where):
    out = {"same": raw, "inside": raw / "processed", "deep": raw / "a" / "b"}[where]
    before = {p.relative_to(raw) for p in raw.rglob("*")}
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    _one_sentence(capsys, str(out), "the raw folder")
    assert {p.relative_to(raw) for p in raw.rglob("*")} == before  # nothing written, not a folder


def test_report_refuses_an_output_folder_in_the_raw_folder(raw, capsys):
    out = raw / "reports"
    assert main(["report", "-p", "data_dir", str(raw.parent), "--out", str(out)]) == 2
    _one_sentence(capsys, str(out), "the raw folder")
    assert not out.exists() and not (raw.parent / "processed").exists()  # nothing cleaned


def test_append_refuses_a_dataset_in_the_raw_folder(raw, capsys):
    target = raw / "checks"
    assert main(["append", str(LOOKUPS), "--dataset", str(target), "--raw", str(raw)]) == 2
    _one_sentence(capsys, str(target), "the raw folder")
    assert not target.exists()


# --- 9. append reads regular files only ------------------------------------------------------


def test_append_refuses_a_device_before_reading_it(tmp_path, capsys):
    target = tmp_path / "checks"
    assert main(["append", "/dev/zero", "--dataset", str(target)]) == 2
    _one_sentence(capsys, "/dev/zero", "not a regular file")
    assert not target.exists()


def test_append_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "checks.csv"
    os.mkfifo(fifo)
    # In a process of its own: opening a FIFO nobody writes to would block the test forever.
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "append", str(fifo), "--dataset", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr and str(fifo) in done.stderr


# --- 4. one writer per output folder --------------------------------------------------------------


def _clean_in_a_process(raw: Path, out: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "clean", "--raw", str(raw), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_a_second_clean_of_a_locked_folder_stops_and_names_the_first(raw, tmp_path):
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    before = _snapshot(out)
    with lock.folder_lock(out, "clean"):  # this process is "the first run"
        done = _clean_in_a_process(raw, out)
        assert (out / lock.LOCK_FILE).is_file()
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert f"{out} is being written by another run (pid {os.getpid()}, takedowns clean)" in lines[0]
    assert _snapshot(out) == before  # nothing written, the lock file gone with its holder
    assert _clean_in_a_process(raw, out).returncode == 0  # free again


def test_report_and_append_take_the_lock_of_their_folder(tmp_path, capsys):
    reports, checks = tmp_path / "reports", tmp_path / "checks"
    with lock.folder_lock(reports, "report"), lock.folder_lock(checks, "append"):
        notebook = FIXTURES / "notebooks" / "00-overview.ipynb"
        from analysis.report import render

        with pytest.raises(InputError, match=r"being written by another run \(pid \d+, takedowns"):
            render.run_report(notebooks=[notebook], out_dir=reports, data_fingerprint="x")
        assert main(["append", str(LOOKUPS), "--dataset", str(checks)]) == 2
        _one_sentence(capsys, str(checks), "is being written by another run")
        for folder in (reports, checks):  # nothing written but the holder's lock file
            assert [p.name for p in folder.iterdir()] == [lock.LOCK_FILE]
    assert not list(tmp_path.iterdir())  # the folders the locks made, left empty, are gone


def test_a_lock_file_left_by_a_killed_run_does_not_block(raw, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / lock.LOCK_FILE).write_text("999999999 clean\n", encoding="utf-8")  # holder is gone
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    assert not (out / lock.LOCK_FILE).exists()


def test_a_failed_clean_leaves_no_folder_it_made(tmp_path, capsys):
    out = tmp_path / "new" / "out"
    (tmp_path / "raw").mkdir()
    assert main(["clean", "--raw", str(tmp_path / "raw"), "--out", str(out)]) == 2
    assert not out.exists()


# --- 8. the environment: read-only, full, a file for a folder, damaged outputs -----------------


def test_an_output_path_that_is_a_file_is_one_sentence(raw, tmp_path, capsys):
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    _one_sentence(capsys, str(out), "is a file, not a folder")
    assert main(["clean", "--raw", str(raw), "--out", str(out / "below")]) == 2
    _one_sentence(capsys, str(out), "not a folder")
    assert out.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.EROFS, "is on a read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENOSPC, "the disk is full"),
        (errno.EDQUOT, "disk quota"),
    ],
)
def test_a_refused_write_is_one_sentence_naming_the_path(
    raw, tmp_path, capsys, monkeypatch, code, says
):
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    before = _snapshot(out)
    (raw / "orders.csv").write_bytes((raw / "orders.csv").read_bytes() + b"A-9,01/03/2021,X,1,\r\n")
    real = os.fsync

    def refuse(fd):
        # What the system says when the disk is full: no file name at all.
        if code in (errno.ENOSPC, errno.EDQUOT):
            raise OSError(code, os.strerror(code))
        return real(fd)

    if code in (errno.ENOSPC, errno.EDQUOT):
        monkeypatch.setattr(atomic.os, "fsync", refuse)
    else:  # a read-only or forbidden folder: the first file cannot even be made there
        monkeypatch.setattr(
            atomic.tempfile,
            "mkstemp",
            lambda prefix, dir: (_ for _ in ()).throw(OSError(code, os.strerror(code), str(dir))),
        )
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    line = _one_sentence(capsys, str(out), says)
    assert "internal error" not in line
    assert _snapshot(out) == before  # nothing replaced, no temporary left


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to any folder whatever its mode")
def test_a_read_only_output_folder_is_one_sentence(raw, tmp_path, capsys):  # pragma: no cover
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    out.chmod(0o555)
    try:
        assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
        _one_sentence(capsys, str(out), "permission denied")
    finally:
        out.chmod(0o755)


def _damage(processed: Path, how: str) -> None:
    if how == "truncated parquet":
        data = (processed / "events.parquet").read_bytes()
        (processed / "events.parquet").write_bytes(data[: len(data) // 2])
    elif how == "empty manifest":
        (processed / "manifest.json").write_text("{}", encoding="utf-8")
    else:
        (processed / "manifest.json").write_text('{"run_id": 1}', encoding="utf-8")


@pytest.mark.parametrize("how", ["truncated parquet", "empty manifest", "manifest without sources"])
def test_damaged_outputs_are_one_sentence_and_report_rebuilds_them(
    raw, tmp_path, capsys, monkeypatch, how
):
    processed = tmp_path / "processed"
    assert main(["clean", "--raw", str(raw), "--out", str(processed)]) == 0
    _damage(processed, how)
    capsys.readouterr()
    assert main(["metrics", "volume", "--data", str(tmp_path)]) == 2
    _one_sentence(capsys, "is damaged", "run `takedowns clean` to rebuild it")

    from analysis.report import render

    def rendered(**kwargs):  # the notebooks are not the point here
        out = tmp_path / "reports"
        return render.ReportResult(out, out / "index.html", [], [], True, {})

    monkeypatch.setattr(render, "run_report", rendered)
    assert main(["report", "-p", "data_dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 0
    assert "Cleaned 2 sources" in capsys.readouterr().out  # rebuilt by cleaning again
    read_tables(processed)


def test_a_duckdb_memory_setting_that_is_not_a_size_is_one_sentence(tmp_path, capsys, monkeypatch):
    assert main(["append", str(LOOKUPS), "--dataset", str(tmp_path / "checks")]) == 0
    capsys.readouterr()
    monkeypatch.setenv(duck.MEMORY_ENV, "lots")
    with (
        pytest.raises(InputError, match="TAKEDOWNS_DUCKDB_MEMORY='lots' is not a size"),
        duck.duckdb_connection(),
    ):
        pass
    from analysis.scale import engines

    with pytest.raises(InputError, match="is not a size such as 64MB"):
        engines.events_from_checks(tmp_path / "checks", engine="duckdb")


def test_os_error_sentences_cover_the_kinds_a_user_can_fix():
    from analysis.core.errors import os_error_sentence

    for code in (errno.EROFS, errno.EACCES, errno.ENOSPC, errno.ENOTDIR, errno.ELOOP):
        sentence = os_error_sentence(OSError(code, os.strerror(code), "/data/out"))
        assert sentence and sentence.startswith("/data/out ") and "\n" not in sentence
    assert os_error_sentence(OSError(errno.EIO, "I/O error", "/x")) is None  # not the user's
    assert "did not say which" in os_error_sentence(OSError(errno.ENOSPC, "full"))


# --- 5. DuckDB's spill folders ------------------------------------------------------------------


def test_spill_folders_carry_the_pid_and_go_where_configured(tmp_path, monkeypatch):
    monkeypatch.delenv(duck.SPILL_DIR_ENV, raising=False)
    with duck.duckdb_connection("64MB", spill_in=tmp_path) as con:
        (folder,) = tmp_path.glob(duck.SPILL_PREFIX + "*")
        assert folder.name.startswith(f"{duck.SPILL_PREFIX}{os.getpid()}-")
        assert con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(folder)
    assert not folder.exists()
    elsewhere = tmp_path / "spills"
    elsewhere.mkdir()
    monkeypatch.setenv(duck.SPILL_DIR_ENV, str(elsewhere))  # the setting wins over the caller
    with duck.duckdb_connection("64MB", spill_in=tmp_path):
        assert len(list(elsewhere.glob(duck.SPILL_PREFIX + "*"))) == 1
        assert not list(tmp_path.glob(duck.SPILL_PREFIX + "*"))
    monkeypatch.delenv(duck.SPILL_DIR_ENV)
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    monkeypatch.setattr(duck.tempfile, "tempdir", None)  # gettempdir() reads $TMPDIR again
    assert duck.spill_parent() == elsewhere


def test_a_killed_runs_spill_folder_goes_at_the_next_run(tmp_path):
    dead = tmp_path / f"{duck.SPILL_PREFIX}999999999-abc"  # no such process
    (dead / "duckdb_temp_storage-0.tmp").parent.mkdir()
    (dead / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    mine = tmp_path / f"{duck.SPILL_PREFIX}{os.getpid()}-xyz"  # a running process's
    mine.mkdir()
    with duck.duckdb_connection("64MB", spill_in=tmp_path):
        pass
    assert not dead.exists() and mine.is_dir()


def test_the_spill_folder_goes_even_when_closing_fails(tmp_path, monkeypatch):
    import duckdb

    class Failing:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def close(self):
            self._con.close()
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Failing(real(*a, **k)))
    # The interruption shows, not the close error.
    with pytest.raises(KeyboardInterrupt), duck.duckdb_connection("64MB", spill_in=tmp_path):
        raise KeyboardInterrupt
    assert not list(tmp_path.glob(duck.SPILL_PREFIX + "*"))
    # On its own, the close error is raised.
    with (
        pytest.raises(duckdb.InterruptException),
        duck.duckdb_connection("64MB", spill_in=tmp_path),
    ):
        pass
    assert not list(tmp_path.glob(duck.SPILL_PREFIX + "*"))
