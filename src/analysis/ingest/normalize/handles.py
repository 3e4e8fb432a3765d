"""Handles, tweets, hashtags and URLs named in takedown orders -> canonical items.

A spreadsheet cell naming an item arrives in many shapes (``@Name``, `` NAME ``,
``https://x.com/Name/status/123?s=20``, ``twitter.com/#!/Name``, a bare tweet id, a hashtag, a
news URL...). :func:`parse_items` turns a whole column of them into the canonical key
``item_id`` used by the ``items`` and ``events`` tables (see ``schema.ITEMS``).

Everything is vectorised: the text is held as Arrow strings and matched with RE2 regexes through
``Series.str``. Python runs per value only on rare subsets (non-ASCII text, mixed-type object
columns, percent-encoded hashtags).

Two helpers here are shared with the date and number parsers: :func:`split_by_type` (what kind
of value each cell holds) and :func:`clean_text` (invisible characters, NFKC, whitespace).
"""

from __future__ import annotations

import datetime as dt
import numbers
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core.text import INVISIBLE, JOINERS

__all__ = [
    "ARROW_TEXT",
    "HANDLE_PATTERN",
    "ITEM_COLUMNS",
    "X_HANDLE_LIMIT",
    "RESERVED_PATHS",
    "STRING",
    "clean_text",
    "long_handle_notes",
    "parse_distinct",
    "parse_items",
    "split_by_type",
]

#: Dtype of every text column the normalisers return: pandas' default ``str`` (Arrow-backed,
#: missing = NaN), the dtype the rest of the package uses for text.
STRING = pd.StringDtype("pyarrow", na_value=np.nan)
#: Working dtype for text inside the normalisers. ``str.extract`` on it runs in Arrow's RE2;
#: on :data:`STRING` pandas extracts value by value in Python, far too slow for 2M rows.
ARROW_TEXT = pd.ArrowDtype(pa.large_string())

#: Output columns of :func:`parse_items`, in order.
ITEM_COLUMNS = ["item_id", "item_type", "handle", "tweet_id", "reason"]

#: A valid handle after lower-casing: 1-20 of letters, digits, underscore. X has allowed 15
#: since about 2009, but accounts made before that keep the up to 20 characters they had.
HANDLE_PATTERN = r"[a-z0-9_]{1,20}"
#: X's limit for new handles; a longer one is kept with a note (:func:`long_handle_notes`).
X_HANDLE_LIMIT = 15
_MAX_HANDLE = 20

#: First path segments of twitter.com that are site pages, never accounts.
RESERVED_PATHS = frozenset(
    {
        "home",
        "i",
        "intent",
        "search",
        "explore",
        "settings",
        "hashtag",
        "share",
        "login",
        "signup",
        "tos",
        "privacy",
        "notifications",
        "messages",
    }
)
_RESERVED = sorted(RESERVED_PATHS)

# Sub-pages of a profile that still name the account itself (twitter.com/Name/media).
_PROFILE_TABS = "with_replies|media|likes|followers|following|verified_followers|highlights"

# Tweet ids are 64-bit snowflakes: at most 19 digits.
_MAX_TWEET_ID_DIGITS = 19
# A bare number is read as a tweet id only when it is too long to be a handle.
_MIN_BARE_TWEET_ID_DIGITS = 16

# Invisible in a spreadsheet but fatal to matching; a handle is ASCII, so joiners go too.
_CLEAN_TABLE = {ord(ch): None for ch in INVISIBLE + JOINERS} | {0xFF20: "@"}
# Whitespace inside a cell, spelled out because RE2's \s misses some of it.
_SPACE = "[ \t\n\r\x0b\x0c\x85\u2028\u2029]"

_TWITTER_HOST = r"(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com(?::[0-9]+)?"
_TWITTER_URL = (
    r"^(?:https?://)?" + _TWITTER_HOST + r"(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:#.*)?$"
)
_TWITTER_HASHTAG_URL = (
    r"^(?:https?://)?" + _TWITTER_HOST + r"/hashtag/(?P<tag>[^/?#]+)/?(?:[?#].*)?$"
)
_COMMON_STATUS_URL = (
    r"^(?:https?://)?" + _TWITTER_HOST + r"/@?(?P<author>[a-z0-9_]{1,20})/status(?:es)?/"
    r"(?P<tid>[0-9]{1,19})(?:[/?#].*)?$"
)
_COMMON_PROFILE_URL = (
    r"^(?:https?://)?" + _TWITTER_HOST + r"/@?(?P<name>[a-z0-9_]{1,20})/?(?:[?#].*)?$"
)
# One pass over the path decides tweet / hashtag / intent / profile; anything else is a URL.
_TWITTER_PATH = (
    r"^/(?:"
    r"(?:i/web|@?(?P<author>[^/]+))/status(?:es)?/(?P<tid>[^/]+)(?:/.*)?"
    r"|hashtag/(?P<tag>[^/]+)/?"
    r"|(?P<intent>intent/(?:user|follow))/?"
    r"|@?(?P<name>[^/]+)(?:/(?:" + _PROFILE_TABS + r"))?/?"
    r")$"
)
_GENERIC_URL = (
    r"^(?P<scheme>(?i:https?))://(?P<host>[^/?#@ ]+)"
    r"(?P<path>/[^?# ]*)?(?:\?(?P<query>[^# ]*))?(?:#[^ ]*)?$"
)
# Dot-separated labels, optional trailing dot and port.
_HOST = r"[^.:/?#@ ]+(?:\.[^.:/?#@ ]+)*\.?(?::[0-9]{1,5})?"
# Without a scheme only an obvious web address is a URL: "www.host..." or "host.tld/path".
# "Kisan.Ekta" or a bare "example.com" are rejected rather than guessed at.
_SCHEMELESS_URL = r"www\.[^/?#@ ]+(?:[/?#][^ ]*)?|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}[/?#][^ ]*"
# Query parameters that only say where a click came from; dropping them merges duplicates.
_TRACKING = r"(?:^|&)(?i:utm_[^&=]*|s|t|ref_src|ref)=[^&]*"
# ASCII punctuation other than "_" ends a hashtag on Twitter; letters in any script are fine.
_HASHTAG_BODY = r"[^ \t\n\r\x0b\x0c!-/:-@\[-^`{-~]+"
_FLOAT_TEXT = r"[0-9]+(?:\.[0-9]*)?[eE][+]?[0-9]+|[0-9]{16,}\.[0-9]*"


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _kind_of(value: object) -> str:
    # Order matters: bool is an int, datetime is a date, NaT is a datetime.
    if value is None or value is pd.NaT or value is pd.NA:
        return "null"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "null" if value != value else "float"  # NaN != NaN
    if isinstance(value, dt.datetime | np.datetime64):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "other"


def _to_text(values: pd.Series) -> pd.Series:
    try:
        return values.astype(ARROW_TEXT)
    except UnicodeEncodeError:
        # Lone surrogates (a file decoded with surrogateescape) cannot go into Arrow.
        return values.map(
            lambda v: v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v
        ).astype(ARROW_TEXT)


def _mask(values: pd.Series) -> np.ndarray:
    """A boolean Series with nulls -> writable numpy bool array, null = False."""
    if isinstance(values.array, pd.arrays.ArrowExtensionArray):
        # Straight through Arrow: the pandas route costs more than the regex on short columns.
        arr = pa.array(values.array)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return np.array(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)
    return values.fillna(False).to_numpy(dtype=bool, copy=True)


def _is_arrow_text(dtype) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


def split_by_type(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Split a raw column into text and a per-value kind label.

    Returns ``(text, kind)``. ``text`` has the input's index and dtype :data:`ARROW_TEXT`; it
    holds each string value as is and each integer as its decimal digits, and is NA elsewhere.
    ``kind`` is a numpy object array of labels: ``null``, ``text``, ``int``, ``float``,
    ``bool``, ``datetime`` (incl. ``pd.Timestamp``), ``date`` or ``other``. Missing values
    (None, NaN, NA, NaT) are ``null``. Typed columns are classified by dtype; only mixed
    ``object`` columns are inspected value by value.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    isna = values.isna().to_numpy(dtype=bool)
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or _is_arrow_text(dtype):
        label = "text"
    elif pd.api.types.is_bool_dtype(dtype):
        label = "bool"
    elif pd.api.types.is_integer_dtype(dtype):
        label = "int"
    elif pd.api.types.is_float_dtype(dtype):
        label = "float"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        label = "datetime"
    elif pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        label = "text"
    elif pd.api.types.is_object_dtype(dtype):
        kind = values.map(_kind_of).to_numpy(dtype=object)
        text = pd.Series(pd.NA, index=values.index, dtype=ARROW_TEXT)
        text_like = (kind == "text") | (kind == "int")
        if text_like.any():
            text[text_like] = _to_text(values[text_like].map(str))
        return text, kind
    else:
        label = "other"
    kind = np.where(isna, "null", label).astype(object)
    if label in ("text", "int"):
        return _to_text(values), kind
    return pd.Series(pd.NA, index=values.index, dtype=ARROW_TEXT), kind


def _dedupable(values: pd.Series) -> bool:
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or _is_arrow_text(dtype):
        return True
    if pd.api.types.is_object_dtype(dtype):
        # Mixed objects are not: factorize treats 1, 1.0 and True as one value.
        return pd.api.types.infer_dtype(values, skipna=True) == "string"
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def parse_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """Run ``parse`` once per distinct value of ``values`` and spread the result back.

    Spreadsheet columns repeat themselves (the same order date on 50,000 item rows), so this
    makes the normalisers cost per distinct value. It is skipped when a sample shows mostly
    distinct values (factorising would cost more than it saves) and for mixed ``object``
    columns. ``parse`` must map each value independently of the others; the result has the
    index of ``values``.
    """
    n = len(values)
    if n < 1000 or not _dedupable(values):
        return parse(values)
    sample = values.iloc[:: max(1, n // 5000)]
    if sample.nunique(dropna=False) > len(sample) // 2:
        return parse(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    result = parse(pd.Series(uniques, copy=False)).take(codes)
    result.index = values.index
    return result


def _clean_one(text: str) -> str:
    return unicodedata.normalize("NFKC", text.translate(_CLEAN_TABLE))


def clean_text(text: pd.Series) -> pd.Series:
    """Tidy free text typed or pasted into a spreadsheet cell.

    Removes zero-width characters (U+200B..U+200D, U+2060, U+FEFF) and bidi marks (U+200E,
    U+200F, U+202A..U+202E, U+2066..U+2069) anywhere, NFKC-normalises (full-width ``＠`` and
    ``１２３`` become ``@`` and ``123``, no-break spaces become spaces) and strips surrounding
    whitespace. Case is kept. NA and blank results are NA. Takes a Series of strings (or NA);
    returns a :data:`ARROW_TEXT` Series with the same index.
    """
    s = text.astype(ARROW_TEXT)
    # Everything to clean is non-ASCII, so only those (usually few) values go through Python.
    non_ascii = _mask(~s.str.isascii())
    if non_ascii.any():
        s = s.copy()
        s[non_ascii] = s[non_ascii].map(_clean_one).astype(ARROW_TEXT)
    s = s.str.strip()
    return s.mask(_mask(s == ""))


def _fold_one(text: str) -> str:
    # lower() can undo NFKC and NFKC can produce capitals (U+210C -> H); iterating to the fixed
    # point is what makes parse_items idempotent on any text.
    for _ in range(5):
        folded = unicodedata.normalize("NFKC", text).lower()
        if folded == text:
            break
        text = folded
    return text


def _fold(s: pd.Series) -> pd.Series:
    """Lower-case for matching; stable under repetition (see _fold_one)."""
    low = s.str.lower()
    non_ascii = _mask(~s.str.isascii())
    if non_ascii.any():
        low[non_ascii] = s[non_ascii].map(_fold_one).astype(ARROW_TEXT)
    return low


def _arrow(s: pd.Series) -> pa.Array:
    arr = pa.array(s.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _extract(s: pd.Series, pattern: str) -> dict[str, pd.Series]:
    """Named groups of ``pattern`` (RE2) as text Series aligned with ``s``; NA when absent.

    Straight to Arrow's ``extract_regex``: same engine as ``Series.str.extract`` on
    :data:`ARROW_TEXT`, without building and masking a DataFrame, which dominates the cost
    on short columns. Arrow reports a group that took no part in the match as "", so ""
    means absent; every pattern here is written so that a present group is never empty.
    """
    groups = pc.extract_regex(_arrow(s).cast(pa.large_string()), pattern)
    out = {}
    for i, field in enumerate(groups.type):
        values = pc.struct_field(groups, [i])
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        out[field.name] = pd.Series(pd.arrays.ArrowExtensionArray(values), index=s.index)
    return out


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


class _Out:
    """The output columns, filled stage by stage; the first stage to take a row wins."""

    def __init__(self, n: int):
        self.n = n
        self.todo = np.zeros(n, dtype=bool)
        self.parts: dict[str, list[tuple[np.ndarray, pa.Array]]] = {c: [] for c in ITEM_COLUMNS}

    def take(self, rows: np.ndarray, mask: np.ndarray, **cols: object) -> None:
        """Set ``cols`` on ``rows[mask]``. ``rows`` are positions; values are aligned to them.

        A value is a str (same for all), a Series aligned with ``rows`` or a tuple of those,
        concatenated (a null piece makes the result null).
        """
        keep = mask & self.todo[rows]
        if not keep.any():
            return
        taken = rows[keep]
        for name, value in cols.items():
            self.parts[name].append((taken, _piece(value, keep)))
        self.todo[taken] = False

    def reject(self, rows: np.ndarray, mask: np.ndarray, *reason: object) -> None:
        self.take(rows, mask, reason=reason)

    def frame(self, index: pd.Index) -> pd.DataFrame:
        columns = {}
        for name, parts in self.parts.items():
            order = np.full(self.n, -1, dtype=np.int64)
            if parts:
                taken = np.concatenate([p for p, _ in parts])
                order[taken] = np.arange(len(taken))
                pool = pa.concat_arrays([a for _, a in parts])
            else:
                pool = pa.array([], pa.large_string())
            arr = pool.take(pa.array(order, mask=order < 0))
            columns[name] = pd.Series(pd.array(arr, dtype=STRING), index=index, copy=False)
        return pd.DataFrame(columns, index=index)


def _piece(value: object, keep: np.ndarray) -> pa.Array:
    if isinstance(value, str):
        return pa.repeat(pa.scalar(value, pa.large_string()), int(keep.sum()))
    if isinstance(value, tuple):
        pieces = [_piece(v, keep) for v in value]
        return pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))
    return _arrow(value[keep]).cast(pa.large_string())


def _quoted(s: pd.Series) -> tuple:
    return ('"', s, '"')


def _reject_bad_handles(
    out: _Out, rows: np.ndarray, mask: np.ndarray, handle: pd.Series, shown: pd.Series
) -> None:
    """Reject invalid handle candidates (lower-cased ``handle``) and quote ``shown``."""
    if not mask.any():
        return
    rows, handle, shown = rows[mask], handle[mask], shown[mask]
    mask = np.ones(len(rows), dtype=bool)
    ok_chars = _mask(handle.str.fullmatch("[a-z0-9_]+"))
    out.reject(rows, mask & _mask(handle == ""), 'handle "@" is empty')
    out.reject(
        rows,
        mask & ok_chars & _mask(handle.str.len() > _MAX_HANDLE),
        "handle ",
        *_quoted(shown),
        f" is longer than {_MAX_HANDLE} characters",
    )
    out.reject(
        rows,
        mask & ~ok_chars,
        "handle ",
        *_quoted(shown),
        " has characters other than letters, digits and _",
    )
    out.reject(
        rows,
        mask & _mask(handle.isin(_RESERVED)),
        *_quoted(shown),
        " is a reserved Twitter page, not a handle",
    )


def _reject_bad_tweet_ids(out: _Out, rows: np.ndarray, mask: np.ndarray, tid: pd.Series) -> None:
    if not mask.any():
        return
    rows, tid = rows[mask], tid[mask]
    mask = np.ones(len(rows), dtype=bool)
    out.reject(
        rows,
        mask & ~_mask(tid.str.fullmatch("[0-9]+")),
        "tweet id ",
        *_quoted(tid),
        " is not a number",
    )
    out.reject(
        rows,
        mask & _mask(tid.str.len() > _MAX_TWEET_ID_DIGITS),
        "tweet id ",
        *_quoted(tid),
        f" is longer than {_MAX_TWEET_ID_DIGITS} digits",
    )


def _clean_query(query: pd.Series) -> pd.Series:
    """``?query`` without tracking parameters, or "" when nothing is left."""
    q = query.fillna("")
    tracked = _mask(q.str.contains(_TRACKING, regex=True))
    if tracked.any():
        # Each match takes the "&" before it, so neighbouring tracking parameters never
        # overlap; a leading "&" can be left over when the first parameter went.
        q[tracked] = q[tracked].str.replace(_TRACKING, "", regex=True).str.lstrip("&")
    return ("?" + q).mask(_mask(q == ""), "")


def _url(
    scheme: pd.Series | str, host: pd.Series | str, path: pd.Series, query: pd.Series
) -> pd.Series:
    path = path.fillna("").str.replace("/+$", "", regex=True)
    return scheme + "://" + host + path + _clean_query(query)


def _stage(out: _Out, *series: pd.Series) -> tuple:
    """Rows not yet decided, and each of ``series`` restricted to them."""
    rows = np.flatnonzero(out.todo)
    return (rows, *(s.iloc[rows] for s in series))


def parse_items(values: pd.Series) -> pd.DataFrame:
    """Parse a column of handles / tweet links / URLs / hashtags into canonical items.

    Returns a DataFrame with the input's index and these columns, all of dtype
    :data:`STRING` (pandas ``str``; missing = NaN):

    - ``item_id``: ``@handle`` (account), ``tweet:<id>`` (tweet), ``#tag`` (hashtag) or
      ``url:<normalised url>`` (anything else on the web).
    - ``item_type``: ``account`` | ``tweet`` | ``url`` | ``hashtag``.
    - ``handle``: lower-case, without ``@``, always matching :data:`HANDLE_PATTERN` (1-20
      characters: handles longer than X's 15 belong to accounts made before that limit and
      are kept; :func:`long_handle_notes` says so); for a tweet it is the author taken from the
      status URL (NA when the link does not name one).
    - ``tweet_id``: decimal digits only (at most 19), for tweets.
    - ``reason``: missing when the value was understood; otherwise one phrase quoting the
      problem, and then every other column is missing.

    Accepted forms (case-insensitive; invisible characters, full-width ``＠`` and surrounding
    spaces are cleaned first, see :func:`clean_text`):

    - accounts: ``@Name``, ``Name``, ``twitter.com/Name``, ``https://www.x.com/Name/``,
      ``mobile.twitter.com/Name``, ``twitter.com/Name?lang=en``, ``twitter.com/#!/Name``,
      ``twitter.com/intent/user?screen_name=Name``, profile tabs such as ``x.com/Name/media``;
    - tweets: ``.../Name/status/123``, ``.../statuses/123``, ``.../status/123/photo/1``,
      ``twitter.com/i/web/status/123`` (no author), ``tweet:123``, or a bare number of 16-19
      digits (15 digits or fewer is a valid handle and is read as one; so is a 16-20
      character handle with a letter or ``_`` in it);
    - hashtags: ``#Tag`` and ``twitter.com/hashtag/Tag`` (lower-cased; letters in any script);
    - URLs: any other ``http(s)://`` address, or a scheme-less ``www.host...`` /
      ``host.tld/path`` (given ``https://``). Normalised: lower-case scheme and host, leading
      ``www.`` dropped, default port dropped, fragment dropped, trailing ``/`` dropped,
      tracking parameters (``utm_*``, ``s``, ``t``, ``ref_src``, ``ref``) dropped, other
      parameters kept in order. Path and query keep their case, except on Twitter, where the
      whole URL is lower-cased and every Twitter host (``x.com``, ``mobile.twitter.com``...)
      becomes ``https://twitter.com``.

    Rejected, with a reason: invalid or reserved handles, text with spaces, non-http schemes,
    unreadable URLs, non-numeric or over-long tweet ids, hashtags without letters, and every
    float or float-looking text (``1.35E+18``): a tweet id that went through a float has lost
    its last digits for good, so it is refused rather than guessed. Booleans, dates and other
    non-text values are rejected too. Integers are read as their digits.

    Nulls and blank cells give missing values in every column, ``reason`` included: whether
    the column is required is the caller's decision. The input is not modified.

    Idempotent: feeding ``item_id`` back in gives the same ``item_id``.
    """
    return parse_distinct(values, _parse_items)


def _parse_items(values: pd.Series) -> pd.DataFrame:
    # Positions, not labels, from here on: the caller's index may have duplicates.
    index = values.index
    values = values.reset_index(drop=True)
    text, kind = split_by_type(values)
    out = _Out(len(values))

    _reject_non_text(out, values, kind)

    c = clean_text(text)
    out.todo |= _mask(c.notna())
    # Idempotence: the url: prefix of our own item ids is peeled off and the URL read again.
    own_url = _mask(c.str.match("url:https?://", case=False))
    if own_url.any():
        c[own_url] = c[own_url].str.slice(4)
    low = _fold(c)

    # Plain handles first: by far the most common value, and cheap to recognise.
    rows, sc, sl = _stage(out, c, low)
    handle = sl.str.replace("^@", "", regex=True)
    # A bare number of 16 or more digits is a tweet id, not a (legacy, long) handle.
    tweet_like = _mask(sl.str.fullmatch(f"[0-9]{{{_MIN_BARE_TWEET_ID_DIGITS},}}"))
    plain = (
        _mask(sl.str.fullmatch("@?" + HANDLE_PATTERN))
        & ~_mask(handle.isin(_RESERVED))
        & ~tweet_like
    )
    out.take(rows, plain, item_id=("@", handle), item_type="account", handle=handle)

    for stage in (
        _parse_tweet_ids,
        _parse_common_twitter_urls,
        _parse_twitter_urls,
        _parse_hashtags,
        _parse_other_urls,
    ):
        if not out.todo.any():
            return out.frame(index)
        stage(out, c, low)

    rows, sc, sl = _stage(out, c, low)
    out.reject(
        rows, _mask(sl.str.match("[a-z][a-z0-9+.-]*://")), "URL ", *_quoted(sc), " is not http(s)"
    )
    out.reject(rows, _mask(sc.str.contains(_SPACE)), *_quoted(sc), " is not a handle or URL")
    at = _mask(sc.str.match("@"))
    bare = sc.where(~at, sc.str.slice(1))
    _reject_bad_handles(out, rows, np.ones(len(rows), dtype=bool), bare.str.lower(), bare)
    # Unreachable in practice (anything left is a valid handle, taken above), but no row may
    # leave without either an item or a reason.
    out.reject(rows, np.ones(len(rows), dtype=bool), *_quoted(sc), " is not a handle or URL")
    return out.frame(index)


def long_handle_notes(handles: pd.Series) -> pd.Series:
    """A note for each handle longer than X's 15 characters (NA elsewhere): such accounts date
    from before the limit; they are kept, but X's lookups by name refuse them."""
    long = handles.astype("str").str.len() > X_HANDLE_LIMIT
    return (
        "handle @"
        + handles.astype("str")
        + f" is longer than X's {X_HANDLE_LIMIT} characters (an account from before that limit)"
    ).where(long.fillna(False).astype(bool))


def _reject_non_text(out: _Out, values: pd.Series, kind: np.ndarray) -> None:
    rows = np.arange(len(values))
    is_float = kind == "float"
    if is_float.any():
        shown = pd.Series(pd.NA, index=values.index, dtype=ARROW_TEXT)
        as_float = values[is_float].astype(float)
        shown[is_float] = as_float.astype(str).astype(ARROW_TEXT)
        big = np.zeros(len(values), dtype=bool)
        big[is_float] = np.abs(as_float.to_numpy()) >= 1e15
        out.todo |= is_float
        out.reject(rows, big, "tweet id ", shown, " lost precision as a float")
        out.reject(rows, is_float, "number ", shown, " is a float; handles and ids must be text")
    other = np.isin(kind, ["bool", "datetime", "date", "other"])
    if other.any():
        shown = pd.Series(pd.NA, index=values.index, dtype=ARROW_TEXT)
        shown[other] = _to_text(values[other].map(str))
        out.todo |= other
        out.reject(rows, other, "value ", *_quoted(shown), " is not a handle or URL")


def _parse_tweet_ids(out: _Out, c: pd.Series, low: pd.Series) -> None:
    rows, sc, sl = _stage(out, c, low)
    prefixed = _mask(sl.str.match("tweet:"))
    if prefixed.any():
        tid = sl[prefixed].str.slice(6).str.strip()
        every = np.ones(len(tid), dtype=bool)
        _reject_bad_tweet_ids(out, rows[prefixed], every, tid)
        out.take(rows[prefixed], every, item_id=("tweet:", tid), item_type="tweet", tweet_id=tid)

    out.reject(
        rows,
        _mask(sl.str.fullmatch(_FLOAT_TEXT)),
        "tweet id ",
        *_quoted(sc),
        " lost precision as a float",
    )
    number = _mask(sl.str.fullmatch(f"[0-9]{{{_MIN_BARE_TWEET_ID_DIGITS},}}"))
    _reject_bad_tweet_ids(out, rows, number, sl)
    out.take(rows, number, item_id=("tweet:", sl), item_type="tweet", tweet_id=sl)


def _parse_common_twitter_urls(out: _Out, c: pd.Series, low: pd.Series) -> None:
    """Valid status and profile links, the bulk of real data, with two cheap regexes.

    Everything else on Twitter (and anything invalid, to get its reason) is left to
    :func:`_parse_twitter_urls`, whose general regexes cost several times more per value.
    """
    rows, sl = _stage(out, low)
    status = _extract(sl, _COMMON_STATUS_URL)
    tid, author = status["tid"], status["author"]
    hit = _mask(tid.notna())
    author = author.where(~_mask(author.isin(_RESERVED)))
    out.take(rows, hit, item_id=("tweet:", tid), item_type="tweet", tweet_id=tid, handle=author)

    rows, sl = _stage(out, low)
    if not len(rows):
        return
    name = _extract(sl, _COMMON_PROFILE_URL)["name"]
    hit = _mask(name.notna()) & ~_mask(name.isin(_RESERVED))
    out.take(rows, hit, item_id=("@", name), item_type="account", handle=name)


def _parse_twitter_urls(out: _Out, c: pd.Series, low: pd.Series) -> None:
    rows, sl = _stage(out, low)
    # The pre-2012 "#!" links put the path in the fragment.
    sl = sl.str.replace(r"^((?:https?://)?" + _TWITTER_HOST + ")/?#!/", r"\1/", regex=True)
    is_tw = _mask(sl.str.fullmatch(_TWITTER_URL))
    if not is_tw.any():
        return
    url = _extract(sl, _TWITTER_URL)
    parts = _extract(url["path"], _TWITTER_PATH)

    # Status links: the tweet, plus its author when the link names one (i/web does not).
    tid, author = parts["tid"], parts["author"]
    status = is_tw & _mask(tid.notna())
    has_author = status & _mask(author.notna()) & ~_mask(author.isin(_RESERVED))
    _reject_bad_tweet_ids(out, rows, status, tid)
    _reject_bad_handles(out, rows, has_author, author, author)
    out.take(
        rows,
        status,
        item_id=("tweet:", tid),
        item_type="tweet",
        tweet_id=tid,
        handle=author.where(has_author),
    )

    screen_name = _extract(url["query"], "(?:^|&)screen_name=(?P<sn>[^&]*)")["sn"]
    intent = is_tw & _mask(parts["intent"].notna()) & _mask(screen_name.notna())
    _reject_bad_handles(out, rows, intent, screen_name, screen_name)
    out.take(rows, intent, item_id=("@", screen_name), item_type="account", handle=screen_name)

    name = parts["name"]
    profile = is_tw & _mask(name.notna()) & ~_mask(name.isin(_RESERVED))
    _reject_bad_handles(out, rows, profile, name, name)
    out.take(rows, profile, item_id=("@", name), item_type="account", handle=name)

    # /hashtag/x is left for _parse_hashtags; any other Twitter page is a URL on one host.
    page = is_tw & ~_mask(parts["tag"].notna()) & out.todo[rows]
    if page.any():
        link = _url("https", "twitter.com", url["path"][page], url["query"][page])
        out.take(
            rows[page], np.ones(len(link), dtype=bool), item_id=("url:", link), item_type="url"
        )


def _parse_hashtags(out: _Out, c: pd.Series, low: pd.Series) -> None:
    rows, sl = _stage(out, low)
    tag_link = pd.Series(pd.NA, index=sl.index, dtype=ARROW_TEXT)
    linked = _mask(sl.str.contains("/hashtag/", regex=False))
    if linked.any():
        tag_link[linked] = _extract(sl[linked], _TWITTER_HASHTAG_URL)["tag"]
    encoded = _mask(tag_link.str.contains("%", regex=False))
    if encoded.any():
        # Non-Latin hashtags arrive percent-encoded (/hashtag/%E0%A4...): rare, so Python.
        tag_link[encoded] = _fold(tag_link[encoded].map(unquote).astype(ARROW_TEXT))
    tag = sl.where(~_mask(tag_link.notna()), "#" + tag_link)
    is_tag = _mask(tag.str.match("#"))
    body = tag.str.slice(1)
    out.reject(
        rows,
        is_tag & ~_mask(body.str.fullmatch(_HASHTAG_BODY)),
        "hashtag ",
        *_quoted(tag),
        " has spaces or punctuation",
    )
    out.reject(
        rows,
        is_tag & _mask(body.str.fullmatch("[0-9]+")),
        "hashtag ",
        *_quoted(tag),
        " has no letters",
    )
    out.take(rows, is_tag, item_id=tag, item_type="hashtag")


def _parse_other_urls(out: _Out, c: pd.Series, low: pd.Series) -> None:
    rows, sc, sl = _stage(out, c, low)
    schemeless = _mask(sl.str.fullmatch(_SCHEMELESS_URL))
    text = sc.where(~schemeless, "https://" + sc)
    parts = _extract(text, _GENERIC_URL)
    scheme = parts["scheme"].str.lower()
    host = _fold(parts["host"]).str.replace(r"^(?:www\.)+", "", regex=True)
    # Default ports say nothing; drop them so http://a:80/ and http://a/ agree.
    http, https = _mask(scheme == "http"), _mask(scheme == "https")
    port = _mask(host.str.contains(":", regex=False))
    if (port & http).any():
        host[port & http] = host[port & http].str.replace("(?::80)+$", "", regex=True)
    if (port & https).any():
        host[port & https] = host[port & https].str.replace("(?::443)+$", "", regex=True)
    is_url = _mask(parts["scheme"].notna()) & _mask(host.str.fullmatch(_HOST))
    link = _url(scheme, host, parts["path"], parts["query"])
    out.take(rows, is_url, item_id=("url:", link), item_type="url")
    out.reject(
        rows, _mask(text.str.match("(?i:https?)://")), "URL ", *_quoted(sc), " cannot be read"
    )
