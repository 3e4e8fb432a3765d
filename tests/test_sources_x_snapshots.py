"""kind = "x_snapshots": X API lookups -> status checks -> events (fixtures/sources/x_lookups/).

2021-02-01-v1.jsonl (v1.1, checked 1 Feb 09:00 UTC), rows 1-8:
    1  user Kisanektamorcha withheld_in_countries ["IN"]           -> withheld IN
    2  tweet ...576 (id as a JSON int and id_str) "IN, DE"          -> withheld IN,DE
    3  {"screen_name": "gone_account", "errors": [{"code": 50}]}   -> not_found
    4  {"screen_name": "suspended_one", "errors": [{"code": 63}]}  -> suspended
    5  status_withheld ...577 ["IN"]                                -> withheld IN
    6  user_withheld 333 ["XX"] (333 is named in file 2's includes) -> @thirduser withheld XX
    7  a tweet id written as a float                                -> rejected
    8  a line that is not JSON                                      -> rejected
2021-02-02-v2.json (v2 response, checked 2 Feb 09:00 UTC), rows 9-12:
    9  user Kisanektamorcha, no "withheld"        -> visible: restored since 1 Feb
    10 tweet ...576 withheld.country_codes ["IN"] -> still withheld: no event
    11 error "User has been suspended"            -> suspended (again: no event)
    12 error "Not Found Error" for tweet ...999   -> not_found
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.combine import combine
from analysis.clean.pipeline import read_source
from analysis.ingest.readers import read_raw
from analysis.ingest.readers.x_api import read_x_api
from analysis.ingest.sources import load_sources

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
FEB1 = pd.Timestamp("2021-02-01 09:00", tz="UTC")
FEB2 = pd.Timestamp("2021-02-02 09:00", tz="UTC")
TWEET = "tweet:1356205424589848576"


@pytest.fixture(scope="module")
def lookups():
    (source,) = [s for s in load_sources(FIXTURES) if s.kind == "x_snapshots"]
    result = read_source(source)
    return result, combine([result.canonical])


def _source(tmp_path, records, defaults=""):
    (tmp_path / "x.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
    )
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\npath = "x.jsonl"\nkind = "x_snapshots"\n{defaults}', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    return combine([read_source(source).canonical])


def test_reader_flattens_responses_and_keeps_ids_exact():
    raw = read_x_api(FIXTURES / "x_lookups")
    assert raw.rows_read == 12
    frame = raw.frame
    assert list(frame.index) == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]  # 8 is the broken line
    assert list(frame["record"]) == [
        *["user", "tweet", "error", "error", "status_withheld", "user_withheld", "tweet"],
        *["user", "tweet", "error", "error"],
    ]
    # A 19-digit id given as a JSON integer keeps every digit (it never became a float).
    assert frame.loc[2, "target"] == "1356205424589848576"
    assert frame.loc[5, "target"] == "1356205424589848577"
    assert isinstance(frame.loc[7, "target"], float)  # kept as the file gave it, to be refused
    assert (frame.loc[3, "target_kind"], frame.loc[3, "target"]) == ("account", "gone_account")
    assert (frame.loc[12, "target_kind"], frame.loc[12, "target"]) == (
        "tweet",
        "1356205424589848999",
    )
    assert frame.loc[10, "checked_at"] == "2021-02-02T09:00:00Z"  # from the response
    users = dict(zip(raw.users["user_id"], raw.users["screen_name"], strict=True))
    assert users["333"] == "ThirdUser" and users["222"] == "SomeOne"


def test_lookups_become_checks(lookups):
    _, combined = lookups
    checks = combined.tables["checks"]
    countries = checks["countries"].fillna("-")
    got = set(zip(checks["item_id"], checks["checked_at"], checks["state"], countries, strict=True))
    assert got == {
        ("@kisanektamorcha", FEB1, "withheld", "IN"),
        (TWEET, FEB1, "withheld", "IN,DE"),
        ("@gone_account", FEB1, "not_found", "-"),
        ("@suspended_one", FEB1, "suspended", "-"),
        ("tweet:1356205424589848577", FEB1, "withheld", "IN"),
        ("@thirduser", FEB1, "withheld", "XX"),
        ("@kisanektamorcha", FEB2, "visible", "-"),
        (TWEET, FEB2, "withheld", "IN"),
        ("@suspended_one", FEB2, "suspended", "-"),
        ("tweet:1356205424589848999", FEB2, "not_found", "-"),
    }
    assert set(checks["time_precision"]) == {"second"}
    assert checks["item_id"].str.match(r"^(@|tweet:)").all()
    assert "_country" not in checks.columns


def test_checks_become_events_across_the_two_files(lookups):
    _, combined = lookups
    events = combined.tables["events"].set_index(["item_id", "event"])
    first = events.loc[("@kisanektamorcha", "withheld")]
    assert first["at"] == FEB1 and pd.isna(first["at_earliest"])  # began before we looked
    assert "already withheld when first seen" in first["notes"]
    events = events.reset_index()
    restored = events[(events["item_id"] == "@kisanektamorcha") & (events["event"] == "restored")]
    assert (restored["at"].iloc[0], restored["at_earliest"].iloc[0]) == (FEB2, FEB1)
    assert events.groupby("event").size().to_dict() == {
        "deleted": 2,  # gone_account, tweet ...999
        "restored": 1,
        "suspended": 1,  # seen twice, one event
        "withheld": 4,  # kisanektamorcha, ...576, ...577, thirduser (XX covers India)
    }
    assert set(events["source_kind"]) == {"snapshot"}
    assert set(events.loc[events["event"].isin(["withheld", "restored"]), "country"]) == {"IN"}


def test_rejects_name_record_and_reason(lookups):
    result, combined = lookups
    rejects = combined.rejects.set_index("source_row")
    assert list(rejects.index) == [7, 8]
    assert "lost precision as a float" in rejects.loc[7, "reason"]
    assert rejects.loc[7, "column"] == "id"
    assert rejects.loc[8, "reason"].startswith("2021-02-01-v1.jsonl line 8: invalid JSON")
    assert (result.rows_read, len(combined.tables["checks"])) == (12, 10)


def test_unresolved_user_ids_defaults_and_unknown_errors(tmp_path):
    combined = _source(
        tmp_path,
        [
            {"user_withheld": {"id": 444, "withheld_in_countries": "DE"}},
            {"id_str": "20", "text": "just setting up", "withheld_copyright": True},
            {"screen_name": "locked", "errors": [{"code": 179, "message": "Not authorized."}]},
            {"errors": [{"code": 50, "message": "User not found."}]},
            {"checked_at": "not a time", "screen_name": "someone"},
        ],
        '[source.defaults]\nchecked_at = "2021-03-01T10:00:00Z"\ncountry = "DE"\n',
    )
    checks = combined.tables["checks"].set_index("source_row")
    assert checks.loc[1, "item_id"] == "url:https://twitter.com/i/user/444"
    assert checks.loc[1, "checked_at"] == pd.Timestamp("2021-03-01 10:00", tz="UTC")
    # A short tweet id stays a tweet (never read as a handle); copyright adds X's code XY.
    assert (checks.loc[2, "item_id"], checks.loc[2, "countries"]) == ("tweet:20", "XY")
    rejects = combined.rejects.set_index("source_row")
    assert "does not say whether the item is withheld" in rejects.loc[3, "reason"]
    assert "does not say which account or tweet" in rejects.loc[4, "reason"]
    assert rejects.loc[5, "column"] == "checked_at"
    events = combined.tables["events"]
    assert list(events["country"]) == ["DE"]  # tracked country from the defaults
    assert list(events["item_id"]) == ["url:https://twitter.com/i/user/444"]


def test_lookups_need_a_time(tmp_path):
    combined = _source(tmp_path, [{"id_str": "111", "screen_name": "a"}])
    (reject,) = combined.rejects.itertuples()
    assert (reject.column, reject.reason) == (
        "checked_at",
        "checked_at (when the lookup was made) is blank but required",
    )


def test_a_single_file_reads_without_a_folder(tmp_path):
    (tmp_path / "one.json").write_text(
        json.dumps([{"id": 1, "screen_name": "A", "checked_at": "2021-01-01T00:00:00Z"}]),
        encoding="utf-8",
    )
    (tmp_path / "sources.toml").write_text(
        '[[source]]\npath = "one.json"\nkind = "x_snapshots"\n', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    raw = read_raw(source)
    assert list(raw.frame["target"]) == ["A"]


def test_a_tweet_and_its_author_are_two_observations(tmp_path):
    """A tweet lookup that carries its author's user object gives a check of the tweet (its
    own withholding) and one of ``@author`` (the account's); neither overrides the other. A
    v2 author without ``withheld`` says nothing about the account: no author check."""
    when = "2021-02-01T09:00:00Z"
    records = [
        # v1.1: the tweet is withheld in India, its author is not withheld anywhere.
        {
            "checked_at": when,
            "id_str": "1356205424589848576",
            "text": "a",
            "withheld_in_countries": ["IN"],
            "user": {
                "id_str": "222",
                "screen_name": "Adarsh__Samarpit",
                "withheld_in_countries": [],
            },
        },
        # v2: the tweet is visible, its author is withheld in India.
        {
            "checked_at": when,
            "data": [
                {"id": "1356205424589848577", "text": "b", "author_id": "333"},
                {"id": "1356205424589848578", "text": "c", "author_id": "444"},
            ],
            "includes": {
                "users": [
                    {
                        "id": "333",
                        "username": "Withheld_One",
                        "withheld": {"country_codes": ["IN"]},
                    },
                    {"id": "444", "username": "asked_nothing"},
                ]
            },
        },
    ]
    checks = _source(tmp_path, records).tables["checks"]
    got = {
        (c.item_id, c.state, None if pd.isna(c.countries) else c.countries)
        for c in checks.itertuples()
    }
    assert got == {
        ("tweet:1356205424589848576", "withheld", "IN"),
        ("@adarsh__samarpit", "visible", None),
        ("tweet:1356205424589848577", "visible", None),
        ("@withheld_one", "withheld", "IN"),
        ("tweet:1356205424589848578", "visible", None),
    }
