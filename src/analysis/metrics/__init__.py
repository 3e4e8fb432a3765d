"""Metrics: pure functions, canonical DataFrames in, metric DataFrames out (no file I/O).

docs/methodology.md explains every definition in plain words.
"""

from .lag import MetricWarning, lag_items, lag_summary, survival_curve
from .reversals import anomalies, episodes, reversal_summary
from .snapshots import snapshots_to_events
from .survival import kaplan_meier, km_quantile
from .volume import volume

__all__ = [
    "MetricWarning",
    "anomalies",
    "episodes",
    "kaplan_meier",
    "km_quantile",
    "lag_items",
    "lag_summary",
    "reversal_summary",
    "snapshots_to_events",
    "survival_curve",
    "volume",
]
