"""Where things live. The only module that knows the project's layout.

Paths are built from this file's location, never from the working directory, so the package,
the CLI and the notebooks behave the same from the repo root, from ``notebooks/`` and under
papermill. ``TAKEDOWNS_DATA`` overrides the data folder (tests and newsrooms with their own data).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """The folder holding ``raw/`` and ``processed/``."""
    override = os.environ.get("TAKEDOWNS_DATA")
    return Path(override).resolve() if override else PROJECT_ROOT / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def dataset_dir(table: str = "checks", data: Path | None = None) -> Path:
    """A partitioned dataset of a large table (``processed/datasets/<table>/``, docs/scale.md),
    in ``data`` (a folder holding ``processed/``) or the project's data folder."""
    return Path(data or data_dir()) / "processed" / "datasets" / table


def notebooks_dir() -> Path:
    return PROJECT_ROOT / "notebooks"


def reports_dir() -> Path:
    return PROJECT_ROOT / "reports"


def refuse_inside_raw(target: Path, raw: Path, what: str = "the output folder") -> None:
    """Raise :class:`~analysis.core.errors.InputError` when ``target`` is the raw folder ``raw``
    or lies inside it (symbolic links followed): raw files are never modified, so nothing this
    package writes may go there."""
    from analysis.core.errors import InputError

    try:
        inside = Path(target).resolve().is_relative_to(Path(raw).resolve())
    except (RuntimeError, OSError):  # a symbolic link loop: the write would fail anyway
        return
    if inside:
        raise InputError(
            f"{what} {target} is, or is inside, the raw folder {raw}; nothing may be written "
            "there, so choose a folder outside it"
        )
