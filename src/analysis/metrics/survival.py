"""Kaplan-Meier product-limit estimation for right-censored durations, with case weights.

Used for "how long did the platform take to act?" (see :mod:`analysis.metrics.lag`), where
items not yet acted on are *right-censored*: we know only that their wait is at least as long as
the time from the order to ``as_of``. Dropping them, or counting them as zero, would make the
platform look faster than it was; Kaplan-Meier uses them correctly.

Conventions (the same as R's ``survival::survfit`` and lifelines):

* ``survival`` at a time ``t`` is the estimated share of items **not yet acted on** just after
  ``t``. A duration of 0 is allowed (acted on at the moment of the order).
* At a tied time, events are counted before censorings: an item censored at ``t`` is still
  "at risk" at ``t``.
* Weights are case weights: a row with weight 126 is 126 identical items. Fractional weights are
  allowed. The variance is Greenwood's formula on the weighted counts, which equals the unweighted
  estimator on the expanded data when weights are whole numbers.
* The pointwise confidence interval is the log-log ("exponential Greenwood") interval, which
  always stays inside [0, 1].
* Quantiles: the estimate of the ``q`` quantile is the first time at which the survival drops to
  ``1 - q`` or below; its confidence interval is read off the pointwise band in the way of
  Brookmeyer and Crowley (1982), as R does. If the curve never drops that far the quantile is
  **not reached** and is returned as ``NaN`` - never as 0 or as the last observed time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KM_COLUMNS = [
    "time",
    "at_risk",
    "events",
    "censored",
    "survival",
    "std_err",
    "ci_lower",
    "ci_upper",
]

#: Tolerance when comparing a survival value with ``1 - q`` (sums of weights are floats).
_EPS = 1e-10


def _as_float_array(values, name: str) -> np.ndarray:
    arr = np.asarray(pd.array(values, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def _check_inputs(durations, observed, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = _as_float_array(durations, "durations")
    obs_series = pd.Series(observed, dtype=object)
    if obs_series.isna().any():
        raise ValueError("observed must not contain missing values")
    d = np.asarray(obs_series, dtype=bool)
    if len(d) != len(t):
        raise ValueError("durations and observed must have the same length")
    if weights is None:
        w = np.ones(len(t), dtype="float64")
    else:
        w = _as_float_array(weights, "weights")
        if len(w) != len(t):
            raise ValueError("durations and weights must have the same length")
        if np.isnan(w).any() or (w < 0).any():
            raise ValueError("weights must be non-negative numbers")
    if np.isnan(t).any():
        raise ValueError("durations must not contain missing values")
    if (t < 0).any():
        raise ValueError("durations must not be negative")
    return t, d, w


def km_grouped(
    groups: np.ndarray,
    durations: np.ndarray,
    observed: np.ndarray,
    weights: np.ndarray,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan-Meier tables for many groups at once, fully vectorised.

    ``groups`` are non-negative integer codes. Returns :data:`KM_COLUMNS` plus ``group``, sorted
    by group and time, one row per distinct (group, time). Rows with weight 0 are ignored.
    """
    keep = weights > 0
    g = np.asarray(groups, dtype="int64")[keep]
    t = durations[keep]
    d = observed[keep]
    w = weights[keep]
    frame = pd.DataFrame(
        {"group": g, "time": t, "ev": np.where(d, w, 0.0), "cen": np.where(d, 0.0, w)}
    )
    tab = frame.groupby(["group", "time"], sort=True).sum().reset_index()
    if tab.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in ["group", *KM_COLUMNS]}).astype(
            {"group": "int64"}
        )
    grp = tab["group"].to_numpy()
    ev = tab["ev"].to_numpy()
    cen = tab["cen"].to_numpy()
    tot = ev + cen
    # at risk at t = weight of the group's rows with time >= t (a reversed cumulative sum).
    rev_cum = pd.Series(tot[::-1]).groupby(grp[::-1]).cumsum().to_numpy()[::-1]
    n = rev_cum
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 0, 1.0 - ev / n, 1.0)
        factor = np.clip(factor, 0.0, 1.0)
        surv = pd.Series(factor).groupby(grp).cumprod().to_numpy()
        term = np.where(ev > 0, ev / (n * (n - ev)), 0.0)
        greenwood = pd.Series(term).groupby(grp).cumsum().to_numpy()
        std_err = surv * np.sqrt(greenwood)
        from scipy.special import ndtri  # here, not at import: scipy costs 0.2 s to import

        z = float(ndtri(1.0 - (1.0 - conf_level) / 2.0))
        log_s = np.log(surv)
        se_theta = np.sqrt(greenwood) / np.abs(log_s)
        inner = (surv > 0) & (surv < 1) & np.isfinite(se_theta)
        lower = np.where(inner, surv ** np.exp(z * se_theta), surv)
        upper = np.where(inner, surv ** np.exp(-z * se_theta), surv)
    std_err = np.where(surv == 0, np.nan, std_err)
    return pd.DataFrame(
        {
            "group": grp,
            "time": tab["time"].to_numpy(),
            "at_risk": n,
            "events": ev,
            "censored": cen,
            "survival": surv,
            "std_err": std_err,
            "ci_lower": lower,
            "ci_upper": upper,
        }
    )


def kaplan_meier(durations, observed, weights=None, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Weighted Kaplan-Meier (product-limit) estimate of the survival curve.

    Parameters
    ----------
    durations
        Time from the start (e.g. the order) to the event or to censoring, in any one unit
        (the output ``time`` is in the same unit). Must be >= 0 and not missing.
    observed
        True where the event happened at that time, False where the row is right-censored
        (still waiting when observation stopped). Must not be missing.
    weights
        Optional case weights (>= 0; a row with weight N stands for N identical items).
        Rows with weight 0 are ignored. Default: every row counts once.
    conf_level
        Confidence level of the pointwise log-log interval (default 95%).

    Returns
    -------
    DataFrame with one row per distinct time (events or censorings), sorted by time:
    ``time``; ``at_risk`` (weight still waiting just before ``time``); ``events`` and
    ``censored`` (weight ending at ``time`` by event / by censoring); ``survival`` (share still
    waiting just after ``time``); ``std_err`` (Greenwood; NaN once survival is 0);
    ``ci_lower`` / ``ci_upper`` (log-log interval; equal to ``survival`` where it is 1 or 0).
    No artificial row at time 0 is added; the curve is 1 before the first row.
    Empty input gives an empty frame with these columns.
    """
    t, d, w = _check_inputs(durations, observed, weights)
    table = km_grouped(np.zeros(len(t), dtype="int64"), t, d, w, conf_level)
    return table.drop(columns="group").reset_index(drop=True)


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float:
    hit = np.flatnonzero(values <= level + _EPS)
    return float(times[hit[0]]) if hit.size else math.nan


def km_quantile(km: pd.DataFrame, q: float = 0.5) -> tuple[float, float, float]:
    """The time by which a share ``q`` of items had the event, with its confidence interval.

    ``q=0.5`` gives the median time, ``0.25`` / ``0.75`` the quartiles. ``km`` is a table from
    :func:`kaplan_meier`. Returns ``(estimate, lower, upper)`` in the unit of ``km.time``:

    * ``estimate``: first time at which ``survival <= 1 - q``;
    * ``lower``: first time at which the band's ``ci_lower <= 1 - q``;
    * ``upper``: first time at which the band's ``ci_upper <= 1 - q``.

    Each is ``NaN`` when the curve (or that edge of the band) never drops to ``1 - q``: the
    quantile is **not reached** in the data - for a median, fewer than half the items had the
    event by the end of observation. ``NaN`` here means "longer than we have watched", not 0.
    """
    if not 0 < q < 1:
        raise ValueError("q must be strictly between 0 and 1")
    if km.empty:
        return (math.nan, math.nan, math.nan)
    times = km["time"].to_numpy(dtype="float64")
    level = 1.0 - q
    return (
        _first_time_at_or_below(times, km["survival"].to_numpy(dtype="float64"), level),
        _first_time_at_or_below(times, km["ci_lower"].to_numpy(dtype="float64"), level),
        _first_time_at_or_below(times, km["ci_upper"].to_numpy(dtype="float64"), level),
    )


def quantiles_grouped(table: pd.DataFrame, q: float, n_groups: int) -> pd.DataFrame:
    """Per-group quantile (estimate, lower, upper) from a :func:`km_grouped` table.

    Returns a frame indexed 0..n_groups-1 with columns ``estimate``, ``lower``, ``upper``
    (NaN where not reached or where the group has no rows).
    """
    level = 1.0 - q + _EPS
    out = {}
    for col, name in (("survival", "estimate"), ("ci_lower", "lower"), ("ci_upper", "upper")):
        hit = table.loc[table[col] <= level, ["group", "time"]]
        first = hit.groupby("group", sort=False)["time"].min()
        out[name] = first.reindex(range(n_groups)).to_numpy(dtype="float64")
    return pd.DataFrame(out)
