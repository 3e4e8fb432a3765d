"""The machine around the data: file modes, where outputs may go, locks, read-only and full disks,
damaged outputs, odd files handed to `append`, the DuckDB memory setting (issue 20).

Each problem of the environment or of a path is exit 2 with one sentence naming the path and
what to do, never exit 3 (a bug) and never a traceback; docs/data-safety.md lists them.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main

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
