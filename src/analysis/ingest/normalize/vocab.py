"""Controlled vocabularies: event names and source kinds as reporters write them."""

from __future__ import annotations

import functools

import pandas as pd

from analysis.core.schema import EVENT_TYPES, SOURCE_KINDS
from analysis.ingest.normalize.handles import parse_distinct

_EVENT_SYNONYMS = {
    "blocked": "withheld",
    "block": "withheld",
    "geo-blocked": "withheld",
    "geoblocked": "withheld",
    "withhold": "withheld",
    "country withheld": "withheld",
    "unblocked": "restored",
    "unblock": "restored",
    "unwithheld": "restored",
    "restore": "restored",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "removed": "deleted",
    "delete": "deleted",
}

_SOURCE_KIND_SYNONYMS = {
    "news": "news_report",
    "news report": "news_report",
    "press": "news_report",
    "platform": "platform_notice",
    "platform notice": "platform_notice",
    "court": "court_filing",
    "court filing": "court_filing",
    "parliament": "parliament_reply",
    "parliament reply": "parliament_reply",
    "api": "snapshot",
}


def _lookup(values: pd.Series, known: tuple[str, ...], synonyms: dict, what: str) -> pd.DataFrame:
    """Once per distinct value (a source-kind default repeats on every row of a big sheet)."""
    parse = functools.partial(_lookup_each, known=known, synonyms=synonyms, what=what)
    return parse_distinct(values, parse)


def _lookup_each(
    values: pd.Series, *, known: tuple[str, ...], synonyms: dict, what: str
) -> pd.DataFrame:
    text = values.astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    text = text.where(values.notna() & (text != ""))
    mapped = text.map(lambda v: synonyms.get(v, v) if isinstance(v, str) else v)
    bad = mapped.notna() & ~mapped.isin(known)
    reason = pd.Series(pd.NA, index=values.index, dtype="str")
    reason[bad] = values[bad].map(
        lambda v: f"{what} {str(v).strip()!r} is not one of {', '.join(known)}"
    )
    return pd.DataFrame({"value": mapped.where(~bad).astype("str"), "reason": reason})


def normalize_event(values: pd.Series) -> pd.DataFrame:
    """Event names to the canonical vocabulary (``blocked`` -> ``withheld``).

    Returns ``value`` and ``reason`` columns; blank cells give null ``value`` and null ``reason``.
    """
    return _lookup(values, EVENT_TYPES, _EVENT_SYNONYMS, "event")


def normalize_source_kind(values: pd.Series) -> pd.DataFrame:
    """Source kinds (``news`` -> ``news_report``); same output shape as :func:`normalize_event`."""
    return _lookup(values, SOURCE_KINDS, _SOURCE_KIND_SYNONYMS, "source type")
