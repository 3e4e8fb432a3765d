"""Declarative checks on the final canonical tables (pandera), turned into reject rows.

The normalisers already reject unreadable cells with a precise reason; these schemas are the
last gate before Parquet. They state the invariants the metrics rely on (vocabularies, key
formats, counts >= 1, unique order ids) in one place, and any row that breaks one is rejected
with the check's description rather than written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.engines import pandas_engine

from analysis.clean.combine import Combined, finish_rejects, rows_among
from analysis.core import schema
from analysis.ingest.canonical import empty_rejects

#: Patterns are RE2 (Arrow's regex engine), matched against the whole value. ``\S`` there is
#: ASCII: the normalisers have already turned Unicode spaces into spaces and refused them.
ITEM_ID = r"^(@[a-z0-9_]{1,20}|tweet:[0-9]{1,25}|url:\S+|#\S+)$"

_timestamp = pa.Column("datetime64[us, UTC]", nullable=False)


def _text(*checks: pa.Check, nullable: bool = True) -> pa.Column:
    return pa.Column("str", checks=list(checks), nullable=nullable)


def _matches(pattern: str, error: str) -> pa.Check:
    """``pattern`` matches, checked by Arrow: pandera's ``str_matches`` goes through pandas,
    which hands any pattern with ``\\S`` or ``\\d`` to Python's ``re`` one row at a time
    (seconds on a sheet of millions of rows). Missing values pass (nullability is separate)."""

    def check(values: pd.Series) -> pd.Series:
        return pd.Series(_matching(values, pattern), index=values.index)

    return pa.Check(check, error=error, name="matches", statistics={"pattern": pattern})


def _matching(values: pd.Series, pattern: str) -> np.ndarray:
    """Where ``values`` match ``pattern`` (RE2), missing values counted as matching."""
    array = pyarrow.array(values.astype("str").array)
    return np.asarray(pc.fill_null(pc.match_substring_regex(array, pattern), True), dtype=bool)


def _vocab(values) -> pa.Check:
    return pa.Check.isin(list(values), error=f"one of {', '.join(values)}")


SCHEMAS = {
    "orders": pa.DataFrameSchema(
        {
            "order_id": _text(pa.Check.str_length(1, 200), nullable=False),
            "country": _text(_matches(r"^[A-Z]{2}$", "ISO 3166 alpha-2")),
            "issued_at": _timestamp,
            "items_listed": pa.Column("Int64", pa.Check.ge(0), nullable=True),
            "time_precision": _text(_vocab(schema.TIME_PRECISIONS), nullable=False),
        },
        unique=["order_id"],
    ),
    "items": pa.DataFrameSchema(
        {
            "order_id": _text(nullable=False),
            "item_id": _text(_matches(ITEM_ID, "item id format"), nullable=False),
            "item_type": _text(_vocab(schema.ITEM_TYPES), nullable=False),
            "handle": _text(_matches(r"^[a-z0-9_]{1,20}$", "valid handle")),
            "tweet_id": _text(_matches(r"^[0-9]{1,25}$", "digits only")),
        }
    ),
    "events": pa.DataFrameSchema(
        {
            "event": _text(_vocab(schema.EVENT_TYPES), nullable=False),
            "at": _timestamp,
            "timing": _text(_vocab(schema.TIMINGS), nullable=False),
            "n_items": pa.Column("Int64", pa.Check.ge(1), nullable=False),
            "time_precision": _text(_vocab(schema.TIME_PRECISIONS), nullable=False),
        }
    ),
    "checks": pa.DataFrameSchema(
        {
            "item_id": _text(_matches(ITEM_ID, "item id format"), nullable=False),
            "checked_at": _timestamp,
            "state": _text(_vocab(schema.CHECK_STATES), nullable=False),
            "countries": _text(_matches(r"^[A-Z]{2}(,[A-Z]{2})*$", "comma-separated codes")),
            "time_precision": _text(_vocab(schema.TIME_PRECISIONS), nullable=False),
        }
    ),
    "transparency": pa.DataFrameSchema(
        {
            "period_start": _timestamp,
            "period_end": _timestamp,
            "compliance_rate": pa.Column(
                "Float64", pa.Check.in_range(0, 100), nullable=True, coerce=True
            ),
        }
    ),
}


def validate_tables(combined: Combined) -> Combined:
    """Check every table against :data:`SCHEMAS`; failing rows become rejects and leave."""
    extra = []
    tables = dict(combined.tables)
    for name in SCHEMAS:
        tables[name], found = validate_frame(name, tables[name])
        if len(found):
            extra.append(found)
    if not extra:
        return combined
    rejects = finish_rejects([combined.rejects, *extra]).astype(empty_rejects().dtypes.to_dict())
    # A row rejected in one table is rejected in all (e.g. a wide-handle row's events).
    rows = rejects[rejects["level"] == "row"]
    for name, frame in tables.items():
        tables[name] = frame[~rows_among(frame, rows)].reset_index(drop=True)
    return Combined(tables, rejects, combined.duplicates)


#: The schemas' checks, vectorised: name -> (values, statistics) -> every value passes. Missing
#: values pass (every check here ignores them; nullability is checked on its own).
_FAST_CHECKS = {
    "isin": lambda v, st: _all(pc.is_in(_arrow(v), value_set=pyarrow.array(st["allowed_values"]))),
    "matches": lambda v, st: bool(_matching(v, st["pattern"]).all()),
    "str_length": lambda v, st: _all(
        pc.and_(
            pc.greater_equal(pc.utf8_length(_arrow(v)), st["min_value"]),
            pc.less_equal(pc.utf8_length(_arrow(v)), st["max_value"]),
        )
    ),
    "greater_than_or_equal_to": lambda v, st: bool((v.dropna() >= st["min_value"]).all()),
}


def passes(name: str, frame: pd.DataFrame) -> bool:
    """Whether ``frame`` passes table ``name``'s schema, decided without pandera (whose
    machinery costs more than the checks on a piece of 100,000 rows). ``False`` may also mean
    "not sure" (a check it cannot run): :func:`validate_frame` then asks pandera."""
    schema_ = SCHEMAS[name]
    if schema_.unique or schema_.strict or schema_.coerce:
        return False
    for column_name, column in schema_.columns.items():
        if column_name not in frame.columns or column.coerce or column.unique:
            return False
        values = frame[column_name]
        if not column.dtype.check(pandas_engine.Engine.dtype(values.dtype)):
            return False
        if not column.nullable and values.isna().any():
            return False
        for check in column.checks:
            fast = _FAST_CHECKS.get(check.name)
            if fast is None or not check.ignore_na or check.groupby is not None:
                return False
            if len(values) and not fast(values, check.statistics):
                return False
    return True


def _arrow(values: pd.Series) -> pyarrow.Array:
    array = pyarrow.array(values.astype("str").array)
    return array.combine_chunks() if isinstance(array, pyarrow.ChunkedArray) else array


def _all(mask) -> bool:
    """Every value true; missing ones count as true."""
    return bool(pc.all(pc.fill_null(mask, True)).as_py())


def validate_frame(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` without the rows that fail table ``name``'s schema, and one reject per
    failure (empty when every row passes)."""
    if passes(name, frame):  # nearly always: pandera then only has to name the failures
        return frame, empty_rejects()
    try:
        SCHEMAS[name].validate(frame, lazy=True)
        return frame, empty_rejects()
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    rows = cases[cases["index"].notna()]
    if len(rows) != len(cases):
        # A column-level failure (wrong dtype, missing column) is a bug here, not bad data.
        raise RuntimeError(f"{name} table does not match its schema:\n{cases}")
    index = rows["index"].astype(int).to_numpy()
    found = frame.loc[index]
    rejects = pd.DataFrame(
        {
            "source_file": found["source_file"].to_numpy(),
            "source_row": found["source_row"].to_numpy(),
            "column": rows["column"].astype("str").to_numpy(),
            "value": rows["failure_case"].astype("str").to_numpy(),
            "reason": [
                f"{name}.{c} fails the check {check}"
                for c, check in zip(rows["column"], rows["check"], strict=True)
            ],
            "level": "row",
        }
    )
    kept = frame.drop(index=sorted(set(index))).reset_index(drop=True)
    return kept, rejects.astype(empty_rejects().dtypes.to_dict())
