"""Load and check ``sources.toml``: which raw files exist, what kind each is, how to read it.

Every problem is raised as :class:`InputError` with one sentence naming the file and the key,
so the CLI can print it without a traceback.
"""

from __future__ import annotations

import codecs
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analysis.core.errors import InputError
from analysis.core.schema import EVENT_TYPES, TRANSPARENCY_COUNTS
from analysis.core.times import DEFAULT_TZ

SOURCES_FILE = "sources.toml"


_EVENT_COLUMNS = ("item", "order_id", "country", "source_kind", "source_url", "notes")

_ORDER_COLUMNS = frozenset(
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
)
_TRANSPARENCY_COLUMNS = frozenset(
    {
        "platform",
        "country",
        "requestor",
        "reason",
        "period_start",
        "period_end",
        "compliance_rate",
        "scope",
        "notes",
        "source_url",
        *TRANSPARENCY_COUNTS,
    }
)

#: For each kind: the canonical names a file header may be mapped to (and ``[source.defaults]``
#: may fill). Names that are not table columns are inputs the kind reads: ``period`` (a period
#: string such as ``July - December 2020``), ``country_name`` (a country name, used when there is
#: no code), ``removed_legal_pct``/``removed_policy_pct`` (Google's percentages, summed into
#: ``compliance_rate``), ``requests_part`` (request counts split by branch, summed into
#: ``requests``), ``branch_requests``/``branch_items``/``branch_rate`` (Google's historical
#: figures per branch, ``Court Orders: Number of Requests``: one row per branch),
#: ``status``/``visible_text`` (what a handle list says about an account and a post's page) and
#: ``checked_at`` (when that was seen).
KIND_COLUMNS: dict[str, frozenset[str]] = {
    "orders": _ORDER_COLUMNS,
    "items": frozenset({"order_id", "item", "notes"}),
    "events": frozenset(
        {"at", "at_earliest", "event", "n_items", *_EVENT_COLUMNS},
    ),
    # Each date column of a wide handle sheet maps to an event name.
    "wide_handles": frozenset({*_EVENT_COLUMNS, *EVENT_TYPES}),
    "transparency": _TRANSPARENCY_COLUMNS,
    # Lumen notices and X API lookups have fixed fields; only defaults apply.
    "lumen": frozenset({"platform", "country", "authority", "legal_basis"}),
    "x_snapshots": frozenset({"checked_at", "country", "order_id", "platform", "source_url"}),
    "transparency_x": frozenset(
        {*_TRANSPARENCY_COLUMNS, "period", "country_name", "requests_part"}
    ),
    "transparency_google": frozenset(
        {
            *_TRANSPARENCY_COLUMNS,
            "country_name",
            "removed_legal_pct",
            "removed_policy_pct",
            "requests_part",
            "branch_requests",
            "branch_items",
            "branch_rate",
        }
    ),
    "transparency_meta": frozenset({*_TRANSPARENCY_COLUMNS, "period", "country_name"}),
    "handle_list": frozenset(
        {
            "item",
            "order_id",
            "issued_at",
            "status",
            "visible_text",
            "checked_at",
            "platform",
            "country",
            "authority",
            "legal_basis",
            "source_url",
            "notes",
        }
    ),
}

#: Canonical columns each kind cannot do without (from the file or from ``[source.defaults]``).
#: Kinds with built-in header names (:data:`BUILTIN_COLUMNS`) are checked when the file is read,
#: since only then are its headers known.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("issued_at",),
    "items": ("order_id", "item"),
    "events": ("event", "at"),
    "wide_handles": ("item", "order_id"),
    "transparency": ("period_start", "period_end"),
    "lumen": (),
    "x_snapshots": (),
    "transparency_x": ("period",),
    "transparency_google": ("period_end",),
    "transparency_meta": (),
    "handle_list": ("item", "order_id"),
}

#: Kinds that read the fields of an API's JSON rather than a sheet's headers.
FIXED_FIELD_KINDS = ("lumen", "x_snapshots")
#: Kinds whose ``path`` may be a folder: every ``.json``/``.jsonl``/``.ndjson`` file in it.
FOLDER_KINDS = ("lumen", "x_snapshots")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def header_key(header: str) -> str:
    """A header reduced for matching built-in names: case, spacing, punctuation and the
    ``witheld`` misspelling some copies of the X report carry do not matter."""
    text = str(header).casefold().replace("witheld", "withheld")
    return " ".join("".join(ch if ch.isalnum() or ch == "%" else " " for ch in text).split())


#: For the kinds that read standard exports: canonical name -> the headers it is read from
#: without any ``[source.columns]`` (matched by :func:`header_key`; the first present wins).
#: ``[source.columns]`` adds to these and wins over them.
BUILTIN_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "transparency_x": {
        "period": ("Time period", "Period", "Reporting period", "Report period"),
        "country": ("ISO code", "Country code", "CLDR Territory Code"),
        "country_name": ("Country", "Country/Region", "Country name"),
        "requests": (
            "Combined removal requests",
            "Removal requests",
            "Total removal requests",
            "Legal demands",
        ),
        # The per-period files split requests by branch and give no combined column; so do
        # researchers' compilations of them (sadettindemirel's ttrall.csv).
        "requests_part": (
            "Removal requests (court orders)",
            "Removal requests (gov't agency, police, other)",
            "Removal requests (government agency, police, other)",
            "removal_request_court",
            "removal_request_other",
        ),
        "accounts_specified": (
            "Combined accounts specified",
            "Accounts specified",
            "Accounts reported",
        ),
        "accounts_withheld": ("Combined accounts withheld", "Accounts withheld"),
        "tweets_withheld": (
            "Combined tweets withheld",
            "Tweets withheld",
            "Posts withheld",
            "Combined posts withheld",
        ),
        "compliance_rate": (
            "Combined compliance rate",
            "Compliance rate",
            "Percentage where some content withheld",
            "% where some content withheld",
            "percent_of_witheld_content",
        ),
    },
    "transparency_google": {
        "period_end": ("Period Ending", "Period End"),
        "country_name": ("Country/Region", "Country", "Country Name"),
        "country": ("CLDR Territory Code", "Country Code", "Territory Code"),
        "requestor": ("Requestor", "Requester"),
        # The detailed product x reason file's "Total" counts requests: per country and
        # period its rows add up to the request count of the other files (docs/sources.md).
        "requests": ("Number of Requests", "Content Removal Requests", "Removal Requests", "Total"),
        "items_requested": (
            "Items Requested To Be Removed",
            "Number of Items Requested",
            "Number of Items Requested To Be Removed",
            "Items Requested",
        ),
        "compliance_rate": ("Percentage of removal requests fully or partially complied with",),
        "removed_legal_pct": ("% Removed-Legal",),
        "removed_policy_pct": ("% Removed-Policy",),
        "scope": ("Product",),
        "reason": ("Reason",),
        "requests_part": ("Court Orders", "Executive, Police, etc."),
        "branch_requests": (
            "All Requests: Number of Requests",
            "Court Orders: Number of Requests",
            "Other Requests (Executive, Police, etc.): Number of Requests",
        ),
        "branch_rate": (
            "All Requests: % Fully Or Partially Complied With",
            "Court Orders: % Fully Or Partially Complied With",
            "Other Requests (Executive, Police, etc.): % Fully Or Partially Complied With",
        ),
        "branch_items": (
            "All Requests: Items Requested To Be Removed",
            "Court Orders: Items Requested To Be Removed",
            "Other Requests (Executive, Police, etc.): Items Requested To Be Removed",
        ),
    },
    "transparency_meta": {
        "period": ("Period", "Time period", "Reporting period", "Report period"),
        "country": ("Country code", "ISO code"),
        "country_name": ("Country", "Country/Region", "Country name"),
        "items_withheld": (
            "Content Restrictions",
            "Content restricted",
            "Pieces of content restricted",
            "Items restricted",
            "Content restrictions based on local law",
        ),
    },
    "handle_list": {
        "item": ("URL", "Tweet URL", "Account URL", "Profile URL", "Link", "Handle"),
        "order_id": ("Notice", "Notice ID", "Lumen notice", "Notice URL", "File", "Order"),
        "issued_at": ("Date received", "Received", "Received date", "Received on"),
        "status": ("Status", "Account status", "Active status", "Account state"),
        "visible_text": (
            "Visible text",
            "Notice text",
            "Withheld text",
            "Text shown",
            "Page text",
            "India tweet text",
            "Tweet text in India",
        ),
        "checked_at": ("Checked at", "Checked on", "Status date", "Status checked"),
    },
}

#: Header shapes read without ``[source.columns]`` when no built-in name matches (the header
#: casefolded, spacing collapsed; the first matching pattern wins): Google's historical
#: ``<Branch>: <figure>`` headers, and X's branch columns however their apostrophe was mangled
#: (``GOV’T`` is a Windows-1252 byte; copies show it as ``GOV�T`` or ``GOVâ€™T``).
BUILTIN_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "transparency_google": (
        (r"^[^:]+:\s*number of requests$", "branch_requests"),
        (r"^[^:]+:\s*items requested to be removed$", "branch_items"),
        (r"^[^:]+:\s*% fully or partially complied with$", "branch_rate"),
    ),
    "transparency_x": ((r"^removal requests? \((?:court|gov|police|other).*\)$", "requests_part"),),
}

BUILTIN_COLUMNS: dict[str, dict[str, str]] = {
    kind: {header_key(h): canonical for canonical, headers in table.items() for h in headers}
    for kind, table in BUILTIN_HEADERS.items()
}

#: Values a kind assumes unless ``[source.defaults]`` says otherwise.
KIND_DEFAULTS: dict[str, dict[str, str]] = {
    "transparency_x": {"platform": "twitter"},
    "transparency_google": {"platform": "google"},
    "transparency_meta": {"platform": "facebook"},
    "x_snapshots": {"platform": "twitter", "country": "IN"},
    "handle_list": {"platform": "twitter"},
}

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
    "values",
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
    timezone: str = DEFAULT_TZ
    dayfirst: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    unmapped: str = "notes"  # "notes": kept as "Header: value" in notes; "ignore": dropped
    #: ``[source.values]``: canonical column -> {cell as written -> the value to read instead}
    #: (matched ignoring case and surrounding spaces), e.g. ``country = {"Crotia" = "HR"}``.
    values: dict[str, dict[str, str]] = field(default_factory=dict)

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
    # The same rows read twice would count every order and event twice (in two time zones,
    # shifted); two sheets of one workbook are two sources.
    seen: dict[tuple[Path, str | None], int] = {}
    for i, src in enumerate(sources, 1):
        key = (src.path, src.sheet)
        if key in seen:
            sheet = "" if src.sheet is None else f" sheet {src.sheet!r}"
            raise InputError(
                f"{toml_path}: source {i} declares {src.name!r}{sheet} again "
                f"(first in source {seen[key]}); remove one of the two blocks"
            )
        seen[key] = i
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
    for key in _TEXT_KEYS:  # a list or a table here (kind = ["orders"]) is a typo
        value = block.get(key)
        if value is not None and not isinstance(value, str):
            example = _TEXT_KEYS[key]
            raise InputError(f"{where}: {key} must be text such as {example}, not {value!r}")
    kind = block.get("kind")
    if kind not in KIND_COLUMNS:
        raise InputError(
            f"{where}: unknown kind {kind!r}; use one of {', '.join(sorted(KIND_COLUMNS))}"
        )
    path = _inside(raw_dir, name, where)
    if kind in FOLDER_KINDS and path.is_dir():
        if not source_files(path):
            raise InputError(f"{where}: the folder {path} holds no {'/'.join(JSON_SUFFIXES)} files")
    elif path.is_dir():
        raise InputError(f"{where}: {name} is a folder, not a file; name the file inside it")
    elif path.exists() and not path.is_file():
        raise InputError(
            f"{where}: {path} is not a regular file (a device, a pipe or a socket); "
            "save the data to a file and name that"
        )
    elif not path.is_file():
        raise InputError(f"{where}: file not found at {path}")

    columns = block.get("columns", {})
    defaults = block.get("defaults", {})
    for key, table in (("columns", columns), ("defaults", defaults)):
        if not isinstance(table, dict):
            raise InputError(f"{where}: [source.{key}] must be a table")
    allowed = KIND_COLUMNS[kind]
    if kind in FIXED_FIELD_KINDS and columns:
        raise InputError(
            f"{where}: kind {kind!r} reads the API's own fields, so [source.columns] does not "
            "apply; remove it (use [source.defaults] for values the records lack)"
        )
    for header, canonical in columns.items():
        if not isinstance(canonical, str):
            raise InputError(
                f"{where}: column {header!r} must map to one column name (text), not {canonical!r}"
            )
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
    timezone = block.get("timezone", DEFAULT_TZ)
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
    encoding = block.get("encoding")
    if encoding is not None:
        _check_encoding(encoding, where)
    delimiter = block.get("delimiter")
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        raise InputError(
            f"{where}: delimiter must be one character, not {delimiter!r} "
            '(e.g. ",", ";", "\\t" or "|")'
        )
    values = _check_values(block.get("values", {}), allowed, kind, where)
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
        encoding=None if encoding is None else str(encoding),
        delimiter=delimiter,
        unmapped=unmapped,
        values=values,
    )
    # Kinds with built-in header names are checked once their headers are known.
    needed = () if kind in BUILTIN_COLUMNS else REQUIRED_COLUMNS[kind]
    missing = [c for c in needed if not source.has(c)]
    if kind == "wide_handles" and not any(source.has(e) for e in EVENT_TYPES):
        missing.append("an event date column (withheld, restored, ...)")
    if missing:
        raise InputError(
            f"{where}: no header is mapped to the required column {missing[0]!r} "
            f"(add it under [source.columns] or [source.defaults])"
        )
    return source


#: Keys whose value is one piece of text, with an example for the message.
_TEXT_KEYS = {
    "kind": '"orders"',
    "sheet": '"Orders"',
    "timezone": '"Asia/Kolkata"',
    "encoding": '"utf-8"',
    "delimiter": '","',
    "unmapped": '"notes"',
}

#: Codecs Python knows that are not character encodings of a file: transforms of text or bytes
#: (rot13, base64, zlib: ``_is_text_encoding`` is false) and these, which encode one domain name
#: or escape sequences, never a spreadsheet.
_NOT_FILE_ENCODINGS = frozenset({"punycode", "idna", "undefined"})


def _check_encoding(encoding: str, where: str) -> None:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            f"{where}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or utf-16"
        ) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_ENCODINGS:
        raise InputError(
            f"{where}: {encoding!r} is not an encoding of text files; "
            "use e.g. utf-8, cp1252 or utf-16"
        )


def _check_values(
    table: object, allowed: frozenset[str], kind: str, where: str
) -> dict[str, dict[str, str]]:
    """``[source.values]``: one table per canonical column, of cell -> replacement."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: [source.values] must be a table")
    out: dict[str, dict[str, str]] = {}
    for canonical, mapping in table.items():
        if canonical not in allowed:
            raise InputError(
                f"{where}: [source.values] names {canonical!r}, which is not a column of kind "
                f"{kind!r}; use one of {', '.join(sorted(allowed))}"
            )
        if not isinstance(mapping, dict) or not mapping:
            raise InputError(
                f"{where}: [source.values] {canonical} must map cells to values, e.g. "
                f'[source.values.{canonical}] then "Crotia" = "HR"'
            )
        for cell, value in mapping.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise InputError(
                    f"{where}: [source.values.{canonical}] {cell!r} must map to a plain value"
                )
        out[str(canonical)] = {str(k): str(v) for k, v in mapping.items()}
    return out


def source_files(path: Path) -> list[Path]:
    """The files a declared path covers: the file itself, or a folder's JSON files by name."""
    if path.is_dir():
        return sorted(
            (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in JSON_SUFFIXES),
            key=lambda p: p.name,
        )
    return [path]


def source_sha256(path: Path) -> str:
    """sha256 of a declared file; for a folder, of its files' names and contents in order."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for file in source_files(path):
        digest.update(file.name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _inside(raw_dir: Path, name: str, where: str) -> Path:
    """Resolve ``name`` against ``raw_dir`` and refuse anything that escapes it."""
    root = raw_dir.resolve()
    try:
        path = (root / name).resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop, 3.13 OSError
        raise InputError(
            f"{where}: path {name!r} is a symbolic link that loops back on itself; "
            "point it at the file"
        ) from None
    if not path.is_relative_to(root):
        raise InputError(f"{where}: path {name!r} points outside {root}; raw files must live there")
    return path


def find_source(sources: list[Source], path: Path) -> list[Source]:
    """The declared sources reading ``path`` (a file may be declared once per sheet)."""
    target = path.resolve()
    return [s for s in sources if s.path == target]
