"""A ready-to-paste ``[source.columns]`` block guessed from a file's headers.

``takedowns validate`` prints it for a file some of whose headers are not mapped (when it has
a guess for one of them), and for a file without the columns its kind needs. Headers the
source already reads keep their mapping; each other header gets the best guess for its kind,
marked ``# guessed``, in order: a built-in header name of the kind (:data:`~analysis.ingest.sources.
BUILTIN_HEADERS`, also by shape), the canonical name itself (``issued_at``, ``Issued at``), a
word reporters use for it (``Order No.`` -> ``order_id``, ``Remarks`` -> ``notes``), then the
closest built-in or canonical name by spelling. A header with no guess, or whose guess another
header already takes, is written commented out, so pasting the block never maps a column
wrongly without the user seeing it.
"""

from __future__ import annotations

import difflib
import json
import re

from analysis.ingest.sources import (
    BUILTIN_COLUMNS,
    BUILTIN_PATTERNS,
    KIND_COLUMNS,
    Source,
    header_key,
)

#: Canonical names several headers may map to at once (as :mod:`.headers` allows).
_MULTI = frozenset(
    {
        "withheld",
        "restored",
        "suspended",
        "reinstated",
        "deleted",
        "requests_part",
        "branch_requests",
        "branch_items",
        "branch_rate",
    }
)

# Words in a header that say which column it is (matched against the header's words, first
# hit wins); only columns the kind has are used.
_WORDS: tuple[tuple[str, str], ...] = (
    (r"\b(?:order|notice|file)\s*(?:no|number|id|ref|reference)\b|^order$|^notice$", "order_id"),
    (r"\bdeadline\b|\bcomply by\b|\bdue\b", "deadline_at"),
    (
        r"\b(?:no|number|count) of (?:urls|links|items|accounts|handles|posts|tweets)\b",
        "items_listed",
    ),
    (r"\bdate of (?:order|issue)\b|\bissued\b|\border date\b|\bissue date\b", "issued_at"),
    (r"\bhandle\b|\burl\b|\blink\b|\baccount\b|\btweet\b|\bpost\b|\bitem\b", "item"),
    (r"\bauthority\b|\bministry\b|\bissued by\b|\bsender\b|\bcourt\b", "authority"),
    (r"\bsection\b|\blaw\b|\blegal basis\b|\bprovision\b", "legal_basis"),
    (r"\bplatform\b|\bintermediary\b|\bservice\b", "platform"),
    (r"\bcountry\b|\bjurisdiction\b", "country"),
    (r"\btitle\b|\bsubject\b", "title"),
    (r"\bsource\b|\bcitation\b|\breference url\b", "source_url"),
    (r"\bremarks?\b|\bcomments?\b|\bnotes?\b", "notes"),
    (r"\bwithheld\b|\bblocked\b", "withheld"),
    (r"\brestored\b|\bunblocked\b", "restored"),
    (r"\bsuspended\b", "suspended"),
    (r"\bevent\b|\baction\b", "event"),
    (r"\bperiod\b|\bhalf\b", "period"),
    (r"\brequests?\b|\bdemands?\b", "requests"),
    (r"\bcompl(?:ied|iance)\b|\bpercent(?:age)? (?:where|of)\b", "compliance_rate"),
    (r"\bstatus\b|\bstate\b", "status"),
    (r"\bchecked\b|\bseen\b", "checked_at"),
    (r"\breceived\b", "issued_at"),
)


def suggest_columns(
    source: Source, headers: list[str], mapped: dict[str, str] | None = None
) -> str:
    """A ``[source.columns]`` block for ``headers`` under ``source``'s kind (see the module
    docstring). ``mapped`` (header -> canonical) is what the source already reads, built-in
    names included (default: its own ``[source.columns]``); those lines come first in file
    order and win over guesses. Empty for kinds that read an API's fixed fields and when no
    header gives anything to write."""
    allowed = KIND_COLUMNS.get(source.kind, frozenset())
    if not allowed or source.kind in ("lumen", "x_snapshots"):
        return ""
    known = {_map_key(h): c for h, c in (source.columns if mapped is None else mapped).items()}
    taken = set(known.values()) - _MULTI
    lines = [
        f"[source.columns]  # suggested for {source.name} (kind {source.kind}): check each line"
    ]
    width = max((len(_quoted(h)) for h in headers), default=0)
    useful = False
    for header in headers:
        left = _quoted(header).ljust(width)
        if _map_key(header) in known:
            lines.append(f'{left} = "{known[_map_key(header)]}"')
            useful = True
            continue
        guess = best_guess(source.kind, header)
        if guess is None:
            lines.append(f'# {left} = ""  # no guess: map it, or leave it out (kept in notes)')
        elif guess in taken:
            lines.append(f'# {left} = "{guess}"  # another header already gives {guess}')
        else:
            if guess not in _MULTI:
                taken.add(guess)
            lines.append(f'{left} = "{guess}"  # guessed')
            useful = True
    return "\n".join(lines) if useful else ""


def new_guesses(block: str) -> bool:
    """True when a suggestion maps a header the source does not read yet (its ``# guessed``
    lines); see :func:`suggest_columns`."""
    return "# guessed" in block


def best_guess(kind: str, header: str) -> str | None:
    """The canonical column ``header`` most likely gives in a ``kind`` file, or None."""
    allowed = KIND_COLUMNS.get(kind, frozenset())
    key = header_key(header)
    builtin = BUILTIN_COLUMNS.get(kind, {})
    if key in builtin:
        return builtin[key]
    text = " ".join(str(header).casefold().split())
    for pattern, canonical in BUILTIN_PATTERNS.get(kind, ()):
        if re.match(pattern, text):
            return canonical
    by_name = {c.replace("_", " "): c for c in allowed}
    if key in by_name:
        return by_name[key]
    for pattern, canonical in _WORDS:
        if canonical in allowed and re.search(pattern, key):
            return canonical
    names = {**{k: v for k, v in builtin.items()}, **by_name}
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def _quoted(header: str) -> str:
    """A header as a TOML key: a basic string (JSON's escapes are TOML's for these)."""
    return json.dumps(str(header), ensure_ascii=False)


def _map_key(header: str) -> str:
    return " ".join(str(header).split()).casefold()
