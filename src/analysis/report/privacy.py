"""Pseudonyms for accounts that are not public figures, applied before anything is drawn.

Takedown lists name private people next to politicians and newsrooms. With ``redact_handles``
a report replaces every account (and every tweet by such an account) that is not on the
allow-list of public accounts with a pseudonym, in the tables the metrics read, so the charts,
the HTML tables and every CSV written beside them carry only the pseudonym.

Pseudonyms are ``[account 1]``, ``[account 2]``... and ``[tweet 1]``... numbered in the order
the items first appear in the data (earliest order, event or status check first). The same
data always give the same pseudonyms; nothing in a pseudonym is derived from the handle, so it
cannot be reversed by hashing guesses. Adding data can renumber them.

Free text goes too: a hidden handle or tweet id inside a title, a note or a source URL (of any
table, e.g. ``https://x.com/name/status/123``) is replaced by its pseudonym; the author of a
hidden tweet who is not named as an account becomes ``[author of tweet 1]``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.errors import InputError
from analysis.ingest.normalize.handles import parse_items
from analysis.ingest.readers.tabular import read_table

ALLOW_LIST = "public-accounts.csv"


def allow_list(data_dir: str | Path | None = None) -> set[str]:
    """Handles (lower-case, no ``@``) listed in ``raw/public-accounts.csv``'s ``handle`` column.

    A missing file means nobody is on the list: every account is pseudonymised.
    """
    base = Path(data_dir) if data_dir else paths.data_dir()
    path = base / "raw" / ALLOW_LIST
    if not path.is_file():
        return set()
    frame = read_table(path).frame
    if "handle" not in frame.columns:
        raise InputError(f"{path}: needs a 'handle' column listing public accounts")
    parsed = parse_items(frame["handle"])
    bad = parsed["reason"].notna()
    if bad.any():
        row = parsed.index[bad.to_numpy()][0]
        raise InputError(f"{path}, row {row}, column 'handle': {parsed.loc[row, 'reason']}")
    return set(parsed["handle"].dropna())


def redact(tables: dict[str, pd.DataFrame], allowed: set[str]) -> dict[str, pd.DataFrame]:
    """The tables with every non-allowed account and its tweets replaced by pseudonyms.

    Ids (``item_id`` in items, events and checks) take the pseudonym; the hidden items' handle,
    tweet id and notes are blanked, and so are the notes of their events (free text may repeat
    the handle). Every other text a page or a CSV could show (titles, notes and source URLs of
    every table) has each hidden handle and tweet id replaced by its pseudonym
    (:func:`_scrub`): a source URL ``https://x.com/name/status/123`` names its author.
    """
    items, events = tables["items"], tables["events"]
    checks = tables.get("checks")
    private = items.loc[_is_private(items, allowed)]
    # Events and checks may name items no order lists (snapshots): judge those by their own id.
    others = [events["item_id"]] + ([checks["item_id"]] if checks is not None else [])
    own = pd.concat(others, ignore_index=True).dropna()
    own = own[~own.isin(set(private["item_id"]))].drop_duplicates()
    own_parsed = parse_items(own)
    own_private = own_parsed.loc[_is_private(own_parsed, allowed)]
    to_hide = set(private["item_id"]) | set(own_private["item_id"])
    if not to_hide:
        return tables
    mapping = _pseudonyms(to_hide, tables)
    out = dict(tables)
    hidden_items = items["item_id"].isin(to_hide)
    new_items = items.copy()
    new_items.loc[hidden_items, "item_id"] = items.loc[hidden_items, "item_id"].map(mapping)
    for column in ("handle", "tweet_id", "raw_value", "notes"):
        new_items.loc[hidden_items, column] = (
            new_items.loc[hidden_items, "item_id"] if column == "raw_value" else pd.NA
        )
    out["items"] = new_items
    new_events = events.copy()
    hidden_events = events["item_id"].isin(to_hide)
    new_events.loc[hidden_events, "item_id"] = events.loc[hidden_events, "item_id"].map(mapping)
    new_events.loc[hidden_events, "notes"] = pd.NA  # free text may repeat the handle
    out["events"] = new_events
    if checks is not None:
        new_checks = checks.copy()
        hidden_checks = checks["item_id"].isin(to_hide)
        new_checks.loc[hidden_checks, "item_id"] = checks.loc[hidden_checks, "item_id"].map(mapping)
        out["checks"] = new_checks
    words = _hidden_words(pd.concat([private, own_private], ignore_index=True), mapping)
    return {name: _scrub(frame, words) for name, frame in out.items()}


#: Free-text columns that may name an account: what :func:`_scrub` rewrites.
TEXT_COLUMNS = ("title", "notes", "source_url", "raw_value")
_WORD = re.compile(r"(?<![A-Za-z0-9_])(@?)([A-Za-z0-9_]{1,25})(?![A-Za-z0-9_])")
_HIDDEN_STATUS = re.compile(r"(\[(?:account \d+|author of tweet \d+)\])/(status(?:es)?)/\d+")
#: A hidden handle written without ``@`` or a URL path is replaced only from this length on:
#: a one- or two-letter handle would otherwise rewrite ordinary words.
_BARE_HANDLE_MIN = 4


def _hidden_words(hidden: pd.DataFrame, mapping: dict[str, str]) -> dict[str, str]:
    """Handle (lower-case) or tweet id -> the text that replaces it in free text."""
    words: dict[str, str] = {}
    for row in hidden.itertuples(index=False):
        label = mapping[row.item_id]
        if pd.notna(row.tweet_id):
            words[str(row.tweet_id)] = label
        if pd.notna(row.handle):
            # A tweet's author has a pseudonym of their own only when also named as an account.
            own = mapping.get(f"@{row.handle}")
            words.setdefault(str(row.handle), own or f"[author of {label.strip('[]')}]")
    return words


def _scrub(frame: pd.DataFrame, words: dict[str, str]) -> pd.DataFrame:
    """``frame`` with every hidden handle and tweet id in :data:`TEXT_COLUMNS` replaced."""
    if not words:
        return frame
    out = None
    for column in TEXT_COLUMNS:
        if column not in frame.columns:
            continue
        values = frame[column]
        present = values.dropna().drop_duplicates()
        changed = {v: _replace_words(str(v), words) for v in present}
        changed = {k: v for k, v in changed.items() if v != k}
        if changed:
            out = frame.copy() if out is None else out
            out[column] = values.map(lambda v, c=changed: c.get(v, v) if pd.notna(v) else v)
            out[column] = out[column].astype(values.dtype)
    return frame if out is None else out


def _replace_words(text: str, words: dict[str, str]) -> str:
    def swap(match: re.Match) -> str:
        at, word = match.groups()
        key = word if word.isdigit() else word.lower()
        label = words.get(key)
        if label is None:
            return match.group(0)
        in_path = match.start() > 0 and match.string[match.start() - 1] == "/"
        if word.isdigit() or at or in_path or len(word) >= _BARE_HANDLE_MIN:
            return label
        return match.group(0)

    text = _WORD.sub(swap, text)
    # A status URL of a hidden author names one of their tweets even when the tweet is no item.
    return _HIDDEN_STATUS.sub(r"\1/\2/[id hidden]", text)


def _is_private(items: pd.DataFrame, allowed: set[str]) -> pd.Series:
    """Accounts not on the list, and tweets whose author is not on it (or is unknown: a tweet
    id leads straight to its author)."""
    person = items["item_type"].isin(["account", "tweet"])
    return person & ~(items["handle"].notna() & items["handle"].isin(allowed))


def _pseudonyms(item_ids: set[str], tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    events = tables["events"]
    first_seen = (
        events.loc[events["item_id"].isin(item_ids)].groupby("item_id")["at"].min().to_dict()
    )
    checks = tables.get("checks")
    if checks is not None and len(checks):
        checked = checks.loc[checks["item_id"].isin(item_ids)].groupby("item_id")["checked_at"]
        for item_id, at in checked.min().items():
            if item_id not in first_seen or at < first_seen[item_id]:
                first_seen[item_id] = at
    order_time = tables["orders"].set_index("order_id")["issued_at"].to_dict()
    for row in tables["items"].loc[tables["items"]["item_id"].isin(item_ids)].itertuples():
        issued = order_time.get(row.order_id)
        if issued is not None and (
            row.item_id not in first_seen or issued < first_seen[row.item_id]
        ):
            first_seen[row.item_id] = issued
    never = pd.Timestamp.max.tz_localize("UTC")
    ordered = sorted(item_ids, key=lambda i: (first_seen.get(i, never), i))
    counters = {"account": 0, "tweet": 0}
    mapping = {}
    for item_id in ordered:
        kind = "tweet" if item_id.startswith("tweet:") else "account"
        counters[kind] += 1
        mapping[item_id] = f"[{kind} {counters[kind]}]"
    return mapping
