"""Pseudonyms for accounts that are not public figures, applied before anything is drawn.

Takedown lists name private people next to politicians and newsrooms. With ``redact_handles``
a report replaces every account (and every tweet by such an account) that is not on the
allow-list of public accounts with a pseudonym, in the tables the metrics read, so the charts,
the HTML tables and every CSV written beside them carry only the pseudonym.

Pseudonyms are ``[account 1]``, ``[account 2]``... and ``[tweet 1]``... numbered in the order
the items first appear in the data (earliest event or order first). The same data always give
the same pseudonyms; nothing in a pseudonym is derived from the handle, so it cannot be
reversed by hashing guesses. Adding data can renumber them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.normalize.handles import parse_items
from analysis.readers.tabular import read_table
from analysis.sources import InputError

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
    """The tables with every non-allowed account and its tweets replaced by pseudonyms."""
    items, events = tables["items"], tables["events"]
    private = items.loc[_is_private(items, allowed), "item_id"]
    # Events may name items no order lists (snapshots): judge those by their own id.
    own = events.loc[events["item_id"].notna() & ~events["item_id"].isin(set(private)), "item_id"]
    own_parsed = parse_items(own.drop_duplicates())
    own_private = own_parsed.loc[_is_private(own_parsed, allowed), "item_id"]
    to_hide = set(private) | set(own_private)
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
    return out


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
