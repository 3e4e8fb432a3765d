"""Block / unblock reversals: episodes of withholding, restorations and re-blocks.

For each item, events are put in time order (``withheld`` before ``restored`` when both carry
the same time, as when a day-precision sheet says an account was blocked and restored on 1 Feb).

* An **episode** starts with a ``withheld`` while the item is not withheld. A **reversal** is
  the first ``restored`` after it; *time to reversal* is the gap (``duration``). A **re-block**
  is the next ``withheld`` after that ``restored``: it is recorded as the earlier episode's
  ``reblocked_at`` and starts a new episode (``reblock`` True, ``episode`` 2, 3, ...).
* Repeated ``withheld`` while already withheld (and repeated ``restored`` while already
  restored) do not start or end anything: the first one stands and the repeats are reported by
  :func:`anomalies`. So is a ``restored`` before any ``withheld``. Exact duplicates (same item,
  event and time, e.g. from two sources) are merged silently. Nothing is raised.
* **Units**: ``duration`` is in whole local calendar ``days`` when either end has day
  precision, else in ``hours``.
* **Aggregate reports** (``item_id`` null, ``order_id`` set) make episodes per order whose
  members are unknown, so identities are *inferred*, by count and first-in first-out: a
  ``withheld`` report of N is read as "N of the order's items are withheld now" (a running
  tally, as in :mod:`~analysis.metrics.lag`): if more than the number currently counted as
  withheld, the difference is new blocks - re-blocks of earlier restored items first (oldest
  restore first), then items never blocked before. A lower tally is *not* read as restorations;
  only ``restored`` reports restore, each taking the oldest blocks first. ``n_items`` says how
  many items an aggregate episode row stands for.
* Events with neither ``item_id`` nor ``order_id`` are ignored.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from analysis.core.arrays import (
    column_or_na,
    label_codes,
    order_by,
    segment_starts,
    str_column_take,
    str_take,
)
from analysis.core.periods import normalize_freq, period_ordinals, period_table
from analysis.core.schema import EVENT_TYPES
from analysis.core.times import (
    DAY_US,
    DEFAULT_TZ,
    NAT_US,
    elapsed,
    local_from_us,
    local_us,
    precision_us,
    ts_from_us,
    utc_us,
)

PAIRS = {"withheld": ("withheld", "restored"), "suspended": ("suspended", "reinstated")}

EPISODE_COLUMNS = [
    "item_id",
    "order_id",
    "basis",
    "episode",
    "reblock",
    "withheld_at",
    "restored_at",
    "duration",
    "unit",
    "reblocked_at",
    "n_items",
    "approximate",
    "issued_at",
]

ANOMALY_COLUMNS = [
    "item_id",
    "order_id",
    "event",
    "at",
    "related_at",
    "source_file",
    "source_row",
    "source_url",
    "reason",
]


def _anomaly_frame(
    events: pd.DataFrame, rows: np.ndarray, labels: list[str], codes, related_us=None
) -> pd.DataFrame:
    """Anomaly rows for ``events`` positions ``rows``; reason ``labels[code]``."""
    rows = np.asarray(rows, dtype="int64")
    related = np.full(len(rows), NAT_US, "int64") if related_us is None else related_us
    return pd.DataFrame(
        {
            "item_id": pd.array(column_or_na(events, "item_id").take(rows), dtype="str"),
            "order_id": pd.array(column_or_na(events, "order_id").take(rows), dtype="str"),
            "event": pd.array(column_or_na(events, "event").take(rows), dtype="str"),
            "at": ts_from_us(utc_us(events["at"].take(rows))),
            "related_at": ts_from_us(related),
            "source_file": pd.array(column_or_na(events, "source_file").take(rows), dtype="str"),
            "source_row": pd.array(
                column_or_na(events, "source_row", "Int64").take(rows), dtype="Int64"
            ),
            "source_url": pd.array(column_or_na(events, "source_url").take(rows), dtype="str"),
            "reason": str_take(labels, codes),
        }
    )


def _anomaly_part(events, rows, labels, codes, related_us=None) -> tuple:
    """Anomalies kept as arrays until the end (one frame is built, after one sort)."""
    rows = np.asarray(rows, dtype="int64")
    related = np.full(len(rows), NAT_US, "int64") if related_us is None else related_us
    return rows, list(labels), np.asarray(codes, dtype="int64"), np.asarray(related, "int64")


def _finish_anomalies(events: pd.DataFrame, prep: dict, parts: list[tuple]) -> pd.DataFrame:
    """One frame from the parts, grouped by item (order of first appearance) and in time order;
    rows without an item come last."""
    parts = [p for p in parts if len(p[0])]
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, "int64")
    related = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, "int64")
    labels: list[str] = []
    codes = []
    for _, lab, code, _ in parts:
        codes.append(np.where(code >= 0, code + len(labels), -1))
        labels.extend(lab)
    codes = np.concatenate(codes) if codes else np.zeros(0, "int64")
    item = prep["item"][rows]
    item = np.where(item >= 0, item, np.iinfo("int64").max)
    srt = order_by(item, prep["at"][rows])
    return _anomaly_frame(events, rows[srt], labels, codes[srt], related[srt])


# ----------------------------------------------------------------------------------------------
# Named items: vectorised state machine (sort + shift)
# ----------------------------------------------------------------------------------------------


def _prepare(events: pd.DataFrame) -> dict:
    """Per-row codes shared by the sequence passes, and one sort of the named events by
    (item, time, event type): at equal times a block comes before its restoration."""
    item, _ = pd.factorize(column_or_na(events, "item_id"), use_na_sentinel=True)
    item = np.asarray(item, dtype="int64")
    kind = label_codes(events["event"], EVENT_TYPES)
    at = utc_us(events["at"])
    named = np.flatnonzero((item >= 0) & (kind >= 0) & (at != NAT_US))
    # EVENT_TYPES order: withheld, restored, suspended, reinstated, deleted
    order = order_by(item[named], at[named] * 8 + kind[named])
    return {"item": item, "kind": kind, "at": at, "sorted": named[order]}


def _named_sequence(
    events: pd.DataFrame, prep: dict, start: str, end: str, tz: str, *, want_episodes: bool = True
):
    """(episodes frame or None, list of anomaly frames) for named items."""
    s_code, e_code = EVENT_TYPES.index(start), EVENT_TYPES.index(end)
    srt = prep["sorted"]
    k = prep["kind"][srt]
    rows = srt[(k == s_code) | (k == e_code)]  # already by item, time, start before end
    codes, at, is_end = prep["item"][rows], prep["at"][rows], prep["kind"][rows] == e_code

    # exact duplicates (same item, event, time): merged silently
    same = ~segment_starts(codes)
    dup = same.copy()
    dup[1:] &= (at[1:] == at[:-1]) & (is_end[1:] == is_end[:-1])
    rows, codes, at, is_end = rows[~dup], codes[~dup], at[~dup], is_end[~dup]
    n = len(rows)

    # repeats: the same event again with nothing in between
    run = ~segment_starts(codes)
    run[1:] &= is_end[1:] == is_end[:-1]
    anomalies = []
    if run.any():
        opener = np.maximum.accumulate(np.where(run, 0, np.arange(n)))
        idx = np.flatnonzero(run)
        labels = [
            f"{start} again while already {start} (no {end} recorded in between); "
            f"related_at is when that {start} began",
            f"{end} again while already {end} (no {start} in between); "
            f"related_at is the earlier {end}",
        ]
        anomalies.append(
            _anomaly_part(events, rows[idx], labels, is_end[idx].astype(int), at[opener[idx]])
        )
    keep = ~run
    rows, codes, at, is_end = rows[keep], codes[keep], at[keep], is_end[keep]
    leading = segment_starts(codes) & is_end
    if leading.any():
        idx = np.flatnonzero(leading)
        anomalies.append(
            _anomaly_part(
                events,
                rows[idx],
                [f"{end} before any {start} event for this item"],
                np.zeros(len(idx)),
            )
        )
    keep = ~leading
    rows, codes, at, is_end = rows[keep], codes[keep], at[keep], is_end[keep]
    n = len(rows)
    if not want_episodes:
        return None, anomalies

    # Each item now alternates start, end, start, ... beginning with a start.
    prec = precision_us(column_or_na(events, "time_precision"))[rows]
    local = local_from_us(at, tz)  # ``at`` is ``events["at"]`` at ``rows``, in microseconds
    starts = np.flatnonzero(~is_end)
    nxt, nxt2 = starts + 1, starts + 2
    has_end = (nxt < n) & (codes[np.minimum(nxt, n - 1)] == codes[starts])
    has_rb = has_end & (nxt2 < n) & (codes[np.minimum(nxt2, n - 1)] == codes[starts])
    end_i = np.where(has_end, nxt, starts)
    end_at = np.where(has_end, at[end_i], NAT_US)
    in_days = (prec[starts] >= DAY_US) | (has_end & (prec[end_i] >= DAY_US))
    duration = np.where(
        has_end,
        elapsed(at[starts], local[starts], at[end_i], local[end_i], in_days),
        np.nan,
    )
    new_item = segment_starts(codes[starts])
    episode = np.arange(len(starts)) - np.maximum.accumulate(
        np.where(new_item, np.arange(len(starts)), 0)
    )
    episode = episode + 1
    eps = pd.DataFrame(
        {
            "item_id": str_column_take(column_or_na(events, "item_id"), rows[starts]),
            "order_id": str_column_take(column_or_na(events, "order_id"), rows[starts]),
            "basis": str_take(("named",), np.zeros(len(starts), "int64")),
            "episode": episode.astype("int64"),
            "reblock": episode > 1,
            "withheld_at": ts_from_us(at[starts]),
            "restored_at": ts_from_us(end_at),
            "duration": duration,
            "unit": str_take(("hours", "days"), np.where(has_end, in_days.astype(int), -1)),
            "reblocked_at": ts_from_us(np.where(has_rb, at[np.minimum(nxt2, n - 1)], NAT_US)),
            "n_items": np.ones(len(starts), dtype="int64"),
            "approximate": np.zeros(len(starts), dtype=bool),
        }
    )
    return eps, anomalies


# ----------------------------------------------------------------------------------------------
# Aggregate reports: FIFO matching by count (a loop over aggregate reports, which are few)
# ----------------------------------------------------------------------------------------------


def _aggregate_sequence(
    events: pd.DataFrame, prep: dict, start: str, end: str, tz: str, caps: dict | None = None
):
    """(list of episode frames, list of anomaly frames) for aggregate reports."""
    s_code, e_code = EVENT_TYPES.index(start), EVENT_TYPES.index(end)
    kind = prep["kind"]
    n_items = pd.array(column_or_na(events, "n_items", "Int64"), dtype="Int64")
    sel = np.flatnonzero(
        (prep["item"] < 0)
        & column_or_na(events, "order_id").notna().to_numpy()
        & ((kind == s_code) | (kind == e_code))
        & (prep["at"] != NAT_US)
        & (n_items.to_numpy(dtype="float64", na_value=0) > 0)
    )
    if not len(sel):
        return [], []
    sub_end = kind[sel] == e_code
    at = prep["at"][sel]
    prec = precision_us(column_or_na(events, "time_precision").take(sel))
    n_arr = n_items[sel].to_numpy(dtype="int64")
    approx = (
        column_or_na(events, "n_items_is_approximate", "boolean").take(sel).fillna(False)
    ).to_numpy(dtype=bool)
    oid = column_or_na(events, "order_id").take(sel).astype("str").to_numpy(dtype=object)
    order = np.lexsort((sub_end, at, oid))
    rows: list[dict] = []
    bad: list[tuple[int, str]] = []
    i = 0
    while i < len(order):
        o = oid[order[i]]
        cap = caps.get(o) if caps else None
        opened: deque = deque()  # [w_at, w_prec, n, episode, approx]
        restored: list[dict] = []
        pending: deque = deque()  # indices into restored, oldest restore first
        level = 0
        while i < len(order) and oid[order[i]] == o:
            r = order[i]
            i += 1
            t, p, n, ap = int(at[r]), int(prec[r]), int(n_arr[r]), bool(approx[r])
            if not sub_end[r]:
                if cap is not None and n > cap:
                    bad.append((r, f"reports {n} {start} but the order lists only {cap}; capped"))
                    n = cap
                new = n - level
                if new <= 0:
                    continue
                level += new
                while new > 0 and pending:
                    piece = restored[pending[0]]
                    take = min(piece["n"], new)
                    if take < piece["n"]:
                        rest = dict(piece, n=piece["n"] - take)
                        restored.append(rest)
                        pending[0] = len(restored) - 1
                        piece["n"] = take
                    else:
                        pending.popleft()
                    piece["reblocked_at"] = t
                    opened.append([t, p, take, piece["episode"] + 1, ap])
                    new -= take
                if new > 0:
                    opened.append([t, p, new, 1, ap])
            else:
                if n > level:
                    bad.append(
                        (
                            r,
                            f"reports {n} {end} but only {level} of this order's items were "
                            f"counted as {start} at that time",
                        )
                    )
                remaining = min(n, level)
                while remaining > 0 and opened:
                    w_at, w_prec, w_n, ep, w_ap = opened[0]
                    take = min(w_n, remaining)
                    restored.append(
                        {
                            "w_at": w_at,
                            "w_prec": w_prec,
                            "r_at": t,
                            "r_prec": p,
                            "n": take,
                            "episode": ep,
                            "approx": w_ap or ap,
                            "reblocked_at": NAT_US,
                        }
                    )
                    pending.append(len(restored) - 1)
                    if take == w_n:
                        opened.popleft()
                    else:
                        opened[0][2] = w_n - take
                    remaining -= take
                    level -= take
        for piece in restored:
            rows.append({"order_id": o, **piece})
        for w_at, w_prec, w_n, ep, w_ap in opened:
            rows.append(
                {
                    "order_id": o,
                    "w_at": w_at,
                    "w_prec": w_prec,
                    "r_at": NAT_US,
                    "r_prec": 0,
                    "n": w_n,
                    "episode": ep,
                    "approx": w_ap,
                    "reblocked_at": NAT_US,
                }
            )
    anomalies = []
    if bad:
        codes, labels = pd.factorize(pd.Series([b[1] for b in bad], dtype=object))
        anomalies.append(_anomaly_part(events, sel[[b[0] for b in bad]], list(labels), codes))
    if not rows:
        return [], anomalies
    r = pd.DataFrame(rows)
    w_at = r["w_at"].to_numpy(dtype="int64")
    r_at = r["r_at"].to_numpy(dtype="int64")
    has_end = r_at != NAT_US
    in_days = (r["w_prec"].to_numpy() >= DAY_US) | (has_end & (r["r_prec"].to_numpy() >= DAY_US))
    w_local = local_us(ts_from_us(w_at), tz)
    r_local = local_us(ts_from_us(np.where(has_end, r_at, w_at)), tz)
    duration = np.where(
        has_end, elapsed(w_at, w_local, np.where(has_end, r_at, w_at), r_local, in_days), np.nan
    )
    eps = pd.DataFrame(
        {
            "item_id": pd.array([None] * len(r), dtype="str"),
            "order_id": pd.array(r["order_id"].to_numpy(dtype=object), dtype="str"),
            "basis": str_take(("aggregate",), np.zeros(len(r), "int64")),
            "episode": r["episode"].to_numpy(dtype="int64"),
            "reblock": r["episode"].to_numpy() > 1,
            "withheld_at": ts_from_us(w_at),
            "restored_at": ts_from_us(r_at),
            "duration": duration,
            "unit": str_take(("hours", "days"), np.where(has_end, in_days.astype(int), -1)),
            "reblocked_at": ts_from_us(r["reblocked_at"].to_numpy(dtype="int64")),
            "n_items": r["n"].to_numpy(dtype="int64"),
            "approximate": r["approx"].to_numpy(dtype=bool),
        }
    )
    return [eps], anomalies


# ----------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------


def _empty_episodes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in EPISODE_COLUMNS})
    for c in ("withheld_at", "restored_at", "reblocked_at", "issued_at"):
        frame[c] = pd.Series(dtype="datetime64[us, UTC]")
    frame["episode"] = pd.Series(dtype="int64")
    frame["n_items"] = pd.Series(dtype="int64")
    frame["duration"] = pd.Series(dtype="float64")
    frame["reblock"] = pd.Series(dtype="bool")
    frame["approximate"] = pd.Series(dtype="bool")
    return frame


def episodes(
    events: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    kind: str = "withheld",
    tz: str = DEFAULT_TZ,
) -> pd.DataFrame:
    """Block episodes per named item and per order (aggregate reports).

    Parameters
    ----------
    events
        The canonical events table.
    orders
        Optional. When given, aggregate counts are capped at the order's ``items_listed`` and
        each episode gets the order's ``issued_at``.
    kind
        ``"withheld"`` (withheld -> restored, the default) or ``"suspended"`` (suspended ->
        reinstated; the columns keep their names).

    Returns
    -------
    One row per episode: ``item_id`` (NA for aggregate rows), ``order_id`` (the order the
    starting event cites, may be NA), ``basis`` (``named`` / ``aggregate``: identities inferred
    by count, first-in first-out), ``episode`` (1 for the first block of the item, 2 for the
    first re-block ...), ``reblock`` (``episode`` > 1), ``withheld_at``, ``restored_at`` (NaT if
    never restored), ``duration`` (float; ``restored_at - withheld_at`` in ``unit``; NaN if not
    restored), ``unit`` (``days`` if either end has day precision, else ``hours``; NA if not
    restored), ``reblocked_at`` (the next block after the restore, NaT if none),
    ``n_items`` (1 for named rows), ``approximate`` (aggregate count reported as approximate),
    ``issued_at`` (from ``orders``; NaT without it).
    Named rows come first, grouped by item (in order of first appearance) and in time order
    within an item; then aggregate rows per order.
    """
    if kind not in PAIRS:
        raise ValueError(f"kind must be one of {sorted(PAIRS)}")
    start, end = PAIRS[kind]
    caps = None
    if orders is not None and "items_listed" in orders.columns:
        listed = orders[["order_id", "items_listed"]].dropna().drop_duplicates("order_id")
        caps = dict(
            zip(listed["order_id"].astype("str"), listed["items_listed"].astype(int), strict=True)
        )
    prep = _prepare(events)
    named, _ = _named_sequence(events, prep, start, end, tz)
    agg, _ = _aggregate_sequence(events, prep, start, end, tz, caps)
    parts = [p for p in [named, *agg] if len(p)]
    if not parts:
        return _empty_episodes()
    out = pd.concat(parts, ignore_index=True)
    if orders is not None and len(orders):
        issued = orders[["order_id", "issued_at"]].dropna().drop_duplicates("order_id")
        pos = pd.Index(issued["order_id"].astype("str")).get_indexer(out["order_id"])
        iss_us = utc_us(issued["issued_at"])
        out["issued_at"] = ts_from_us(np.where(pos >= 0, iss_us[np.maximum(pos, 0)], NAT_US))
    else:
        out["issued_at"] = ts_from_us(np.full(len(out), NAT_US, "int64"))
    return out.reset_index(drop=True)[EPISODE_COLUMNS]


def anomalies(events: pd.DataFrame, *, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Event sequences that make no sense, each with a plain-English ``reason``. Never raises.

    Checked per named item, for withheld/restored and for suspended/reinstated:
    a restore (reinstatement) before any block (suspension); two restores in a row; a block
    while already blocked (no restore recorded in between). Per order, for aggregate reports:
    a restore of more items than were counted as withheld. For every event: ``at_earliest``
    later than ``at``. Exact duplicates (same item, event, time) are not reported.

    Returns ``item_id``, ``order_id``, ``event``, ``at``, ``related_at`` (the earlier event
    this one conflicts with, where there is one), ``source_file``, ``source_row``,
    ``source_url``, ``reason`` - enough to find the raw row. Grouped by item (in order of first
    appearance) and in time order within an item; rows without an item come last.
    """
    prep = _prepare(events)
    parts: list[tuple] = []
    for start, end in PAIRS.values():
        _, named = _named_sequence(events, prep, start, end, tz, want_episodes=False)
        _, agg = _aggregate_sequence(events, prep, start, end, tz)
        parts.extend(named)
        parts.extend(agg)
    if "at_earliest" in events.columns:
        early = utc_us(events["at_earliest"])
        bad = np.flatnonzero((early != NAT_US) & (prep["at"] != NAT_US) & (early > prep["at"]))
        if len(bad):
            labels = ["at_earliest is later than at (the interval is backwards)"]
            parts.append(_anomaly_part(events, bad, labels, np.zeros(len(bad)), early[bad]))
    return _finish_anomalies(events, prep, parts)


SUMMARY_COLUMNS = [
    "basis",
    "items_withheld",
    "items_reversed",
    "share_reversed",
    "median_time_to_reversal",
    "unit",
    "reblocked",
    "reblocked_share",
]


def _unique_inverse(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)``; for integer keys in a range not far above
    their count (order codes, period ordinals) by a presence table instead of a sort."""
    key = np.asarray(key)
    if key.dtype.kind in "iu" and len(key):
        low = int(key.min())
        span = int(key.max()) - low + 1
        if span <= 4 * len(key) + 1024:
            offset = (key - low).astype(np.intp)
            present = np.zeros(span, dtype=bool)
            present[offset] = True
            rank = np.cumsum(present) - 1
            return (np.flatnonzero(present) + low).astype(key.dtype), rank[offset]
    return np.unique(key, return_inverse=True)


def _weighted_median(values: np.ndarray, weights: np.ndarray, *, sorted_: bool = False) -> float:
    """The weighted median (the mean of the two middle values on an exact tie); ``sorted_``
    says ``values`` are already in ascending order."""
    keep = np.isfinite(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    if not len(values):
        return float("nan")
    if not sorted_:
        order = np.argsort(values, kind="stable")
        values, weights = values[order], weights[order]
    cum = np.cumsum(weights)
    half = cum[-1] / 2.0
    i = int(np.searchsorted(cum, half - 1e-9))
    if abs(cum[i] - half) <= 1e-9 and i + 1 < len(values):
        return float((values[i] + values[i + 1]) / 2.0)
    return float(values[i])


def reversal_summary(
    episodes_df: pd.DataFrame, *, by: str = "order", tz: str = DEFAULT_TZ
) -> pd.DataFrame:
    """Reversals per order, per period, or overall.

    Parameters
    ----------
    episodes_df
        Output of :func:`episodes`.
    by
        ``"order"`` (one row per order; named episodes without an order form an NA row), a
        period code (``D``, ``W``, ``M``, ``Q``, ``H``, ``Y``: by the local date the item was
        first blocked), or ``"all"`` (one row).

    Rules
    -----
    For each order, either its named episodes or its aggregate episodes are used - whichever
    accounts for more items blocked - never the two added together (``basis`` says which).
    Counts are of items, each counted once however often it was blocked:

    * ``items_withheld``: items blocked (first episodes);
    * ``items_reversed``: of those, items restored at least once; ``share_reversed``;
    * ``reblocked``: items blocked again after a restore; ``reblocked_share`` =
      reblocked / items_reversed (NaN when nothing was reversed);
    * ``median_time_to_reversal`` in ``unit``: weighted median of every block-to-restore gap
      (an item blocked and restored twice gives two gaps), among blocks that were restored.
      It is not a survival estimate: blocks never lifted are not in it. When a group mixes
      days and hours, hours are divided by 24 and the unit is ``days``.
    """
    eps = episodes_df
    if by == "order":
        key_cols = ["order_id"]
    elif by == "all":
        key_cols = []
    else:
        code = normalize_freq(by)
        key_cols = ["period", "period_start", "period_end"]
    if eps.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in [*key_cols, *SUMMARY_COLUMNS]})
        return frame

    eps = eps.reset_index(drop=True)
    is_named = (eps["basis"] == "named").to_numpy()
    n = eps["n_items"].to_numpy(dtype="float64")
    first = ~eps["reblock"].to_numpy(dtype=bool)
    ocode, ouniq = pd.factorize(eps["order_id"], use_na_sentinel=True)
    icode, _ = pd.factorize(eps["item_id"], use_na_sentinel=True)
    n_groups_o = len(ouniq) + 1  # the last code: no order
    # A named item's later episodes count under the order of its first block.
    fn = is_named & (eps["episode"].to_numpy() == 1) & (icode >= 0)
    anchor_of_item = np.full(max(int(icode.max()) + 1, 1), -1, dtype="int64")
    anchor_of_item[icode[fn]] = ocode[fn]
    anchor = np.where(is_named & (icode >= 0), anchor_of_item[np.maximum(icode, 0)], ocode)
    g = np.where(anchor < 0, n_groups_o - 1, anchor)
    named_units = np.bincount(g, weights=np.where(first & is_named, n, 0.0), minlength=n_groups_o)
    agg_units = np.bincount(g, weights=np.where(first & ~is_named, n, 0.0), minlength=n_groups_o)
    use_agg = agg_units > named_units
    keep = np.where(is_named, ~use_agg[g], use_agg[g])
    # Only the columns used below, filtered as arrays: copying the whole episodes frame costs
    # more than the summary itself on millions of episodes.
    g, is_named, n, first = g[keep], is_named[keep], n[keep], first[keep]
    restored = eps["restored_at"].notna().to_numpy()[keep]
    reblocked = eps["reblocked_at"].notna().to_numpy()[keep]
    unit_days = (eps["unit"] == "days").fillna(False).to_numpy(dtype=bool)[keep]
    unit_hours = (eps["unit"] == "hours").fillna(False).to_numpy(dtype=bool)[keep]
    dur = eps["duration"].to_numpy(dtype="float64")[keep]

    if key_cols and key_cols[0] == "period":
        # Counts use first blocks, so they fall in the period of the first block; gaps fall in
        # the period their own block started.
        key = period_ordinals(local_us(eps["withheld_at"], tz)[keep], code)
    elif key_cols:
        key = g
    else:
        key = np.zeros(len(g), dtype="int64")
    keys, gk = _unique_inverse(key)
    k = len(keys)
    withheld = np.bincount(gk, weights=np.where(first, n, 0.0), minlength=k)
    reversed_ = np.bincount(gk, weights=np.where(first & restored, n, 0.0), minlength=k)
    reblocked_n = np.bincount(gk, weights=np.where(first & reblocked, n, 0.0), minlength=k)
    n_named_rows = np.bincount(gk, weights=is_named.astype(float), minlength=k)
    n_rows = np.bincount(gk, minlength=k)
    basis = np.where(
        n_named_rows == n_rows, "named", np.where(n_named_rows == 0, "aggregate", "mixed")
    )

    # median time to reversal per group (mixed units -> days)
    has_days = np.bincount(gk[restored & unit_days], minlength=k) > 0
    has_hours = np.bincount(gk[restored & unit_hours], minlength=k) > 0
    dur = np.where(has_days[gk] & unit_hours, dur / 24.0, dur)
    idx = np.flatnonzero(restored & np.isfinite(dur))
    idx = idx[order_by(gk[idx], dur[idx])]  # by group, then duration (lexsort order)
    bounds = np.searchsorted(gk[idx], np.arange(k + 1))
    medians = np.array(
        [
            _weighted_median(
                dur[idx[bounds[j] : bounds[j + 1]]], n[idx[bounds[j] : bounds[j + 1]]], sorted_=True
            )
            for j in range(k)
        ],
        dtype="float64",
    )
    unit_names = np.where(has_days, 0, np.where(has_hours, 1, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "basis": pd.array(basis, dtype="str"),
                "items_withheld": withheld.round(9),
                "items_reversed": reversed_.round(9),
                "share_reversed": np.where(withheld > 0, reversed_ / withheld, np.nan),
                "median_time_to_reversal": medians,
                "unit": str_take(("days", "hours"), unit_names),
                "reblocked": reblocked_n.round(9),
                "reblocked_share": np.where(reversed_ > 0, reblocked_n / reversed_, np.nan),
            }
        )
    if by == "order":
        labels = pd.array([*list(ouniq), None], dtype="str")
        out.insert(0, "order_id", labels.take(keys.astype("int64")))
        out = out.sort_values("order_id", na_position="last", kind="stable").reset_index(drop=True)
    elif key_cols:
        periods = period_table(keys.astype("int64"), code, tz)
        out = pd.concat([periods[["period", "period_start", "period_end"]], out], axis=1)
    return out[[*key_cols, *SUMMARY_COLUMNS]]
