"""The HTTP room (analysis.fetch.http): retries, rate limits, tokens, bodies cut short.

Every response is replayed through respx or ``httpx.MockTransport``; the clock and the sleeps
are fakes, so nothing waits and nothing touches the network.
"""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from fetch_data import Clock, epoch

from analysis.core.errors import InputError
from analysis.fetch import http

URL = "https://api.test"
OK = {"data": [{"id": "1", "username": "alice"}]}


def _client(clock: Clock, transport=None, **options) -> http.Client:
    return http.Client(
        http.X, URL, "secret", transport=transport, sleep=clock.sleep, clock=clock, **options
    )


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-05-01T09:00:00")


@respx.mock(base_url=URL, assert_all_called=True)
def test_success_keeps_the_exact_bytes_and_sends_the_token_in_a_header(respx_mock, clock):
    body = b'{"data": [ {"id": "1", "username": "alice"} ]}\n'  # odd spacing: kept as sent
    route = respx_mock.get("/2/users/by", params={"usernames": "alice"}).respond(200, content=body)
    with _client(clock) as client:
        answer = client.get("/2/users/by", {"usernames": "alice", "user.fields": "withheld"})
    assert answer.body == body
    assert answer.value == json.loads(body)
    assert answer.received_at.isoformat() == "2026-05-01T09:00:00+00:00"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer secret"
    assert "secret" not in str(sent.url) and "secret" not in answer.url
    assert sent.headers["User-Agent"].startswith("takedowns/")
    assert clock.slept == []


@respx.mock(base_url=URL)
def test_429_waits_until_the_reset_the_headers_give(respx_mock, clock):
    reset = int(clock.now) + 120
    route = respx_mock.get("/2/tweets").mock(
        side_effect=[
            httpx.Response(
                429,
                json={
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            ),
            httpx.Response(200, json=OK),
        ]
    )
    with _client(clock) as client:
        answer = client.get("/2/tweets", {"ids": "1"})
    assert answer.status == 200 and route.call_count == 2
    # 120 s to the reset, plus a second's margin; no sleep before the first request.
    assert clock.slept == [121.0]


@respx.mock(base_url=URL)
def test_remaining_zero_holds_the_next_request_until_the_reset(respx_mock, clock):
    reset = int(clock.now) + 60
    respx_mock.get("/2/tweets").mock(
        side_effect=[
            httpx.Response(
                200,
                json=OK,
                headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            ),
            httpx.Response(200, json=OK),
        ]
    )
    with _client(clock) as client:
        client.get("/2/tweets", {"ids": "1"})
        assert clock.slept == []
        client.get("/2/tweets", {"ids": "2"})
    assert clock.slept == [61.0]


def test_a_reset_too_far_away_stops_with_a_sentence(clock):
    def handler(request):
        return httpx.Response(
            429, headers={"x-rate-limit-reset": str(int(clock.now) + 3600)}, json={}
        )

    with (
        _client(clock, httpx.MockTransport(handler)) as client,
        pytest.raises(
            http.FetchError, match=r"rate limit allows the next request only at 2026-05-01 10:00"
        ),
    ):
        client.get("/2/tweets", {"ids": "1"})
    assert clock.slept == []


def test_the_usage_cap_is_not_retried(clock):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(
            429,
            json={
                "title": "UsageCapExceeded",
                "period": "Monthly",
                "scope": "Product",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped",
            },
        )

    with (
        _client(clock, httpx.MockTransport(handler)) as client,
        pytest.raises(http.FetchError, match="Monthly product cap"),
    ):
        client.get("/2/tweets", {"ids": "1"})
    assert len(calls) == 1


@respx.mock(base_url=URL)
def test_5xx_then_success_backs_off(respx_mock, clock):
    route = respx_mock.get("/2/tweets").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=OK)]
    )
    with _client(clock) as client:
        assert client.get("/2/tweets", {"ids": "1"}).value == OK
    assert route.call_count == 3
    assert clock.slept == [2.0, 4.0]


@respx.mock(base_url=URL)
def test_timeouts_and_dropped_connections_are_retried(respx_mock, clock):
    route = respx_mock.get("/2/tweets").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=OK),
        ]
    )
    with _client(clock) as client:
        assert client.get("/2/tweets", {"ids": "1"}).value == OK
    assert route.call_count == 3


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(httpx.Response(200, content=b'{"data": [{"id": "1"'), id="truncated-json"),
        pytest.param(
            httpx.Response(200, content=b'{"data": []}', headers={"content-length": "400"}),
            id="shorter-than-content-length",
        ),
        pytest.param(httpx.Response(200, content=b"<html>Bad gateway</html>"), id="html"),
    ],
)
def test_a_malformed_or_truncated_body_is_retried(bad, clock):
    answers = [bad, httpx.Response(200, json=OK)]
    with _client(clock, httpx.MockTransport(lambda r: answers.pop(0))) as client:
        assert client.get("/2/tweets", {"ids": "1"}).value == OK
    assert answers == [] and clock.slept == [2.0]


class _CutStream(httpx.SyncByteStream):
    """A body whose connection closes half way, as httpcore reports it."""

    def __iter__(self):
        yield b'{"data": [{"id": "1", '
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_a_connection_closed_mid_body_is_retried(clock):
    answers = [httpx.Response(200, stream=_CutStream()), httpx.Response(200, json=OK)]
    with _client(clock, httpx.MockTransport(lambda r: answers.pop(0))) as client:
        assert client.get("/2/tweets", {"ids": "1"}).value == OK


def test_a_body_that_stays_malformed_gives_up_in_one_sentence(clock):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, content=b"not json")

    with (
        _client(clock, httpx.MockTransport(handler)) as client,
        pytest.raises(http.FetchError) as err,
    ):
        client.get("/2/tweets", {"ids": "1"})
    assert len(calls) == http.ATTEMPTS
    message = str(err.value)
    assert "\n" not in message and "not complete JSON" in message
    assert "run the command again to continue" in message
    assert isinstance(err.value, InputError)  # the CLI exits 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_is_one_sentence_naming_the_variable(status, clock):
    def handler(request):
        return httpx.Response(
            status,
            json={
                "title": "Unauthorized",
                "type": "about:blank",
                "status": status,
                "detail": "Unauthorized",
            },
        )

    with (
        _client(clock, httpx.MockTransport(handler)) as client,
        pytest.raises(http.FetchError, match=rf"X refused the token in X_BEARER_TOKEN \({status} "),
    ):
        client.get("/2/tweets", {"ids": "1"})
    assert clock.slept == []  # not retried


def test_other_refusals_and_allowed_statuses(clock):
    def handler(request):
        if request.url.path == "/gone":
            return httpx.Response(404, json={"error": "Not found"})
        if request.url.path == "/moved":
            return httpx.Response(301, headers={"location": "https://elsewhere.test/"})
        return httpx.Response(
            400,
            json={
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
            },
        )

    with _client(clock, httpx.MockTransport(handler)) as client:
        assert client.get("/gone", allow=(404,)).status == 404
        with pytest.raises(http.FetchError, match="Invalid Request: One or more parameters"):
            client.get("/bad")
        with pytest.raises(http.FetchError, match="redirected .* point --base-url"):
            client.get("/moved")


def test_min_interval_spaces_requests(clock):
    with http.Client(
        http.LUMEN,
        URL,
        "tok",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
        sleep=clock.sleep,
        clock=clock,
    ) as client:
        client.get("/a")
        client.get("/b")
        clock.now += 5
        client.get("/c")
    assert clock.slept == [1.0]


def test_tokens_come_only_from_the_environment(monkeypatch):
    monkeypatch.delenv("LUMEN_API_TOKEN", raising=False)
    with pytest.raises(http.FetchError, match="LUMEN_API_TOKEN is not set"):
        http.token(http.LUMEN)
    monkeypatch.setenv("LUMEN_API_TOKEN", "  abc  ")
    assert http.token(http.LUMEN) == "abc"
    assert http.token_state(http.LUMEN) == "set"


def test_base_url_flag_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("X_API_URL", raising=False)
    assert http.base_url(http.X) == "https://api.x.com"
    monkeypatch.setenv("X_API_URL", "http://127.0.0.1:8080/")
    assert http.base_url(http.X) == "http://127.0.0.1:8080"
    assert http.base_url(http.X, "https://mirror.test") == "https://mirror.test"
    with pytest.raises(InputError, match="not an http"):
        http.base_url(http.X, "ftp://mirror.test")


def test_the_fake_clock_helper():
    assert epoch("1970-01-01T00:01:00") == 60.0
