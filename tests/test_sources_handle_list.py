"""kind = "handle_list": a researcher's list of URLs -> items, orders and status checks.

handle-list.csv (headers URL, Notice, Date received, Status, Checked at; no column map):
    row 2  status URL, notice lumendatabase.org/notices/24001, active       -> visible
    row 3  profile URL, same notice, "Code 63: User has been suspended."   -> suspended
    row 4  a bare 19-digit tweet id (text), notice LN-77, "Code 50: ..."   -> not_found
    row 5  x.com profile, LN-77, "...withheld in India in response to..."  -> withheld IN
    row 6  LN-77, "protected"                                               -> rejected
    row 7  LN-77, no status                                                 -> item, no check
The Lumen notice URL links rows 2-3 to order lumen:24001, which the lumen source declares, so
the list's own (implied) order gives way to it; LN-77 is declared by no one, so the list's
received date makes it an order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.combine import combine
from analysis.clean.pipeline import read_source
from analysis.core.errors import InputError
from analysis.ingest.canonical import status_states
from analysis.ingest.sources import load_sources

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
APR25 = pd.Timestamp("2021-04-24 18:30", tz="UTC")  # 25/04/2021, midnight in India


@pytest.fixture(scope="module")
def combined():
    sources = [s for s in load_sources(FIXTURES) if s.kind in ("lumen", "handle_list")]
    return combine([read_source(s).canonical for s in sources])


def _write(tmp_path, csv: str, extra: str = ""):
    (tmp_path / "list.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\npath = "list.csv"\nkind = "handle_list"\n{extra}', encoding="utf-8"
    )
    (source,) = load_sources(tmp_path)
    return source


def test_items_link_to_notices(combined):
    items = combined.tables["items"]
    mine = items[items["source_file"] == "handle-list.csv"].set_index("source_row")
    assert sorted(mine.index) == [4, 5, 7]
    assert mine.loc[4, ["order_id", "item_id", "tweet_id"]].tolist() == [
        "LN-77",
        "tweet:1385152733478453299",
        "1385152733478453299",  # a bare id read as text: every digit kept
    ]
    # Rows 2 and 3 name notice 24001's own items, so their items are duplicates of the Lumen
    # source's (same order, same item); their status checks keep the rows.
    lumen_items = items[items["order_id"] == "lumen:24001"]
    assert set(lumen_items["source_file"]) == {"lumen"}
    assert set(lumen_items["item_id"]) == {"@anotherone", "tweet:1385152733478453251"}


def test_a_declared_order_wins_over_the_lists(combined):
    orders = combined.tables["orders"].set_index("order_id")
    assert orders.loc["lumen:24001", "source_file"] == "lumen"
    implied = orders.loc["LN-77"]
    assert implied["issued_at"] == pd.Timestamp("2021-04-22 18:30", tz="UTC")
    assert (implied["platform"], implied["country"], implied["time_precision"]) == (
        "twitter",
        "IN",
        "day",
    )
    assert implied["notes"] == "order implied by the handle list handle-list.csv"


def test_status_becomes_checks_and_events(combined):
    checks = combined.tables["checks"].set_index("source_row")
    assert checks["state"].to_dict() == {
        2: "visible",
        3: "suspended",
        4: "not_found",
        5: "withheld",
    }
    assert checks.loc[5, "countries"] == "IN"
    assert set(checks["checked_at"]) == {APR25}
    assert set(checks["time_precision"]) == {"day"}
    events = combined.tables["events"].set_index("item_id")
    assert events.loc["@fourthone", "event"] == "withheld"
    assert events.loc["@anotherone", ["event", "order_id"]].tolist() == ["suspended", "lumen:24001"]
    assert events.loc["@anotherone", "time_precision"] == "day"  # as exact as the check


def test_an_unknown_status_rejects_the_row(combined):
    rejects = combined.rejects[combined.rejects["source_file"] == "handle-list.csv"]
    (reject,) = rejects.itertuples()
    assert (reject.source_row, reject.column, reject.value) == (6, "Status", "protected")


@pytest.mark.parametrize(
    ("text", "state", "countries"),
    [
        ("active", "visible", None),
        ("Active ", "visible", None),
        ("Code 50: User not found.", "not_found", None),
        ("Code 63: User has been suspended.", "suspended", None),
        ("Code 34: Sorry, that page does not exist.", "not_found", None),
        (
            "This Tweet from @x has been withheld in India in response to a legal demand.",
            "withheld",
            "India",
        ),
        (
            "@x's account has been withheld in India and Pakistan based on local laws.",
            "withheld",
            "India and Pakistan",
        ),
        ("This Tweet is from a suspended account.", "suspended", None),
        ("withheld", "withheld", None),
    ],
)
def test_status_texts(text, state, countries):
    got = status_states(pd.Series([text], dtype="str")).iloc[0]
    assert got["state"] == state
    assert (None if pd.isna(got["countries"]) else got["countries"]) == countries
    assert pd.isna(got["reason"])


def test_visible_text_column_and_conflicting_dates(tmp_path):
    source = _write(
        tmp_path,
        "Link,Notice,Date received,Visible text\n"
        "https://twitter.com/a/status/1385152733478453251,N-1,01/02/2021,"
        '"This Tweet from @a has been withheld in India and Pakistan in response to a legal '
        'demand."\n'
        "https://twitter.com/b,N-2,01/02/2021,\n"
        "https://twitter.com/c,N-2,02/02/2021,\n",
        '[source.defaults]\nchecked_at = "2021-02-05"\n',
    )
    combined = combine([read_source(source).canonical])
    (check,) = combined.tables["checks"].itertuples()
    assert (check.item_id, check.state, check.countries) == (
        "tweet:1385152733478453251",
        "withheld",
        "IN,PK",
    )
    # N-2 is given two received dates: both rows are rejected, naming each other.
    rejects = combined.rejects.set_index("source_row")
    assert list(rejects.index) == [3, 4]
    assert "given differently in list.csv row 3, list.csv row 4" in rejects.loc[3, "reason"]
    assert list(combined.tables["orders"]["order_id"]) == ["N-1"]


def test_a_status_without_a_time_is_one_sentence(tmp_path):
    source = _write(tmp_path, "URL,Notice,Status\nhttps://twitter.com/a,N-1,active\n")
    with pytest.raises(InputError, match="nothing says when the status was seen"):
        read_source(source)


def test_without_received_dates_orders_come_from_elsewhere(tmp_path):
    source = _write(tmp_path, "URL,Notice\nhttps://twitter.com/a,N-1\n")
    canonical = read_source(source).canonical
    assert "implied_orders" not in canonical.tables
    assert any("must come from another source" in m for m in canonical.messages)
    combined = combine([canonical])
    assert "which no orders source declares" in combined.rejects["reason"].iloc[0]


def test_account_status_and_tweet_text_are_two_observations(tmp_path):
    """active_status is the account's state, india_tweet_text what the tweet's page shows in
    India: each is a check of its own item, so an active account's withheld tweet is withheld."""
    source = _write(
        tmp_path,
        "url,notice,active_status,india_tweet_text\n"
        "https://twitter.com/Adarsh__Samarpit/status/1385152733478453251,N-1,active,"
        '"This Tweet from @Adarsh__Samarpit has been withheld in India in response to a legal '
        'demand. Learn more."\n'
        "https://twitter.com/b/status/1385152733478453252,N-1,active,Farmers march today\n"
        "https://twitter.com/c/status/1385152733478453253,N-1,Code 63,"
        "This Tweet is from a suspended account. Learn more\n"
        "https://twitter.com/d/status/1385152733478453254,N-1,Code 50,\n"
        "https://twitter.com/E,N-1,active,@E's account has been withheld in India.\n"
        "https://twitter.com/f/status/1385152733478453255,N-1,active,This Tweet is unavailable.\n",
        '[source.columns]\n"url" = "item"\n"notice" = "order_id"\n'
        '"active_status" = "status"\n"india_tweet_text" = "visible_text"\n'
        '[source.defaults]\nchecked_at = "2021-04-25"\n',
    )
    canonical = read_source(source).canonical
    checks = canonical.tables["checks"]
    got = {(c.source_row, c.item_id, c.state) for c in checks.itertuples()}
    assert got == {
        (2, "tweet:1385152733478453251", "withheld"),
        (2, "@adarsh__samarpit", "visible"),
        (3, "tweet:1385152733478453252", "visible"),  # the page showed the post's own words
        (3, "@b", "visible"),
        (4, "tweet:1385152733478453253", "suspended"),
        (4, "@c", "suspended"),
        (5, "@d", "not_found"),  # no page text: the account's check only
        (6, "@e", "withheld"),  # an account row: one check, the page's notice
    }
    (reject,) = canonical.rejects.itertuples()
    assert (reject.source_row, reject.column) == (7, "india_tweet_text")
    assert "says neither withheld, suspended nor gone" in reject.reason
    items = canonical.tables["items"].set_index("source_row")
    assert "longer than X's 15 characters" in items.loc[2, "notes"]
