"""Properties of parse_items that must hold for any input, checked with hypothesis.

Each example is a whole column (a list of cells), parsed in one call, because that is how the
function is used and because one call per cell would make the suite slow.
"""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest.normalize.handles import ITEM_COLUMNS, parse_items

VALID_HANDLE = re.compile(r"^[a-z0-9_]{1,20}$")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.slow  # hundreds of generated columns: not in `make test-fast`

handles = st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=15)
tweet_ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
noise = st.sampled_from(["", " ", "\u200b", "\u200e", "\ufeff", "\u00a0", "\t"])
FORMS = [
    "@{h}",
    "{h}",
    "＠{h}",
    "{s}{host}/{h}",
    "{s}{host}/{h}/",
    "{s}{host}/{h}?lang=en",
    "{s}{host}/intent/user?screen_name={h}",
    "{s}{host}/#!/{h}",
    "{s}{host}/{h}/status/{t}",
    "{s}{host}/{h}/status/{t}?s=20",
    "{s}{host}/{h}/statuses/{t}/photo/1",
    "{s}{host}/i/web/status/{t}",
    "{s}{host}/hashtag/{h}x",
    "{s}{host}/search?q={h}",
    "tweet:{t}",
    "#{h}x",
    "https://www.example.com/{h}/?utm_source={h}&id={t}",
]


@st.composite
def twitter_cells(draw) -> str:
    """A cell naming a random account/tweet in one of the forms spreadsheets use."""
    cell = draw(st.sampled_from(FORMS)).format(
        h=draw(handles),
        t=draw(tweet_ids),
        s=draw(st.sampled_from(["", "http://", "https://"])),
        host=draw(
            st.sampled_from(
                ["twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com", "www.x.com"]
            )
        ),
    )
    return draw(noise) + cell + draw(noise)


cells = st.one_of(st.text(max_size=40), twitter_cells())
columns = st.lists(cells, min_size=1, max_size=25)


def swap_ascii_case(text: str) -> str:
    return "".join(ch.swapcase() if ch.isascii() else ch for ch in text)


def check_well_formed(values: pd.Series, out: pd.DataFrame) -> None:
    assert list(out.columns) == ITEM_COLUMNS
    assert out.index.equals(values.index)
    # Every non-blank cell gets exactly one of an item or a reason.
    assert (out["item_id"].notna() != out["reason"].notna()).sum() == len(out) - (
        out["item_id"].isna() & out["reason"].isna()
    ).sum()
    for handle in out["handle"].dropna():
        assert VALID_HANDLE.match(handle), handle
    for tweet_id in out["tweet_id"].dropna():
        assert tweet_id.isdigit() and len(tweet_id) <= 19, tweet_id


@SETTINGS
@given(columns)
def test_never_raises_never_makes_an_invalid_handle_and_ids_are_fixed_points(raw):
    values = pd.Series(raw, index=range(100, 100 + len(raw)))
    out = parse_items(values)
    check_well_formed(values, out)
    # Idempotence: every item_id parses back to itself, with the same type.
    ids = out["item_id"].dropna()
    again = parse_items(ids)
    assert again["item_id"].tolist() == ids.tolist()
    assert again["item_type"].tolist() == out["item_type"].dropna().tolist()
    assert again["reason"].isna().all()


@SETTINGS
@given(columns)
def test_case_does_not_matter(raw):
    out = parse_items(pd.Series(raw))
    swapped = parse_items(pd.Series([swap_ascii_case(v) for v in raw]))
    for column in ("item_type", "handle", "tweet_id"):
        assert out[column].fillna("-").tolist() == swapped[column].fillna("-").tolist()
    assert out["reason"].isna().tolist() == swapped["reason"].isna().tolist()
    # Only the path and query of non-Twitter URLs may keep their case.
    assert out["item_id"].str.lower().fillna("-").tolist() == (
        swapped["item_id"].str.lower().fillna("-").tolist()
    )
    same = out["item_type"].ne("url") | out["item_id"].str.startswith("url:https://twitter.com")
    assert out["item_id"][same].tolist() == swapped["item_id"][same].tolist()


@SETTINGS
@given(st.lists(twitter_cells(), min_size=1, max_size=25))
def test_generated_twitter_cells_are_always_understood(raw):
    values = pd.Series(raw)
    out = parse_items(values)
    check_well_formed(values, out)
    # A random handle can be a reserved word ("home"), the only acceptable refusal.
    reserved = out["reason"].str.contains("reserved", na=False)
    assert out["reason"][~reserved].isna().all(), out["reason"].dropna().tolist()
    assert out["item_id"][~reserved].notna().all()
