"""The takedowns command end to end: output, exit status, and no tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from analysis.cli import main


@pytest.fixture
def raw(tmp_path, fixtures_dir):
    shutil.copytree(fixtures_dir / "messy", tmp_path / "raw")
    return tmp_path / "raw"


def test_clean_prints_a_summary_and_exits_0(raw, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "orders.csv" in printed and "handles.csv" in printed
    assert "3 rows rejected" in printed
    assert str(out / "rejects.csv") in printed
    assert (out / "manifest.json").is_file()


def test_strict_clean_exits_1_when_rows_were_rejected(raw, tmp_path):
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "o"), "--strict"]) == 1


def test_validate_prints_row_level_messages(raw, capsys):
    assert main(["validate", str(raw / "handles.csv")]) == 1
    printed = capsys.readouterr().out
    assert "handles.csv (wide_handles): 6 rows read, 2 rejected" in printed
    assert "handles.csv, row 5, column 'Handle' (value '@this_handle_is_far_too_long')" in printed
    assert "row 6" in printed and "Z-9" in printed


def test_input_errors_exit_2_with_one_line_and_no_traceback(raw, tmp_path):
    (raw / "sources.toml").write_text("[[source]\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "clean",
            "--raw",
            str(raw),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "TOML syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_missing_mapped_header_names_the_header_and_the_file(raw, capsys):
    text = (raw / "sources.toml").read_text(encoding="utf-8")
    (raw / "sources.toml").write_text(text.replace('"Platform"', '"Plat form X"'), encoding="utf-8")
    assert main(["clean", "--raw", str(raw), "--out", str(raw.parent / "o")]) == 2
    err = capsys.readouterr().err
    assert "orders.csv: header 'Plat form X' (mapped to 'platform' in sources.toml)" in err
