"""X / Twitter API lookups saved as JSON or JSON Lines -> one raw row per looked-up record.

Reads what a collector saved from the v1.1 and v2 APIs, a file or a folder of files:

- user and tweet objects (v1.1 ``users/lookup``, ``statuses/lookup``; v2 ``/2/users``,
  ``/2/tweets``), bare, in a list, or in a v2 response ``{"data": [...], "errors": [...],
  "includes": {"users": [...]}}``;
- errors for items that could not be looked up: v1.1 ``{"errors": [{"code": 63, ...}]}`` saved
  with the id that was looked up beside it (``screen_name``, ``user_id``, ``tweet_id`` or
  ``item``), and v2 ``errors`` entries, which name it themselves (``resource_id``,
  ``resource_type``, ``parameter``, ``value``);
- compliance-stream messages ``{"status_withheld": {...}}`` and ``{"user_withheld": {...}}``.

``source_row`` is the record number: records are numbered 1, 2, ... in file order, a response's
``data`` before its ``errors`` (across a folder's files in name order). For JSON Lines with one
record per line and no blank lines that is the line number. ``checked_at`` and ``order_id``
are read from the record, else from the response that holds it.

Each row says which item it is about as ``target_kind`` (``account``: a screen name; ``user_id``;
``tweet``: a tweet id; ``item``: anything :func:`~analysis.ingest.normalize.handles.parse_items`
reads)
and ``target``, and carries the raw withholding fields (``countries``: v1.1
``withheld_in_countries`` or v2 ``withheld.country_codes``, lists joined with commas; ``copyright``;
``scope``) or the error's fields. Integer ids become their digits; float ids are kept as floats
so that cleaning refuses them. Every user id -> screen name pair seen anywhere in the source (user
objects, a tweet's ``user``, v2 ``includes.users``) is returned in ``users``.

A tweet whose author's user object came with it (v1.1 ``user``; v2 ``includes.users`` matched by
``author_id``) also carries ``author`` (the screen name) and ``author_countries``: the account's
own withholding, a second observation beside the tweet's. ``author_countries`` is ``""`` when
the object says the account is withheld nowhere (v1.1 ``withheld_in_countries: []``) and None
when the object does not say (a v2 user without ``withheld``: the field may not have been asked
for), so an account is never called visible by an answer that did not look.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.ingest.readers.jsondocs import file_ranges, id_text, iter_documents, joined
from analysis.ingest.readers.tabular import RawTable, RowProblem

RECORD_COLUMNS = [
    "record",  # user | tweet | error | status_withheld | user_withheld | unknown
    "target_kind",
    "target",
    "countries",
    "copyright",
    "scope",
    "error_code",
    "error_title",
    "error_detail",
    "checked_at",
    "order_id",
    "author",  # a tweet's author, when the record carries the author's user object ...
    "author_countries",  # ... and that object says where the account is withheld ("" nowhere)
]
USER_COLUMNS = ["user_id", "screen_name"]
# Fields that name the looked-up item next to a v1.1 error, and what they name.
_LOOKUP_FIELDS = (
    ("screen_name", "account"),
    ("username", "account"),
    ("user_id", "user_id"),
    ("tweet_id", "tweet"),
    ("status_id", "tweet"),
    ("item", "item"),
)
_CONTEXT_FIELDS = ("checked_at", "order_id")


@dataclass
class XRaw(RawTable):
    """Records as :class:`RawTable` rows, plus the user id -> screen name pairs seen."""

    users: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=USER_COLUMNS))


def read_x_api(path: Path, encoding: str | None = None) -> XRaw:
    """Read X API lookups from a file or folder; see the module docstring."""
    return next(read_x_api_pieces(path, encoding, rows=None))


def read_x_api_pieces(
    path: Path, encoding: str | None = None, rows: int | None = 500_000
) -> Iterator[XRaw]:
    """:func:`read_x_api` in pieces of about ``rows`` records (``None``: one piece), so a
    lookup file bigger than memory can be read (its documents are streamed,
    :mod:`~analysis.ingest.readers.jsondocs`).

    Together the pieces hold exactly the records :func:`read_x_api` gives, with the same
    numbers, except that a record naming its item only by user id waits for the last piece:
    only there are all the user objects of the source known (the last piece's ``users`` are
    those such records need; the other pieces' are empty). The messages come with the last
    piece."""
    state = _State()
    folder = path.is_dir()
    waiting: list[tuple[int, list]] = []  # (number, record) of records named by user id
    users: list[pd.DataFrame] = []
    for doc in iter_documents(path, encoding):
        first = state.number + 1
        if doc.error is not None:
            state.number += 1
            where = f"{doc.file.name} line {doc.line}"
            state.problems.append(RowProblem(state.number, None, doc.text, f"{where}: {doc.error}"))
        else:
            state.document(doc.value)
        if folder and state.number >= first:
            state.file_range(doc.file.name, first)
        if rows is not None and len(state.rows) >= rows:
            yield _piece(path, state, waiting, users)
    messages = [file_ranges(state.ranges)] if state.ranges else []
    if rows is None:  # one piece: every record as read
        frame = _frame(state.rows, state.numbers)
        all_users = pd.DataFrame(state.users, columns=USER_COLUMNS, dtype=object)
        yield XRaw(path, frame, state.problems, messages, users=all_users)
        return
    last = _piece(path, state, waiting, users)
    numbers = [n for n, _ in waiting] + list(last.frame.index)
    frame = _frame([r for _, r in waiting] + last.frame.to_numpy().tolist(), numbers)
    frame = frame.sort_index(kind="stable")
    seen = pd.concat(users, ignore_index=True) if users else _no_users()
    named = set(frame.loc[frame["target_kind"] == "user_id", "target"].dropna().astype(str))
    seen = seen[seen["user_id"].astype(str).isin(named)].reset_index(drop=True)
    yield XRaw(path, frame, last.problems, messages, users=seen)


def _frame(records: list[list], numbers: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=RECORD_COLUMNS, dtype=object)
    frame.index = pd.Index(numbers, name="source_row", dtype="int64")
    return frame


def _no_users() -> pd.DataFrame:
    return pd.DataFrame(columns=USER_COLUMNS, dtype=object)


def _piece(path: Path, state: _State, waiting: list, users: list[pd.DataFrame]) -> XRaw:
    """The records read since the last piece, less those named by user id (kept in
    ``waiting``); the user objects seen go to ``users``, compactly."""
    kind = RECORD_COLUMNS.index("target_kind")
    keep_rows, keep_numbers = [], []
    for number, record in zip(state.numbers, state.rows, strict=True):
        if record[kind] == "user_id":
            waiting.append((number, record))
        else:
            keep_rows.append(record)
            keep_numbers.append(number)
    if state.users:
        seen = pd.DataFrame(state.users, columns=USER_COLUMNS, dtype=object)
        users.append(seen.astype("str"))  # Arrow-backed text: a few bytes a user
    piece = XRaw(path, _frame(keep_rows, keep_numbers), state.problems, [], users=_no_users())
    state.rows, state.numbers, state.problems, state.users = [], [], [], []
    return piece


class _State:
    """Records numbered as they are met, across a folder's files."""

    def __init__(self):
        self.number = 0
        self.rows: list[list] = []
        self.numbers: list[int] = []
        self.problems: list[RowProblem] = []
        self.users: list[tuple] = []
        self.ranges: list[tuple[str, int, int]] = []

    def file_range(self, name: str, first: int) -> None:
        if self.ranges and self.ranges[-1][0] == name:
            self.ranges[-1] = (name, self.ranges[-1][1], self.number)
        else:
            self.ranges.append((name, first, self.number))

    def document(self, value: object) -> None:
        if isinstance(value, list):
            for item in value:
                self.value(item, {})
        else:
            self.value(value, {})

    def value(self, value: object, context: dict) -> None:
        if not isinstance(value, dict):
            self.number += 1
            self.problems.append(
                RowProblem(self.number, None, repr(value)[:80], "record is not a JSON object")
            )
            return
        if "data" in value or "errors" in value:
            self.response(value, context)
            return
        self.add(_record(value, context))

    def response(self, response: dict, context: dict) -> None:
        """A v2 response or a v1.1 error response: its records share its context."""
        context = {**context, **{k: response[k] for k in _CONTEXT_FIELDS if k in response}}
        for name, kind in _LOOKUP_FIELDS:
            if response.get(name) is not None:
                context.setdefault("lookup", (kind, id_text(response[name])))
                break
        includes = response.get("includes")
        if isinstance(includes, dict):
            authors = {}
            for user in includes.get("users") or []:
                if isinstance(user, dict):
                    self.user(user.get("id"), user.get("username"))
                    if user.get("id") is not None:
                        authors[id_text(user.get("id"))] = user
            context = {**context, "authors": authors}
        data = response.get("data")
        if data is not None:
            for item in data if isinstance(data, list) else [data]:
                self.value(item, context)
        for error in response.get("errors") or []:
            if isinstance(error, dict):
                self.add(_error(error, context))
            else:
                self.value(error, context)

    def add(self, row: tuple[list, list[tuple]]) -> None:
        record, users = row
        self.number += 1
        self.rows.append(record)
        self.numbers.append(self.number)
        for user_id, name in users:
            self.user(user_id, name)

    def user(self, user_id: object, name: object) -> None:
        if user_id is not None and isinstance(name, str) and name.strip():
            self.users.append((id_text(user_id), name.strip()))


def _get(record: dict, context: dict, name: str) -> object:
    value = record.get(name)
    return context.get(name) if value is None else value


def _record(obj: dict, context: dict) -> tuple[list, list[tuple]]:
    """One user, tweet or compliance message."""
    users = []
    for wrapper, kind in (("status_withheld", "tweet"), ("user_withheld", "user_id")):
        if isinstance(obj.get(wrapper), dict):
            inner = obj[wrapper]
            target = id_text(inner.get("id"))
            row = [wrapper, kind, target, joined(inner.get("withheld_in_countries"))]
            row += [None, None, None, None, None]
            row += [_get(obj, context, "checked_at") or inner.get("checked_at")]
            row += [_get(obj, context, "order_id"), None, None]
            return row, users
    withheld = obj.get("withheld") if isinstance(obj.get("withheld"), dict) else {}
    countries = obj.get("withheld_in_countries", withheld.get("country_codes"))
    copyright_ = obj.get("withheld_copyright", withheld.get("copyright"))
    scope = obj.get("withheld_scope", withheld.get("scope"))
    oid = id_text(obj.get("id_str", obj.get("id")))
    name = obj.get("screen_name", obj.get("username"))
    embedded = obj.get("user") if isinstance(obj.get("user"), dict) else None
    author: dict | None = None
    if any(k in obj for k in ("text", "full_text", "author_id")) or embedded is not None:
        record, kind, target = "tweet", "tweet", oid
        if embedded is not None:
            users.append((embedded.get("id_str", embedded.get("id")), embedded.get("screen_name")))
            author = embedded
        elif obj.get("author_id") is not None:
            author = context.get("authors", {}).get(id_text(obj.get("author_id")))
    elif name is not None:
        record, kind, target = "user", "account", name
        users.append((oid, name))
    elif oid is not None:
        record, kind, target = "unknown", None, oid
    else:
        record, kind, target = "unknown", None, None
    row = [record, kind, target, joined(countries), copyright_, scope, None, None, None]
    row += [_get(obj, context, "checked_at"), _get(obj, context, "order_id")]
    return row + _author(author), users


def _author(user: dict | None) -> list:
    """``author`` and ``author_countries`` of a tweet's author object (see the module
    docstring); both None without an object or a name."""
    if user is None:
        return [None, None]
    name = user.get("screen_name", user.get("username"))
    if not isinstance(name, str) or not name.strip():
        return [None, None]
    if "withheld_in_countries" in user:
        listed = user["withheld_in_countries"]
    elif isinstance(user.get("withheld"), dict):
        listed = user["withheld"].get("country_codes")
    else:
        return [name.strip(), None]
    return [name.strip(), joined(listed) or ""]


def _error(error: dict, context: dict) -> tuple[list, list[tuple]]:
    """One error: v2 names its item; v1.1 relies on the lookup saved beside it."""
    kind, target = context.get("lookup", (None, None))
    resource_type = str(error.get("resource_type") or "").lower()
    resource_id = id_text(error.get("resource_id"))
    if resource_type == "tweet":
        kind, target = "tweet", resource_id
    elif resource_type == "user":
        parameter = str(error.get("parameter") or "").lower()
        if parameter.startswith("username"):
            kind, target = "account", id_text(error.get("value")) or resource_id
        else:
            kind, target = "user_id", resource_id
    for name, lookup_kind in _LOOKUP_FIELDS:
        if target is None and error.get(name) is not None:
            kind, target = lookup_kind, id_text(error[name])
    row = ["error", kind, target, None, None, None]
    row += [id_text(error.get("code")), error.get("title")]
    row += [error.get("detail", error.get("message"))]
    row += [_get(error, context, "checked_at"), _get(error, context, "order_id"), None, None]
    return row, []
