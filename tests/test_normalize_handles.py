"""parse_items: every way a handle, tweet, hashtag or URL arrives in a takedown spreadsheet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.normalize.handles import (
    ITEM_COLUMNS,
    clean_text,
    long_handle_notes,
    parse_items,
)


def one(value) -> dict:
    """Parse a single cell; missing values come back as None so expectations read simply."""
    row = parse_items(pd.Series([value], dtype=object)).iloc[0]
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def account(name: str) -> dict:
    return {
        "item_id": f"@{name}",
        "item_type": "account",
        "handle": name,
        "tweet_id": None,
        "reason": None,
    }


def tweet(tid: str, author: str | None) -> dict:
    return {
        "item_id": f"tweet:{tid}",
        "item_type": "tweet",
        "handle": author,
        "tweet_id": tid,
        "reason": None,
    }


def rejected(reason: str) -> dict:
    return {"item_id": None, "item_type": None, "handle": None, "tweet_id": None, "reason": reason}


@pytest.mark.parametrize(
    "raw",
    [
        "@Name",
        "Name",
        " NAME ",
        "name",
        "https://twitter.com/Name",
        "http://www.twitter.com/Name/",
        "https://x.com/Name",
        "https://www.x.com/Name",
        "mobile.twitter.com/Name",
        "m.twitter.com/Name",
        "twitter.com/Name?lang=en",
        "https://twitter.com/intent/user?screen_name=Name",
        "twitter.com/intent/follow?screen_name=Name&lang=hi",
        "twitter.com/#!/Name",
        "https://twitter.com/#!/Name",
        "https://twitter.com/Name/media",
        "HTTPS://TWITTER.COM/NAME",
        "\u200b@Name\u200e",  # zero-width space and left-to-right mark from a copy-paste
        "\ufeffName",  # byte-order mark at the start of a CSV cell
        "\u2066@Name\u2069",  # bidi isolate
        "＠Name",  # full-width @ from an Indic keyboard
        "\u00a0@Name\u00a0",  # no-break spaces
    ],
)
def test_account_forms_all_give_the_same_account(raw):
    assert one(raw) == account("name")


@pytest.mark.parametrize(
    ("raw", "author"),
    [
        ("https://twitter.com/Name/status/1357000000000000001", "name"),
        ("https://x.com/Name/status/1357000000000000001?s=20", "name"),
        ("https://twitter.com/Name/statuses/1357000000000000001", "name"),
        ("mobile.twitter.com/Name/status/1357000000000000001/photo/1", "name"),
        ("twitter.com/Name/status/1357000000000000001/", "name"),
        ("https://twitter.com/#!/Name/status/1357000000000000001", "name"),
        ("https://twitter.com/i/web/status/1357000000000000001", None),
        ("https://x.com/i/status/1357000000000000001", None),
        ("1357000000000000001", None),
        ("tweet:1357000000000000001", None),
        ("TWEET:1357000000000000001", None),
    ],
)
def test_tweet_forms(raw, author):
    assert one(raw) == tweet("1357000000000000001", author)


def test_old_short_tweet_ids_in_links_are_kept():
    # twitter.com/jack/status/20 is the first tweet ever: ids were short once.
    assert one("https://twitter.com/jack/status/20") == tweet("20", "jack")


def test_a_number_of_15_digits_or_fewer_is_a_handle_not_a_tweet():
    assert one("123456789012345") == account("123456789012345")
    assert one("1234567890123456")["item_type"] == "tweet"


def test_legacy_handles_up_to_20_characters_are_kept_with_a_note():
    # X has allowed 15 characters since about 2009; older accounts keep up to 20.
    assert one("@Adarsh__Samarpit") == account("adarsh__samarpit")
    assert one("https://twitter.com/Adarsh__Samarpit/status/1385152733478453251") == tweet(
        "1385152733478453251", "adarsh__samarpit"
    )
    assert one("x.com/a_twenty_char_handle") == account("a_twenty_char_handle")
    assert one("a_twenty_one_chars_xx")["reason"] == (
        'handle "a_twenty_one_chars_xx" is longer than 20 characters'
    )
    # A bare number of 16-19 digits is still a tweet id, and 20 digits is not a handle.
    assert one("1234567890123456")["item_type"] == "tweet"
    assert one("12345678901234567890")["reason"] == (
        'tweet id "12345678901234567890" is longer than 19 digits'
    )
    notes = long_handle_notes(pd.Series(["adarsh__samarpit", "short", None], dtype="str"))
    assert notes.iloc[0] == (
        "handle @adarsh__samarpit is longer than X's 15 characters (an account from before "
        "that limit)"
    )
    assert notes.iloc[1:].isna().all()


def test_integers_are_read_as_their_digits():
    # An int64 column keeps every digit of a tweet id, unlike a float one.
    out = parse_items(pd.Series([1357000000000000001, 12], dtype="int64"))
    assert out["item_id"].tolist() == ["tweet:1357000000000000001", "@12"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#FarmersProtest", "#farmersprotest"),
        ("#farmersprotest", "#farmersprotest"),
        ("twitter.com/hashtag/FarmersProtest", "#farmersprotest"),
        ("https://twitter.com/hashtag/FarmersProtest?src=hash", "#farmersprotest"),
        ("#किसान_आंदोलन", "#किसान_आंदोलन"),
        # Percent-encoded Hindi, as a browser copies it: /hashtag/किसान
        ("twitter.com/hashtag/%E0%A4%95%E0%A4%BF%E0%A4%B8%E0%A4%BE%E0%A4%A8", "#किसान"),
    ],
)
def test_hashtags(raw, expected):
    assert one(raw) == {
        "item_id": expected,
        "item_type": "hashtag",
        "handle": None,
        "tweet_id": None,
        "reason": None,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.thewire.in/politics/farmers", "url:https://thewire.in/politics/farmers"),
        ("HTTPS://WWW.TheWire.in/Politics/", "url:https://thewire.in/Politics"),
        ("http://example.com/a?utm_source=tw&id=5#top", "url:http://example.com/a?id=5"),
        ("https://example.com/a?s=20&t=xyz&ref_src=twsrc&ref=x", "url:https://example.com/a"),
        ("https://example.com/a?sort=new&s=1", "url:https://example.com/a?sort=new"),
        ("https://example.com:443/a", "url:https://example.com/a"),
        ("https://example.com:8443/a", "url:https://example.com:8443/a"),
        ("www.thewire.in/politics", "url:https://thewire.in/politics"),
        ("thewire.in/politics", "url:https://thewire.in/politics"),
        ("twitter.com/search?q=FarmersProtest", "url:https://twitter.com/search?q=farmersprotest"),
        ("https://x.com/search?q=x&s=20", "url:https://twitter.com/search?q=x"),
        ("https://twitter.com/i/lists/123", "url:https://twitter.com/i/lists/123"),
        ("https://twitter.com", "url:https://twitter.com"),
    ],
)
def test_other_urls_are_normalised(raw, expected):
    assert one(raw) == {
        "item_id": expected,
        "item_type": "url",
        "handle": None,
        "tweet_id": None,
        "reason": None,
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            "averyveryverylonghandle",
            'handle "averyveryverylonghandle" is longer than 20 characters',
        ),
        ("@foo-bar", 'handle "foo-bar" has characters other than letters, digits and _'),
        ("@naïve", 'handle "naïve" has characters other than letters, digits and _'),
        ("Kisan Ekta Morcha", '"Kisan Ekta Morcha" is not a handle or URL'),
        ("@", 'handle "@" is empty'),
        ("home", '"home" is a reserved Twitter page, not a handle'),
        ("@Search", '"Search" is a reserved Twitter page, not a handle'),
        (
            "https://twitter.com/averyveryverylonghandle",
            'handle "averyveryverylonghandle" is longer than 20 characters',
        ),
        ("twitter.com/name/status/abc", 'tweet id "abc" is not a number'),
        ("tweet:12x", 'tweet id "12x" is not a number'),
        ("12345678901234567890", 'tweet id "12345678901234567890" is longer than 19 digits'),
        ("1.35E+18", 'tweet id "1.35E+18" lost precision as a float'),
        ("1357000000000000000.0", 'tweet id "1357000000000000000.0" lost precision as a float'),
        ("#123", 'hashtag "#123" has no letters'),
        ("#farmers protest", 'hashtag "#farmers protest" has spaces or punctuation'),
        ("ftp://example.com/x", 'URL "ftp://example.com/x" is not http(s)'),
        ("https://exa mple.com", 'URL "https://exa mple.com" cannot be read'),
    ],
)
def test_rejects_say_what_is_wrong(raw, reason):
    assert one(raw) == rejected(reason)


def test_floats_are_never_turned_into_tweet_ids():
    # 1357000000000000001 read by Excel/pandas as a float is 1.357e18: the last digits are gone.
    out = parse_items(pd.Series([1.357e18, 1357000000000000001.0, 5.0, np.nan]))
    assert out["tweet_id"].isna().all()
    assert out["item_id"].isna().all()
    assert out["reason"].tolist()[:2] == [
        "tweet id 1.357e+18 lost precision as a float",
        "tweet id 1.357e+18 lost precision as a float",
    ]
    assert out["reason"][2] == "number 5.0 is a float; handles and ids must be text"
    assert pd.isna(out["reason"][3])


def test_floats_in_a_mixed_column_are_rejected_and_the_rest_parsed():
    out = parse_items(pd.Series(["@a", 1.357e18, 1357000000000000001, True, None], dtype=object))
    assert out["item_id"][0] == "@a"
    assert pd.isna(out["item_id"][1])
    assert out["item_id"][2] == "tweet:1357000000000000001"
    assert out["reason"][1] == "tweet id 1.357e+18 lost precision as a float"
    assert out["reason"][3] == 'value "True" is not a handle or URL'
    assert out.iloc[4].isna().all()


@pytest.mark.parametrize("blank", [None, np.nan, pd.NA, "", "   ", "\u200b", "\t\n"])
def test_blank_cells_are_null_without_a_reason(blank):
    assert one(blank) == rejected(None)


def test_output_columns_dtypes_and_index():
    values = pd.Series(["@a", "b", None], index=[10, 10, 7], name="Handle")
    out = parse_items(values)
    assert list(out.columns) == ITEM_COLUMNS
    assert out.index.equals(values.index)  # duplicates kept, order kept
    assert all(dtype == "str" for dtype in out.dtypes)
    assert out["item_id"].tolist()[:2] == ["@a", "@b"]


def test_input_is_not_modified():
    values = pd.Series([" @Name ", "https://x.com/Name/status/1?s=20"], dtype=object)
    before = values.copy()
    parse_items(values)
    pd.testing.assert_series_equal(values, before)


def test_string_dtypes_all_work():
    for dtype in ["str", "string", object]:
        out = parse_items(pd.Series(["@Name", None], dtype=dtype))
        assert out["item_id"][0] == "@name"
        assert pd.isna(out["item_id"][1])


def test_categorical_column():
    out = parse_items(pd.Series(["@A", "@A", "@b"], dtype="category"))
    assert out["item_id"].tolist() == ["@a", "@a", "@b"]


def test_empty_series():
    out = parse_items(pd.Series([], dtype=object))
    assert list(out.columns) == ITEM_COLUMNS
    assert len(out) == 0


def test_large_columns_repeat_the_same_answers():
    # Long columns are parsed once per distinct value; the spread-back must keep row order.
    base = ["@a", "https://x.com/B/status/1357000000000000001", None, "bad handle"]
    values = pd.Series(base * 500, index=range(3000, 5000))
    out = parse_items(values)
    small = parse_items(pd.Series(base))
    expected = pd.concat([small] * 500)
    expected.index = values.index
    pd.testing.assert_frame_equal(out, expected)


@pytest.mark.parametrize(
    "raw",
    [
        "@Name",
        "https://x.com/Name/status/1357000000000000001?s=20",
        "https://twitter.com/i/web/status/1357000000000000001",
        "#FarmersProtest",
        "https://WWW.Example.com/Path/?utm_source=a&id=5#frag",
        "twitter.com/search?q=x",
        "www.thewire.in/politics",
    ],
)
def test_item_ids_parse_back_to_themselves(raw):
    first = one(raw)["item_id"]
    assert one(first)["item_id"] == first
    assert one(first)["item_type"] == one(raw)["item_type"]


def test_a_status_link_and_its_author_agree_with_the_account():
    out = parse_items(pd.Series(["https://x.com/Name/status/1357000000000000001", "@NAME"]))
    assert out["handle"][0] == out["handle"][1] == "name"


def test_clean_text_removes_invisible_characters_and_keeps_case():
    s = pd.Series(["\u200bAb\u200c", " ＡＢ ", "", None, "\u202aX\u202c"])
    assert clean_text(s).tolist()[:2] == ["Ab", "AB"]
    assert clean_text(s).isna().tolist() == [False, False, True, True, False]
