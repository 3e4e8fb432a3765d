"""Kaplan-Meier: a textbook example with its published numbers, and scipy as a cross-check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.metrics.survival import kaplan_meier, km_quantile

# Freireich et al. (1963) 6-MP arm, as tabulated in Kleinbaum & Klein, "Survival Analysis",
# and Klein & Moeschberger Table 4.1A: weeks in remission, * = censored.
# 6,6,6,6*,7,9*,10,10*,11*,13,16,17*,19*,20*,22,23,25*,32*,32*,34*,35*
SIX_MP_TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]

# Published product-limit estimates and Greenwood standard errors at the event times.
SIX_MP_TABLE = {
    # time: (at risk, events, S(t), SE)
    6: (21, 3, 0.857, 0.076),
    7: (17, 1, 0.807, 0.087),
    10: (15, 1, 0.753, 0.096),
    13: (12, 1, 0.690, 0.107),
    16: (11, 1, 0.627, 0.114),
    22: (7, 1, 0.538, 0.128),
    23: (6, 1, 0.448, 0.135),
}


@pytest.fixture
def six_mp():
    return kaplan_meier(SIX_MP_TIMES, np.array(SIX_MP_EVENT, dtype=bool))


def test_textbook_survival_at_risk_and_greenwood(six_mp):
    km = six_mp.set_index("time")
    for t, (n, d, s, se) in SIX_MP_TABLE.items():
        row = km.loc[float(t)]
        assert row["at_risk"] == n
        assert row["events"] == d
        assert row["survival"] == pytest.approx(s, abs=0.0005)
        assert row["std_err"] == pytest.approx(se, abs=0.0005)
    # censored-only times are rows too, and the curve is flat there
    assert km.loc[9.0, "events"] == 0 and km.loc[9.0, "censored"] == 1
    assert km.loc[9.0, "survival"] == km.loc[7.0, "survival"]
    # the last observation is censored: the curve ends at 0.448, not 0
    assert six_mp["survival"].iloc[-1] == pytest.approx(0.448, abs=0.0005)


def test_textbook_log_log_interval_by_hand(six_mp):
    # At t=6: S = 18/21, Greenwood sum = 3 / (21 * 18).
    s = 18 / 21
    se_theta = math.sqrt(3 / (21 * 18)) / abs(math.log(s))
    lower = s ** math.exp(1.959963984540054 * se_theta)
    upper = s ** math.exp(-1.959963984540054 * se_theta)
    row = six_mp.iloc[0]
    assert row["ci_lower"] == pytest.approx(lower, rel=1e-9)  # 0.620
    assert row["ci_upper"] == pytest.approx(upper, rel=1e-9)  # 0.952
    assert round(row["ci_lower"], 3) == 0.620 and round(row["ci_upper"], 3) == 0.952


def test_textbook_median_and_its_interval(six_mp):
    # Median 23 weeks; 95% CI from the log-log band: lower 13, upper not reached (the upper
    # band never falls to 0.5) - as R's survfit reports for these data ("0.95UCL NA").
    estimate, lower, upper = km_quantile(six_mp, 0.5)
    assert estimate == 23
    assert lower == 13
    assert math.isnan(upper)
    # First quartile: S first <= 0.75 at t=13 (S(10) = 0.753 is still above).
    assert km_quantile(six_mp, 0.25)[0] == 13
    # Third quartile: the curve never drops to 0.25 -> not reached (NaN), never 0. The lower
    # band does (0.188 at t=23), so the interval's lower end is known: "at least 23 weeks".
    est, lower, upper = km_quantile(six_mp, 0.75)
    assert math.isnan(est) and math.isnan(upper)
    assert lower == 23


def test_not_reached_when_nothing_happened():
    km = kaplan_meier([5, 5, 7], [False, False, False])
    assert (km["survival"] == 1).all()
    est, lo, hi = km_quantile(km, 0.5)
    assert math.isnan(est) and math.isnan(lo) and math.isnan(hi)


def test_everything_at_time_zero_is_a_zero_median():
    # Acted on at the moment of the order: a real 0, distinct from "not reached".
    km = kaplan_meier([0, 0, 0, 4], [True, True, True, False])
    assert km_quantile(km, 0.5)[0] == 0


@pytest.mark.filterwarnings("ignore:The confidence interval is undefined")
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_matches_scipy_ecdf_on_random_censored_data(seed):
    rng = np.random.default_rng(seed)
    n = 200
    times = rng.integers(0, 40, n).astype(float)  # many ties
    observed = rng.random(n) < 0.6
    km = kaplan_meier(times, observed)
    res = stats.ecdf(stats.CensoredData(uncensored=times[observed], right=times[~observed]))
    t = km["time"].to_numpy()
    np.testing.assert_allclose(km["survival"], res.sf.evaluate(t), rtol=1e-12, atol=1e-12)
    ci = res.sf.confidence_interval(0.95, method="log-log")
    inside = (km["survival"] > 0) & (km["survival"] < 1)
    np.testing.assert_allclose(km["ci_lower"][inside], ci.low.evaluate(t)[inside], rtol=1e-9)
    np.testing.assert_allclose(km["ci_upper"][inside], ci.high.evaluate(t)[inside], rtol=1e-9)


def test_integer_weights_equal_expanded_rows():
    rng = np.random.default_rng(7)
    times = rng.integers(1, 20, 30).astype(float)
    observed = rng.random(30) < 0.7
    weights = rng.integers(1, 5, 30)
    weighted = kaplan_meier(times, observed, weights)
    expanded = kaplan_meier(np.repeat(times, weights), np.repeat(observed, weights))
    for col in ("time", "at_risk", "events", "censored", "survival", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(weighted[col], expanded[col], rtol=1e-12)


def test_zero_weights_are_ignored_and_bad_input_raises():
    km = kaplan_meier([1, 2, 3], [True, True, True], [1, 0, 1])
    assert list(km["time"]) == [1.0, 3.0]
    with pytest.raises(ValueError):
        kaplan_meier([-1, 2], [True, True])
    with pytest.raises(ValueError):
        kaplan_meier([1, float("nan")], [True, True])
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [True, True], [1, -1])
    with pytest.raises(ValueError):
        km_quantile(km, 1.5)


def test_empty_input_gives_empty_table():
    km = kaplan_meier([], [])
    assert km.empty
    assert list(km.columns) == [
        "time",
        "at_risk",
        "events",
        "censored",
        "survival",
        "std_err",
        "ci_lower",
        "ci_upper",
    ]
    assert all(math.isnan(v) for v in km_quantile(km, 0.5))
