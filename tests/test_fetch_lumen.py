"""``takedowns fetch lumen`` against a fake Lumen (tests/fetch_data.py): what is asked, what is
saved (byte for byte), what sources.toml gains, and what survives an interrupted run."""

from __future__ import annotations

import json
import os

import httpx
import pytest
import respx
from fetch_data import LUMEN_URL, Clock, FakeLumen, temporaries

from analysis.cli import main
from analysis.fetch import lumen, saved
from analysis.ingest.sources import load_sources

QUERY = lumen.LumenQuery(recipient="Twitter", jurisdiction="IN", start="2021-01-01", per_page=2)
# The user's own file, ending without a newline: kept byte for byte when a block is added.
USER_TOML = (
    "# my sources\n[[source]]\npath = 'orders.csv'\nkind = \"orders\"\n"
    "[source.columns]\n'Date' = 'issued_at'"
)


@pytest.fixture
def raw(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMEN_API_TOKEN", "tok")
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "orders.csv").write_text("Date\n2021-01-01\n", encoding="utf-8")
    (folder / "sources.toml").write_text(USER_TOML, encoding="utf-8")
    return folder


def _run(raw, fake, **options):
    clock = Clock("2026-05-01T09:00:00")
    return lumen.fetch_lumen(
        raw,
        options.pop("query", QUERY),
        url=LUMEN_URL,
        transport=httpx.MockTransport(fake),
        sleep=clock.sleep,
        clock=clock,
        **options,
    )


def _notices(raw):
    return sorted(p.name for p in (raw / "lumen" / "notices").glob("*.json"))


def test_pages_are_followed_and_every_answer_saved_byte_for_byte(raw):
    fake = FakeLumen([[101, 102], [103]])
    result = _run(raw, fake)
    assert fake.paths() == [
        "/notices/search.json?page=1",
        "/notices/101.json",
        "/notices/102.json",
        "/notices/search.json?page=2",
        "/notices/103.json",
    ]
    first = fake.requests[0].url.params
    assert first["recipient_name"] == "Twitter" and first["jurisdictions"] == "IN"
    assert first["sort_by"] == "date_received asc" and first["per_page"] == "2"
    # 1 Jan 2021 00:00 in Asia/Kolkata, in epoch milliseconds; no end: open
    assert first["date_received_facet"] == "1609439400000..253402300799999"
    assert _notices(raw) == ["101.json", "102.json", "103.json"]
    for name in _notices(raw):
        saved_bytes = (raw / "lumen" / "notices" / name).read_bytes()
        assert saved_bytes == fake.bodies[f"/notices/{name}?"]
    pages = sorted((raw / "lumen" / "searches" / QUERY.slug()).glob("*-page-*.json"))
    assert [p.name for p in pages] == [
        "20260501T090000Z-page-0001.json",
        "20260501T090003Z-page-0002.json",  # a second between requests (the fake clock)
    ]
    assert (
        pages[0].read_bytes() == fake.bodies[f"/notices/search.json?{fake.requests[0].url.params}"]
    )
    assert result.pages == 2 and result.saved == ["101", "102", "103"] and result.matched == 3
    assert temporaries(raw) == []
    # the log: one line per request, naming what was saved and its sha256
    (log,) = (raw / "lumen" / "log").glob("*.jsonl")
    records = saved.read_log(log)
    assert [r["status"] for r in records] == [200] * 5
    assert records[1]["saved"] == "lumen/notices/101.json"
    assert records[1]["sha256"] == saved.sha256(fake.bodies["/notices/101.json?"])
    assert all("tok" not in json.dumps(r) for r in records)


def test_the_source_block_is_appended_once_and_the_notices_clean(raw, tmp_path):
    _run(raw, FakeLumen([[101, 102], [103]]))
    text = (raw / "sources.toml").read_text(encoding="utf-8")
    assert text.startswith(USER_TOML + "\n\n# Lumen notices saved by")  # the user's text kept
    assert text.count('path = "lumen/notices"') == 1
    _run(raw, FakeLumen([[101, 102], [103, 104]]))
    assert (raw / "sources.toml").read_text(encoding="utf-8").count("lumen/notices") == 1
    (source,) = [s for s in load_sources(raw) if s.kind == "lumen"]
    assert source.path == (raw / "lumen" / "notices").resolve()
    # the existing reader reads the saved notices as they are
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "processed")]) == 0
    import pandas as pd

    orders = pd.read_parquet(tmp_path / "processed" / "orders.parquet")
    assert sorted(o for o in orders["order_id"] if o.startswith("lumen:")) == [
        "lumen:101",
        "lumen:102",
        "lumen:103",
        "lumen:104",
    ]
    items = pd.read_parquet(tmp_path / "processed" / "items.parquet")
    assert "@user104" in set(items["item_id"])


def test_an_empty_result_saves_the_page_and_declares_nothing(raw):
    fake = FakeLumen([[]])
    result = _run(raw, fake)
    assert fake.paths() == ["/notices/search.json?page=1"]
    assert result.saved == [] and result.notices_seen == 0
    assert not (raw / "lumen" / "notices").exists()
    assert (raw / "sources.toml").read_text(encoding="utf-8") == USER_TOML
    (page,) = (raw / "lumen" / "searches" / QUERY.slug()).glob("*-page-*.json")
    assert json.loads(page.read_bytes())["notices"] == []


def test_a_notice_already_held_is_not_asked_for_again(raw):
    _run(raw, FakeLumen([[101, 102]]))
    before = (raw / "lumen" / "notices" / "101.json").stat().st_mtime_ns
    fake = FakeLumen([[101, 102, 105]])
    result = _run(raw, fake)
    assert fake.paths() == ["/notices/search.json?page=1", "/notices/105.json"]
    assert result.held == 2 and result.saved == ["105"]
    assert (raw / "lumen" / "notices" / "101.json").stat().st_mtime_ns == before


def test_refetch_asks_again_and_moves_the_earlier_copy_aside_unchanged(raw):
    _run(raw, FakeLumen([[101]]))
    old = (raw / "lumen" / "notices" / "101.json").read_bytes()
    fake = FakeLumen([[101]])
    result = _run(raw, fake, refetch=True)
    assert fake.paths() == ["/notices/search.json?page=1", "/notices/101.json"]
    assert result.refetched == 1
    (aside,) = (raw / "lumen" / "superseded").glob("101-*.json")
    assert aside.read_bytes() == old
    assert _notices(raw) == ["101.json"]


def test_a_notice_gone_from_lumen_is_noted_not_fatal(raw):
    result = _run(raw, FakeLumen([[101, 901]]))
    assert result.saved == ["101"] and result.gone == ["901"]
    records = saved.read_log(next((raw / "lumen" / "log").glob("*.jsonl")))
    assert records[-1]["status"] == 404 and records[-1]["saved"] is None


def test_a_crash_mid_run_keeps_what_was_saved_and_the_rerun_continues(raw):
    # The run is stopped (as by Ctrl-C) while asking for its 5th request, notice 103.
    fake = FakeLumen([[101, 102], [103, 104], [106]], fail={5: KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        _run(raw, fake)
    assert _notices(raw) == ["101.json", "102.json"]
    assert temporaries(raw) == []
    for name in _notices(raw):  # whole, and exactly as sent
        assert (raw / "lumen" / "notices" / name).read_bytes() == fake.bodies[f"/notices/{name}?"]
    assert "lumen/notices" in (raw / "sources.toml").read_text(encoding="utf-8")

    again = FakeLumen([[101, 102], [103, 104], [106]])
    result = _run(raw, again)
    # It starts at the last page saved (2), asks only for the notices it lacks, and goes on.
    assert again.paths() == [
        "/notices/search.json?page=2",
        "/notices/103.json",
        "/notices/104.json",
        "/notices/search.json?page=3",
        "/notices/106.json",
    ]
    assert result.saved == ["103", "104", "106"]
    assert _notices(raw) == ["101.json", "102.json", "103.json", "104.json", "106.json"]
    # --from-start reads page 1 again, and still asks for no notice it holds
    third = FakeLumen([[101, 102], [103, 104], [106]])
    _run(raw, third, from_start=True)
    assert [p for p in third.paths() if "search" not in p] == []


def test_a_kill_between_staging_and_renaming_leaves_no_temporary(raw, monkeypatch):
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # query.json, page 1, then the first notice: killed here
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(saved.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        _run(raw, FakeLumen([[101, 102]]))
    assert temporaries(raw) == []
    assert not (raw / "lumen" / "notices" / "101.json").exists()


def test_a_temporary_left_by_a_killed_process_is_removed_by_the_next_run(raw):
    notices = raw / "lumen" / "notices"
    notices.mkdir(parents=True)
    leftover = notices / ".tmp-999999999-101.json.abc"  # no such process
    leftover.write_bytes(b'{"half": ')
    _run(raw, FakeLumen([[101]]))
    assert not leftover.exists() and _notices(raw) == ["101.json"]


@respx.mock(base_url=LUMEN_URL, assert_all_called=False)
def test_dry_run_prints_the_requests_and_makes_none(respx_mock, raw, capsys, monkeypatch):
    monkeypatch.delenv("LUMEN_API_TOKEN")
    route = respx_mock.route()
    code = main(
        [
            "fetch",
            "lumen",
            "--raw",
            str(raw),
            "--recipient",
            "Twitter",
            "--term",
            '"s.69A"',
            "--start",
            "2021-01-01",
            "--end",
            "2021-12-31",
            "--base-url",
            LUMEN_URL,
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and route.call_count == 0
    assert f"GET {LUMEN_URL}/notices/search.json?term=%22s.69A%22&recipient_name=Twitter" in out
    assert "date_received_facet=1609439400000..1640975399999" in out
    assert "LUMEN_API_TOKEN (not set)" in out
    assert not (raw / "lumen").exists()


def test_cli_fetch_lumen_end_to_end_through_respx(raw, capsys, monkeypatch):
    fake = FakeLumen([[101]])
    monkeypatch.setenv("LUMEN_API_URL", LUMEN_URL)
    monkeypatch.setattr(lumen.http.time, "sleep", lambda s: None)
    with respx.mock(base_url=LUMEN_URL) as mock:
        mock.route().mock(side_effect=fake)
        code = main(["fetch", "lumen", "--raw", str(raw), "--recipient", "Twitter"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Saved 1 new notice(s)" in out and "Added a [[source]] block" in out
    assert _notices(raw) == ["101.json"]


def test_cli_rejected_token_exits_2_in_one_line(raw, capsys, monkeypatch):
    monkeypatch.setenv("LUMEN_API_TOKEN", "wrong")
    with respx.mock(base_url=LUMEN_URL) as mock:
        mock.route().mock(side_effect=FakeLumen([[101]]))
        code = main(["fetch", "lumen", "--raw", str(raw), "--term", "x", "--base-url", LUMEN_URL])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Lumen refused the token in LUMEN_API_TOKEN (401" in err
    assert not (raw / "lumen" / "notices").exists()


def test_cli_missing_token_and_empty_query_exit_2(raw, capsys, monkeypatch):
    assert main(["fetch", "lumen", "--raw", str(raw)]) == 2
    assert "say what to search Lumen for" in capsys.readouterr().err
    monkeypatch.delenv("LUMEN_API_TOKEN")
    assert main(["fetch", "lumen", "--raw", str(raw), "--term", "x"]) == 2
    assert "LUMEN_API_TOKEN is not set" in capsys.readouterr().err


def test_the_query_names_its_folder():
    slug = QUERY.slug()
    assert slug.startswith("recipient-twitter_jurisdictions-in_2021-01-01..-")
    assert len(slug.rsplit("-", 1)[1]) == 8
    other = lumen.LumenQuery(recipient="Twitter", jurisdiction="IN", start="2021-01-01")
    assert other.slug() != slug  # another page size: another folder, pages numbered apart


def test_a_broken_sources_toml_is_not_touched(raw):
    (raw / "sources.toml").write_text("[[source]\npath = 'x'", encoding="utf-8")
    with pytest.raises(Exception, match="not valid TOML"):
        _run(raw, FakeLumen([[101]]))
    assert (raw / "sources.toml").read_text(encoding="utf-8") == "[[source]\npath = 'x'"
    assert not (raw / "lumen").exists()  # stopped before asking anything


def test_a_raw_folder_without_sources_toml_gets_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMEN_API_TOKEN", "tok")
    raw = tmp_path / "raw"
    _run(raw, FakeLumen([[101]]))
    (source,) = load_sources(raw)
    assert (source.kind, source.name) == ("lumen", "lumen/notices")
