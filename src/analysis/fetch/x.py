"""``takedowns watch``: look up the accounts and posts that orders name, again and again.

What a run does (docs/refresh.md says it for readers):

1. Lookups saved by an earlier run but not yet in the checks dataset (a run stopped between
   saving and appending, or a fresh copy of the dataset) are appended first.
2. The items of the chosen orders (``processed/items.parquet``; platform ``twitter``) are
   looked up through the X API v2: accounts by handle with ``GET /2/users/by?usernames=``,
   posts by id with ``GET /2/tweets?ids=``, 100 to a request, asking for the ``withheld``
   field. **Items already gone** (their last check says ``suspended`` or ``not_found``) are
   looked up only when that check is older than ``recheck_gone_after`` (24 hours by default),
   not on every run: they seldom come back, and each lookup costs money.
3. Each response is saved as X sent it, as a new file whose name is the time it arrived::

       data/raw/x-lookups/<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>-users-001.json
       data/raw/x-lookups/log/<run start>.jsonl     one line per request

   That time is the lookup's ``checked_at`` (UTC, to the second).
4. The saved responses are appended to the checks dataset with
   :func:`analysis.scale.append.append_files`, exactly as ``takedowns append`` reads X API
   lookups, each with its ``checked_at``. A record X answered with an error that says nothing
   about the state (a post whose author is protected or suspended: "not authorized") is
   reported and left out; the others of the response are appended.
5. The run reports how many items changed state (``withheld``, ``visible``, ``suspended``,
   ``not_found``, and the countries withheld in) since their previous check.

Which saved responses are in the dataset is listed in the dataset folder
(``_lookups-appended.txt``; readers of the dataset skip names starting with ``_``), so a
dataset rebuilt from nothing gets every saved lookup again (``--replay``, no network).
Handles of more than 15 characters (accounts older than X's limit), URLs and hashtags cannot
be looked up by these endpoints: they are counted, not asked for.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as pads

from analysis.core import schema
from analysis.core.errors import InputError
from analysis.fetch import http, saved
from analysis.ingest.sources import Source
from analysis.scale import dataset
from analysis.scale.append import FeedResult, append_files
from analysis.store.atomic import fsync_dir, remove_stale_temporaries, stage_bytes
from analysis.store.processed import read_tables

FOLDER = "x-lookups"
BATCH = 100  # X's most ids or usernames per lookup request
USERS_PATH = "/2/users/by"
TWEETS_PATH = "/2/tweets"
USER_FIELDS = "withheld"
TWEET_FIELDS = "withheld,author_id"
GONE_STATES = ("suspended", "not_found")
RECHECK_GONE_AFTER = dt.timedelta(hours=24)
#: In the dataset folder: the saved lookups already appended to it, one path a line.
APPENDED = "_lookups-appended.txt"
PLATFORM = "twitter"
_LOOKUP_FILE = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}Z)-(?P<kind>users|tweets)-(?P<n>\d+)(?:-\d+)?\.json$"
)
# X v2 refuses a whole request when one username breaks its pattern.
_LOOKABLE_HANDLE = re.compile(r"^[a-z0-9_]{1,15}$")


@dataclass
class Lookup:
    """One request: up to :data:`BATCH` handles or post ids."""

    kind: str  # users | tweets
    values: list[str]

    @property
    def path(self) -> str:
        return USERS_PATH if self.kind == "users" else TWEETS_PATH

    def params(self) -> dict[str, str]:
        if self.kind == "users":
            return {"usernames": ",".join(self.values), "user.fields": USER_FIELDS}
        return {"ids": ",".join(self.values), "tweet.fields": TWEET_FIELDS}


@dataclass
class Plan:
    """What a run will ask for, and what it leaves out and why."""

    lookups: list[Lookup]
    items: int  # items of the chosen orders
    orders: int
    due: list[str]  # item ids looked up this run
    gone_not_due: int  # gone items whose last check is recent enough
    not_lookable: Counter = field(default_factory=Counter)  # reason -> items


@dataclass
class WatchResult:
    """What a run (or a replay) did."""

    plan: Plan | None = None
    replayed: FeedResult | None = None  # the earlier runs' lookups appended first
    replayed_files: int = 0
    appended: FeedResult | None = None
    saved: list[Path] = field(default_factory=list)
    requests: int = 0
    changes: Counter = field(default_factory=Counter)  # (before, after) -> items
    first_seen: int = 0
    unchanged: int = 0
    unanswered: int = 0  # looked up, but no check of it could be appended
    dry_run: list[str] = field(default_factory=list)
    log: Path | None = None

    def lines(self, dataset_dir: Path) -> list[str]:
        """The one-screen summary the command prints."""
        if self.dry_run:
            return self.dry_run
        out = []
        if self.replayed_files:
            checks = self.replayed.checks if self.replayed else 0
            out.append(
                f"Appended {self.replayed_files} saved lookup file(s) not yet in {dataset_dir} "
                f"({checks} checks)"
            )
        plan = self.plan
        if plan is None:
            if not out:
                out.append(f"Every saved lookup is already in {dataset_dir}")
            return out
        out.append(
            f"Watched {len(plan.due)} of the {plan.items} items of {plan.orders} order(s): "
            f"{self.requests} request(s), {len(self.saved)} response(s) saved"
        )
        if plan.gone_not_due:
            out.append(
                f"{plan.gone_not_due} item(s) already gone (suspended or not found) were not "
                "looked up: they are checked less often, once their last check is "
                "old enough (--recheck-gone-after)"
            )
        for reason, n in sorted(plan.not_lookable.items()):
            out.append(f"{n} item(s) cannot be looked up: {reason}")
        if self.appended is not None:
            checks = self.appended.checks
            out.append(f"Appended {checks} check(s) to {dataset_dir}")
        if self.plan.due:
            changed = sum(self.changes.values())
            detail = ", ".join(
                f"{n} {before} -> {after}" for (before, after), n in self.changes.most_common()
            )
            out.append(
                f"{changed} item(s) changed state since their last check"
                + (f" ({detail})" if detail else "")
                + f"; {self.unchanged} unchanged; {self.first_seen} checked for the first time"
            )
        if self.unanswered:
            out.append(
                f"{self.unanswered} item(s) got an answer that does not say their state (listed "
                "below); nothing was appended for them"
            )
        if self.log is not None:
            out.append(f"Requests logged in {self.log}")
        return out


# --- the saved lookups and the dataset ---------------------------------------------------------


def saved_lookups(raw_dir: Path) -> list[Path]:
    """Every lookup response a watch saved, oldest first."""
    root = raw_dir / FOLDER
    if not root.is_dir():
        return []
    found = [p for p in root.glob("*/*.json") if p.is_file() and _LOOKUP_FILE.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def lookup_source(raw_dir: Path, path: Path) -> Source:
    """The ``x_snapshots`` source reading one saved response, with its ``checked_at`` (the
    time in its name, UTC): the response itself does not carry one."""
    found = _LOOKUP_FILE.match(path.name)
    if not found:
        raise InputError(
            f"{path}: not a lookup saved by `takedowns watch` (its name gives no time)"
        )
    checked_at = saved.parse_stamp(found["stamp"]).isoformat().replace("+00:00", "Z")
    return Source(
        name=path.relative_to(raw_dir).as_posix(),
        path=path.resolve(),
        kind="x_snapshots",
        columns={},
        defaults={"checked_at": checked_at},
        timezone="UTC",
    )


def appended_lookups(dataset_dir: Path) -> set[str]:
    """The saved lookups (paths relative to the raw folder) already in the dataset."""
    path = dataset_dir / APPENDED
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _mark_appended(dataset_dir: Path, names: Iterable[str]) -> None:
    """Add ``names`` to the dataset's list of appended lookups (atomically)."""
    names = set(names)
    if not names:
        return
    done = appended_lookups(dataset_dir) | names
    dataset_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(dataset_dir)
    target = dataset_dir / APPENDED
    tmp = stage_bytes(("\n".join(sorted(done)) + "\n").encode("utf-8"), target)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(dataset_dir)


def append_lookups(raw_dir: Path, dataset_dir: Path, files: list[Path]) -> FeedResult | None:
    """Append saved lookups to the dataset, as ``takedowns append`` does, each with the
    ``checked_at`` its name gives; records that give no state are returned as rejects, the
    rest appended. Then list them as appended. ``None`` when there is nothing to append."""
    if not files:
        return None
    sources = [lookup_source(raw_dir, f) for f in files]
    result = append_files(sources, dataset_dir, partial=True)
    _mark_appended(dataset_dir, (s.name for s in sources))
    return result


def pending_lookups(raw_dir: Path, dataset_dir: Path) -> list[Path]:
    """Saved lookups not yet in the dataset."""
    done = appended_lookups(dataset_dir)
    return [p for p in saved_lookups(raw_dir) if p.relative_to(raw_dir).as_posix() not in done]


def latest_states(dataset_dir: Path, item_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Each item's latest check in the dataset: ``item_id`` (index), ``checked_at`` (UTC),
    ``state``, ``countries`` (sorted, comma-joined; empty when none). Items never checked are
    absent. Only the four columns of the wanted items are read."""
    columns = ["item_id", "checked_at", "state", "countries"]
    files = dataset.data_files(dataset_dir)
    if not files:
        return pd.DataFrame(columns=columns[1:], index=pd.Index([], name="item_id", dtype="str"))
    data = pads.dataset([str(f) for f in files], format="parquet", schema=schema.CHECKS)
    wanted = None if item_ids is None else pc.field("item_id").isin(sorted(set(item_ids)))
    frame = data.to_table(columns=columns, filter=wanted).to_pandas()
    frame["countries"] = frame["countries"].map(_countries)
    frame = frame.sort_values(columns, kind="stable")
    return frame.drop_duplicates("item_id", keep="last").set_index("item_id")


def _countries(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return ",".join(sorted({p.strip().upper() for p in str(value).split(",") if p.strip()}))


# --- choosing what to look up ------------------------------------------------------------------


def watched_items(processed: Path, orders: Iterable[str] = ()) -> tuple[pd.DataFrame, int]:
    """The distinct items of the chosen orders (all orders on ``twitter`` when none are
    given) and how many orders that is. Raises :class:`InputError` for an order that is not
    in the data or not on Twitter/X."""
    tables = read_tables(processed, ("orders", "items"))
    all_orders, items = tables["orders"], tables["items"]
    chosen = list(dict.fromkeys(o.strip() for o in orders if o.strip()))
    platforms = dict(zip(all_orders["order_id"], all_orders["platform"].fillna(""), strict=True))
    for order_id in chosen:
        if order_id not in platforms:
            raise InputError(f"--order {order_id!r} is not an order in {processed}")
        if platforms[order_id] != PLATFORM:
            raise InputError(
                f"--order {order_id!r} is an order to {platforms[order_id] or 'no platform'}, "
                "not Twitter/X; only its items can be looked up on X"
            )
    if not chosen:
        chosen = [o for o, p in platforms.items() if p == PLATFORM]
    mine = items[items["order_id"].isin(chosen)]
    mine = mine.drop_duplicates("item_id")[["item_id", "item_type", "handle", "tweet_id"]]
    return mine.reset_index(drop=True), len(chosen)


def plan_lookups(
    items: pd.DataFrame,
    states: pd.DataFrame,
    now: dt.datetime,
    *,
    orders: int,
    recheck_gone_after: dt.timedelta = RECHECK_GONE_AFTER,
) -> Plan:
    """Which items to look up now, in requests of :data:`BATCH`: every item that can be
    looked up, except gone items checked less than ``recheck_gone_after`` ago."""
    not_lookable: Counter = Counter()
    handles: list[tuple[str, str]] = []
    tweets: list[tuple[str, str]] = []
    gone_not_due = 0
    cutoff = pd.Timestamp(now) - pd.Timedelta(recheck_gone_after)
    for row in items.itertuples(index=False):
        if row.item_id in states.index:
            last = states.loc[row.item_id]
            if last["state"] in GONE_STATES and last["checked_at"] > cutoff:
                gone_not_due += 1
                continue
        if row.item_type == "account" and isinstance(row.handle, str):
            if _LOOKABLE_HANDLE.fullmatch(row.handle):
                handles.append((row.handle, row.item_id))
            else:
                not_lookable["handles longer than 15 characters (X looks up 1-15)"] += 1
        elif row.item_type == "tweet" and isinstance(row.tweet_id, str):
            tweets.append((row.tweet_id, row.item_id))
        else:
            not_lookable[f"{row.item_type}s (only accounts and posts can be looked up)"] += 1
    handles.sort()
    tweets.sort(key=lambda t: (len(t[0]), t[0]))
    lookups = [
        Lookup(kind, [v for v, _ in group[i : i + BATCH]])
        for kind, group in (("users", handles), ("tweets", tweets))
        for i in range(0, len(group), BATCH)
    ]
    return Plan(
        lookups=lookups,
        items=len(items),
        orders=orders,
        due=[i for _, i in handles + tweets],
        gone_not_due=gone_not_due,
        not_lookable=not_lookable,
    )


# --- a run -------------------------------------------------------------------------------------


def replay(raw_dir: Path, dataset_dir: Path) -> WatchResult:
    """Append the saved lookups not yet in the dataset; no network, no token."""
    pending = pending_lookups(raw_dir, dataset_dir)
    result = WatchResult(replayed_files=len(pending))
    result.replayed = append_lookups(raw_dir, dataset_dir, pending)
    return result


def watch(
    data_dir: Path,
    *,
    dataset_dir: Path,
    orders: Iterable[str] = (),
    recheck_gone_after: dt.timedelta = RECHECK_GONE_AFTER,
    url: str | None = None,
    dry_run: bool = False,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> WatchResult:
    """Look up the items of ``orders`` (default: every order to Twitter/X) and append what X
    says to the checks dataset; see the module docstring. ``data_dir`` holds ``raw/`` and
    ``processed/``. ``transport``, ``sleep`` and ``clock`` are for tests
    (:class:`analysis.fetch.http.Client`).

    Raises :class:`InputError` (a :class:`analysis.fetch.http.FetchError` for the API) in one
    sentence; every response saved before it stays saved, and the next run appends it.
    """
    raw_dir = data_dir / "raw"
    base = http.base_url(http.X, url)
    now = clock or (lambda: dt.datetime.now(dt.UTC).timestamp())
    started = dt.datetime.fromtimestamp(now(), dt.UTC)
    items, n_orders = watched_items(data_dir / "processed", orders)
    if dry_run:
        pending = pending_lookups(raw_dir, dataset_dir)
        states = latest_states(dataset_dir, items["item_id"])
        plan = plan_lookups(
            items, states, started, orders=n_orders, recheck_gone_after=recheck_gone_after
        )
        return WatchResult(plan=plan, dry_run=_dry_run(base, plan, pending))
    token_value = http.token(http.X)  # before anything is written: a missing token stops here
    result = replay(raw_dir, dataset_dir)
    states = latest_states(dataset_dir, items["item_id"])
    plan = plan_lookups(
        items, states, started, orders=n_orders, recheck_gone_after=recheck_gone_after
    )
    result.plan = plan
    log = saved.RunLog(raw_dir / FOLDER, started)
    options: dict = {"transport": transport, "clock": now}
    if sleep is not None:
        options["sleep"] = sleep
    with http.Client(http.X, base, token_value, **options) as client:
        try:
            with http.progress(len(plan.due), "X lookups", "item") as bar:
                for number, lookup in enumerate(plan.lookups, 1):
                    answer = client.get(lookup.path, lookup.params())
                    _check_lookup(answer)
                    result.saved.append(_save(raw_dir, lookup, number, answer, log))
                    bar.update(len(lookup.values))
        finally:
            result.requests = client.requests
            result.log = log.path if log.lines else None
    if result.saved:
        result.appended = append_lookups(raw_dir, dataset_dir, result.saved)
    _compare(result, states, latest_states(dataset_dir, plan.due), started)
    return result


def _check_lookup(answer: http.Answer) -> None:
    """A lookup answer holds ``data`` or ``errors``; anything else is not saved, since the
    reader could make no check of it (and every later append would stumble on it)."""
    value = answer.value
    if not (isinstance(value, dict) and ("data" in value or "errors" in value)):
        raise http.FetchError(
            f"X's answer to {answer.url} is JSON but holds neither 'data' nor 'errors'; "
            "nothing of it was saved"
        )


def _save(raw_dir: Path, lookup: Lookup, number: int, answer: http.Answer, log) -> Path:
    """Save one response under the day and second it arrived; log it."""
    day = answer.received_at.strftime("%Y-%m-%d")
    name = f"{saved.stamp(answer.received_at)}-{lookup.kind}-{number:03d}.json"
    target = raw_dir / FOLDER / day / name
    n = 1
    while target.exists():  # two answers in one second of two runs: keep both
        n += 1
        target = target.with_name(f"{name[:-5]}-{n}.json")
    saved.save_new(answer.body, target)
    log.write(
        {
            "at": answer.received_at.isoformat().replace("+00:00", "Z"),
            "url": answer.url,
            "status": answer.status,
            "bytes": len(answer.body),
            "sha256": saved.sha256(answer.body),
            "saved": target.relative_to(raw_dir).as_posix(),
            "kind": lookup.kind,
            "asked": len(lookup.values),
            "remaining": answer.headers.get("x-rate-limit-remaining"),
        }
    )
    return target


def _compare(
    result: WatchResult, before: pd.DataFrame, after: pd.DataFrame, started: dt.datetime
) -> None:
    """Count the looked-up items whose state (or countries withheld in) differs from their
    previous check; first checks and items with no new check are counted apart."""
    start = pd.Timestamp(started)
    for item_id in result.plan.due if result.plan else []:
        new = after.loc[item_id] if item_id in after.index else None
        if new is None or new["checked_at"] < start.floor("s"):
            result.unanswered += 1
            continue
        if item_id not in before.index:
            result.first_seen += 1
            continue
        old = before.loc[item_id]
        was, now = _shown_state(old), _shown_state(new)
        if was == now:
            result.unchanged += 1
        else:
            result.changes[(was, now)] += 1


def _shown_state(row: pd.Series) -> str:
    if row["state"] == "withheld" and row["countries"]:
        return f"withheld in {row['countries']}"
    return str(row["state"])


def _dry_run(base: str, plan: Plan, pending: list[Path]) -> list[str]:
    token = http.token_state(http.X)
    lines = ["Dry run: no request is made, nothing is written."]
    if pending:
        lines.append(f"First, {len(pending)} saved lookup file(s) would be appended to the dataset")
    lines.append(
        f"{len(plan.due)} of the {plan.items} items of {plan.orders} order(s) would be looked up "
        f"in {len(plan.lookups)} request(s) (header Authorization: Bearer from "
        f"{http.X.token_env}, {token}):"
    )
    for lookup in plan.lookups:
        lines.append(f"GET {httpx.URL(base + lookup.path, params=lookup.params())}")
    if plan.gone_not_due:
        lines.append(
            f"{plan.gone_not_due} item(s) already gone would not be looked up (checked less often)"
        )
    for reason, n in sorted(plan.not_lookable.items()):
        lines.append(f"{n} item(s) cannot be looked up: {reason}")
    return lines
