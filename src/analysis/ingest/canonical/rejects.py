"""The reject log: what one source's rows could not give, and which rows were left out on purpose.

A reject row names the file, the 1-based ``source_row``, the file's own header in ``column``, the
cell as written in ``value`` (clipped at 200 characters) and one sentence in ``reason``;
``level`` is ``row`` (the whole row is left out) or ``item`` (one item of a row that is kept).
Rows come out in the order they were recorded: the reader's problems first, then each check in
the order the kind's builder ran it. A row dropped on purpose (a transparency table's ``Total``
row) is listed in ``dropped`` with its reason and is never also a reject.
"""

from __future__ import annotations

import pandas as pd

from analysis.core import schema
from analysis.ingest.readers.tabular import RowProblem

REJECT_COLUMNS = schema.REJECTS.names


_EMPTY_REJECTS: pd.DataFrame | None = None


def empty_rejects() -> pd.DataFrame:
    """A zero-row rejects table (a fresh copy: callers may add to it)."""
    global _EMPTY_REJECTS
    if _EMPTY_REJECTS is None:  # built once: a frame of typed columns costs milliseconds
        _EMPTY_REJECTS = pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS}).astype(
            {"source_row": "Int64"}
        )
    return _EMPTY_REJECTS.copy()


def empty_dropped() -> pd.DataFrame:
    return pd.DataFrame({"source_row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")})


def rejects_frame(records: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Reject rows with the rejects table's columns and dtypes (zero rows allowed); a missing
    ``level`` is ``row``."""
    frame = pd.DataFrame(records, columns=REJECT_COLUMNS)
    frame["level"] = frame["level"].astype("str").fillna("row")
    return frame.astype(empty_rejects().dtypes.to_dict())


class RejectLog:
    """Problems, rows dropped on purpose and messages for one source, in the order recorded.

    ``rows`` is the raw frame's index (the source rows); ``messages`` starts with the reader's
    and collects what the summary should say about the source (it is shared, not copied, by
    whoever adds to it).
    """

    def __init__(
        self,
        file: str,
        rows: pd.Index,
        messages: list[str] | None = None,
        problems: list[RowProblem] | None = None,
    ):
        self.file = file
        self.index = rows
        self.messages: list[str] = list(messages or [])
        self._problems: list[pd.DataFrame] = []
        self._dropped: list[pd.DataFrame] = []
        if problems:
            self._problems.append(
                pd.DataFrame(
                    {
                        "source_row": [p.row for p in problems],
                        "column": [p.column for p in problems],
                        "value": [p.value for p in problems],
                        "reason": [p.reason for p in problems],
                    }
                )
            )

    def reject(
        self,
        mask: pd.Series,
        column: str | pd.Series,
        values: pd.Series,
        reasons: pd.Series | str,
    ) -> None:
        """Record a problem for each row where ``mask`` is true (the whole row is rejected).
        ``column`` names the file's header, or gives one per row."""
        if isinstance(reasons, str):
            reasons = pd.Series(reasons, index=self.index)
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        self._problems.append(
            pd.DataFrame(
                {
                    "source_row": self.index[mask.to_numpy()],
                    "column": column if isinstance(column, str) else column[mask].to_numpy(),
                    "value": values[mask].map(_display).to_numpy(),
                    "reason": reasons[mask].astype("str").to_numpy(),
                }
            )
        )

    def reject_items(
        self, rows: pd.Series, columns: pd.Series, values: pd.Series, reasons: pd.Series
    ) -> None:
        """Record problems with single items inside rows that are otherwise kept."""
        if len(rows):
            self._problems.append(
                pd.DataFrame(
                    {
                        "source_row": rows.to_numpy(),
                        "column": columns.to_numpy(),
                        "value": values.map(_display).to_numpy(),
                        "reason": reasons.astype("str").to_numpy(),
                        "level": "item",
                    }
                )
            )

    def drop(self, mask: pd.Series, reason: str) -> None:
        """Leave rows out on purpose (not an error); the manifest counts them."""
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rows = self.index[mask.to_numpy()]
            self._dropped.append(pd.DataFrame({"source_row": rows, "reason": reason}))
            self.messages.append(f"row {', '.join(map(str, rows))} dropped: {reason}")

    def dropped(self) -> pd.DataFrame:
        if not self._dropped:
            return empty_dropped()
        return pd.concat(self._dropped, ignore_index=True).astype(empty_dropped().dtypes)

    def dropped_rows(self) -> set[int]:
        return {int(r) for r in self.dropped()["source_row"]}

    def bad_rows(self) -> set[int]:
        """Rows with a row-level reject (item-level rejects leave their row in)."""
        rejects = self.rejects()
        rows = rejects.loc[rejects["level"] == "row", "source_row"]
        return set(rows.dropna().astype(int))

    def rejects(self) -> pd.DataFrame:
        if not self._problems:
            return empty_rejects()
        out = pd.concat(self._problems, ignore_index=True)
        out.insert(0, "source_file", self.file)
        out["level"] = out["level"].fillna("row") if "level" in out else "row"
        out = out.astype({"source_row": "Int64"})
        # A row dropped on purpose (a Total row) is not also a problem.
        out = out[~out["source_row"].isin(self.dropped_rows())].reset_index(drop=True)
        return out[REJECT_COLUMNS].astype(
            {c: "str" for c in ("source_file", "column", "value", "reason", "level")}
        )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _display(value: object) -> str | None:
    """A raw cell as text for the rejects table (long cells are clipped, not lost in meaning)."""
    if _blank(value):
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"
