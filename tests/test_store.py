"""Atomic writes, run consistency and Excel-safe CSVs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.clean.pipeline import clean
from analysis.core.errors import InputError
from analysis.store import processed


@pytest.fixture
def raw(tmp_path, fixtures_dir):
    shutil.copytree(fixtures_dir / "messy", tmp_path / "raw")
    return tmp_path / "raw"


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_failure_while_writing_leaves_the_previous_outputs_untouched(raw, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    clean(raw, out)
    before = _snapshot(out)
    (raw / "orders.csv").write_bytes((raw / "orders.csv").read_bytes() + b"A-9,01/03/2021,X,1,\r\n")
    calls = []
    real = processed.stage_bytes

    def fail_on_third(data, target):
        calls.append(target.name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(data, target)

    monkeypatch.setattr(processed, "stage_bytes", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        clean(raw, out)
    assert _snapshot(out) == before  # no half-written file, no temporaries left behind


def test_outputs_only_appear_under_their_final_names_when_complete(raw, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    seen = []
    real = processed.os.replace

    def watching(src, dst):
        # At the moment of each rename the temporary is complete: it is a readable file.
        seen.append((src.name.startswith(".tmp-"), dst.name, src.stat().st_size > 0))
        return real(src, dst)

    monkeypatch.setattr(processed.os, "replace", watching)
    clean(raw, out)
    assert all(tmp and size for tmp, _, size in seen)
    assert seen[-1][1] == "manifest.json"


def test_tables_from_two_runs_are_detected(raw, tmp_path):
    out = tmp_path / "processed"
    clean(raw, out)
    old_orders = (out / "orders.parquet").read_bytes()
    (raw / "orders.csv").write_bytes((raw / "orders.csv").read_bytes() + b"A-9,01/03/2021,X,1,\r\n")
    clean(raw, out)
    (out / "orders.parquet").write_bytes(old_orders)  # as if a crash hit between two renames
    with pytest.raises(InputError, match="interrupted clean"):
        processed.read_tables(out)


def test_missing_processed_data_says_which_command_to_run(tmp_path):
    with pytest.raises(InputError, match="run `takedowns clean`"):
        processed.read_tables(tmp_path)


def test_csv_neutralises_formulas_but_parquet_keeps_the_text():
    frame = pd.DataFrame({"value": ['=HYPERLINK("x")', "+cmd", "-2", "@SUM(A1)", "plain"]})
    text = processed.safe_csv(frame)
    assert text.splitlines()[1:] == ['"\'=HYPERLINK(""x"")"', "'+cmd", "'-2", "'@SUM(A1)", "plain"]
    assert frame["value"][0] == '=HYPERLINK("x")'
