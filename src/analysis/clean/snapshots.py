"""Periodic status checks -> events at each change of state.

A check says what an item looked like at ``checked_at``: ``withheld`` (with the countries it
is withheld in), ``visible``, ``suspended`` or ``not_found``. Between two checks we do not know
when a change happened, only that it was after the earlier check and by the later one: each
event gets ``at_earliest`` = the last check that still showed the old state and ``at`` = the
check that first showed the new one (``time_precision`` ``second``: both ends are exact, the
uncertainty is the interval).

Three things are tracked per item, each from the checks that can see it:

* **withholding in ``country``** (seen by ``withheld``/``visible`` checks; a suspended or missing
  item says nothing about it): not withheld -> withheld gives ``withheld``, withheld -> not
  withheld gives ``restored``. A ``withheld`` check counts as withheld in ``country`` when its
  ``countries`` list holds ``country`` or ``XX`` (all countries), or when ``countries`` is empty
  (the check did not say where; it is assumed to apply). ``XY`` (withheld on a copyright/DMCA
  complaint) alone does not count; a ``withheld`` check that does not cover ``country`` means
  the item is visible there.
* **suspension** (seen by ``withheld``/``visible``/``suspended`` checks): ``suspended`` /
  ``reinstated``.
* **existence**: a change to ``not_found`` gives ``deleted``. An item that reappears gives no
  event (there is no such event type); a later disappearance gives another ``deleted``.

Every event says how well its time is known (``timing``): ``bounded`` between two checks, or
``before_first_check``: the **first** check of an item that already shows it withheld (or
suspended, or not found) gives that event with ``at_earliest`` null, because the change
happened at an unknown time before we started watching (``notes`` says so too); the metrics
take the order's own time as the earliest possible. Checks with a missing or unknown ``state``
are skipped (a warning gives the count). Vectorised: one sort, then shifts and forward-fills
within items.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.core import schema
from analysis.core.arrays import column_or_na, map_small, order_by, str_take
from analysis.core.errors import warn_data
from analysis.core.times import NAT_US, ts_from_us, utc_us

_STATES = {"withheld": 0, "visible": 1, "suspended": 2, "not_found": 3}


def _ffill_index(valid: np.ndarray, item_start: np.ndarray) -> np.ndarray:
    """For each row, the index of the latest row at or before it (same item) where ``valid``;
    -1 if none."""
    idx = np.where(valid, np.arange(len(valid)), -1)
    last = np.maximum.accumulate(idx) if len(idx) else idx
    return np.where(last >= item_start, last, -1)


def _covers(countries: pd.Series, country: str) -> np.ndarray:
    """True where the comma-separated ``countries`` hold ``country`` or XX, or are empty.

    The test runs once per distinct value (factorize), not per row.
    """
    codes, uniques = pd.factorize(countries, use_na_sentinel=True)
    wanted = {country.strip().upper(), "XX"}

    def covers(value) -> bool:
        if isinstance(value, list | tuple | set | np.ndarray):  # lists from API JSON
            parts = [str(v) for v in value]
        else:
            parts = re.split(r"[,;\s]+", str(value))
        parts = [p.strip().upper() for p in parts if p.strip()]
        return not parts or bool(wanted.intersection(parts))

    lut = np.array([covers(u) for u in uniques] + [True], dtype=bool)
    return lut[codes]


def snapshots_to_events(checks: pd.DataFrame, *, country: str = "IN") -> pd.DataFrame:
    """Turn status checks into change events (canonical ``events`` columns).

    Parameters
    ----------
    checks
        Columns ``item_id``, ``checked_at`` (UTC), ``state`` (``withheld``, ``visible``,
        ``suspended``, ``not_found``; case-insensitive), ``countries`` (comma-separated ISO
        codes or NA); optional ``order_id``, ``source_url``, ``source_file``, ``source_row``.
    country
        The country whose withholding is tracked (ISO alpha-2, default ``IN``).

    Returns
    -------
    A frame with the columns of :data:`analysis.core.schema.EVENTS`, one row per change, sorted by
    item and time: ``event``; ``at`` = the check showing the change; ``at_earliest`` = the last
    check that showed the previous state (null for a state found at the first check); ``timing``
    ``bounded``, or ``before_first_check`` for a state found at the first check;
    ``time_precision`` ``second``; ``n_items`` 1; ``country`` = ``country`` for
    withheld/restored (null for suspensions and deletions, which are global);
    ``source_kind`` ``snapshot``; ``order_id``, ``source_url``, ``source_file``,
    ``source_row`` copied from the check that showed the change (null where absent).
    """
    state_all = map_small(column_or_na(checks, "state"), _STATES, -1).astype("int64")
    t_all = utc_us(checks["checked_at"])
    item_all = column_or_na(checks, "item_id")
    usable = (state_all >= 0) & item_all.notna().to_numpy() & (t_all != NAT_US)
    if not usable.all():
        warn_data(
            f"snapshots: {int((~usable).sum())} check(s) without an item, a time or a known state "
            "(withheld, visible, suspended, not_found) were skipped"
        )
    sel = np.flatnonzero(usable)
    codes_all, _ = pd.factorize(item_all if len(sel) == len(item_all) else item_all.take(sel))
    perm = order_by(np.asarray(codes_all, dtype="int64"), t_all[sel])
    rows = sel[perm]  # positions in ``checks``, sorted by item then time
    st, t, codes = state_all[rows], t_all[rows], codes_all[perm]
    n = len(rows)

    first = np.ones(n, dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    item_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first

    covered = _covers(column_or_na(checks, "countries", "object"), country)[rows]
    # Channel values: 1/0 where the check sees the channel, -1 where it does not.
    wh = np.where(st == 0, covered.astype("int64"), np.where(st == 1, 0, -1))
    su = np.where(st == 2, 1, np.where(st <= 1, 0, -1))
    ex = np.where(st == 3, 0, 1)

    note_labels = [
        "already withheld when first seen; when it began is unknown",
        "already suspended when first seen; when it began is unknown",
        "not found at the first check (may never have existed, or mistyped)",
    ]
    ev_names = ["withheld", "restored", "suspended", "reinstated", "deleted"]
    parts = []
    for values, on, off, first_note in (
        (wh, 0, 1, 0),
        (su, 2, 3, 1),
        (ex, None, 4, 2),
    ):
        valid = values >= 0
        # previous row of the same item where this channel was seen
        prev = np.full(n, -1, dtype="int64")
        if n:
            shifted = _ffill_index(valid, item_start)
            prev[1:] = shifted[:-1]
            prev[first] = -1
        prev_val = np.where(prev >= 0, values[np.maximum(prev, 0)], -1)
        if on is not None:
            # off -> on, or on when first seen; on -> off
            start_ev = valid & (values == 1) & (prev_val != 1)
            stop_ev = valid & (values == 0) & (prev_val == 1)
        else:
            # existence: seen -> not found, or not found at the first check
            start_ev = np.zeros(n, dtype=bool)
            stop_ev = (values == 0) & (prev_val != 0)
        for mask, code in ((start_ev, on), (stop_ev, off)):
            if code is None or not mask.any():
                continue
            idx = np.flatnonzero(mask)
            p = prev[idx]
            # at_earliest: the last check that still showed the old state
            parts.append(
                (
                    idx,
                    np.full(len(idx), code, "int64"),
                    np.where(p >= 0, t[np.maximum(p, 0)], NAT_US),
                    np.where(p < 0, first_note, -1),
                )
            )
    if parts:
        idx = np.concatenate([q[0] for q in parts])
        ev_code = np.concatenate([q[1] for q in parts])
        early = np.concatenate([q[2] for q in parts])
        note = np.concatenate([q[3] for q in parts])
    else:
        idx = ev_code = early = note = np.zeros(0, "int64")
    # rows are sorted by item then time; keep that, withheld/restored before suspensions
    # before deletions at the same check (the parts are each sorted and were concatenated in
    # that channel order, so a stable sort only merges a few sorted runs)
    sort = np.argsort(idx, kind="stable")
    idx, ev_code, early, note = idx[sort], ev_code[sort], early[sort], note[sort]
    src_rows = rows[idx]

    def src(col: str, dtype: str = "str"):
        if col not in checks.columns:  # an all-missing column, without a Python list
            if dtype == "Int64":
                return pd.arrays.IntegerArray(
                    np.zeros(len(src_rows), "int64"), np.ones(len(src_rows), bool)
                )
            return str_take((), np.full(len(src_rows), -1, "int64"))
        return pd.array(checks[col].take(src_rows), dtype=dtype)

    n_ev = len(src_rows)
    out = pd.DataFrame(
        {
            "item_id": src("item_id"),
            "order_id": src("order_id"),
            "event": str_take(ev_names, ev_code),
            "at": ts_from_us(t[idx]),
            "at_earliest": ts_from_us(early),
            "timing": str_take(
                ("bounded", "before_first_check"), (early == NAT_US).astype("int64")
            ),
            "time_precision": str_take(("second",), np.zeros(n_ev, "int64")),
            "n_items": pd.array(np.ones(n_ev, dtype="int64"), dtype="Int64"),
            "n_items_is_approximate": np.zeros(n_ev, dtype=bool),
            "country": str_take((country.strip().upper(),), np.where(ev_code <= 1, 0, -1)),
            "source_kind": str_take(("snapshot",), np.zeros(n_ev, "int64")),
            "source_url": src("source_url"),
            "notes": str_take(note_labels, note),
            "source_file": src("source_file"),
            "source_row": src("source_row", "Int64"),
        }
    )
    return out[schema.columns("events")]
