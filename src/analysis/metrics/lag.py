"""Compliance lag: how long after an order the platform acted on each item it named.

Definitions (docs/methodology.md explains them for readers):

* **Outcomes** are kept apart: ``withheld`` (in the ordering country: a ``withheld`` event whose
  ``country`` is another country does not count for the order), ``suspended`` and ``gone``
  (a ``deleted`` event: not found, cause unknown: a user may delete their own account).
  ``acted`` says which outcomes count as *acting on the order*; by default ``withheld`` and
  ``suspended``, never ``gone``. Every row still says its ``outcome``.
* **Action**: the first event of the item whose outcome is in ``acted``, at or after the order's
  ``issued_at`` and at or before ``as_of``. An event counts for the item whatever order it cites
  (an event with no ``order_id``, or one citing another order that named the same item, still
  shows the item was acted on); the cited order is kept in ``action_order_id``. Events before
  ``issued_at`` are ignored and counted in ``n_ignored_before_issued`` / ``notes``: a lag is
  never negative. Events after ``as_of`` are ignored (not known yet at ``as_of``). Later
  restorations do not undo an action: lag measures the *first* action (see reversals).
* **At or after** is judged at the coarser precision of the two timestamps: an event dated only
  by day counts if it falls on or after the order's local calendar date.
* **Units**: an order's lags are in ``days`` when its ``issued_at`` or any action counted for it
  has day precision, else in ``hours``. The unit is decided per order so an order's median is
  never a mix. In days, lag is the difference of local calendar dates in whole days (acted on the
  day of the order = 0 days); in hours it is the exact elapsed time. ``unit="days"`` forces days
  for every order.
* **Timing** has three kinds, from the action event's ``timing`` (docs/data-dictionary.md):
  ``exact`` (``at`` is when it happened), ``bounded`` (between ``at_earliest`` and ``at``, e.g.
  two status checks) and ``before_first_check`` (already so when first checked: between the
  order and that check). ``lag_lower`` / ``lag_upper`` are the lags at the two ends (the lower
  one never below 0; for ``before_first_check`` it is 0). ``lag`` is the lag only where the two
  agree; where the data give a range it is NaN: a midpoint would be a number the data do not
  support. Kaplan-Meier on ``lag_lower`` and on ``lag_upper`` gives the band the true curve
  lies in.
* **Censoring**: items with no action by ``as_of`` are right-censored at ``as_of``
  (``observed`` False, ``lag`` = time from the order to ``as_of``). They are never dropped and
  never counted as a zero lag.
* **Aggregate reports** (events with ``item_id`` null, ``order_id`` set, ``n_items`` = N) are
  read as *running tallies as reported* ("126 of the 257 had been blocked"), not increments. The
  number of the order's items acted on by time t is::

      max(named items acted on by t, largest tally reported at or before t)

  capped at the order's population (a :class:`UserWarning` names every order whose uncapped count
  exceeds its ``items_listed``). Named items and aggregate reports of the same order are thus
  never added together. Reports of 126 and then 220 of 257 mean 220 acted on, not 346.
* **Population**: ``items_listed`` where stated, else the number of named items (if more items
  are named than listed, the named count, with a warning). Orders with neither are skipped.
* **Rows**: one row per (order, named item) and one row per group of items without a name:
  ``basis`` ``aggregate`` rows carry the increase of the tally beyond the named items at a
  report's time, plus one censored row for the order's items not acted on. When named items are
  first seen acted on *after* a tally had already counted them, their rows get a weight below 1
  (the rest of them is already inside the earlier aggregate row), and if the tally covers named
  items never seen acted on, those censored rows get a weight below 1 likewise. An order's
  weights always add up to its population, and its weighted Kaplan-Meier curve reproduces the
  tally rule exactly.
* Events with neither ``item_id`` nor ``order_id`` cannot be attributed to an order and are
  ignored (e.g. a platform-wide "more than 500 accounts suspended"). Orders issued after
  ``as_of`` are out of scope and produce no rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.arrays import (
    column_or_na,
    duplicated_pairs,
    factorize_text,
    label_codes,
    name_list,
    order_by,
    segment_starts,
    str_column_take,
    str_take,
)
from analysis.core.errors import MetricWarning, warn_data
from analysis.core.schema import TIMINGS
from analysis.core.times import (
    DAY_US,
    DEFAULT_TZ,
    HOUR_US,
    NAT_US,
    as_utc,
    elapsed,
    local_from_us,
    local_us,
    parse_instant,
    precision_us,
    ts_from_us,
    utc_us,
)

from .survival import KM_COLUMNS, km_grouped, quantiles_grouped

#: What an item can be seen to become, and the event that shows it.
OUTCOMES = ("withheld", "suspended", "gone")
OUTCOME_EVENTS = ("withheld", "suspended", "deleted")
#: The outcomes that count as acting on an order unless the caller says otherwise.
ACTED_DEFAULT = ("withheld", "suspended")
_OUTCOME_NAMES = {
    "withheld": "withheld",
    "suspended": "suspended",
    "gone": "gone",
    "deleted": "gone",
    "not_found": "gone",
    "not found": "gone",
}


def acted_outcomes(acted) -> tuple[str, ...]:
    """``acted`` as a tuple of :data:`OUTCOMES` (``deleted``/``not_found`` mean ``gone``); a
    text names them separated by commas (``"withheld,suspended"``, as the notebooks' parameter
    does); a ``ValueError`` names anything else."""
    values = acted.split(",") if isinstance(acted, str) else list(acted)
    out = []
    for value in values:
        name = _OUTCOME_NAMES.get(str(value).strip().lower())
        if name is None:
            raise ValueError(
                f"acted: {value!r} is not an outcome; use some of withheld, suspended, gone"
            )
        if name not in out:
            out.append(name)
    if not out:
        raise ValueError("acted: name at least one outcome (withheld, suspended, gone)")
    return tuple(o for o in OUTCOMES if o in out)


LAG_COLUMNS = [
    "order_id",
    "item_id",
    "basis",
    "weight",
    "issued_at",
    "actioned_at",
    "action",
    "action_order_id",
    "lag",
    "lag_lower",
    "lag_upper",
    "timing",
    "outcome",
    "unit",
    "observed",
    "censored_at",
    "approximate",
    "n_ignored_before_issued",
    "notes",
]


# ----------------------------------------------------------------------------------------------
# lag_items, stage by stage
# ----------------------------------------------------------------------------------------------


def _floor(local_us: np.ndarray, unit_us: np.ndarray) -> np.ndarray:
    return (local_us // unit_us) * unit_us


def _at_or_after(
    ev_local: np.ndarray, o_local: np.ndarray, ev_prec: np.ndarray, o_prec: np.ndarray
) -> np.ndarray:
    """Whether each event is at or after its order, judged at the coarser precision of the two
    times. An event whose local time is not before the order's passes at any precision (floors
    keep the order), so only the others are floored."""
    eligible = ev_local >= o_local
    early = np.flatnonzero(~eligible)
    if len(early):
        coarse = np.maximum(o_prec[early], ev_prec[early])
        eligible[early] = _floor(ev_local[early], coarse) >= _floor(o_local[early], coarse)
    return eligible


def _timeline(o: np.ndarray, t: np.ndarray, k: np.ndarray, tally: np.ndarray):
    """Group rows by (order, time), sorted: sum of ``k`` and max of ``tally`` (NaN skipped; NaN
    when a group has none) - ``groupby(["o", "t"]).agg(...)`` done with one sort."""
    if not len(o):
        return o, t, k, tally
    order = order_by(o, t)
    o, t, k, tally = o[order], t[order], k[order], tally[order]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (o[1:] != o[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(first)
    return o[starts], t[starts], np.add.reduceat(k, starts), np.fmax.reduceat(tally, starts)


@dataclass
class _Scope:
    """The orders issued by ``as_of`` (positions 0..n-1), and how to find them by id."""

    ids: pd.api.extensions.ExtensionArray  # str, one per order in scope
    issued_us: np.ndarray
    issued_local: np.ndarray
    prec: np.ndarray  # microseconds in one unit of each order's time_precision
    country: np.ndarray  # upper-case ISO code of each order's country ("" when unknown)
    listed_known: np.ndarray
    listed: np.ndarray  # items_listed as float, NaN where unknown
    all_ids: pd.Index  # every usable order, in scope or not
    remap: np.ndarray  # position in all_ids -> position in scope, or -1
    as_of_us: int
    as_of_local: int

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(position among in-scope orders or -1, known in the orders table at all)."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        pos_u = self.all_ids.get_indexer(pd.Index(uniques).astype("str")) if len(uniques) else []
        pos = np.asarray(np.append(pos_u, -1), dtype="int64")[codes]
        return np.where(pos >= 0, self.remap[np.maximum(pos, 0)], -1), pos >= 0


def _orders_in_scope(orders: pd.DataFrame, as_of_ts: pd.Timestamp, tz: str) -> _Scope:
    """Orders with an id and an ``issued_at`` (the first of duplicated ids), issued by as_of."""
    as_of_us = int(utc_us(pd.Series([as_of_ts]))[0])
    o_id_all = column_or_na(orders, "order_id")
    o_iss_all = utc_us(column_or_na(orders, "issued_at", "datetime"))
    o_ok = (o_id_all.notna().to_numpy() & (o_iss_all != NAT_US)) & ~o_id_all.duplicated().to_numpy()
    o_rows = np.flatnonzero(o_ok)
    in_scope = o_iss_all[o_rows] <= as_of_us
    rows = o_rows[in_scope]
    issued = as_utc(orders["issued_at"].take(rows)) if len(rows) else ts_from_us([])
    listed = pd.array(column_or_na(orders, "items_listed", "Int64").take(rows), dtype="Int64")
    return _Scope(
        ids=pd.array(o_id_all.take(rows), dtype="str"),
        issued_us=utc_us(issued),
        issued_local=local_us(issued, tz),
        prec=precision_us(column_or_na(orders, "time_precision").take(rows)),
        country=_upper_codes(column_or_na(orders, "country").take(rows)),
        listed_known=~np.asarray(pd.isna(listed), dtype=bool),
        listed=listed.to_numpy(dtype="float64", na_value=np.nan),
        all_ids=pd.Index(o_id_all.take(o_rows).astype("str")),
        remap=np.where(in_scope, np.cumsum(in_scope) - 1, -1),
        as_of_us=as_of_us,
        as_of_local=int(local_us(pd.Series([as_of_ts]), tz)[0]),
    )


def _upper_codes(values: pd.Series) -> np.ndarray:
    """Country codes, stripped and upper-cased, as a numpy array of text ("" when missing);
    the Python work is per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lut = np.array([str(u).strip().upper() for u in uniques] + [""], dtype=object)
    return lut[codes]


@dataclass
class _Actions:
    """The outcome events (``withheld``/``suspended``/``deleted``) dated by ``as_of``: arrays
    over ``rows`` (their positions in the events table)."""

    rows: np.ndarray
    kind: np.ndarray  # index into OUTCOMES
    acted: np.ndarray  # the kind counts as acting on an order
    timing: np.ndarray  # index into TIMINGS
    at: np.ndarray
    local: np.ndarray
    early: np.ndarray  # at_earliest (NAT_US when unknown or after ``at``)
    early_local: np.ndarray
    prec: np.ndarray
    country: np.ndarray  # "" when the event names no country
    item_na: np.ndarray
    order_na: np.ndarray
    item_col: pd.Series  # the events table's columns, all rows
    order_col: pd.Series


def _action_events(events: pd.DataFrame, as_of_us: int, tz: str, acted: tuple) -> _Actions:
    kind_all = label_codes(events["event"], OUTCOME_EVENTS)
    at_all = utc_us(events["at"])
    rows = np.flatnonzero((kind_all >= 0) & (at_all != NAT_US) & (at_all <= as_of_us))
    kind, at = kind_all[rows], at_all[rows]
    del kind_all, at_all  # 10M events: every full-length temporary costs 80 MB
    early = utc_us(column_or_na(events, "at_earliest", "datetime"))[rows]
    early_local = local_from_us(early, tz)
    early = np.where((early != NAT_US) & (early > at), NAT_US, early)
    # Events from before the timing column existed: bounded where at_earliest is known.
    timing = label_codes(column_or_na(events, "timing"), TIMINGS)[rows]
    timing = np.where(timing >= 0, timing, np.where(early != NAT_US, 1, 0))
    item_col = column_or_na(events, "item_id")
    order_col = column_or_na(events, "order_id")
    acted_codes = [OUTCOMES.index(o) for o in acted]
    return _Actions(
        rows=rows,
        kind=kind,
        acted=np.isin(kind, acted_codes),
        timing=timing,
        at=at,
        local=local_from_us(at, tz),
        early=early,
        early_local=early_local,
        prec=precision_us(column_or_na(events, "time_precision"))[rows],
        country=_upper_codes(column_or_na(events, "country").take(rows)),
        item_na=item_col.isna().to_numpy()[rows],
        order_na=order_col.isna().to_numpy()[rows],
        item_col=item_col,
        order_col=order_col,
    )


@dataclass
class _Pairs:
    """The distinct (order, named item) pairs and each pair's first action at or after its
    order (``act_ev``: index into the :class:`_Actions` arrays, -1 when none)."""

    item_row: np.ndarray  # row in ``items``
    o: np.ndarray  # order position in scope
    act_ev: np.ndarray
    outcome_ev: np.ndarray  # the first outcome event of any kind, -1 when none
    n_before: np.ndarray  # action events of the pair's item dated before the order
    n_named: np.ndarray  # per order: named items
    item_text: pd.api.extensions.ExtensionArray  # items' item_id, all rows

    def __len__(self) -> int:
        return len(self.o)


def _named_pairs(items: pd.DataFrame | None, scope: _Scope, actions: _Actions) -> _Pairs:
    if items is not None and len(items):
        it_item_all = column_or_na(items, "item_id")
        it_pos, it_known = scope.position(column_or_na(items, "order_id"))
        has_item = it_item_all.notna().to_numpy()
        unknown = has_item & ~it_known
        if unknown.any():
            missing = sorted(set(column_or_na(items, "order_id")[unknown].astype("str")))
            warn_data(
                f"lag: {int(unknown.sum())} named item(s) belong to order(s) not in the orders "
                f"table and are left out: {name_list(missing)}"
            )
        it_rows = np.flatnonzero(has_item & (it_pos >= 0))
        it_item = pd.array(it_item_all.astype("str"), dtype="str")  # all rows; use it_rows
        it_o = it_pos[it_rows]
    else:
        it_rows = np.zeros(0, dtype="int64")
        it_item = pd.array([], dtype="str")
        it_o = np.zeros(0, dtype="int64")
    # Item codes shared by the items and the action events, in order of first appearance
    # (items first); -1 for events whose item no order in scope names. One hash pass over
    # both, on their Arrow strings as they are (no copies, no per-chunk dictionaries).
    ev_named = np.flatnonzero(~actions.item_na)
    joint_codes = factorize_text([(it_item, it_rows), (actions.item_col, actions.rows[ev_named])])
    it_code = joint_codes[: len(it_rows)]
    n_item_codes = int(it_code.max()) + 1 if len(it_code) else 0
    ev_code = np.full(len(actions.rows), -1, dtype="int64")
    ev_code[ev_named] = joint_codes[len(it_rows) :]
    ev_code[ev_code >= n_item_codes] = -1  # items no order in scope names
    del joint_codes
    dup = duplicated_pairs(it_o.astype("int64"), it_code)
    pair_o = it_o[~dup].astype("int64")
    pair_code = it_code[~dup].astype("int64")
    n_pairs = len(pair_o)

    # Pair each (order, item) with the item's action events, in time order.
    e_sel = np.flatnonzero(ev_code >= 0)
    e_sorted = e_sel[order_by(ev_code[e_sel], actions.at[e_sel])]  # by item, then time
    cnt = np.bincount(ev_code[e_sorted], minlength=n_item_codes)
    start = np.cumsum(cnt) - cnt
    reps = cnt[pair_code] if n_pairs else np.zeros(0, "int64")
    p_pair = np.repeat(np.arange(n_pairs), reps)
    shift = (start[pair_code] if n_pairs else reps) - (np.cumsum(reps) - reps)
    p_ev = e_sorted[np.repeat(shift, reps) + np.arange(len(p_pair))]
    del shift, ev_code, e_sel, e_sorted, cnt, start, reps
    p_o = pair_o[p_pair]
    eligible = _at_or_after(
        actions.local[p_ev], scope.issued_local[p_o], actions.prec[p_ev], scope.prec[p_o]
    )
    n_before = np.bincount(p_pair[~eligible & actions.acted[p_ev]], minlength=n_pairs)
    eligible &= _in_ordering_country(actions, p_ev, scope.country[p_o])
    el_pair, el_ev = p_pair[eligible], p_ev[eligible]
    del p_pair, p_ev, p_o, eligible
    # each pair's events are in time order: the first of any kind, and the first that acts
    outcome_ev = np.full(n_pairs, -1, dtype="int64")
    first = segment_starts(el_pair)
    outcome_ev[el_pair[first]] = el_ev[first]
    acting = actions.acted[el_ev]
    el_pair, el_ev = el_pair[acting], el_ev[acting]
    first = segment_starts(el_pair)
    act_ev = np.full(n_pairs, -1, dtype="int64")
    act_ev[el_pair[first]] = el_ev[first]
    return _Pairs(
        item_row=it_rows[~dup],
        o=pair_o,
        act_ev=act_ev,
        outcome_ev=outcome_ev,
        n_before=n_before,
        n_named=np.bincount(pair_o, minlength=len(scope)),
        item_text=it_item,
    )


def _in_ordering_country(
    actions: _Actions, ev: np.ndarray, order_country: np.ndarray
) -> np.ndarray:
    """False for a ``withheld`` event that names a country other than its order's (withheld
    elsewhere is not compliance with this order); events naming no country, and orders with
    none, pass."""
    country = actions.country[ev]
    withheld = actions.kind[ev] == OUTCOMES.index("withheld")
    return ~withheld | (country == "") | (order_country == "") | (country == order_country)


@dataclass
class _Reports:
    """Aggregate reports (``item_id`` null, ``order_id`` set, ``n_items`` = N) of orders in
    scope, at or after the order: ``ev`` indexes the :class:`_Actions` arrays."""

    ev: np.ndarray
    o: np.ndarray
    n: np.ndarray  # the tally reported (float)
    n_before: np.ndarray  # per order: reports dated before the order, ignored


def _aggregate_reports(events: pd.DataFrame, scope: _Scope, actions: _Actions) -> _Reports:
    agg_ev = np.flatnonzero(actions.item_na & ~actions.order_na & actions.acted)
    agg_o, agg_known = scope.position(actions.order_col.take(actions.rows[agg_ev]))
    if (~agg_known).any():
        cited = actions.order_col.take(actions.rows[agg_ev[~agg_known]]).astype("str")
        warn_data(
            "lag: aggregate reports cite order(s) not in the orders table and are ignored: "
            + name_list(sorted(set(cited)))
        )
    agg_ev, agg_o = agg_ev[agg_o >= 0], agg_o[agg_o >= 0]
    same_country = _in_ordering_country(actions, agg_ev, scope.country[agg_o])
    agg_ev, agg_o = agg_ev[same_country], agg_o[same_country]
    coarse = np.maximum(scope.prec[agg_o], actions.prec[agg_ev])
    eligible = _floor(actions.local[agg_ev], coarse) >= _floor(scope.issued_local[agg_o], coarse)
    n_before = np.bincount(agg_o[~eligible], minlength=len(scope))
    agg_ev, agg_o = agg_ev[eligible], agg_o[eligible]
    n_items_col = pd.array(
        column_or_na(events, "n_items", "Int64").take(actions.rows[agg_ev]), dtype="Int64"
    )
    agg_n = n_items_col.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(agg_n) & (agg_n > 0)
    return _Reports(ev=agg_ev[ok], o=agg_o[ok], n=agg_n[ok], n_before=n_before)


def _populations(scope: _Scope, pairs: _Pairs, reports: _Reports) -> tuple[np.ndarray, _Reports]:
    """Items each order is measured against (``items_listed``, at least the named ones), and
    the reports left once orders with no population are set aside (with a warning)."""
    listed_0 = np.nan_to_num(scope.listed, nan=0.0)
    over_named = scope.listed_known & (pairs.n_named > listed_0)
    if over_named.any():
        warn_data(
            "lag: more items are named than the order lists (the named count is used as the "
            f"population): {name_list(np.asarray(scope.ids)[over_named])}"
        )
    population = np.where(
        scope.listed_known, np.fmax(listed_0, pairs.n_named), pairs.n_named
    ).astype("float64")
    no_pop = population <= 0
    if len(reports.o) and no_pop[reports.o].any():
        warn_data(
            "lag: order(s) with aggregate reports but neither items_listed nor named items "
            "(no population to measure against) are skipped: "
            + name_list(sorted(set(np.asarray(scope.ids)[reports.o[no_pop[reports.o]]])))
        )
    keep = ~no_pop[reports.o]
    kept = _Reports(reports.ev[keep], reports.o[keep], reports.n[keep], reports.n_before)
    return population, kept


@dataclass
class _Weights:
    """What the tally rule gives: each named pair's weight, the aggregate rows (order, report
    event, weight) and the items of each order left unnamed and never acted on."""

    pair: np.ndarray
    agg_o: np.ndarray
    agg_ev: np.ndarray
    agg_w: np.ndarray
    unnamed_left: np.ndarray


def _tally_weights(
    scope: _Scope, pairs: _Pairs, reports: _Reports, actions: _Actions, population: np.ndarray
) -> _Weights:
    """Per-order timeline of named first actions and reported tallies (module notes: the
    number acted on by t is the larger of the named ones and the largest tally so far)."""
    n_orders = len(scope)
    pair_acted = pairs.act_ev >= 0
    acted_pairs = np.flatnonzero(pair_acted)
    # Only orders with a tally need the timeline: elsewhere the named items are the whole story.
    has_tally = np.zeros(n_orders, dtype=bool)
    has_tally[reports.o] = True
    tl_pairs = acted_pairs[has_tally[pairs.o[acted_pairs]]]
    tl_o, tl_t, tl_k, tl_tally = _timeline(
        np.concatenate([pairs.o[tl_pairs], reports.o]).astype("int64"),
        np.concatenate([actions.at[pairs.act_ev[tl_pairs]], actions.at[reports.ev]]).astype(
            "int64"
        ),
        np.concatenate([np.ones(len(tl_pairs)), np.zeros(len(reports.o))]),
        np.concatenate([np.full(len(tl_pairs), np.nan), reports.n]),
    )
    named_cum = pd.Series(tl_k).groupby(tl_o).cumsum().to_numpy()
    tally_cm = pd.Series(np.nan_to_num(tl_tally, nan=0.0)).groupby(tl_o).cummax().to_numpy()
    uncapped = np.maximum(named_cum, tally_cm)
    listed_0 = np.nan_to_num(scope.listed, nan=0.0)
    cap = np.where(scope.listed_known, listed_0, np.inf)
    over = scope.listed_known[tl_o] & (uncapped > cap[tl_o])
    if over.any():
        warn_data(
            "lag: the count of items acted on exceeds items_listed and is capped at it for: "
            + name_list(sorted(set(np.asarray(scope.ids)[np.unique(tl_o[over])])))
        )
    acted_total = np.maximum(named_cum, np.minimum(tally_cm, population[tl_o]))
    surplus = acted_total - named_cum  # items acted on beyond the named ones
    prev = np.zeros(len(tl_o))
    if len(tl_o):
        prev[1:] = surplus[:-1]
        prev[segment_starts(tl_o)] = 0.0
    d_surplus = surplus - prev
    last = np.ones(len(tl_o), dtype=bool)
    last[:-1] = tl_o[1:] != tl_o[:-1]
    surplus_final = np.zeros(n_orders)
    surplus_final[tl_o[last]] = surplus[last]
    named_final = np.bincount(pairs.o[acted_pairs], minlength=n_orders)

    # Named items first seen acted on after a tally had already counted them: lower weight.
    pair_weight = np.ones(len(pairs))
    reduce = d_surplus < -1e-12
    if reduce.any():
        red = pd.DataFrame(
            {"o": tl_o[reduce], "t": tl_t[reduce], "r": -d_surplus[reduce] / tl_k[reduce]}
        )
        m = pd.DataFrame(
            {"p": tl_pairs, "o": pairs.o[tl_pairs], "t": actions.at[pairs.act_ev[tl_pairs]]}
        ).merge(red, on=["o", "t"], how="inner")
        pair_weight[m["p"].to_numpy()] -= m["r"].to_numpy()
    # Named items never seen acted on, which the tally says were: spread the excess over them.
    unnamed = population - pairs.n_named
    cens_named = pairs.n_named - named_final
    excess = np.maximum(surplus_final - unnamed, 0.0)
    cens_share = np.divide(excess, cens_named, out=np.zeros(n_orders), where=cens_named > 0)
    pair_weight = np.where(pair_acted, pair_weight, 1.0 - cens_share[pairs.o])

    # Aggregate rows: increases of the surplus, at the report that raised it.
    grow = d_surplus > 1e-12
    rep = pd.DataFrame({"o": reports.o, "t": actions.at[reports.ev], "n": reports.n})
    rep["ev"] = reports.ev
    rep = rep.sort_values(["o", "t", "n"], ascending=[True, True, False]).drop_duplicates(
        ["o", "t"]
    )
    agg_rows = pd.DataFrame({"o": tl_o[grow], "t": tl_t[grow], "w": d_surplus[grow]}).merge(
        rep[["o", "t", "ev"]], on=["o", "t"], how="left"
    )
    return _Weights(
        pair=pair_weight,
        agg_o=agg_rows["o"].to_numpy(dtype="int64"),
        agg_ev=agg_rows["ev"].to_numpy(dtype="int64"),
        agg_w=agg_rows["w"].to_numpy(),
        unnamed_left=np.maximum(unnamed - surplus_final, 0.0),
    )


def _in_days(
    scope: _Scope, pairs: _Pairs, weights: _Weights, actions: _Actions, unit: str
) -> np.ndarray:
    """Per order: lags in whole local days (its time, or a counted action's, is a date)."""
    days = (scope.prec >= DAY_US) | (unit == "days")
    acted = np.flatnonzero(pairs.act_ev >= 0)
    days[pairs.o[acted][actions.prec[pairs.act_ev[acted]] >= DAY_US]] = True
    days[weights.agg_o[actions.prec[weights.agg_ev] >= DAY_US]] = True
    return days


def _notes(n_before: np.ndarray, reduced: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(code per row, -1 for none; label per code): one text per distinct (ignored count,
    reduced weight), so there is no per-row Python."""
    note_key = n_before.astype("int64") * 2 + reduced
    note_codes, note_keys = pd.factorize(note_key)
    note_labels = []
    for key in note_keys:
        k, red = divmod(int(key), 2)
        parts = []
        if k:
            parts.append(f"{k} withheld/suspended event(s) dated before the order were ignored")
        if red:
            parts.append(
                "an aggregate report already counts more of this order's items than the named "
                "ones seen acted on, so part of this item is counted there (see weight)"
            )
        note_labels.append("; ".join(parts))
    return np.where(note_key == 0, -1, note_codes), note_labels


def lag_items(
    orders: pd.DataFrame,
    items: pd.DataFrame | None,
    events: pd.DataFrame,
    *,
    as_of,
    tz: str = DEFAULT_TZ,
    unit: str = "auto",
    acted=ACTED_DEFAULT,
) -> pd.DataFrame:
    """Compliance lag per (order, item), right-censored at ``as_of``.

    Parameters
    ----------
    orders, items, events
        Canonical tables (``items`` may be ``None``: then only aggregate reports count).
    as_of
        The time the data describe (str, date or Timestamp; naive values are local time in
        ``tz``; a date means its local midnight). Events after it are ignored; items not acted
        on by then are censored at it.
    tz
        Time zone for calendar-day arithmetic (default Asia/Kolkata).
    unit
        ``"auto"`` (per order, see module notes) or ``"days"`` (whole local days everywhere).
    acted
        The outcomes that count as acting on the order (:data:`OUTCOMES`; default
        ``withheld`` and ``suspended``).

    Returns
    -------
    DataFrame, one row per (order, named item) and per group of unnamed items, sorted by order,
    basis (named first), acted-on first, lag:

    ``order_id``; ``item_id`` (NA for aggregate rows); ``basis`` (``named``/``aggregate``);
    ``weight`` (items the row stands for, float); ``issued_at``; ``actioned_at`` (UTC ``at`` of
    the action, NaT if censored); ``action`` (the acting outcome; NA if censored);
    ``action_order_id`` (the order the action event cites, may be NA); ``lag`` (float, in
    ``unit``; for censored rows the time to ``as_of``; NaN where the data give only a range);
    ``lag_lower``/``lag_upper`` (the range; equal when the time is exact); ``timing``
    (:data:`TIMINGS`, NA if censored); ``outcome`` (the action's outcome, else the first outcome
    seen that does not count as acting, e.g. ``gone``; NA when none); ``unit`` (``days``/``hours``);
    ``observed`` (False = right-censored); ``censored_at`` (``as_of`` for censored rows, else
    NaT); ``approximate`` (an aggregate count reported as approximate, e.g. "~250");
    ``n_ignored_before_issued`` (action events dated before the order and ignored: for named
    rows, the item's; for aggregate rows, the order's aggregate reports); ``notes``.
    """
    if unit not in ("auto", "days"):
        raise ValueError('unit must be "auto" or "days"')
    acted = acted_outcomes(acted)
    as_of_ts, _ = parse_instant(as_of, tz)
    scope = _orders_in_scope(orders, as_of_ts, tz)
    actions = _action_events(events, scope.as_of_us, tz, acted)
    pairs = _named_pairs(items, scope, actions)
    reports = _aggregate_reports(events, scope, actions)
    population, reports = _populations(scope, pairs, reports)
    weights = _tally_weights(scope, pairs, reports, actions, population)
    days = _in_days(scope, pairs, weights, actions, unit)
    no_pop = population <= 0
    return _assemble(events, scope, actions, pairs, reports, weights, days, no_pop)


def _assemble(
    events: pd.DataFrame,
    scope: _Scope,
    actions: _Actions,
    pairs: _Pairs,
    reports: _Reports,
    weights: _Weights,
    days: np.ndarray,
    no_pop: np.ndarray,
) -> pd.DataFrame:
    """One row per named pair, per aggregate row and per order's censored unnamed items, with
    the lag columns, sorted (order, named first, acted on first, lag)."""
    cens_o = np.flatnonzero((weights.unnamed_left > 1e-12) & ~no_pop)
    n_n, n_a, n_c = len(pairs), len(weights.agg_o), len(cens_o)
    part_o = np.concatenate([pairs.o, weights.agg_o, cens_o]).astype("int64")
    observed = np.concatenate([pairs.act_ev >= 0, np.ones(n_a, bool), np.zeros(n_c, bool)])
    row_ev = np.concatenate([pairs.act_ev, weights.agg_ev, np.full(n_c, -1, "int64")])
    has_ev = row_ev >= 0
    safe_ev = np.where(has_ev, row_ev, 0)

    def take(arr: np.ndarray, fill) -> np.ndarray:
        if not len(arr):
            return np.full(len(row_ev), fill, dtype="int64")
        return np.where(has_ev, arr[safe_ev], fill)

    end_us = np.where(observed, take(actions.at, NAT_US), scope.as_of_us)
    end_local = np.where(observed, take(actions.local, NAT_US), scope.as_of_local)
    early_us = take(actions.early, NAT_US)
    early_local = take(actions.early_local, NAT_US)
    timing = np.where(observed, take(actions.timing, -1), -1)
    start_us, start_local = scope.issued_us[part_o], scope.issued_local[part_o]
    in_days = days[part_o]
    upper = elapsed(start_us, start_local, end_us, end_local, in_days)
    # The earliest possible time: at_earliest when bounded; the order's own time when the
    # action was already there at the first check (or bounded with no at_earliest given).
    bounded = (timing == 1) & (early_us != NAT_US)
    ranged = (timing == 2) | ((timing == 1) & ~bounded)
    lower = np.where(
        bounded,
        elapsed(
            start_us,
            start_local,
            np.where(bounded, early_us, start_us),
            np.where(bounded, early_local, start_local),
            in_days,
        ),
        np.where(ranged, 0.0, upper),
    )
    lag = np.where(lower == upper, upper, np.nan)
    weight = np.concatenate([weights.pair, weights.agg_w, weights.unnamed_left[cens_o]])
    n_before = np.concatenate(
        [pairs.n_before, reports.n_before[weights.agg_o], reports.n_before[cens_o]]
    )
    approx_src = (
        column_or_na(events, "n_items_is_approximate", "boolean").take(actions.rows).fillna(False)
    ).to_numpy(dtype=bool)
    approximate = np.concatenate(
        [
            np.zeros(n_n, bool),
            approx_src[weights.agg_ev] if n_a else np.zeros(0, bool),
            np.zeros(n_c, bool),
        ]
    )
    reduced = (np.arange(len(part_o)) < n_n) & (weight < 1 - 1e-12)
    note_codes, note_labels = _notes(n_before, reduced)

    # Sort (order, named first, acted on first, lag) on the arrays, then build the columns once.
    n_orders = len(scope)
    order_rank = np.empty(n_orders, dtype="int64")
    order_rank[np.argsort(np.asarray(scope.ids, dtype=object).astype(str), kind="stable")] = (
        np.arange(n_orders)
    )
    is_agg = np.arange(len(part_o)) >= n_n
    srt = np.lexsort((lower, upper, ~observed, is_agg, order_rank[part_o]))
    # Each column is put in order and its source dropped at once, so the 4M-row output never
    # sits in memory twice.
    action = np.where(has_ev, take(actions.kind, -1), -1)[srt]
    out_ev = np.concatenate([np.where(has_ev[:n_n], pairs.act_ev, pairs.outcome_ev), row_ev[n_n:]])
    kinds = actions.kind if len(actions.kind) else np.full(1, -1, dtype="int64")
    outcome = np.where(out_ev >= 0, kinds[np.maximum(out_ev, 0)], -1)
    del out_ev, kinds
    item_pos = np.concatenate([pairs.item_row, np.full(n_a + n_c, -1, "int64")])[srt]
    ev_pos = np.where(has_ev, actions.rows[safe_ev] if len(actions.rows) else -1, -1)[srt]
    observed = observed[srt]
    item_src = pairs.item_text if n_n else pd.array([], dtype="str")
    columns = {
        "order_id": scope.ids.take(part_o[srt]),
        "item_id": item_src.take(item_pos, allow_fill=True),
        "basis": str_take(("named", "aggregate"), is_agg[srt].astype(int)),
    }
    del part_o, is_agg, item_pos, item_src
    columns["weight"] = weight[srt]
    columns["issued_at"] = ts_from_us(start_us[srt])
    columns["actioned_at"] = ts_from_us(np.where(observed, end_us[srt], NAT_US))
    del weight, start_us, end_us
    columns["action"] = str_take(OUTCOMES, action)
    columns["action_order_id"] = str_column_take(actions.order_col, ev_pos)
    del action, ev_pos
    columns["lag"] = lag[srt]
    columns["lag_lower"] = lower[srt]
    columns["lag_upper"] = upper[srt]
    columns["timing"] = str_take(TIMINGS, timing[srt])
    columns["outcome"] = str_take(OUTCOMES, outcome[srt])
    del lag, lower, upper, timing, outcome
    columns["unit"] = str_take(("hours", "days"), in_days[srt].astype(int))
    columns["observed"] = observed
    columns["censored_at"] = ts_from_us(np.where(observed, NAT_US, scope.as_of_us))
    columns["approximate"] = approximate[srt]
    columns["n_ignored_before_issued"] = pd.array(n_before[srt], dtype="Int64")
    columns["notes"] = str_take(note_labels, note_codes[srt])
    # Named rows stay even at weight 0 (the item is listed; the note says why). Aggregate rows
    # are only made for positive weights.
    return pd.DataFrame(columns, copy=False)


# ----------------------------------------------------------------------------------------------
# Summaries
# ----------------------------------------------------------------------------------------------

SUMMARY_COLUMNS = [
    "order_id",
    "issued_at",
    "as_of",
    "items",
    "actioned",
    "censored",
    "share_actioned",
    "share_unactioned_at_as_of",
    "withheld",
    "suspended",
    "gone",
    "no_outcome",
    "timing_exact",
    "timing_bounded",
    "timing_before_first_check",
    "timing_basis",
    "acted_by",
    "km_median",
    "km_median_earliest",
    "km_median_latest",
    "km_median_ci_lower",
    "km_median_ci_upper",
    "km_q25",
    "km_q25_earliest",
    "km_q25_latest",
    "km_q75",
    "km_q75_earliest",
    "km_q75_latest",
    "unit",
    "deadline",
    "deadline_basis",
    "share_within_deadline",
    "share_within_deadline_min",
    "share_within_deadline_max",
    "notes",
]

#: What an order's lag figures rest on (``timing_basis``).
TIMING_BASES = ("exact", "bounded", "before_first_check", "mixed")


def _timing_basis(exact: np.ndarray, bounded: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Per order: ``exact`` when every action's time is known, ``bounded`` when some are only
    known between two checks, ``before_first_check`` when every action was already there at the
    first check, ``mixed`` when some were and others were not; NA when nothing was acted on."""
    eps = 1e-12
    basis = np.full(len(exact), None, dtype=object)
    basis[(exact > eps) | (bounded > eps) | (first > eps)] = "mixed"
    basis[(first > eps) & (exact <= eps) & (bounded <= eps)] = "before_first_check"
    basis[(first <= eps) & (bounded > eps)] = "bounded"
    basis[(first <= eps) & (bounded <= eps) & (exact > eps)] = "exact"
    return basis


def lag_summary(
    lag_items_df: pd.DataFrame,
    *,
    deadline_hours: float | None = None,
    orders: pd.DataFrame | None = None,
    conf_level: float = 0.95,
    as_of=None,
) -> pd.DataFrame:
    """One row per order: how many items were acted on, how fast, and within the deadline.

    Parameters
    ----------
    lag_items_df
        Output of :func:`lag_items`.
    deadline_hours
        Deadline in hours after ``issued_at`` for orders that state none (e.g. 36).
    orders
        The orders table; its ``deadline_at`` (where stated) takes precedence over
        ``deadline_hours``.
    as_of
        The time the lags were measured to (UTC), shown in ``as_of``; by default the time the
        censored rows are censored at (the latest action, when nothing is censored).

    Returns
    -------
    ``order_id``, ``issued_at``, ``as_of``; ``items`` (population N, weighted);
    ``actioned`` / ``censored`` (items acted on / still waiting at ``as_of``) and their shares
    ``share_actioned`` / ``share_unactioned_at_as_of``.

    Outcomes, apart: ``withheld``, ``suspended``, ``gone`` (items whose outcome that is, acted on
    or not) and ``no_outcome`` (nothing seen).

    How the actions' times are known: ``timing_exact``, ``timing_bounded``,
    ``timing_before_first_check`` (items), ``timing_basis`` (:data:`TIMING_BASES`, NA when
    nothing was acted on) and ``acted_by`` (the latest time an action was seen: with one check,
    the date of that check).

    Kaplan-Meier quantiles in ``unit``: for the median, ``km_median_earliest`` and
    ``km_median_latest`` from the earliest and the latest possible action times (the true
    median lies between them), ``km_median`` only where the two agree (never a midpoint), and
    its confidence interval ``km_median_ci_lower``/``_upper`` (where the times are exact);
    likewise ``km_q25`` (a quarter acted on) and ``km_q75``. A quantile is NaN when it is **not
    reached** (e.g. fewer than half acted on by ``as_of``: the median wait is longer than the time
    observed) - never 0. An order whose every action was already there at the first check
    (``timing_basis`` ``before_first_check``) has no lag figure at all: the data say only that
    it was acted on by ``acted_by``.

    ``deadline`` (in ``unit``; in days the deadline is rounded *up* to whole days, so an action on
    the deadline's day counts as in time), ``deadline_basis`` (``deadline_at`` /
    ``deadline_hours`` / NA when neither is known), ``share_within_deadline_min`` (share of the N
    items certainly acted on by the deadline: latest possible time within it) and
    ``share_within_deadline_max`` (possibly: earliest possible time within it), and
    ``share_within_deadline`` only where the two agree. All three are NA when no deadline is
    known, or when ``as_of`` came before the deadline (``notes`` says so).
    """
    df = lag_items_df
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in SUMMARY_COLUMNS})
    codes, uniq = pd.factorize(df["order_id"].astype("str"), sort=True)
    n = len(uniq)
    w = df["weight"].to_numpy(dtype="float64")
    obs = df["observed"].to_numpy(dtype=bool)
    lower = df["lag_lower"].to_numpy(dtype="float64")
    upper = df["lag_upper"].to_numpy(dtype="float64")
    total = np.bincount(codes, weights=w, minlength=n)
    acted = np.bincount(codes, weights=np.where(obs, w, 0.0), minlength=n)
    first_rows = np.unique(codes, return_index=True)[1]  # codes are 0..n-1
    unit_col = df["unit"].astype("str").to_numpy()[first_rows]
    issued = df["issued_at"].iloc[first_rows].reset_index(drop=True)
    if as_of is not None:
        as_of_value = pd.Timestamp(as_of).tz_convert("UTC")
    else:
        censored_at = df["censored_at"].dropna()
        as_of_value = censored_at.iloc[0] if len(censored_at) else df["actioned_at"].max()
    censor_lag = pd.Series(np.where(obs, np.nan, upper)).groupby(codes).max().reindex(range(n))

    def weighted(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.where(mask, w, 0.0), minlength=n)

    outcome = column_or_na(df, "outcome").astype("str").to_numpy(dtype=object, na_value="")
    by_outcome = {name: weighted(outcome == name) for name in OUTCOMES}
    timing = column_or_na(df, "timing").astype("str").to_numpy(dtype=object, na_value="")
    by_timing = {name: weighted(obs & (timing == name)) for name in TIMINGS}
    basis = _timing_basis(*(by_timing[name] for name in TIMINGS))
    only_first_check = basis == "before_first_check"
    acted_at = utc_us(df["actioned_at"])
    acted_by_us = np.full(n, NAT_US, dtype="int64")
    np.maximum.at(acted_by_us, codes[obs], acted_at[obs])

    earliest = km_grouped(codes, lower, obs, w, conf_level)
    latest = km_grouped(codes, upper, obs, w, conf_level)
    quant = {}
    for q in (0.5, 0.25, 0.75):
        lo = quantiles_grouped(earliest, q, n)["estimate"].to_numpy()
        hi_table = quantiles_grouped(latest, q, n)
        hi = hi_table["estimate"].to_numpy()
        lo = np.where(only_first_check, np.nan, lo)
        hi = np.where(only_first_check, np.nan, hi)
        same = (lo == hi) | (np.isnan(lo) & np.isnan(hi))
        exact = by_timing["bounded"] + by_timing["before_first_check"] <= 1e-12
        quant[q] = {
            "point": np.where(same, hi, np.nan),
            "earliest": lo,
            "latest": hi,
            "ci_lower": np.where(exact, hi_table["lower"].to_numpy(), np.nan),
            "ci_upper": np.where(exact, hi_table["upper"].to_numpy(), np.nan),
        }

    # Deadlines, in hours after issued_at.
    dl_hours = np.full(n, np.nan)
    dl_basis = np.full(n, None, dtype=object)
    if deadline_hours is not None:
        dl_hours[:] = float(deadline_hours)
        dl_basis[:] = "deadline_hours"
    if orders is not None and "deadline_at" in orders.columns:
        od = orders[["order_id", "deadline_at"]].dropna().drop_duplicates("order_id")
        pos = pd.Index(od["order_id"].astype("str")).get_indexer(pd.Index(uniq).astype("str"))
        has = pos >= 0
        dl_us = utc_us(od["deadline_at"])[np.maximum(pos, 0)] if len(od) else np.zeros(n, "int64")
        hours = (dl_us - utc_us(issued)).astype("float64") / HOUR_US
        dl_hours = np.where(has, hours, dl_hours)
        dl_basis = np.where(has, "deadline_at", dl_basis)
    in_days = unit_col == "days"
    deadline = np.where(in_days, np.ceil(dl_hours / 24.0), dl_hours)
    notes = np.full(n, None, dtype=object)
    bad = np.isfinite(deadline) & (deadline < 0)
    notes[bad] = "deadline is before the order was issued; not used"
    deadline = np.where(bad, np.nan, deadline)
    due = deadline[codes] + 1e-9
    with np.errstate(invalid="ignore", divide="ignore"):
        share_min = weighted(obs & (upper <= due)) / np.where(total > 0, total, np.nan)
        share_max = weighted(obs & (lower <= due)) / np.where(total > 0, total, np.nan)
    known = np.isfinite(deadline)
    not_passed = known & (censor_lag.to_numpy() < deadline)
    known &= ~not_passed
    notes[not_passed] = "deadline had not passed at as_of: share within deadline not yet known"
    share_min = np.where(known, share_min, np.nan)
    share_max = np.where(known, share_max, np.nan)
    share_point = np.where(np.abs(share_max - share_min) <= 1e-12, share_min, np.nan)

    out = pd.DataFrame(
        {
            "order_id": pd.array(np.asarray(uniq, dtype=object), dtype="str"),
            "issued_at": issued,
            "as_of": pd.Series([as_of_value] * n, dtype="datetime64[us, UTC]"),
            "items": total,
            "actioned": acted,
            "censored": total - acted,
            "share_actioned": acted / np.where(total > 0, total, np.nan),
            "share_unactioned_at_as_of": (total - acted) / np.where(total > 0, total, np.nan),
            "withheld": by_outcome["withheld"],
            "suspended": by_outcome["suspended"],
            "gone": by_outcome["gone"],
            "no_outcome": total - sum(by_outcome.values()),
            "timing_exact": by_timing["exact"],
            "timing_bounded": by_timing["bounded"],
            "timing_before_first_check": by_timing["before_first_check"],
            "timing_basis": pd.array(basis, dtype="str"),
            "acted_by": ts_from_us(acted_by_us),
        }
    )
    for name, key in (("km_median", 0.5), ("km_q25", 0.25), ("km_q75", 0.75)):
        out[name] = quant[key]["point"]
        out[f"{name}_earliest"] = quant[key]["earliest"]
        out[f"{name}_latest"] = quant[key]["latest"]
        if key == 0.5:
            out[f"{name}_ci_lower"] = quant[key]["ci_lower"]
            out[f"{name}_ci_upper"] = quant[key]["ci_upper"]
    out["unit"] = pd.array(unit_col, dtype="str")
    out["deadline"] = deadline
    out["deadline_basis"] = pd.array(np.where(np.isfinite(deadline), dl_basis, None), dtype="str")
    out["share_within_deadline"] = share_point
    out["share_within_deadline_min"] = share_min
    out["share_within_deadline_max"] = share_max
    out["notes"] = pd.array(notes, dtype="str")
    counts = ["items", "actioned", "censored", "withheld", "suspended", "gone", "no_outcome"]
    for c in [*counts, "timing_exact", "timing_bounded", "timing_before_first_check"]:
        out[c] = out[c].round(9)
    return out[SUMMARY_COLUMNS]


def survival_curve(
    lag_items_df: pd.DataFrame,
    order_id=None,
    *,
    conf_level: float = 0.95,
    bound: str = "latest",
) -> pd.DataFrame:
    """Weighted Kaplan-Meier table of the lags, for charts.

    ``order_id``: one order id, a list of them, or ``None`` for all rows pooled. ``bound``:
    ``latest`` (each action at its latest possible time, ``lag_upper``) or ``earliest``
    (``lag_lower``); where timing is exact the two are the same curve, and where it is not the
    true curve lies between them. Returns the :func:`~analysis.metrics.survival.kaplan_meier`
    columns plus ``unit``. ``survival`` is the share of items **not yet acted on**; ``1 -
    survival`` is the share acted on. If the pooled orders mix days and hours, hours are
    converted to fractional days (/24) with a warning; call ``lag_items(..., unit="days")`` for
    calendar days throughout.
    """
    if bound not in ("latest", "earliest"):
        raise ValueError('bound must be "latest" or "earliest"')
    df = lag_items_df
    if order_id is not None:
        wanted = [order_id] if isinstance(order_id, str) else list(order_id)
        df = df.loc[df["order_id"].isin(wanted)]
    units = sorted(set(df["unit"].dropna().astype("str")))
    lag = df["lag_upper" if bound == "latest" else "lag_lower"].to_numpy(dtype="float64")
    unit_name = units[0] if units else "hours"
    if len(units) > 1:
        warnings.warn(
            "survival_curve: orders measured in days and in hours were pooled; hours were "
            'divided by 24. Use lag_items(..., unit="days") for calendar days throughout.',
            MetricWarning,
            stacklevel=2,
        )
        lag = np.where(df["unit"].astype("str").to_numpy() == "hours", lag / 24.0, lag)
        unit_name = "days"
    table = km_grouped(
        np.zeros(len(df), dtype="int64"),
        lag,
        df["observed"].to_numpy(dtype=bool),
        df["weight"].to_numpy(dtype="float64"),
        conf_level,
    )
    table = table.drop(columns="group").reset_index(drop=True)
    table["unit"] = pd.array([unit_name] * len(table), dtype="str")
    return table[[*KM_COLUMNS, "unit"]]


def survival_band(lag_items_df: pd.DataFrame, order_id=None) -> pd.DataFrame:
    """The share of items not yet acted on over time, as a band: ``survival_earliest`` (every
    action at its earliest possible time) and ``survival_latest`` (at its latest), a step
    function on ``time`` (in ``unit``). Where timing is exact the two columns are equal; the
    true curve lies between them. The band starts at time 0 with both at 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)  # said once, by the latest curve below
        early = survival_curve(lag_items_df, order_id, bound="earliest")
    late = survival_curve(lag_items_df, order_id, bound="latest")
    unit = late["unit"].iloc[0] if len(late) else "hours"
    times = np.union1d(np.union1d(early["time"], late["time"]), [0.0])

    def step(curve: pd.DataFrame) -> np.ndarray:
        idx = np.searchsorted(curve["time"].to_numpy(), times, side="right") - 1
        values = curve["survival"].to_numpy()
        return np.where(idx >= 0, values[np.maximum(idx, 0)] if len(values) else 1.0, 1.0)

    return pd.DataFrame(
        {
            "time": times,
            "survival_earliest": step(early),
            "survival_latest": step(late),
            "unit": pd.array([unit] * len(times), dtype="str"),
        }
    )
