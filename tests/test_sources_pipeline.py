"""Every new kind end to end: `clean` on tests/fixtures/sources, the manifest's row accounting,
the checks table on disk, and `validate` on each declared source.

What each file must give row by row is spelt out in the test_sources_<kind>.py files; here only
the totals: for every source, rows read = kept + rejected + duplicates + dropped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.clean.pipeline import clean, validate_file
from analysis.cli import main
from analysis.core.errors import InputError
from analysis.ingest.sources import load_sources, source_sha256

FIXTURES = Path(__file__).parent / "fixtures" / "sources"

#: path -> (read, kept, rejected, duplicates, dropped, items rejected)
ACCOUNTING = {
    "lumen": (3, 2, 1, 0, 0, 1),
    "x_lookups": (12, 10, 2, 0, 0, 0),
    "transparency-x.csv": (5, 3, 1, 0, 1, 0),
    "google-current.csv": (5, 4, 1, 0, 0, 0),
    "google-historical.csv": (2, 2, 0, 0, 0, 0),
    "google-detailed.csv": (3, 3, 0, 0, 0, 0),
    "google-by-branch.csv": (3, 3, 0, 0, 0, 0),
    "handle-list.csv": (6, 5, 1, 0, 0, 0),
}


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw") / "sources"
    shutil.copytree(FIXTURES, raw)
    out = raw.parent / "processed"
    return clean(raw, out), out, raw


def test_manifest_accounts_for_every_row(cleaned):
    result, out, _ = cleaned
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    got = {
        s["path"]: (
            s["rows_read"],
            s["rows_kept"],
            s["rows_rejected"],
            s["rows_duplicate"],
            s["rows_dropped"],
            s["items_rejected"],
        )
        for s in manifest["sources"]
    }
    assert got == ACCOUNTING
    for read, kept, rejected, dupes, dropped, _ in got.values():
        assert read == kept + rejected + dupes + dropped
    assert (manifest["rows_dropped"], manifest["items_rejected"]) == (1, 1)
    assert manifest["tables"] == {
        "orders": 3,
        "items": 5,
        "events": 11,
        "checks": 14,
        "transparency": 15,
    }
    kinds = {s["path"]: s["kind"] for s in manifest["sources"]}
    assert kinds["lumen"] == "lumen" and kinds["x_lookups"] == "x_snapshots"
    assert result.manifest == manifest


def test_checks_and_rejects_on_disk(cleaned):
    _, out, _ = cleaned
    schema = pq.read_schema(out / "checks.parquet")
    assert schema.names == [
        "item_id",
        "order_id",
        "checked_at",
        "time_precision",
        "state",
        "countries",
        "source_url",
        "source_file",
        "source_row",
    ]
    assert str(schema.field("checked_at").type) == "timestamp[us, tz=UTC]"
    transparency = pq.read_schema(out / "transparency.parquet")
    assert "reason" in transparency.names
    rejects = pd.read_csv(out / "rejects.csv", dtype=str)
    assert rejects["level"].value_counts().to_dict() == {"row": 6, "item": 1}


def test_folder_sources_are_fingerprinted_by_their_files(cleaned, tmp_path):
    result, _, raw = cleaned
    recorded = {s["path"]: s["sha256"] for s in result.manifest["sources"]}
    assert recorded["lumen"] == source_sha256(raw / "lumen")
    copy = tmp_path / "lumen"
    shutil.copytree(raw / "lumen", copy)
    assert source_sha256(copy) == recorded["lumen"]  # names and contents, not the folder's path
    (copy / "notice-24001.json").write_text('{"id": 1}', encoding="utf-8")
    assert source_sha256(copy) != recorded["lumen"]


@pytest.mark.parametrize(("path", "counts"), ACCOUNTING.items())
def test_validate_reports_each_kinds_accounting(path, counts):
    report = validate_file(FIXTURES / path)
    read, kept, rejected, dupes, dropped, items = counts
    assert f"{read} rows read, {rejected} rejected, {kept} kept, {dupes} duplicates" in (
        report.headline
    )
    assert f"{dropped} dropped" in report.headline
    assert ("rejected inside kept rows" in report.headline) == bool(items)
    assert report.rejects["source_row"].nunique() == rejected + (1 if items else 0)


@pytest.mark.slow  # a whole clean through the command line
def test_cli_clean_summary_shows_dropped_rows(tmp_path, capsys):
    shutil.copytree(FIXTURES, tmp_path / "raw")
    assert main(["clean", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "dropped" in printed and "row 6 dropped: a Total row" in printed
    assert "1 item left out of rows that were kept" in printed


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('path = "lumen"\nkind = "lumen"\n[source.columns]\n"a" = "b"\n', "does not apply"),
        ('path = "empty"\nkind = "x_snapshots"\n', "holds no .json/.jsonl/.ndjson files"),
        ('path = "empty"\nkind = "transparency_x"\n', "is a folder, not a file"),
        ('path = "lumen"\nkind = "lumen"\n[source.defaults]\nchecked_at = "x"\n', "unknown column"),
    ],
)
def test_sources_toml_mistakes_for_the_new_kinds(tmp_path, block, expected):
    (tmp_path / "lumen").mkdir()
    (tmp_path / "lumen" / "a.json").write_text("[]", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "sources.toml").write_text("[[source]]\n" + block, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_sources(tmp_path)
    assert expected in str(err.value)
