"""The takedowns command end to end: output, exit status, and no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from analysis import cli
from analysis.cli import main
from analysis.core.errors import InputError


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


@pytest.fixture(scope="module")
def builtin(tmp_path_factory, request):
    base = tmp_path_factory.mktemp("builtin")
    shutil.copytree(request.config.rootpath / "data" / "raw", base / "raw")
    assert main(["clean", "--raw", str(base / "raw"), "--out", str(base / "processed")]) == 0
    return base


def test_metrics_lag_prints_the_numbers_the_report_charts(builtin, capsys):
    capsys.readouterr()
    args = ["metrics", "lag", "--data", str(builtin), "--as-of", "2021-02-28", "--format", "json"]
    assert main(args) == 0
    rows = {r["order_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["IN-MeitY-2021-02-04"]["actioned"] == 583
    assert rows["IN-MeitY-2021-02-04"]["censored"] == 595


def test_metrics_table_ends_with_the_sentences(builtin, capsys):
    capsys.readouterr()
    assert main(["metrics", "reversals", "--data", str(builtin), "--as-of", "2021-02-28"]) == 0
    out = capsys.readouterr().out
    assert "- Order IN-MeitY-2021-01-31: ~250 items withheld, ~250 restored" in out


def test_metrics_without_processed_data_names_the_command(tmp_path, capsys):
    assert main(["metrics", "volume", "--data", str(tmp_path)]) == 2
    assert "run `takedowns clean`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "value"),
    [("2021-02-28", "2021-02-28"), ("36", 36), ("36.5", 36.5), ("true", True), ("hi", "hi")],
)
def test_report_parameters_keep_dates_as_iso_strings(text, value):
    assert cli._parse_value(text) == value


def test_report_parameters_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("as_of: 2021-02-28\nlang: hi\ndeadline_hours: 24\n", encoding="utf-8")
    assert cli._read_params(path) == {"as_of": "2021-02-28", "lang": "hi", "deadline_hours": 24}
    path.write_text("- not\n- a mapping\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a mapping"):
        cli._read_params(path)


@pytest.mark.slow
def test_report_cleans_first_then_renders_and_reuses_unchanged_outputs(raw, tmp_path, capsys):
    data, out = raw.parent, tmp_path / "reports"
    args = ["report", "-p", "data_dir", str(data), "-p", "country", "IN", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Cleaned 2 sources" in printed  # nothing was processed yet: clean ran first
    assert f"Reports written: {out / 'index.html'}" in printed
    assert (data / "processed" / "manifest.json").is_file()
    assert main(args) == 0
    assert "Reports unchanged, reused" in capsys.readouterr().out
