"""The checks feed: status-check files -> the checks dataset (``takedowns append``).

A newsroom that looks up its accounts every day gets a new file every day. Each is read exactly
as ``takedowns clean`` reads a source (the kind's reader, then :func:`analysis.canonical
.to_canonical`), and its checks are added to the partitioned dataset
(:func:`analysis.dataset.append`) instead of to ``processed/checks.parquet``. The files are
read and checked together before anything is written: if any row of any file is rejected,
nothing is appended.

Which file is which kind: a file declared in ``sources.toml`` is read as declared (kind, time
zone, column map, defaults); any other file by its form: JSON (``.json``, ``.jsonl``,
``.ndjson``) or a folder of them as X API lookups (``x_snapshots``), a sheet (CSV, XLSX) as a
researcher's handle list with a status column (``handle_list``, built-in header names).
Order ids are not checked against the orders tables here (the dataset is not part of a
clean run); a check's ``order_id`` is carried onto its events as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import dataset
from analysis.clean import read_source
from analysis.sources import (
    FOLDER_KINDS,
    JSON_SUFFIXES,
    SOURCES_FILE,
    InputError,
    Source,
    find_source,
    load_sources,
)

#: The kinds whose files hold status checks.
CHECK_KINDS = ("x_snapshots", "handle_list")


@dataclass
class FeedResult:
    """What reading (and, when nothing was rejected, appending) a set of files gave."""

    sources: list[Source]
    rows_read: int
    checks: int
    rejects: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    appended: dataset.AppendResult | None = None  # None: rejected rows, nothing written


def append_files(
    files: list[Path],
    dataset_dir: Path,
    *,
    raw_dir: Path | None = None,
    kind: str | None = None,
    timezone: str = "Asia/Kolkata",
) -> FeedResult:
    """Read status-check ``files`` and append their checks to the dataset at ``dataset_dir``.

    Parameters
    ----------
    files
        Files (or folders of X API JSON) holding status checks.
    dataset_dir
        The checks dataset, e.g. ``data/processed/datasets/checks``.
    raw_dir
        A folder with ``sources.toml``: files it declares are read as declared.
    kind
        ``x_snapshots`` or ``handle_list`` for files ``sources.toml`` does not declare;
        default: by the file's form (see the module docstring).
    timezone
        Time zone of times without one, for files ``sources.toml`` does not declare.

    Returns
    -------
    FeedResult
        ``appended`` is ``None`` when any row was rejected (``rejects`` lists them, as
        ``takedowns validate`` does); nothing is written then.

    Raises
    ------
    InputError
        A file is missing, cannot be read, holds no status checks, or is declared as a kind
        that has none; or the checks do not fit the dataset (one sentence).
    """
    if kind is not None and kind not in CHECK_KINDS:
        raise InputError(
            f"kind {kind!r} holds no status checks; use one of {', '.join(CHECK_KINDS)}"
        )
    declared = _declared(raw_dir)
    sources = [_source(Path(f), declared, kind, timezone) for f in files]
    results = [read_source(s) for s in sources]
    frames, rejects, messages = [], [], []
    for source, result in zip(sources, results, strict=True):
        canonical = result.canonical
        messages.extend(f"{source.name}: {m}" for m in canonical.messages)
        rejects.append(canonical.rejects)
        checks = canonical.tables.get("checks")
        if checks is None or checks.empty:
            if not len(canonical.rejects):
                raise InputError(
                    f"{source.name} holds no status checks (read as kind {source.kind!r}: "
                    "X API lookups, or a list with a status column and when it was checked)"
                )
            continue
        tracked = set(checks["_country"].dropna().unique()) - {"IN"}
        if tracked:
            messages.append(
                f"{source.name}: tracks withholding in {', '.join(sorted(tracked))}; the dataset "
                "keeps the states, and the country is chosen when events are computed"
            )
        frames.append(checks)
    all_rejects = pd.concat(rejects, ignore_index=True)
    all_rejects = all_rejects[all_rejects["level"].fillna("row") == "row"].reset_index(drop=True)
    batch = pd.concat(frames, ignore_index=True) if frames else None
    result = FeedResult(
        sources=sources,
        rows_read=sum(r.rows_read for r in results),
        checks=0 if batch is None else len(batch),
        rejects=all_rejects,
        messages=messages,
    )
    if len(all_rejects) or batch is None:
        return result
    result.appended = dataset.append(dataset_dir, batch, table="checks")
    return result


def _declared(raw_dir: Path | None) -> list[Source]:
    if raw_dir is None or not (raw_dir / SOURCES_FILE).is_file():
        return []
    return load_sources(raw_dir)


def _source(path: Path, declared: list[Source], kind: str | None, timezone: str) -> Source:
    """The declared source reading ``path``, else one made for it by its form."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    mine = find_source(declared, path)
    if mine:
        source = mine[0]
        if source.kind not in CHECK_KINDS:
            raise InputError(
                f"{path} is declared in {SOURCES_FILE} as kind {source.kind!r}, which holds no "
                f"status checks ({', '.join(CHECK_KINDS)} do)"
            )
        return source
    json_like = path.suffix.lower() in JSON_SUFFIXES or path.is_dir()
    chosen = kind or ("x_snapshots" if json_like else "handle_list")
    if path.is_dir() and chosen not in FOLDER_KINDS:
        raise InputError(f"{path} is a folder; only X API lookups (x_snapshots) may be a folder")
    _check_timezone(timezone)
    return Source(
        name=str(path),
        path=path.resolve(),
        kind=chosen,
        columns={},
        defaults={},
        timezone=timezone,
    )


def _check_timezone(timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {timezone!r}; use e.g. Asia/Kolkata or UTC") from None
