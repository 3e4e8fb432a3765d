"""Big X API lookups read as a stream (`takedowns append`): JSON Lines a line at a time, a big JSON
array an element at a time, in pieces of records; the same records, checks and dataset as a
file read whole."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest.readers import jsondocs
from analysis.ingest.readers.x_api import read_x_api, read_x_api_pieces
from analysis.scale import dataset
from analysis.scale.append import append_files

V2_RESPONSE = {
    "checked_at": "2021-02-02T09:00:00Z",
    "data": [
        {"id": "111", "username": "Kisanektamorcha"},
        {"id": "1356205424589848576", "text": "t", "author_id": "222",
         "withheld": {"copyright": False, "country_codes": ["IN"], "scope": "tweet"}},
    ],
    "errors": [
        {"value": "suspended_one", "detail": "User has been suspended: [suspended_one].",
         "title": "Forbidden", "resource_type": "user", "parameter": "usernames",
         "resource_id": "suspended_one"},
        {"detail": "Could not find user with id: [444].", "title": "Not Found Error",
         "resource_type": "user", "parameter": "ids", "resource_id": "444"},
    ],
    "includes": {"users": [{"id": "333", "username": "ThirdUser"}]},
}  # fmt: skip


def _records(n: int) -> list[object]:
    """``n`` rounds of lookups: users, tweets with their author, v1.1 errors, compliance
    notices naming a user only by id (before and after the user object that names it), and a
    v2 response; ids that differ by round."""
    out: list[object] = []
    for i in range(n):
        day = f"2021-02-{1 + i % 27:02d}T09:00:00Z"
        out += [
            {"user_withheld": {"id": 9000 + i, "withheld_in_countries": ["IN"]},
             "checked_at": day},
            {"checked_at": day, "id_str": str(9000 + i), "screen_name": f"user_{i}",
             "withheld_in_countries": ["IN"] if i % 2 else []},
            {"checked_at": day, "id_str": str(10**18 + i), "text": "t",
             "user": {"id_str": str(5000 + i), "screen_name": f"author_{i}"},
             "withheld_in_countries": ["IN"]},
            {"checked_at": day, "screen_name": f"gone_{i}",
             "errors": [{"code": 50, "message": "User not found."}]},
            {"user_withheld": {"id": 5000 + i, "withheld_in_countries": ["IN"]},
             "checked_at": day},
            {**V2_RESPONSE, "checked_at": day},
        ]  # fmt: skip
    return out


@pytest.fixture
def small_stream(monkeypatch):
    """Stream every file, however small."""
    monkeypatch.setattr(jsondocs, "STREAM_FROM_BYTES", 0)


def _lines(path: Path, records: list[object], blank_and_bad: bool = True) -> Path:
    lines = [json.dumps(r) for r in records]
    if blank_and_bad:
        lines[3:3] = ["", '{"screen_name": "not closed"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _whole(path: Path):
    """The file read whole: streaming off."""
    saved = jsondocs.STREAM_FROM_BYTES
    jsondocs.STREAM_FROM_BYTES = 1 << 62
    try:
        return read_x_api(path)
    finally:
        jsondocs.STREAM_FROM_BYTES = saved


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_lines_streamed_give_the_records_a_whole_read_gives(tmp_path, small_stream, suffix):
    path = _lines(tmp_path / f"lookups{suffix}", _records(4))
    whole, streamed = _whole(path), read_x_api(path)
    pd.testing.assert_frame_equal(streamed.frame, whole.frame)
    pd.testing.assert_frame_equal(streamed.users, whole.users)
    assert [p.reason for p in streamed.problems] == [p.reason for p in whole.problems]
    assert len(whole.problems) == 1  # the line left open, with its line number


def test_a_big_json_array_is_read_an_element_at_a_time(tmp_path, small_stream, monkeypatch):
    path = tmp_path / "lookups.json"
    path.write_text(json.dumps(_records(3), indent=1), encoding="utf-8")
    loaded: list[str] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda text, **k: loaded.append(text) or real(text, **k))
    streamed = read_x_api(path)
    assert all(len(text) < 100 for text in loaded)  # ijson, never the whole text
    whole = _whole(path)
    pd.testing.assert_frame_equal(streamed.frame, whole.frame)
    pd.testing.assert_frame_equal(streamed.users, whole.users)


def test_a_broken_big_array_is_one_sentence(tmp_path, small_stream):
    from analysis.core.errors import InputError

    path = tmp_path / "lookups.json"
    path.write_text(json.dumps(_records(2))[:-40], encoding="utf-8")
    with pytest.raises(InputError, match=r"lookups\.json: invalid JSON"):
        read_x_api(path)


def test_pieces_hold_every_record_once_and_wait_for_user_ids_to_the_end(tmp_path, small_stream):
    path = _lines(tmp_path / "lookups.jsonl", _records(6))
    whole = read_x_api(path)
    pieces = list(read_x_api_pieces(path, rows=7))
    assert len(pieces) > 3
    together = pd.concat([p.frame for p in pieces]).sort_index()
    pd.testing.assert_frame_equal(together, whole.frame)
    named_by_id = [(p.frame["target_kind"] == "user_id").sum() for p in pieces]
    assert named_by_id[:-1] == [0] * (len(pieces) - 1) and named_by_id[-1] > 0
    assert all(p.users.empty for p in pieces[:-1])
    assert sum(len(p.problems) for p in pieces) == len(whole.problems) == 1
    assert pieces[-1].messages == whole.messages


def test_a_lookup_file_appended_in_pieces_stores_what_one_batch_stores(tmp_path, small_stream):
    records = [r for r in _records(30) if "errors" not in r or "data" in r]  # none rejected
    path = _lines(tmp_path / "lookups.jsonl", records, blank_and_bad=False)
    whole = append_files([path], tmp_path / "whole", chunk_rows=None)
    pieces = append_files([path], tmp_path / "pieces", chunk_rows=25)
    assert whole.rejects.empty and pieces.rejects.empty
    assert pieces.rows_read == whole.rows_read and pieces.checks == whole.checks
    assert pieces.appended.files_written > whole.appended.files_written
    assert pieces.messages == whole.messages
    pd.testing.assert_frame_equal(
        dataset.read(tmp_path / "pieces"), dataset.read(tmp_path / "whole")
    )
