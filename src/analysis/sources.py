"""Load and check ``sources.toml``: which raw files exist, what kind each is, how to read it.

Every problem is raised as :class:`InputError` with one sentence naming the file and the key,
so the CLI can print it without a traceback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analysis.schema import EVENT_TYPES, TRANSPARENCY_COUNTS

SOURCES_FILE = "sources.toml"


class InputError(Exception):
    """A problem with the inputs that the user must fix; the message is one clear sentence."""


_EVENT_COLUMNS = ("item", "order_id", "country", "source_kind", "source_url", "notes")

#: For each kind: the canonical names a file header may be mapped to.
KIND_COLUMNS: dict[str, frozenset[str]] = {
    "orders": frozenset(
        {
            "order_id",
            "platform",
            "country",
            "authority",
            "legal_basis",
            "issued_at",
            "deadline_at",
            "items_listed",
            "title",
            "source_url",
            "notes",
        }
    ),
    "items": frozenset({"order_id", "item", "notes"}),
    "events": frozenset(
        {"at", "at_earliest", "event", "n_items", *_EVENT_COLUMNS},
    ),
    # Each date column of a wide handle sheet maps to an event name.
    "wide_handles": frozenset({*_EVENT_COLUMNS, *EVENT_TYPES}),
    "transparency": frozenset(
        {
            "platform",
            "country",
            "requestor",
            "period_start",
            "period_end",
            "compliance_rate",
            "scope",
            "notes",
            "source_url",
            *TRANSPARENCY_COUNTS,
        }
    ),
}

#: Canonical columns each kind cannot do without (from the file or from ``[source.defaults]``).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("issued_at",),
    "items": ("order_id", "item"),
    "events": ("event", "at"),
    "wide_handles": ("item", "order_id"),
    "transparency": ("period_start", "period_end"),
}

#: Kinds named in the design that a later version reads (Lumen, X API, transparency reports).
PLANNED_KINDS = ("lumen", "x_snapshots", "transparency_x", "transparency_google")

_SOURCE_KEYS = {
    "path",
    "kind",
    "sheet",
    "timezone",
    "dayfirst",
    "encoding",
    "delimiter",
    "unmapped",
    "columns",
    "defaults",
}


@dataclass(frozen=True)
class Source:
    """One ``[[source]]`` block, checked. ``path`` is absolute; ``name`` is as written."""

    name: str
    path: Path
    kind: str
    columns: dict[str, str]
    defaults: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    timezone: str = "Asia/Kolkata"
    dayfirst: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    unmapped: str = "notes"  # "notes": kept as "Header: value" in notes; "ignore": dropped

    def has(self, canonical: str) -> bool:
        """True when the file maps a header to ``canonical`` or a default supplies it."""
        return canonical in self.columns.values() or canonical in self.defaults


def load_sources(raw_dir: Path) -> list[Source]:
    """Read ``raw_dir/sources.toml`` and return its checked sources, in file order."""
    toml_path = raw_dir / SOURCES_FILE
    if not toml_path.is_file():
        raise InputError(f"{toml_path}: no sources.toml here; each raw file must be declared in it")
    try:
        config = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{toml_path}: TOML syntax error: {err}") from None
    except UnicodeDecodeError:
        raise InputError(f"{toml_path}: not UTF-8 text") from None
    unknown_top = set(config) - {"source"}
    if unknown_top:
        raise InputError(
            f"{toml_path}: unknown top-level key {sorted(unknown_top)[0]!r}; "
            "declare files as [[source]] blocks"
        )
    blocks = config.get("source", [])
    if not isinstance(blocks, list) or not blocks:
        raise InputError(f"{toml_path}: declares no [[source]] blocks")
    sources = [_check_block(toml_path, raw_dir, i, block) for i, block in enumerate(blocks, 1)]
    seen: dict[Path, int] = {}
    for i, src in enumerate(sources, 1):
        if src.path in seen and src.sheet is None:
            raise InputError(
                f"{toml_path}: source {i} declares {src.name!r} again "
                f"(first in source {seen[src.path]})"
            )
        seen.setdefault(src.path, i)
    return sources


def _check_block(toml_path: Path, raw_dir: Path, index: int, block: dict) -> Source:
    where = f"{toml_path}: source {index}"
    if not isinstance(block, dict):
        raise InputError(f"{where} is not a table")
    unknown = set(block) - _SOURCE_KEYS
    if unknown:
        raise InputError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; "
            f"known keys: {', '.join(sorted(_SOURCE_KEYS))}"
        )
    name = block.get("path")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where} has no 'path'")
    where = f"{toml_path}: source {index} ({name})"
    kind = block.get("kind")
    if kind in PLANNED_KINDS:
        raise InputError(f"{where}: kind {kind!r} is not supported by this version yet")
    if kind not in KIND_COLUMNS:
        raise InputError(
            f"{where}: unknown kind {kind!r}; use one of {', '.join(sorted(KIND_COLUMNS))}"
        )
    path = _inside(raw_dir, name, where)
    if not path.is_file():
        raise InputError(f"{where}: file not found at {path}")

    columns = block.get("columns", {})
    defaults = block.get("defaults", {})
    for key, table in (("columns", columns), ("defaults", defaults)):
        if not isinstance(table, dict):
            raise InputError(f"{where}: [source.{key}] must be a table")
    allowed = KIND_COLUMNS[kind]
    for header, canonical in columns.items():
        if canonical not in allowed:
            raise InputError(
                f"{where}: column {header!r} maps to {canonical!r}, which is not a column of kind "
                f"{kind!r}; use one of {', '.join(sorted(allowed))}"
            )
    for canonical, value in defaults.items():
        if canonical not in allowed and canonical != "source_kind":
            raise InputError(f"{where}: default for unknown column {canonical!r}")
        if not isinstance(value, str | int | float | bool):
            raise InputError(f"{where}: default for {canonical!r} must be a plain value")
    timezone = block.get("timezone", "Asia/Kolkata")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{where}: unknown time zone {timezone!r}") from None
    dayfirst = block.get("dayfirst", True)
    if not isinstance(dayfirst, bool):
        raise InputError(f"{where}: dayfirst must be true or false, not {dayfirst!r}")
    unmapped = block.get("unmapped", "notes")
    if unmapped not in ("notes", "ignore"):
        raise InputError(f"{where}: unmapped must be 'notes' or 'ignore', not {unmapped!r}")
    sheet = block.get("sheet")
    if sheet is not None and path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise InputError(f"{where}: 'sheet' only applies to spreadsheets, not {path.suffix} files")

    source = Source(
        name=name,
        path=path,
        kind=kind,
        columns={str(k): str(v) for k, v in columns.items()},
        defaults={str(k): str(v) for k, v in defaults.items()},
        sheet=sheet,
        timezone=str(timezone),
        dayfirst=dayfirst,
        encoding=block.get("encoding"),
        delimiter=block.get("delimiter"),
        unmapped=unmapped,
    )
    missing = [c for c in REQUIRED_COLUMNS[kind] if not source.has(c)]
    if kind == "wide_handles" and not any(source.has(e) for e in EVENT_TYPES):
        missing.append("an event date column (withheld, restored, ...)")
    if missing:
        raise InputError(
            f"{where}: no header is mapped to the required column {missing[0]!r} "
            f"(add it under [source.columns] or [source.defaults])"
        )
    return source


def _inside(raw_dir: Path, name: str, where: str) -> Path:
    """Resolve ``name`` against ``raw_dir`` and refuse anything that escapes it."""
    root = raw_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"{where}: path {name!r} points outside {root}; raw files must live there")
    return path


def find_source(sources: list[Source], path: Path) -> list[Source]:
    """The declared sources reading ``path`` (a file may be declared once per sheet)."""
    target = path.resolve()
    return [s for s in sources if s.path == target]
