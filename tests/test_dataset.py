"""The partitioned checks dataset: append is idempotent, overlaps are not counted twice, a bad
batch writes nothing; and `takedowns append` end to end (analysis.scale.dataset,
analysis.scale.append)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.cli import main
from analysis.core.errors import InputError
from analysis.scale import dataset

from support.scale_data import synthetic_checks

PART = re.compile(r"^year=\d{4}/month=(0[1-9]|1[0-2])/part-[0-9a-f]{16}\.parquet$")


def _files(root) -> dict[str, float]:
    """Every file under ``root`` (hidden ones too) -> its modification time."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def batch() -> pd.DataFrame:
    return synthetic_checks(40, 12)


def test_append_writes_one_file_per_utc_month_in_hive_folders(tmp_path, batch):
    result = dataset.append(tmp_path / "checks", batch)
    files = sorted(_files(tmp_path / "checks"))
    assert all(PART.match(f) for f in files), files
    months = batch["checked_at"].dt.strftime("year=%Y/month=%m").unique()
    assert sorted({f.rsplit("/", 1)[0] for f in files}) == sorted(months)
    assert (result.files_written, result.files_skipped, result.rows) == (len(files), 0, len(batch))


def test_a_check_at_0030_ist_on_1_february_is_stored_in_january_utc(tmp_path, batch):
    one = batch.iloc[:1].assign(checked_at=pd.Timestamp("2021-02-01 00:30", tz="Asia/Kolkata"))
    dataset.append(tmp_path, one)
    assert list(_files(tmp_path))[0].startswith("year=2021/month=01/")


def test_re_adding_the_same_batch_writes_nothing_and_reads_the_same(tmp_path, batch):
    first = dataset.append(tmp_path, batch)
    before, rows = _files(tmp_path), dataset.read(tmp_path)
    again = dataset.append(tmp_path, batch.sample(frac=1, random_state=1))  # any row order
    assert (again.files_written, again.files_skipped) == (0, first.files_written)
    assert _files(tmp_path) == before  # not even rewritten
    pd.testing.assert_frame_equal(dataset.read(tmp_path), rows)


def test_reading_keeps_one_row_per_natural_key(tmp_path, batch):
    dataset.append(tmp_path, batch)
    rows = dataset.read(tmp_path)
    assert not rows.duplicated(list(dataset.NATURAL_KEYS["checks"])).any()
    assert len(rows) == len(batch.drop_duplicates(list(dataset.NATURAL_KEYS["checks"])))
    # The synthetic data hold copies of checks naming order IN-3: the copy naming an order wins
    # over the one naming none (dataset.row_order), whichever file it came from.
    copied = rows[rows["item_id"] == "@acct00003"]
    assert set(copied["order_id"]) == {"IN-3"}


def test_an_overlapping_batch_is_not_counted_twice(tmp_path, batch):
    february = batch["checked_at"] < pd.Timestamp("2021-03-01", tz="UTC")
    early = batch[february]
    late = batch[batch["checked_at"] >= pd.Timestamp("2021-02-15", tz="UTC")]  # overlaps
    dataset.append(tmp_path / "two", early)
    result = dataset.append(tmp_path / "two", late)
    assert result.files_written > 0  # the overlap month is a new file: its rows differ
    dataset.append(tmp_path / "one", batch)
    pd.testing.assert_frame_equal(dataset.read(tmp_path / "two"), dataset.read(tmp_path / "one"))


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("state", "gone", "column 'state' has the value 'gone', which fails the check one of"),
        ("checked_at", "yesterday", "column 'checked_at' has the value 'yesterday', which is not"),
        ("item_id", "@no such handle", "column 'item_id' has the value '@no such handle'"),
        ("countries", "India", "column 'countries' has the value 'India'"),
        ("item_id", None, "column 'item_id' is blank but required"),
        ("source_row", "12a", "column 'source_row' has the value '12a', which is not a whole"),
    ],
)
def test_a_bad_batch_writes_nothing_and_names_the_column_and_value(
    tmp_path, batch, column, value, expected
):
    dataset.append(tmp_path, batch.iloc[:5])
    before = _files(tmp_path)
    bad = batch.astype({column: "object"})
    bad.loc[len(bad) - 1, column] = value  # the last row: in a partition after good ones
    with pytest.raises(InputError) as err:
        dataset.append(tmp_path, bad)
    message = str(err.value)
    assert expected in message and "\n" not in message
    assert f"({bad.loc[len(bad) - 1, 'source_file']}, row " in message  # where it is
    assert _files(tmp_path) == before  # nothing written, no temporaries left


def test_a_batch_without_a_required_column_is_refused(tmp_path, batch):
    with pytest.raises(InputError, match="has no column 'state', which is required"):
        dataset.append(tmp_path, batch.drop(columns="state"))
    assert not tmp_path.joinpath("year=2021").exists()


def test_a_batch_staged_but_not_committed_is_not_read(tmp_path, batch):
    # Another writer has staged its files (at temporary names beside the final ones) and not
    # yet moved them into place: a reader sees the dataset as it was.
    dataset.append(tmp_path, batch.iloc[: len(batch) // 2])
    before = dataset.read(tmp_path)
    files, fingerprint = dataset.data_files(tmp_path), dataset.fingerprint(tmp_path)
    staged = dataset.stage(tmp_path, batch.iloc[len(batch) // 2 :])
    assert staged.files and all(tmp.is_file() for tmp, _ in staged.files)
    assert dataset.data_files(tmp_path) == files
    assert dataset.fingerprint(tmp_path) == fingerprint
    pd.testing.assert_frame_equal(dataset.read(tmp_path), before)
    dataset.discard(staged)


def test_hidden_and_underscore_parquet_files_are_not_read(tmp_path, batch):
    # Files that end in .parquet but are not the dataset's: a hidden one (an editor's or a sync
    # tool's copy) and one in a folder starting with "_" (where Spark-style writers stage their
    # output). Both hold half a file, so reading either would fail.
    dataset.append(tmp_path, batch)
    before = dataset.read(tmp_path)
    files = dataset.data_files(tmp_path)
    month = next(tmp_path.glob("year=*/month=*"))
    half = files[0].read_bytes()[:100]
    planted = [
        month / ".part-0000000000000000.parquet",
        tmp_path / "_temporary" / "0" / "part-0000000000000000.parquet",
        tmp_path / "year=2021" / "_staging" / "part-0000000000000000.parquet",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(half)
    assert set(planted) <= set(tmp_path.rglob("*.parquet"))  # a plain glob would take them
    assert dataset.data_files(tmp_path) == files
    pd.testing.assert_frame_equal(dataset.read(tmp_path), before)


def test_a_missing_dataset_reads_as_no_rows_with_the_table_columns(tmp_path):
    rows = dataset.read(tmp_path / "nothing-here")
    assert rows.empty and list(rows.columns) == dataset.schema.columns("checks")
    with pytest.raises(ValueError, match="table 'check' is not a canonical table"):
        dataset.read(tmp_path, "check")


# --- takedowns append ---------------------------------------------------------------------------


def test_append_command_adds_x_lookups_once(fixtures_dir, tmp_path, capsys):
    lookups = fixtures_dir / "sources" / "x_lookups" / "2021-02-02-v2.json"
    target = tmp_path / "checks"
    assert main(["append", str(lookups), "--dataset", str(target)]) == 0
    assert "Appended 4 checks from 1 file(s)" in capsys.readouterr().out
    assert main(["append", str(lookups), "--dataset", str(target)]) == 0
    assert "0 new file(s), 1 already there" in capsys.readouterr().out
    checks = dataset.read(target)
    assert set(checks["state"]) == {"visible", "withheld", "suspended", "not_found"}


def test_append_command_writes_nothing_when_a_row_is_bad(fixtures_dir, tmp_path, capsys):
    lookups = fixtures_dir / "sources" / "x_lookups"
    target = tmp_path / "checks"
    files = [str(lookups / "2021-02-02-v2.json"), str(lookups / "2021-02-01-v1.jsonl")]
    assert main(["append", *files, "--dataset", str(target)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Nothing appended: 2 problems") and "lost precision as a float" in out
    assert not target.exists()


def test_partial_append_adds_the_clean_checks_and_returns_the_rejects(fixtures_dir, tmp_path):
    # What `takedowns watch` does with a response holding a record it cannot read as a state;
    # it also hands over ready-made Source blocks (here: one giving the checked_at).
    from analysis.ingest.sources import Source
    from analysis.scale.append import append_files

    lookups = fixtures_dir / "sources" / "x_lookups"
    files = [lookups / "2021-02-02-v2.json", lookups / "2021-02-01-v1.jsonl"]
    target = tmp_path / "checks"
    assert append_files(files, target).appended is None  # the default: all or nothing
    result = append_files(files, target, partial=True)
    assert len(result.rejects) == 2 and result.appended.rows == result.checks == 10
    assert len(dataset.read(target)) == 10
    given = Source(
        name="mine.json",
        path=(lookups / "2021-02-02-v2.json").resolve(),
        kind="x_snapshots",
        columns={},
        defaults={"checked_at": "2021-02-03T10:00:00Z"},
        timezone="UTC",
    )
    again = append_files([given], tmp_path / "other")
    checks = dataset.read(tmp_path / "other")
    # the file's own checked_at wins; the default fills only records without one
    assert again.checks == 4 and set(checks["source_file"]) == {"mine.json"}


def test_append_command_input_errors_exit_2_with_one_line(fixtures_dir, tmp_path, capsys):
    target = str(tmp_path / "checks")
    assert main(["append", str(tmp_path / "missing.json"), "--dataset", target]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.json: file not found")
    orders = fixtures_dir / "sources" / "transparency-x.csv"
    raw = str(fixtures_dir / "sources")
    assert main(["append", str(orders), "--dataset", target, "--raw", raw]) == 2
    err = capsys.readouterr().err
    assert "declared in sources.toml as kind 'transparency_x', which holds no status" in err
    assert err.count("\n") == 1


# --- a checks file bigger than memory: read, checked and staged in pieces ------------------------

_STATES = ("active", "Code 63: User has been suspended.", "withheld in: India", "Code 50")


def _checks_sheet(path, rows: int, bad_row: int | None = None, spanning: bool = False):
    """A researcher's sheet of daily status checks (handle_list with a status column)."""
    lines = ["Handle,Notice,Status,Checked at,Comment"]
    for i in range(rows):
        status = "protected" if i + 2 == bad_row else _STATES[i % len(_STATES)]
        day = f"{i % 28 + 1:02d}/{i % 3 + 1:02d}/2021"
        lines.append(f"@user{i % 97},LN-{i % 5},{status},{day},")
    if spanning:
        lines.append('@late,LN-1,active,01/02/2021,"seen twice,\nonce by phone"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _appended(path, target, **kwargs):
    from analysis.scale.append import append_files

    return append_files([path], target, kind="handle_list", **kwargs)


@pytest.mark.slow
def test_a_big_file_appended_in_pieces_stores_what_one_batch_stores(tmp_path, monkeypatch):
    from analysis.ingest.readers import tabular

    sheet = _checks_sheet(tmp_path / "checks.csv", 500)
    whole = _appended(sheet, tmp_path / "whole")  # one piece: the file is one block
    monkeypatch.setattr(tabular, "_BLOCK_BYTES", 1024)
    pieces = _appended(sheet, tmp_path / "pieces", chunk_rows=60)
    assert pieces.rows_read == whole.rows_read == 500
    assert pieces.checks == whole.checks == 500
    assert pieces.appended.rows == 500
    # Several batches, each one file per UTC month (local midnight on the 1st is still in the
    # month before in UTC): more files, the same rows.
    assert pieces.appended.files_written > whole.appended.files_written == 4
    pd.testing.assert_frame_equal(
        dataset.read(tmp_path / "pieces"), dataset.read(tmp_path / "whole")
    )
    again = _appended(sheet, tmp_path / "pieces", chunk_rows=60)
    assert (again.appended.files_written, again.appended.files_skipped) == (
        0,
        pieces.appended.files_written,
    )


def test_a_bad_row_in_the_last_piece_appends_nothing_at_all(tmp_path):
    sheet = _checks_sheet(tmp_path / "checks.csv", 500, bad_row=480)
    target = tmp_path / "checks"
    result = _appended(sheet, target, chunk_rows=60)
    assert result.appended is None
    assert list(zip(result.rejects["source_row"], result.rejects["value"], strict=True)) == [
        (480, "protected")
    ]
    assert not target.exists()  # the pieces staged before it are gone, folders too


def test_a_record_spanning_lines_at_the_end_rereads_the_file_whole(tmp_path, monkeypatch):
    from analysis.ingest.readers import tabular

    monkeypatch.setattr(tabular, "_BLOCK_BYTES", 1024)  # pieces are given before the end
    sheet = _checks_sheet(tmp_path / "checks.csv", 300, spanning=True)
    result = _appended(sheet, tmp_path / "checks", chunk_rows=40)
    assert result.rows_read == 301
    assert result.rejects.empty
    stored = dataset.read(tmp_path / "checks")
    assert len(stored) == 301
    # The last record spans two lines; it is row 302 as a spreadsheet shows it.
    assert stored["source_row"].max() == 302
    assert not [p for p in (tmp_path / "checks").rglob(".tmp-*")]
