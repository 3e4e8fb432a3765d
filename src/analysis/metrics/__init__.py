"""Metrics: pure functions, canonical DataFrames in, metric DataFrames out (no file I/O).

docs/methodology.md explains every definition in plain words.
"""

from analysis.core.errors import MetricWarning

from .lag import (
    ACTED_DEFAULT,
    OUTCOMES,
    TIMINGS,
    acted_outcomes,
    lag_items,
    lag_summary,
    survival_band,
    survival_curve,
)
from .reversals import anomalies, episodes, reversal_summary
from .survival import kaplan_meier, km_quantile
from .volume import volume

__all__ = [
    "ACTED_DEFAULT",
    "OUTCOMES",
    "TIMINGS",
    "acted_outcomes",
    "MetricWarning",
    "anomalies",
    "episodes",
    "kaplan_meier",
    "km_quantile",
    "lag_items",
    "lag_summary",
    "reversal_summary",
    "survival_band",
    "survival_curve",
    "volume",
]
