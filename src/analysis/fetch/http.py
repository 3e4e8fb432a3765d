"""The one HTTP room: an ``httpx`` client that retries, waits out rate limits and fails in one
sentence.

Every request of ``takedowns fetch`` and ``takedowns watch`` goes through :class:`Client.get`:

* **Timeouts**: 10 s to connect, 60 s for the rest (:data:`TIMEOUT`).
* **Retries with backoff** (``tenacity``): a timeout, a dropped connection, a body cut short
  (fewer bytes than ``Content-Length`` said, or a connection closed mid-body), a body that is not
  complete JSON, and 500/502/503/504 are tried again, up to :data:`ATTEMPTS` times in all,
  waiting 2, 4, 8... seconds (at most 60) in between.
* **Rate limits**: a 429 waits until ``x-rate-limit-reset`` (X: the epoch second when the window
  resets) or ``Retry-After``, else backs off from 30 s; a response saying
  ``x-rate-limit-remaining: 0`` holds the *next* request until the reset. A wait longer than
  ``max_wait`` (16 minutes: X's windows are 15) stops the run with a sentence instead. X's
  monthly usage cap and a 402 (no credits) are not retried. ``min_interval`` spaces requests
  (Lumen asks for at least a second between them).
* **Tokens** come only from environment variables (:func:`token`). A missing token, a 401 or a
  403 is one sentence naming the variable (:class:`FetchError`, an
  :class:`~analysis.core.errors.InputError`: the CLI prints it and exits 2).
* **Redirects are not followed** (a token sent in a header would travel with them); a 3xx names
  the new address so ``--base-url`` can be pointed at it.

Nothing here writes files; :mod:`analysis.fetch.saved` does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from analysis import __version__
from analysis.core import progress as bars
from analysis.core.errors import InputError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
ATTEMPTS = 5
#: The longest a rate limit may make a run wait, in seconds, before it stops instead.
MAX_WAIT = 16 * 60
RETRY_STATUSES = (500, 502, 503, 504)
USER_AGENT = f"takedowns/{__version__} (takedown-orders analysis; docs/refresh.md)"


class FetchError(InputError):
    """The API could not be used (token, plan, limits, a server that keeps failing): one
    sentence; what was saved before it is kept."""


@dataclass(frozen=True)
class Api:
    """One API: where it lives, how its token is sent, how fast it may be asked."""

    name: str
    default_url: str
    url_env: str  # environment variable overriding the base URL
    token_env: str  # environment variable holding the token
    token_header: str
    token_prefix: str  # "Bearer " for X
    min_interval: float  # seconds between two requests
    token_help: str  # where to get a token, for the error sentence

    def headers(self, token: str) -> dict[str, str]:
        return {self.token_header: self.token_prefix + token, "User-Agent": USER_AGENT}


LUMEN = Api(
    name="Lumen",
    default_url="https://lumendatabase.org",
    url_env="LUMEN_API_URL",
    token_env="LUMEN_API_TOKEN",
    token_header="X-Authentication-Token",
    token_prefix="",
    min_interval=1.0,
    token_help="a researcher token from lumendatabase.org (docs/refresh.md)",
)
X = Api(
    name="X",
    default_url="https://api.x.com",
    url_env="X_API_URL",
    token_env="X_BEARER_TOKEN",
    token_header="Authorization",
    token_prefix="Bearer ",
    min_interval=0.0,
    token_help="the Bearer token of an app in the X developer console (docs/refresh.md)",
)


def base_url(api: Api, given: str | None = None) -> str:
    """The API's base URL: ``given`` (``--base-url``), else ``$<api.url_env>``, else the
    public one. Raises :class:`InputError` unless it is an http(s) URL."""
    url = (given or os.environ.get(api.url_env) or api.default_url).strip().rstrip("/")
    parsed = httpx.URL(url) if "://" in url else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(
            f"{api.name} base URL {url!r} is not an http(s) address "
            f"(from --base-url or {api.url_env})"
        )
    return url


def token(api: Api) -> str:
    """The token from ``$<api.token_env>``; never from a file. Raises :class:`FetchError`."""
    value = os.environ.get(api.token_env, "").strip()
    if not value:
        raise FetchError(f"{api.token_env} is not set: put {api.token_help} in it")
    return value


def token_state(api: Api) -> str:
    """``set`` or ``not set``, for a dry run (the token itself is never printed)."""
    return "set" if os.environ.get(api.token_env, "").strip() else "not set"


@dataclass
class Answer:
    """One usable response: its exact body bytes, the JSON they hold, and when it arrived."""

    url: str  # as requested; tokens travel in headers, never in the URL
    status: int
    body: bytes
    value: object  # the parsed JSON (None for an allowed non-200 status)
    received_at: dt.datetime  # UTC
    headers: dict[str, str] = field(default_factory=dict)


class _Again(Exception):
    """A failure worth another try; ``wait`` (seconds) when the server said how long."""

    def __init__(self, reason: str, wait: float | None = None, slow: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.slow = slow  # a 429 without a reset: back off from 30 s, not 2 s


class Client:
    """GET requests to one API with the behaviour described in the module docstring.

    ``transport`` replaces the network (tests pass ``httpx.MockTransport``); ``sleep`` and
    ``clock`` (epoch seconds) replace ``time.sleep`` and ``time.time`` so tests neither wait
    nor depend on the hour.
    """

    def __init__(
        self,
        api: Api,
        url: str,
        token_value: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        attempts: int = ATTEMPTS,
        max_wait: float = MAX_WAIT,
    ):
        self.api = api
        self._sleep = sleep
        self._clock = clock
        self.attempts = attempts
        self.max_wait = max_wait
        self._last: float | None = None  # when the last request was sent
        self._not_before = 0.0  # the rate limit says: no request before this
        self.requests = 0  # sent, retries included
        self._client = httpx.Client(
            base_url=url,
            headers=api.headers(token_value),
            timeout=TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def url(self, path: str, params: dict[str, str] | None = None) -> str:
        """The full URL a GET of ``path`` with ``params`` asks for."""
        return str(self._client.build_request("GET", path, params=params).url)

    def get(self, path: str, params: dict[str, str] | None = None, *, allow=()) -> Answer:
        """GET ``path``; the answer when it is 200 with a JSON body, or a status in ``allow``
        (e.g. 404 for a notice that is gone). Raises :class:`FetchError` otherwise, after
        retrying what may pass."""
        retrying = Retrying(
            retry=retry_if_exception_type(_Again),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(path, params, allow)
        except _Again as again:
            raise FetchError(
                f"{self.api.name} gave no usable answer to GET {self.url(path, params)} in "
                f"{self.attempts} tries (last: {again.reason}); what was saved before is kept, "
                "run the command again to continue"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # --- one try ---------------------------------------------------------------------------

    def _once(self, path: str, params: dict[str, str] | None, allow) -> Answer:
        self._pace()
        request = self._client.build_request("GET", path, params=params)
        self.requests += 1
        self._last = self._clock()
        try:
            response = self._client.send(request)  # reads the whole body
        except httpx.TimeoutException as err:
            raise _Again(f"timed out ({type(err).__name__})") from None
        except httpx.TransportError as err:  # refused, reset, or closed before the body ended
            raise _Again(f"the connection failed ({type(err).__name__}: {err})") from None
        self._note_limits(response)
        status = response.status_code
        url = str(request.url)
        if status in (401, 403):
            raise FetchError(
                f"{self.api.name} refused the token in {self.api.token_env} "
                f"({status} {response.reason_phrase}: {_detail(response)}); "
                f"check that it holds {self.api.token_help}"
            )
        if status == 402 or (status == 429 and _usage_capped(response)):
            raise FetchError(
                f"{self.api.name} will not answer until the account's credits or usage cap "
                f"allow it ({status}: {_detail(response)}); nothing more was fetched"
            )
        if status == 429:
            raise _Again(f"429 {_detail(response)}", wait=self._limit_wait(response), slow=True)
        if status in RETRY_STATUSES:
            raise _Again(f"{status} {response.reason_phrase}")
        if 300 <= status < 400:
            raise FetchError(
                f"{self.api.name} redirected GET {url} to {response.headers.get('location')!r}; "
                f"point --base-url (or {self.api.url_env}) there"
            )
        received = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        headers = dict(response.headers)
        if status != 200:
            if status in allow:
                return Answer(url, status, response.content, None, received, headers)
            raise FetchError(
                f"{self.api.name} refused GET {url}: {status} {response.reason_phrase} "
                f"({_detail(response)})"
            )
        body = response.content
        _check_complete(response, body)
        try:
            value = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise _Again(f"the body is not complete JSON ({err}; {len(body)} bytes)") from None
        return Answer(url, status, body, value, received, headers)

    def _pace(self) -> None:
        """Sleep until the rate limit and ``min_interval`` allow the next request."""
        now = self._clock()
        due = self._not_before
        if self._last is not None:
            due = max(due, self._last + self.api.min_interval)
        if due > now:
            self._sleep(due - now)

    def _note_limits(self, response: httpx.Response) -> None:
        """``x-rate-limit-remaining: 0``: hold the next request until the window resets."""
        if response.headers.get("x-rate-limit-remaining", "").strip() == "0":
            wait = self._limit_wait(response)
            if wait is not None:
                self._check_wait(wait)
                self._not_before = self._clock() + wait

    def _limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds until the server allows another request, from its headers; ``None`` when
        it does not say."""
        reset = response.headers.get("x-rate-limit-reset", "").strip()
        if reset:
            try:
                return max(0.0, float(reset) - self._clock()) + 1.0
            except ValueError:
                pass
        after = response.headers.get("retry-after", "").strip()
        if after:
            try:
                return max(0.0, float(after))
            except ValueError:
                try:
                    when = parsedate_to_datetime(after).timestamp()
                except (TypeError, ValueError):
                    return None
                return max(0.0, when - self._clock())
        return None

    def _check_wait(self, wait: float) -> None:
        if wait > self.max_wait:
            until = dt.datetime.fromtimestamp(self._clock() + wait, dt.UTC)
            raise FetchError(
                f"{self.api.name}'s rate limit allows the next request only at "
                f"{until:%Y-%m-%d %H:%M} UTC, {wait / 60:.0f} minutes from now; what was saved "
                "is kept, run the command again after that"
            )

    def _wait(self, state: RetryCallState) -> float:
        """tenacity's wait: what the server asked for, else 2, 4, 8... s (30, 60... after a
        429 that gave no time), at most 60 s unless the server asked for longer."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Again) and error.wait is not None:
            self._check_wait(error.wait)
            return error.wait
        base = 30.0 if isinstance(error, _Again) and error.slow else 2.0
        return min(base * 2 ** (state.attempt_number - 1), max(60.0, base))


def _check_complete(response: httpx.Response, body: bytes) -> None:
    """A body shorter than its ``Content-Length`` was cut off on the way."""
    length = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity").strip().lower()
    complete = not (length and length.strip().isdigit() and encoded in ("", "identity"))
    if not complete and len(body) < int(length):
        raise _Again(f"the body was cut short ({len(body)} of {int(length)} bytes)")


def _detail(response: httpx.Response) -> str:
    """What an error response says, in one short line: a JSON problem's title and detail,
    else the start of the text."""
    try:
        value = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        value = None
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("title", "detail", "error", "message")]
        errors = value.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts.append(errors[0].get("message") or errors[0].get("detail"))
        text = ": ".join(dict.fromkeys(str(p) for p in parts if p))
    else:
        text = response.content[:300].decode("utf-8", "replace")
    text = " ".join(text.split()) or response.reason_phrase or "no detail"
    return text if len(text) <= 160 else text[:159] + "…"


def _usage_capped(response: httpx.Response) -> bool:
    """X's monthly usage cap (sent as 429 too): waiting minutes will not lift it."""
    text = response.content[:2000].decode("utf-8", "replace").lower()
    return "usagecapexceeded" in text or "usage-capped" in text


def progress(total: int | None, desc: str, unit: str):
    """A bar on stderr with the time left (:func:`analysis.core.progress.bar`: on a terminal,
    outside CI; a log of a scheduled run stays clean)."""
    return bars.bar(total, desc, unit, scale=False)
