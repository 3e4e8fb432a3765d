"""Empty canonical tables and a fast row take, shared by the kinds and by the clean stages.

:func:`empty_table` gives a zero-row frame with one of :data:`analysis.core.schema.TABLES`'
columns and the pandas dtypes the kinds produce (``Int64``, ``Float64``, ``boolean``, ``str``,
``datetime64[us, UTC]``), so an empty source concatenates cleanly with a full one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.core import schema


def empty_table(name: str) -> pd.DataFrame:
    """A zero-row frame with the table's columns and pandas dtypes."""
    return pd.DataFrame(
        {f.name: pd.Series(dtype=_pandas_dtype(f.type)) for f in schema.TABLES[name]}
    )


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.take(rows)`` with a fresh index, the columns taken two at a time: Arrow's take
    releases the GIL, and on millions of rows copying the columns is most of a sort's cost."""
    rows = np.asarray(rows, dtype="int64")

    def one(name: str) -> pd.Series:
        return frame[name].take(rows).reset_index(drop=True)

    if len(rows) < 100_000 or len(frame.columns) < 2 or not frame.columns.is_unique:
        return frame.take(rows).reset_index(drop=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        columns = list(pool.map(one, frame.columns))
    return pd.DataFrame(dict(zip(frame.columns, columns, strict=True)), copy=False)


def _pandas_dtype(arrow_type) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "datetime64[us, UTC]"
    if pa.types.is_int64(arrow_type):
        return "Int64"
    if pa.types.is_float64(arrow_type):
        return "Float64"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    return "str"
