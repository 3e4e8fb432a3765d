"""``takedowns watch`` against a fake X API (tests/fetch_data.py): the lookups asked for, the
responses saved byte for byte, the checks appended to the dataset, the changes reported, gone
items checked less often, and nothing lost when a run stops half way."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx
from fetch_data import NOT_AUTHORIZED, TWEET, X_URL, Clock, FakeX, data_folder, temporaries

from analysis.cli import main
from analysis.fetch import x
from analysis.scale import dataset, engines

# End to end through the mock X API and the checks dataset: `make test` runs them.
pytestmark = pytest.mark.slow


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "xtok")
    return data_folder(tmp_path / "data")


def _checks(data):
    return data / "processed" / "datasets" / "checks"


def _watch(data, fake, at: str, **options):
    clock = Clock(at)
    return x.watch(
        data,
        dataset_dir=_checks(data),
        url=X_URL,
        transport=httpx.MockTransport(fake),
        sleep=clock.sleep,
        clock=clock,
        **options,
    )


def _states(data) -> dict[str, tuple[str, str]]:
    checks = dataset.read(_checks(data))
    checks = checks.sort_values("checked_at").drop_duplicates("item_id", keep="last")
    return {r.item_id: (r.state, r.checked_at.strftime("%H:%M")) for r in checks.itertuples()}


def test_watch_looks_up_saves_and_appends_like_append(data):
    fake = FakeX({"alice": "withheld", TWEET: "visible", "carol": "suspended"})
    result = _watch(data, fake, "2026-05-01T09:00:00")
    # one request per kind, 100 at most, the withheld field asked for
    assert [(r.url.path, dict(r.url.params)) for r in fake.requests] == [
        ("/2/users/by", {"usernames": "alice,carol", "user.fields": "withheld"}),
        ("/2/tweets", {"ids": TWEET, "tweet.fields": "withheld,author_id"}),
    ]
    # each response saved as sent, named by when it arrived (its checked_at)
    assert [p.relative_to(data / "raw").as_posix() for p in result.saved] == [
        "x-lookups/2026-05-01/20260501T090000Z-users-001.json",
        "x-lookups/2026-05-01/20260501T090000Z-tweets-002.json",
    ]
    assert [p.read_bytes() for p in result.saved] == fake.bodies
    assert _states(data) == {
        "@alice": ("withheld", "09:00"),
        "@carol": ("suspended", "09:00"),
        f"tweet:{TWEET}": ("visible", "09:00"),
    }
    assert result.first_seen == 3 and result.unanswered == 0
    assert result.plan.not_lookable == {"hashtags (only accounts and posts can be looked up)": 1}
    assert temporaries(data) == []
    # exactly what `takedowns append` reads from the same file with the same checked_at
    rows = dataset.read(_checks(data))
    assert set(rows["source_file"]) == {
        p.relative_to(data / "raw").as_posix() for p in result.saved
    }
    assert (rows["time_precision"] == "second").all()


def test_a_second_run_reports_the_items_that_changed_state(data, capsys):
    _watch(
        data,
        FakeX({"alice": "visible", TWEET: "visible", "carol": "visible"}),
        "2026-05-01T09:00:00",
    )
    result = _watch(
        data,
        FakeX({"alice": "withheld", TWEET: "not_found", "carol": "visible"}),
        "2026-05-01T13:00:00",
    )
    assert dict(result.changes) == {
        ("visible", "withheld in IN"): 1,
        ("visible", "not_found"): 1,
    }
    assert result.unchanged == 1 and result.first_seen == 0
    assert (
        "2 item(s) changed state since their last check (1 visible -> withheld in IN, "
        "1 visible -> not_found); 1 unchanged; 0 checked for the first time"
    ) in result.lines(_checks(data))


def test_gone_items_are_checked_less_often(data):
    _watch(data, FakeX({"alice": "suspended", TWEET: "not_found"}), "2026-05-01T09:00:00")
    fake = FakeX({"alice": "suspended", TWEET: "not_found"})
    result = _watch(data, fake, "2026-05-01T13:00:00")
    # 4 hours later: only carol (visible) is asked about; the two gone items wait
    assert [
        dict(r.url.params).get("usernames", r.url.params.get("ids")) for r in fake.requests
    ] == ["carol"]
    assert result.plan.gone_not_due == 2
    assert any("checked less often" in line for line in result.lines(_checks(data)))
    # a day after their last check they are looked up again, and found back
    fake = FakeX({"alice": "visible", TWEET: "visible"})
    result = _watch(data, fake, "2026-05-02T09:30:00")
    assert result.plan.gone_not_due == 0 and len(fake.requests) == 2
    assert dict(result.changes) == {("suspended", "visible"): 1, ("not_found", "visible"): 1}
    # the interval is a parameter
    fake = FakeX({"alice": "suspended"})
    _watch(data, fake, "2026-05-02T10:00:00")
    fake = FakeX({})
    result = _watch(data, fake, "2026-05-02T10:30:00", recheck_gone_after=dt.timedelta(0))
    assert result.plan.gone_not_due == 0


def test_an_answer_without_a_state_is_reported_and_the_rest_appended(data):
    result = _watch(
        data, FakeX({TWEET: NOT_AUTHORIZED, "alice": "withheld"}), "2026-05-01T09:00:00"
    )
    assert result.unanswered == 1
    rejects = result.appended.rejects
    assert set(rejects["source_row"]) == {1} and rejects["source_file"].str.contains("tweets").all()
    assert rejects["reason"].str.contains("does not say whether the item is withheld").any()
    assert set(_states(data)) == {"@alice", "@carol"}


def test_a_run_stopped_after_a_saved_response_loses_nothing(data):
    # Ctrl-C while asking for the second batch: the first response is saved, not yet appended.
    fake = FakeX({"alice": "withheld"}, fail={2: KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        _watch(data, fake, "2026-05-01T09:00:00")
    saved = x.saved_lookups(data / "raw")
    assert [p.name for p in saved] == ["20260501T090000Z-users-001.json"]
    assert saved[0].read_bytes() == fake.bodies[0]
    assert temporaries(data) == []
    assert not dataset.data_files(_checks(data))
    # the next run appends it first (with its own checked_at), then goes on
    result = _watch(data, FakeX({"alice": "withheld"}), "2026-05-01T13:00:00")
    assert result.replayed_files == 1 and result.replayed.checks == 2
    assert result.plan.gone_not_due == 0
    assert _states(data)["@alice"] == ("withheld", "13:00")
    checks = dataset.read(_checks(data))
    assert sorted(checks.loc[checks["item_id"] == "@alice", "checked_at"].dt.strftime("%H:%M")) == [
        "09:00",
        "13:00",
    ]
    assert result.unchanged == 2 and result.first_seen == 1  # the post: first seen at 13:00


def test_replay_rebuilds_the_dataset_from_the_saved_responses(data, capsys):
    _watch(data, FakeX({"alice": "withheld"}), "2026-05-01T09:00:00")
    _watch(data, FakeX({"alice": "visible"}), "2026-05-01T13:00:00")
    before = engines.events_from_checks(_checks(data))
    shutil.rmtree(_checks(data))
    assert main(["watch", "--replay", "--data", str(data)]) == 0
    assert "Appended 4 saved lookup file(s)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(engines.events_from_checks(_checks(data)), before)
    assert main(["watch", "--replay", "--data", str(data)]) == 0  # nothing left to add
    assert "Every saved lookup is already in" in capsys.readouterr().out


def test_watch_history_bounds_the_action_between_two_checks(data, capsys):
    """The item is visible at 09:00 and withheld at 13:00 (two saved lookups): the event is
    'withheld' with at_earliest 09:00 and at 13:00."""
    _watch(data, FakeX({"alice": "visible"}), "2026-05-01T09:00:00")
    _watch(data, FakeX({"alice": "withheld"}), "2026-05-01T13:00:00")
    events = engines.events_from_checks(_checks(data))
    (event,) = events[(events["item_id"] == "@alice")].itertuples()
    assert event.event == "withheld" and event.country == "IN"
    assert event.at_earliest == pd.Timestamp("2026-05-01 09:00", tz="UTC")
    assert event.at == pd.Timestamp("2026-05-01 13:00", tz="UTC")
    assert event.source_kind == "snapshot"
    # The lag answer reads it from the dataset: order A-1 was issued at 08:00, so the action
    # lies 1 to 5 hours after it, in hours (the wording of the lag page is tested with it).
    from analysis.report import questions

    answer = questions.answer_lag(questions.load(data), as_of="2026-05-02")
    (row,) = answer.frames["items"].query("item_id == '@alice'").itertuples()
    assert (row.lag_lower, row.lag_upper, row.unit, row.timing) == (1.0, 5.0, "hours", "bounded")
    assert main(["metrics", "lag", "--data", str(data), "--as-of", "2026-05-02"]) == 0
    printed = capsys.readouterr().out
    assert "Order A-1 (1 May 2026): 1 of 2 items (50%) actioned" in printed
    # the watch every four hours bounds the action, and the sentence says so: no midpoint
    assert "median time to action between 1.0 hours and 5.0 hours" in printed
    assert "3.0 hours" not in printed


def test_dry_run_prints_the_requests_and_makes_none(data, capsys, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN")
    with respx.mock(base_url=X_URL, assert_all_called=False) as mock:
        route = mock.route()
        code = main(
            ["watch", "--data", str(data), "--dry-run", "--base-url", X_URL, "--order", "A-1"]
        )
    out = capsys.readouterr().out
    assert code == 0 and route.call_count == 0
    assert f"GET {X_URL}/2/users/by?usernames=alice&user.fields=withheld" in out
    assert f"GET {X_URL}/2/tweets?ids={TWEET}&tweet.fields=withheld%2Cauthor_id" in out
    assert "X_BEARER_TOKEN, not set" in out
    assert not (data / "raw" / "x-lookups").exists()


def test_cli_watch_through_respx_prints_the_summary(data, capsys, monkeypatch):
    fake = FakeX({"alice": "withheld"})
    monkeypatch.setenv("X_API_URL", X_URL)
    with respx.mock(base_url=X_URL) as mock:
        mock.route().mock(side_effect=fake)
        code = main(["watch", "--data", str(data), "--order", "B-2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Watched 1 of the 2 items of 1 order(s): 1 request(s), 1 response(s) saved" in out
    assert (
        "0 item(s) changed state since their last check; 0 unchanged; 1 checked for the first time"
        in out
    )
    assert "cannot be looked up: hashtags" in out


def test_cli_watch_401_exits_2_and_writes_nothing(data, capsys, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "wrong")
    with respx.mock(base_url=X_URL) as mock:
        mock.route().mock(side_effect=FakeX({}))
        code = main(["watch", "--data", str(data), "--base-url", X_URL])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "X refused the token in X_BEARER_TOKEN (401 Unauthorized: Unauthorized)" in err
    assert x.saved_lookups(data / "raw") == []


def test_cli_watch_needs_a_token_and_known_orders(data, capsys, monkeypatch):
    assert main(["watch", "--data", str(data), "--order", "Z-9", "--base-url", X_URL]) == 2
    assert "--order 'Z-9' is not an order" in capsys.readouterr().err
    monkeypatch.delenv("X_BEARER_TOKEN")
    assert main(["watch", "--data", str(data)]) == 2
    assert "X_BEARER_TOKEN is not set" in capsys.readouterr().err


def test_watch_cleans_first_when_the_raw_data_changed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", "xtok")
    data = data_folder(tmp_path / "data", clean=False)
    with respx.mock(base_url=X_URL) as mock:
        mock.route().mock(side_effect=FakeX({}))
        assert main(["watch", "--data", str(data), "--base-url", X_URL]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Cleaned 2 sources")
    assert "Watched 3 of the 4 items of 2 order(s)" in out


def test_429_with_reset_during_a_watch_waits_and_goes_on(data):
    clock = Clock("2026-05-01T09:00:00")
    limited = httpx.Response(
        429,
        json={"title": "Too Many Requests", "status": 429},
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(clock.now) + 300)},
    )
    fake = FakeX({"alice": "withheld"}, fail={1: limited})
    result = x.watch(
        data,
        dataset_dir=_checks(data),
        url=X_URL,
        transport=httpx.MockTransport(fake),
        sleep=clock.sleep,
        clock=clock,
    )
    assert clock.slept == [301.0]
    # the check's time is when the answer came, after the wait
    assert result.saved[0].name == "20260501T090501Z-users-001.json"
    assert _states(data)["@alice"] == ("withheld", "09:05")


def test_plan_batches_by_100_and_leaves_out_what_x_cannot_look_up():
    handles = [f"user{i:03d}" for i in range(150)]
    items = pd.DataFrame(
        {
            "item_id": [f"@{h}" for h in handles] + ["@a_long_handle_xyz", "tweet:7", "url:x"],
            "item_type": ["account"] * 151 + ["tweet", "url"],
            "handle": [*handles, "a_long_handle_xyz", None, None],
            "tweet_id": [None] * 151 + ["7", None],
        }
    )
    states = x.latest_states(Path("/nonexistent"))
    plan = x.plan_lookups(items, states, dt.datetime(2026, 5, 1, tzinfo=dt.UTC), orders=1)
    assert [(lk.kind, len(lk.values)) for lk in plan.lookups] == [
        ("users", 100),
        ("users", 50),
        ("tweets", 1),
    ]
    assert plan.not_lookable == {
        "handles longer than 15 characters (X looks up 1-15)": 1,
        "urls (only accounts and posts can be looked up)": 1,
    }


def test_an_answer_that_is_not_a_lookup_is_not_saved(data):
    fake = FakeX({}, fail={1: httpx.Response(200, json=[])})
    with pytest.raises(x.http.FetchError, match="holds neither 'data' nor 'errors'"):
        _watch(data, fake, "2026-05-01T09:00:00")
    assert x.saved_lookups(data / "raw") == [] and temporaries(data) == []
