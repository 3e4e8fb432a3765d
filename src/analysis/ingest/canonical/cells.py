"""A raw frame read by canonical column name, and the cell-text helpers every kind uses.

:class:`Cells` gives the cells of a canonical column (through the file header mapped to it, or
the source's default when the file has none), as raw values or as stripped text, and parses
them with a normaliser, writing what cannot be read to the source's
:class:`~analysis.ingest.canonical.rejects.RejectLog`. The frame's index is ``source_row``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.core.text import INVISIBLE_CLASS
from analysis.ingest.canonical.headers import match_headers
from analysis.ingest.canonical.rejects import RejectLog
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.handles import ARROW_TEXT
from analysis.ingest.normalize.platforms import normalize_country
from analysis.ingest.readers.tabular import RawTable
from analysis.ingest.sources import Source


class Cells:
    """Access to a raw frame by canonical column name; problems go to ``log``.

    Unmapped headers are kept in ``notes`` (or ignored, as the source says), with a message.
    Cells named in ``[source.values]`` are read as the value given there, and ``notes`` keeps
    what the file said; so do countries read through a former name or a misspelling.
    """

    def __init__(self, source: Source, raw: RawTable, log: RejectLog):
        self.source = source
        self.raw = raw
        self.log = log
        # The index is the source row; unnamed here so it never clashes with the column.
        self.frame = raw.frame.rename_axis(None)
        self.index = self.frame.index
        self.file = source.name
        self.headers = match_headers(source, raw)
        self._unmapped_notes = self._collect_unmapped()
        self._notes: list[pd.Series] = []
        self._replace_values()

    def _replace_values(self) -> None:
        """Apply ``[source.values]`` to the mapped cells (ignoring case and outer spaces),
        noting each replacement on its row."""
        for canonical, mapping in self.source.values.items():
            lookup = {k.strip().casefold(): v for k, v in mapping.items()}
            # A country map applies to a name column too (transparency kinds read both).
            names = ("country", "country_name") if canonical == "country" else (canonical,)
            for header in [h for name in names for h in self.headers.get(name, [])]:
                text = cell_text(self.frame[header])
                new = text.str.casefold().map(lookup)
                hit = new.notna() & text.notna()
                if not hit.any():
                    continue
                column = self.frame[header].astype(object).where(~hit, new)
                # A new frame, so the reader's frame keeps the file as it was.
                self.frame = self.frame.assign(**{header: column})
                self._notes.append(
                    (
                        header
                        + ' "'
                        + text
                        + '" read as "'
                        + new.astype("str")
                        + '" ([source.values] in sources.toml)'
                    ).where(hit)
                )
                self.log.messages.append(
                    f"{int(hit.sum())} {header!r} cells replaced as [source.values] says"
                )

    def _collect_unmapped(self) -> pd.Series | None:
        used = {h for hs in self.headers.values() for h in hs}
        extra = [h for h in self.frame.columns if h not in used]
        #: The file's headers no canonical column is read from, in file order.
        self.unmapped = extra
        if not extra:
            return None
        if self.source.unmapped == "ignore":
            self.log.messages.append(f"ignored unmapped columns: {', '.join(extra)}")
            return None
        self.log.messages.append(f"unmapped columns kept in notes: {', '.join(extra)}")
        return join_notes(*(f"{h}: " + cell_text(self.frame[h]) for h in extra))

    # -- values ----------------------------------------------------------------------------

    def has(self, canonical: str) -> bool:
        return canonical in self.headers or canonical in self.source.defaults

    def header(self, canonical: str) -> str:
        headers = self.headers.get(canonical)
        return headers[0] if headers else f"(default {canonical})"

    def get(self, canonical: str, header: str | None = None) -> pd.Series:
        """Raw cells of a canonical column (or one given header); the default fills absence."""
        if header is not None:
            return self.frame[header]
        if canonical in self.headers:
            return self.frame[self.headers[canonical][0]]
        if canonical in self.source.defaults:
            return pd.Series(self.source.defaults[canonical], index=self.index, dtype=object)
        return pd.Series(None, index=self.index, dtype=object)

    def normalized(
        self, canonical: str, normalize: Callable[[pd.Series], pd.DataFrame]
    ) -> pd.DataFrame:
        """``normalize(self.get(canonical))``; a column the file lacks holds the source's default
        in every row, which is normalised once and repeated (``normalize`` must map each value on
        its own, as every normaliser here does)."""
        if canonical in self.headers or canonical not in self.source.defaults:
            return normalize(self.get(canonical))
        one = normalize(pd.Series([self.source.defaults[canonical]], dtype=object))
        out = one.iloc[np.zeros(len(self.index), dtype=np.int64)]
        out.index = self.index
        return out

    def text(self, canonical: str) -> pd.Series:
        """A text column: stripped strings, blank -> NA. Order ids also lose invisible
        characters (:func:`visible_id`)."""
        values = cell_text(self.get(canonical))
        return visible_id(values) if canonical == "order_id" else values

    def notes(self) -> pd.Series:
        """The ``notes`` column, then the notes this reading added (values replaced,
        countries read through a former name), then the unmapped columns."""
        parts = [self.text("notes"), *self._notes]
        if self._unmapped_notes is not None:
            parts.append(self._unmapped_notes)
        return join_notes(*parts)

    def note(self, note: pd.Series) -> None:
        """Add a note (NA where none) to every table row :meth:`notes` gives from now on."""
        self._notes.append(note)

    def country(self, canonical: str = "country", values: pd.Series | None = None) -> pd.Series:
        """ISO codes of a country column (or of ``values``, read as if from it); unreadable
        ones are rejected, and one read through a former name, a misspelling or ``XK`` keeps
        what the file said in ``notes``."""
        raw = self.get(canonical) if values is None else values
        if values is None:  # a default country is read once, not once per row
            parsed = self.normalized(canonical, normalize_country)
        else:
            parsed = normalize_country(values)
        self.log.reject(parsed["reason"].notna(), self.header(canonical), raw, parsed["reason"])
        if parsed["note"].notna().any():
            self.note(self.header(canonical) + ": " + parsed["note"])
        return parsed["value"]

    def provenance(self) -> dict[str, pd.Series]:
        return {
            "source_file": pd.Series(self.file, index=self.index, dtype="str"),
            "source_row": pd.Series(self.index, index=self.index, dtype="int64"),
        }

    def no_times(self) -> pd.Series:
        return pd.Series(pd.NaT, index=self.index, dtype="datetime64[us, UTC]")

    # -- values checked on the way (problems go to the log) --------------------------------

    def required(self, canonical: str, values: pd.Series, what: str | None = None) -> None:
        blank = values.isna()
        self.log.reject(
            blank,
            self.header(canonical),
            values,
            pd.Series(f"{what or canonical} is blank but required", index=self.index),
        )

    def parsed(self, canonical: str, result: pd.DataFrame, header: str | None = None) -> None:
        """Reject the rows a normaliser gave a reason for."""
        raw = self.get(canonical, header)
        self.log.reject(
            result["reason"].notna(), header or self.header(canonical), raw, result["reason"]
        )

    def dates(self, canonical: str, header: str | None = None) -> pd.DataFrame:
        result = parse_datetimes(
            self.get(canonical, header),
            timezone=self.source.timezone,
            dayfirst=self.source.dayfirst,
        )
        self.parsed(canonical, result, header)
        return result


def cell_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; blank and missing -> NA (vectorised)."""
    text = values.astype("str").str.strip()
    return text.mask(text == "").astype("str")


def visible_id(values: pd.Series) -> pd.Series:
    """Ids without invisible characters (:data:`~analysis.core.text.INVISIBLE`; joiners stay, they
    shape Devanagari); an id of nothing else -> NA."""
    text = values.astype("str")
    # Every invisible character is outside ASCII: only those values go through the regex.
    odd = ~text.str.isascii().fillna(True).to_numpy(dtype=bool)
    if odd.any():
        text = text.copy()
        text[odd] = text[odd].str.replace(INVISIBLE_CLASS, "", regex=True)
    cleaned = text.str.strip()
    return cleaned.mask(cleaned == "").astype("str")


def join_notes(*parts: pd.Series) -> pd.Series:
    """Join note fragments row by row with ``"; "``, skipping missing ones (NA when none)."""
    out = None
    for part in parts:
        part = part.astype("str")
        if out is None:
            out = part
            continue
        both = out.notna() & part.notna()
        out = out.fillna(part)
        out[both] = out[both] + "; " + part[both]
    return out.astype("str")


def extract_groups(text: pd.Series, pattern: str) -> pd.DataFrame:
    """``str.extract`` run by Arrow's regex engine (pandas' ``str`` dtype would go value by
    value); groups that did not match are NA."""
    found = text.astype(ARROW_TEXT).str.extract(pattern)
    return found.mask(found == "").astype("str")


def flag(mask: pd.Series) -> pd.Series:
    """A boolean Series with missing -> False."""
    return mask.fillna(False).astype(bool)
