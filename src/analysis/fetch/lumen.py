"""``takedowns fetch lumen``: search the Lumen database and save each notice it finds.

What a run does (docs/refresh.md says it for readers):

1. ``GET /notices/search.json`` with the query (recipient, jurisdiction, the recipient's
   country, a date-received range, a term), oldest notices first, ``per_page`` to a page,
   following ``meta.next_page`` until it is null.
2. For each notice on a page that is not held yet, ``GET /notices/<id>.json``.

Every answer is saved as Lumen sent it, as a new file (:func:`analysis.fetch.saved.save_new`):

::

    data/raw/lumen/
      notices/<id>.json                      one file per notice: the source `takedowns clean` reads
      searches/<query>/<time>-page-0001.json the search pages, named by query and time
      searches/<query>/query.json            the query's parameters (no token)
      superseded/<id>-<time>.json            a notice's earlier copy, moved aside by --refetch
      log/<run start>.jsonl                  one line per request: what was asked and received

The first notice saved adds a ``[[source]]`` block for ``lumen/notices`` (kind ``lumen``) to
``sources.toml`` if none reads that folder. Search pages are kept for the record but not read
(their notices are in ``notices/``, complete).

**Resuming.** Pages are asked oldest first, so earlier pages do not change when Lumen adds
notices. A run starts at the last page the previous run of the same query saved (asked again:
it may have grown, or the run may have stopped among its notices); ``--from-start`` starts at
page 1. A notice already in ``notices/`` is not asked for again unless ``refetch``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from analysis.core.errors import InputError
from analysis.core.times import DEFAULT_TZ, end_bound_exclusive, start_bound
from analysis.fetch import http, saved

FOLDER = "lumen"
NOTICES = "notices"
SEARCHES = "searches"
SUPERSEDED = "superseded"
SEARCH_PATH = "/notices/search.json"
#: Oldest first: pages already read keep their notices when new ones arrive.
SORT = "date_received asc"
PER_PAGE = 50
SOURCE_COMMENT = (
    "Lumen notices saved by `takedowns fetch lumen`, one file per notice as Lumen sent it.\n"
    "The search pages and a log of every request are kept in lumen/searches/ and lumen/log/."
)
_PAGE_FILE = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)-page-(?P<page>\d+)(?:-\d+)?\.json$")


@dataclass(frozen=True)
class LumenQuery:
    """What to search for; every given criterion must match (Lumen's full-text fields match
    any of their words)."""

    recipient: str | None = None  # recipient_name, full text ("Twitter")
    jurisdiction: str | None = None  # jurisdictions, full text ("IN")
    country: str | None = None  # country_code_facet: the recipient's country, exact
    start: str | None = None  # first day (or time) received, local to ``timezone``
    end: str | None = None  # last day (or time) received
    term: str | None = None  # anywhere in the notice; "quoted" for a phrase
    per_page: int = PER_PAGE
    timezone: str = DEFAULT_TZ

    def params(self) -> dict[str, str]:
        """The search parameters, without ``page`` (and never the token)."""
        if not any((self.recipient, self.jurisdiction, self.country, self.term)) and not (
            self.start or self.end
        ):
            raise InputError(
                "say what to search Lumen for: --recipient, --jurisdiction, --country, --term, "
                "or a --start/--end date range"
            )
        if not 1 <= self.per_page <= 1000:
            raise InputError(f"--per-page must be between 1 and 1000, not {self.per_page}")
        params: dict[str, str] = {}
        for name, value in (
            ("term", self.term),
            ("recipient_name", self.recipient),
            ("jurisdictions", self.jurisdiction),
            ("country_code_facet", self.country),
        ):
            if value is not None and value.strip():
                params[name] = value.strip()
        if self.start or self.end:
            params["date_received_facet"] = self._date_range()
        params["sort_by"] = SORT
        params["per_page"] = str(self.per_page)
        return params

    def _date_range(self) -> str:
        """``<from>..<to>`` in epoch milliseconds, both ends included, as Lumen reads it."""
        try:
            low = start_bound(self.start, self.timezone) if self.start else None
            high = end_bound_exclusive(self.end, self.timezone) if self.end else None
        except ValueError as err:
            raise InputError(f"--start/--end: {err}") from None
        low_ms = 0 if low is None else _epoch_ms(low)
        high_ms = 253402300799999 if high is None else _epoch_ms(high) - 1  # 9999-12-31
        if low_ms > high_ms:
            raise InputError(f"--start {self.start} is after --end {self.end}")
        return f"{low_ms}..{high_ms}"

    def slug(self) -> str:
        """The query's folder name: its criteria in words, then a hash of every parameter
        (``recipient-twitter_jurisdictions-in_2021-01-01..2021-12-31-3f9c0a1b``)."""
        params = self.params()
        parts = [
            f"{name.split('_')[0]}-{params[name]}"
            for name in ("term", "recipient_name", "jurisdictions", "country_code_facet")
            if name in params
        ]
        if self.start or self.end:
            parts.append(f"{self.start or ''}..{self.end or ''}")
        words = "_".join(re.sub(r"[^a-z0-9.]+", "-", p.lower()).strip("-") for p in parts)
        words = words[:60].strip("-_")
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
        return f"{words}-{digest}" if words else digest


def _epoch_ms(when) -> int:
    """Milliseconds since 1970 (UTC) of an aware time, rounded down."""
    return int((when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1))


@dataclass
class LumenResult:
    """What a run did."""

    query: str  # the slug
    pages: int = 0  # search pages saved
    matched: int | None = None  # meta.total_entries of the last page
    notices_seen: int = 0  # notices listed on the pages read
    saved: list[str] = field(default_factory=list)  # notice ids saved
    held: int = 0  # notices skipped: already in notices/
    gone: list[str] = field(default_factory=list)  # notice ids Lumen answered 404 for
    refetched: int = 0
    source_added: bool = False
    requests: int = 0
    dry_run: list[str] = field(default_factory=list)  # the requests a dry run would make
    log: Path | None = None

    def lines(self, raw_dir: Path) -> list[str]:
        if self.dry_run:
            return self.dry_run
        folder = raw_dir / FOLDER / NOTICES
        matched = "" if self.matched is None else f", {self.matched} notices match in all"
        out = [
            f"Searched Lumen ({self.query}): {self.pages} page(s) read, {self.notices_seen} "
            f"notices listed{matched}",
            f"Saved {len(self.saved)} new notice(s) to {folder}; {self.held} already held"
            + (f", {self.refetched} fetched again (--refetch)" if self.refetched else ""),
        ]
        if self.gone:
            out.append(
                f"{len(self.gone)} notice(s) listed but not found when asked for "
                f"(404): {', '.join(self.gone[:10])}"
            )
        if self.source_added:
            out.append(f"Added a [[source]] block for {FOLDER}/{NOTICES} to sources.toml")
        if self.saved:
            out.append("Run `takedowns clean` (or `make report`) to read them")
        if self.log is not None:
            out.append(f"{self.requests} request(s) logged in {self.log}")
        return out


def fetch_lumen(
    raw_dir: Path,
    query: LumenQuery,
    *,
    url: str | None = None,
    refetch: bool = False,
    from_start: bool = False,
    max_pages: int | None = None,
    dry_run: bool = False,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> LumenResult:
    """Search Lumen and save every page and every notice not held yet; see the module
    docstring. ``transport``, ``sleep`` and ``clock`` are for tests (:class:`http.Client`).

    Raises :class:`InputError` (a :class:`http.FetchError` for the API) in one sentence;
    everything saved before it stays saved.
    """
    params = query.params()
    slug = query.slug()
    base = http.base_url(http.LUMEN, url)
    root = raw_dir / FOLDER
    searches = root / SEARCHES / slug
    notices = root / NOTICES
    first = 1 if from_start else _resume_page(searches)
    result = LumenResult(query=slug)
    if dry_run:
        result.dry_run = _plan(base, params, first, notices, refetch)
        return result
    if max_pages is not None and max_pages < 1:
        raise InputError(f"--max-pages must be at least 1, not {max_pages}")
    saved.sources_config(raw_dir)  # a broken sources.toml stops the run before any request
    client_options = {"transport": transport}
    if sleep is not None:
        client_options["sleep"] = sleep
    if clock is not None:
        client_options["clock"] = clock
    now = clock or _now
    log = saved.RunLog(root, dt.datetime.fromtimestamp(now(), dt.UTC))
    with http.Client(http.LUMEN, base, http.token(http.LUMEN), **client_options) as client:
        try:
            _write_query(searches, params)
            page: int | None = first
            declared = False  # whether sources.toml was checked for the notices' block
            with http.progress(None, "Lumen notices", "notice") as bar:
                while page is not None:
                    if max_pages is not None and result.pages >= max_pages:
                        break
                    page, ids = _one_page(client, params, page, searches, log, result)
                    for notice_id in ids:
                        _one_notice(client, notice_id, root, refetch, log, result)
                        bar.update(1)
                        if result.saved and not declared:  # the folder exists from now on
                            result.source_added = saved.declare_source(
                                raw_dir, f"{FOLDER}/{NOTICES}", "lumen", SOURCE_COMMENT
                            )
                            declared = True
        finally:
            result.requests = client.requests
            result.log = log.path if log.lines else None
    return result


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def _one_page(
    client: http.Client,
    params: dict[str, str],
    page: int,
    searches: Path,
    log: saved.RunLog,
    result: LumenResult,
) -> tuple[int | None, list[str]]:
    """Ask for one search page and save it; returns the next page (``None``: the last) and
    the ids of the notices it lists."""
    answer = client.get(SEARCH_PATH, {**params, "page": str(page)})
    value = answer.value
    if not (
        isinstance(value, dict)
        and isinstance(value.get("notices"), list)
        and isinstance(value.get("meta", {}), dict)
    ):
        log.write(_record(answer, kind="search", page=page, saved=None, problem="no notices list"))
        raise http.FetchError(
            f"Lumen's answer to {answer.url} is JSON but not a search result (no 'notices' "
            "list); nothing of it was saved"
        )
    name = f"{saved.stamp(answer.received_at)}-page-{page:04d}.json"
    target = saved.save_new(answer.body, _free(searches / name))
    meta = value.get("meta") or {}
    ids = [_notice_id(n) for n in value["notices"]]
    ids = [i for i in ids if i is not None]
    result.pages += 1
    result.notices_seen += len(ids)
    if isinstance(meta.get("total_entries"), int):
        result.matched = meta["total_entries"]
    nxt = meta.get("next_page")
    log.write(
        _record(
            answer,
            kind="search",
            page=page,
            saved=target.relative_to(searches.parents[2]).as_posix(),
            notices=len(ids),
            next_page=nxt,
        )
    )
    following = (
        int(nxt) if isinstance(nxt, int) or (isinstance(nxt, str) and nxt.isdigit()) else None
    )
    if following is not None and following <= page:  # a page pointing back would loop forever
        following = None
    return following, ids


def _one_notice(
    client: http.Client,
    notice_id: str,
    root: Path,
    refetch: bool,
    log: saved.RunLog,
    result: LumenResult,
) -> None:
    """Ask for one notice unless it is held (or ``refetch``), and save it."""
    target = root / NOTICES / f"{notice_id}.json"
    if target.exists() and not refetch:
        result.held += 1
        return
    answer = client.get(f"/notices/{notice_id}.json", allow=(404,))
    if answer.status == 404:
        result.gone.append(notice_id)
        log.write(_record(answer, kind="notice", notice=notice_id, saved=None, problem="404"))
        return
    if not isinstance(answer.value, dict):
        problem = "not a notice"
        log.write(_record(answer, kind="notice", notice=notice_id, saved=None, problem=problem))
        raise http.FetchError(
            f"Lumen's answer to {answer.url} is JSON but not a notice (not an object); "
            "nothing of it was saved"
        )
    if target.exists():  # --refetch: the earlier copy moves aside, unchanged
        aside = root / SUPERSEDED / f"{notice_id}-{saved.stamp(answer.received_at)}.json"
        saved.move_aside(target, _free(aside))
        result.refetched += 1
    saved.save_new(answer.body, target)
    result.saved.append(notice_id)
    log.write(
        _record(answer, kind="notice", notice=notice_id, saved=f"{FOLDER}/{NOTICES}/{target.name}")
    )


def _record(answer: http.Answer, **fields) -> dict:
    return {
        "at": answer.received_at.isoformat().replace("+00:00", "Z"),
        "url": answer.url,
        "status": answer.status,
        "bytes": len(answer.body),
        "sha256": saved.sha256(answer.body),
        **fields,
    }


def _notice_id(notice: object) -> str | None:
    """A search hit's id as digits (a hit may be wrapped in its type's key)."""
    if isinstance(notice, dict) and len(notice) == 1:
        [inner] = notice.values()
        notice = inner if isinstance(inner, dict) else notice
    value = notice.get("id") if isinstance(notice, dict) else None
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    return text if text.isdigit() else None


def _free(target: Path) -> Path:
    """``target``, or ``<stem>-2<suffix>``... when two answers arrive in the same second."""
    n = 1
    candidate = target
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


def _write_query(searches: Path, params: dict[str, str]) -> None:
    """``query.json`` beside the pages, once: what the folder's pages answer."""
    target = searches / "query.json"
    if not target.exists():
        text = json.dumps({"path": SEARCH_PATH, "params": params}, indent=1, sort_keys=True)
        saved.save_new((text + "\n").encode("utf-8"), target)


def _resume_page(searches: Path) -> int:
    """The page to start at: the last one the previous run of this query saved, else 1."""
    pages = []
    if searches.is_dir():
        for path in searches.iterdir():
            found = _PAGE_FILE.match(path.name)
            if found:
                pages.append((found["stamp"], int(found["page"])))
    return max(pages)[1] if pages else 1


def _plan(base: str, params: dict, first: int, notices: Path, refetch: bool) -> list[str]:
    url = str(httpx.URL(base + SEARCH_PATH, params={**params, "page": str(first)}))
    held = len(list(notices.glob("*.json"))) if notices.is_dir() else 0
    token = http.token_state(http.LUMEN)
    return [
        "Dry run: no request is made, nothing is written.",
        f"GET {url}",
        f"  header X-Authentication-Token from {http.LUMEN.token_env} ({token})",
        "then each further page while meta.next_page is set, and for each notice listed "
        f"GET {base}/notices/<id>.json"
        + (" (all of them: --refetch)" if refetch else f" unless held ({held} held in {notices})"),
        f"at least {http.LUMEN.min_interval:g} s apart",
    ]
