"""The same raw inputs give the same bytes: Parquet tables from two cleans, chart and table CSVs
from two report runs. Run metadata (when, how long) lives only in the manifest and the report
cache, never in the data.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from analysis.clean.pipeline import clean

from support.hostile_reports import REPORT_DATA


def _parquet_and_csv(folder):
    wanted = (".parquet", ".csv")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in wanted}


@pytest.mark.slow
@pytest.mark.parametrize("raw", ["builtin", "hostile"])
def test_cleaning_twice_gives_identical_parquet_bytes(raw, tmp_path, request):
    source = request.config.rootpath / "data" / "raw" if raw == "builtin" else REPORT_DATA
    shutil.copytree(source, tmp_path / "raw")
    first, second = tmp_path / "first", tmp_path / "second"
    clean(tmp_path / "raw", first)
    clean(tmp_path / "raw", second)
    a, b = _parquet_and_csv(first), _parquet_and_csv(second)
    assert len(a) == 7 and a == b  # five tables, rejects.parquet, rejects.csv
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (first, second)]
    assert manifests[0]["run_id"] == manifests[1]["run_id"]
    for manifest in manifests:
        manifest.pop("generated_at")  # the one field that may differ
    assert manifests[0] == manifests[1]


@pytest.mark.slow
def test_two_report_runs_give_identical_chart_and_table_csvs(published_reports, report_after_crash):
    # The second run is the forced re-render after the crash test's killed run (shared, to save
    # a render): same data, same parameters, a different folder and days of difference in time.
    first, second = published_reports.out, report_after_crash.rerun.out
    csvs = sorted(p.relative_to(first) for p in first.rglob("*.csv"))
    assert len(csvs) >= 8
    assert csvs == sorted(p.relative_to(second) for p in second.rglob("*.csv"))
    today = dt.date.today().isoformat()
    for name in csvs:
        data = (first / name).read_bytes()
        assert data == (second / name).read_bytes(), name
        assert today.encode() not in data, name  # no run date in the data
        assert str(first).encode() not in data  # nor the folder it was written to
