"""Hand-written stand-ins for the Lumen and X APIs, for the fetch and watch tests.

No test touches the network: every request goes to :class:`FakeLumen` or :class:`FakeX`
through ``httpx.MockTransport``, or to routes set up with ``respx``. Each fake records what it
was asked and the exact bytes it answered, so a test can compare them with the saved files.
The bodies follow the shapes in the APIs' documentation (docs/refresh.md cites them).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx

LUMEN_URL = "https://lumen.test"
X_URL = "https://x.test"


def epoch(text: str) -> float:
    """Epoch seconds of an ISO time given in UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


class Clock:
    """A clock tests move by hand; ``sleep`` advances it and records the wait."""

    def __init__(self, start: str):
        self.now = epoch(start)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- Lumen --------------------------------------------------------------------------------------


def lumen_notice(notice_id: int, urls: list[str], received: str = "2021-04-22T10:00:00.000Z"):
    """A government-request notice as ``GET /notices/<id>.json`` wraps it."""
    return {
        "government_request": {
            "id": notice_id,
            "type": "GovernmentRequest",
            "title": f"Government request {notice_id}",
            "body": None,
            "date_sent": None,
            "date_received": received,
            "topics": [],
            "sender_name": "Ministry of Electronics and Information Technology",
            "principal_name": None,
            "recipient_name": "Twitter, Inc.",
            "works": [
                {"description": None, "infringing_urls": [{"url": u} for u in urls]},
            ],
            "tags": [],
            "jurisdictions": ["IN"],
            "action_taken": "Partial",
            "language": "en",
        }
    }


def lumen_page(ids: list[int], page: int, pages: int, total: int, per_page: int = 2) -> dict:
    """A search page listing ``ids`` (hits carry a score and fewer fields)."""
    return {
        "notices": [
            {"id": i, "score": None, "type": "GovernmentRequest", "title": f"Notice {i}"}
            for i in ids
        ],
        "meta": {
            "current_page": page,
            "next_page": page + 1 if page < pages else None,
            "previous_page": page - 1 if page > 1 else None,
            "offset": (page - 1) * per_page,
            "per_page": per_page,
            "total_entries": total,
            "total_pages": pages,
            "query": {"term": None},
        },
    }


class FakeLumen:
    """Lumen with ``pages`` (lists of notice ids) and one notice per id.

    ``fail`` maps a request number (1-based) to a response or an exception to give instead,
    so a test can make the n-th request fail, time out or stop the run.
    """

    def __init__(self, pages: list[list[int]], fail: dict | None = None, token: str = "tok"):
        self.pages = pages
        self.fail = fail or {}
        self.token = token
        self.requests: list[httpx.Request] = []
        self.bodies: dict[str, bytes] = {}  # path?query -> the last body answered

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        planned = self.fail.get(len(self.requests))
        if isinstance(planned, BaseException):
            raise planned
        if planned is not None:
            return planned
        if request.headers.get("X-Authentication-Token") != self.token:
            return httpx.Response(401, text="Unauthorized: token missing or incorrectly applied")
        path = request.url.path
        if path == "/notices/search.json":
            page = int(request.url.params.get("page", "1"))
            ids = self.pages[page - 1] if page <= len(self.pages) else []
            total = sum(len(p) for p in self.pages)
            value = lumen_page(ids, page, len(self.pages), total)
        elif path.startswith("/notices/") and path.endswith(".json"):
            notice_id = int(path.rsplit("/", 1)[1].removesuffix(".json"))
            if notice_id >= 900:
                return httpx.Response(404, json={"error": "Not found"})
            value = lumen_notice(notice_id, [f"https://twitter.com/user{notice_id}"])
        else:
            return httpx.Response(404)
        body = json.dumps(value, indent=1).encode("utf-8")
        self.bodies[f"{path}?{request.url.params}"] = body
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    def paths(self) -> list[str]:
        return [
            r.url.path + (f"?page={r.url.params['page']}" if "page" in r.url.params else "")
            for r in self.requests
        ]


# --- X -------------------------------------------------------------------------------------------

NOT_AUTHORIZED = "not_authorized"  # a post whose author is protected or suspended


class FakeX:
    """X API v2 lookups answered from ``world``: item (handle or tweet id) -> ``visible``,
    ``withheld`` (in India), ``suspended``, ``not_found`` or :data:`NOT_AUTHORIZED`."""

    def __init__(self, world: dict[str, str], fail: dict | None = None, token: str = "xtok"):
        self.world = world
        self.fail = fail or {}
        self.token = token
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        planned = self.fail.get(len(self.requests))
        if isinstance(planned, BaseException):
            raise planned
        if planned is not None:
            return planned
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(
                401,
                json={
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if request.url.path == "/2/users/by":
            assert request.url.params["user.fields"] == "withheld"
            value = self._users(request.url.params["usernames"].split(","))
        else:
            assert request.url.path == "/2/tweets"
            assert "withheld" in request.url.params["tweet.fields"]
            value = self._tweets(request.url.params["ids"].split(","))
        body = json.dumps(value).encode("utf-8")
        self.bodies.append(body)
        return httpx.Response(
            200,
            content=body,
            headers={"content-type": "application/json", "x-rate-limit-remaining": "299"},
        )

    def _users(self, names: list[str]) -> dict:
        data, errors = [], []
        for i, name in enumerate(names):
            state = self.world.get(name, "visible")
            user = {"id": str(1000 + i), "name": name.title(), "username": name.title()}
            if state == "visible":
                data.append(user)
            elif state == "withheld":
                data.append({**user, "withheld": {"country_codes": ["IN"]}})
            elif state == "suspended":
                errors.append(
                    {
                        "parameter": "usernames",
                        "resource_id": name,
                        "value": name,
                        "detail": f"User has been suspended: [{name}].",
                        "title": "Forbidden",
                        "resource_type": "user",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
            else:
                errors.append(
                    {
                        "value": name,
                        "detail": f"Could not find user with usernames: [{name}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "usernames",
                        "resource_id": name,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
        return _response(data, errors)

    def _tweets(self, ids: list[str]) -> dict:
        data, errors = [], []
        for tweet_id in ids:
            state = self.world.get(tweet_id, "visible")
            tweet = {
                "id": tweet_id,
                "text": "a post",
                "author_id": "2244994945",
                "edit_history_tweet_ids": [tweet_id],
            }
            if state == "visible":
                data.append(tweet)
            elif state == "withheld":
                data.append({**tweet, "withheld": {"copyright": False, "country_codes": ["IN"]}})
            elif state == NOT_AUTHORIZED:
                errors.append(
                    {
                        "value": tweet_id,
                        "parameter": "ids",
                        "resource_type": "tweet",
                        "section": "data",
                        "title": "Authorization Error",
                        "detail": f"Sorry, you are not authorized to see the Tweet with ids: "
                        f"[{tweet_id}].",
                        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                    }
                )
            else:
                errors.append(
                    {
                        "detail": f"Could not find tweet with ids: [{tweet_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "value": tweet_id,
                        "resource_id": tweet_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
        return _response(data, errors)


def _response(data: list, errors: list) -> dict:
    value: dict = {}
    if data:
        value["data"] = data
    if errors:
        value["errors"] = errors
    return value


# --- a data folder with orders and the items they name -----------------------------------------

SOURCES = """\
# Two orders to Twitter and the items they name (tests/fetch_data.py).
[[source]]
path = "orders.csv"
kind = "orders"
timezone = "UTC"
dayfirst = false
[source.defaults]
country = "IN"
platform = "twitter"
[source.columns]
"Order" = "order_id"
"Issued" = "issued_at"

[[source]]
path = "items.csv"
kind = "items"
[source.columns]
"Order" = "order_id"
"Item" = "item"
"""
ORDERS = "Order,Issued\nA-1,2026-05-01 08:00\nB-2,2026-05-01 08:00\n"
#: @alice and a post of bob's (A-1); @carol and a hashtag (B-2).
ITEMS = (
    "Order,Item\n"
    "A-1,@Alice\n"
    "A-1,https://twitter.com/bob/status/1000000000000000001\n"
    "B-2,@carol\n"
    "B-2,#farmers\n"
)
TWEET = "1000000000000000001"


def data_folder(root: Path, *, clean: bool = True) -> Path:
    """``root/raw`` with the orders and items above, cleaned into ``root/processed``."""
    raw = root / "raw"
    raw.mkdir(parents=True)
    (raw / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (raw / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (raw / "items.csv").write_text(ITEMS, encoding="utf-8")
    if clean:
        from analysis.clean.pipeline import clean as run_clean

        run_clean(raw, root / "processed")
    return root


def temporaries(folder: Path) -> list[Path]:
    """Temporary files left anywhere under ``folder``."""
    return [p for p in folder.rglob("*") if p.name.startswith(".tmp-")]
