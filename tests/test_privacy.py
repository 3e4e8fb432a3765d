"""Pseudonyms for accounts that are not on the public allow-list (analysis.report.privacy)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core.errors import InputError
from analysis.report import privacy


def _tables():
    t = pd.Timestamp
    items = pd.DataFrame(
        {
            "order_id": ["O1"] * 4,
            "item_id": ["@private_b", "@newsroom", "tweet:99", "@private_a"],
            "item_type": ["account", "account", "tweet", "account"],
            "handle": ["private_b", "newsroom", "private_b", "private_a"],
            "tweet_id": [None, None, "99", None],
            "raw_value": ["@Private_B", "@Newsroom", "x.com/Private_B/status/99", "Private_A"],
            "notes": ["lives in Delhi", None, None, None],
        }
    ).astype("str")
    events = pd.DataFrame(
        {
            "item_id": ["@private_a", "@private_b", "@newsroom", None, "@stranger"],
            "order_id": ["O1"] * 4 + [None],
            "event": ["withheld"] * 5,
            "at": [t("2021-02-01", tz="UTC"), t("2021-02-02", tz="UTC")]
            + [t("2021-02-03", tz="UTC")] * 3,
            "notes": ["@Private_A posted", None, None, "~250", None],
        }
    )
    orders = pd.DataFrame({"order_id": ["O1"], "issued_at": [t("2021-01-31", tz="UTC")]})
    return {"orders": orders, "items": items, "events": events}


def test_accounts_off_the_list_and_their_tweets_get_pseudonyms():
    out = privacy.redact(_tables(), {"newsroom"})
    items = out["items"].set_index("raw_value")
    # Numbered by first appearance (both listed in the 31 Jan order; ties by id).
    assert set(out["items"]["item_id"]) == {"[account 1]", "[account 2]", "@newsroom", "[tweet 1]"}
    assert items.loc["[tweet 1]", "tweet_id"] is pd.NA or pd.isna(
        items.loc["[tweet 1]", "tweet_id"]
    )
    assert list(out["events"]["item_id"][:3]) == ["[account 1]", "[account 2]", "@newsroom"]
    # An account only an event names is judged by its own handle.
    assert out["events"]["item_id"].iloc[4] == "[account 3]"
    # Free text that may repeat a handle goes with it; aggregate rows keep theirs.
    assert out["events"]["notes"].isna().tolist() == [True, True, True, False, True]
    assert not out["items"]["handle"].dropna().str.startswith("private").any()


def test_redaction_is_stable_and_leaves_the_input_alone():
    tables = _tables()
    first, second = privacy.redact(tables, set()), privacy.redact(tables, set())
    pd.testing.assert_frame_equal(first["items"], second["items"])
    assert tables["items"]["item_id"].iloc[0] == "@private_b"


def test_allow_list_reads_handles_in_any_form(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "public-accounts.csv").write_text(
        "handle,category\n@TheCaravanIndia,media\nhttps://x.com/PIB_India,government\n"
    )
    assert privacy.allow_list(tmp_path) == {"thecaravanindia", "pib_india"}


def test_allow_list_problems_name_the_row(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "public-accounts.csv").write_text(
        "handle\n@ok\n@far_too_long_for_twitter\n"
    )
    with pytest.raises(InputError, match=r"public-accounts.csv, row 3, column 'handle'"):
        privacy.allow_list(tmp_path)


def test_no_allow_list_means_everyone_is_pseudonymised(tmp_path):
    assert privacy.allow_list(tmp_path) == set()
