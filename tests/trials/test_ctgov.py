"""The ClinicalTrials.gov API v2 client on recorded responses: paging, parameters, retries, politeness.

No network: every request goes to an :class:`httpx.MockTransport` replaying fixtures, and no test waits:
``sleep`` and ``clock`` are a fake that only records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from rrmm.trials.ctgov import DEFAULT_CONDITION_QUERY, ClinicalTrialsClient, CtgovError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class FakeTime:
    """A monotonic clock that only moves when slept on (or when a request 'takes' time)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _fixture_response(spec: dict[str, Any]) -> httpx.Response:
    headers = spec.get("headers", {})
    if "file" in spec:
        return httpx.Response(spec["status"], headers=headers, content=(FIXTURES / spec["file"]).read_bytes())
    return httpx.Response(spec["status"], headers=headers, text=spec.get("text", ""))


@dataclass
class Replay:
    """Answers each request with the next recorded response (a spec, or a callable raising)."""

    responses: list[dict[str, Any] | Callable[[httpx.Request], httpx.Response]]
    requests: list[httpx.Request] = field(default_factory=list)
    latency_s: float = 0.0
    time: FakeTime | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.time is not None:
            self.time.now += self.latency_s
        if not self.responses:
            raise AssertionError(f"unexpected request {request.url}")
        nxt = self.responses.pop(0)
        if callable(nxt):
            return nxt(request)
        return _fixture_response(nxt)

    @property
    def params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests]


def _page(name: str) -> dict[str, Any]:
    return {"status": 200, "headers": {"Content-Type": "application/json"}, "file": name}


def _scenario(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _client(replay: Replay, fake: FakeTime, **kwargs: Any) -> ClinicalTrialsClient:
    replay.time = fake
    return ClinicalTrialsClient(httpx.MockTransport(replay), sleep=fake.sleep, clock=fake.clock, **kwargs)


def _ids(studies: list[dict[str, Any]]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


# -- paging and parameters -------------------------------------------------------------------------


def test_two_pages_are_followed_with_the_next_page_token():
    fake, replay = FakeTime(), Replay([_page("page1.json"), _page("page2.json")])
    totals: list[int | None] = []
    with _client(replay, fake) as client:
        studies = list(client.iter_studies(on_total=totals.append))
        assert client.total_count == 3
    assert _ids(studies) == ["NCT90000001", "NCT90000002", "NCT90000003"]
    assert totals == [3]
    first, second = replay.params
    assert first == {
        "format": "json",
        "pageSize": "100",
        "query.cond": DEFAULT_CONDITION_QUERY,
        "filter.overallStatus": "RECRUITING,NOT_YET_RECRUITING",
        "countTotal": "true",
    }
    assert second == {
        "format": "json",
        "pageSize": "100",
        "query.cond": DEFAULT_CONDITION_QUERY,
        "filter.overallStatus": "RECRUITING,NOT_YET_RECRUITING",
        "pageToken": "NF0g5JGBlPMuwQ",
    }


def test_requests_go_to_the_v2_studies_endpoint_as_rrmm():
    fake, replay = FakeTime(), Replay([_page("page2.json")])
    with _client(replay, fake) as client:
        list(client.iter_studies())
    (request,) = replay.requests
    assert request.method == "GET"
    assert (request.url.scheme, request.url.host, request.url.path) == (
        "https",
        "clinicaltrials.gov",
        "/api/v2/studies",
    )
    assert request.headers["User-Agent"].startswith("rrmm/")
    assert request.headers["Accept"] == "application/json"


def test_default_condition_query_searches_the_condition_field():
    assert DEFAULT_CONDITION_QUERY.startswith('AREA[Condition]"multiple myeloma" OR ')
    assert 'AREA[Condition]"plasma cell leukemia"' in DEFAULT_CONDITION_QUERY


def test_condition_statuses_page_size_and_term_are_sent():
    fake, replay = FakeTime(), Replay([_page("page2.json")])
    with _client(replay, fake) as client:
        list(
            client.iter_studies(
                condition_query='AREA[Condition]"smoldering myeloma"',
                statuses=("recruiting", "ENROLLING_BY_INVITATION"),
                page_size=250,
                term_query="teclistamab",
            )
        )
    (params,) = replay.params
    assert params["query.cond"] == 'AREA[Condition]"smoldering myeloma"'
    assert params["query.term"] == "teclistamab"
    assert params["filter.overallStatus"] == "RECRUITING,ENROLLING_BY_INVITATION"
    assert params["pageSize"] == "250"


def test_no_statuses_means_no_status_filter():
    fake, replay = FakeTime(), Replay([_page("page2.json")])
    with _client(replay, fake) as client:
        list(client.iter_studies(statuses=()))
    assert "filter.overallStatus" not in replay.params[0]


def test_max_studies_stops_early_and_asks_for_no_more():
    fake, replay = FakeTime(), Replay([_page("page1.json"), _page("page2.json")])
    with _client(replay, fake) as client:
        studies = list(client.iter_studies(max_studies=2))
    assert _ids(studies) == ["NCT90000001", "NCT90000002"]
    assert len(replay.requests) == 1
    assert replay.params[0]["pageSize"] == "2"


def test_bad_arguments_are_refused_before_any_request():
    fake, replay = FakeTime(), Replay([])
    with _client(replay, fake) as client:
        with pytest.raises(ValueError, match="page_size"):
            list(client.iter_studies(page_size=0))
        with pytest.raises(ValueError, match="page_size"):
            list(client.iter_studies(page_size=1001))
        with pytest.raises(TypeError, match="statuses"):
            list(client.iter_studies(statuses="RECRUITING"))
    assert replay.requests == []


# -- politeness: the minimum interval ----------------------------------------------------------------


def test_minimum_interval_between_requests():
    fake, replay = FakeTime(), Replay([_page("page1.json"), _page("page2.json")])
    replay.latency_s = 0.2
    with _client(replay, fake, min_interval_s=0.5) as client:
        list(client.iter_studies())
    # The first request goes at once; the second waits the rest of the half second.
    assert fake.sleeps == [pytest.approx(0.3)]


def test_no_wait_when_the_interval_has_already_passed():
    fake, replay = FakeTime(), Replay([_page("page1.json"), _page("page2.json")])
    replay.latency_s = 2.0
    with _client(replay, fake, min_interval_s=0.5) as client:
        list(client.iter_studies())
    assert fake.sleeps == []


# -- retries ---------------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after():
    fake, replay = FakeTime(), Replay(_scenario("rate_limited.json"))
    with _client(replay, fake) as client:
        studies = list(client.iter_studies())
        assert client.requests_sent == 2
    assert _ids(studies) == ["NCT90000003"]
    assert fake.sleeps == [7.0]
    # The retry is the same request: still the first page.
    assert replay.params[0] == replay.params[1]
    assert replay.params[1]["countTotal"] == "true"


def test_503_twice_then_success_backs_off_exponentially():
    fake, replay = FakeTime(), Replay(_scenario("unavailable_twice.json"))
    with _client(replay, fake, backoff_base_s=1.0) as client:
        studies = list(client.iter_studies())
    assert _ids(studies) == ["NCT90000003"]
    assert len(replay.requests) == 3
    assert fake.sleeps == [1.0, 2.0]


def test_retry_on_a_later_page_keeps_its_page_token():
    fake = FakeTime()
    replay = Replay([_page("page1.json"), *_scenario("unavailable_twice.json")])
    with _client(replay, fake) as client:
        studies = list(client.iter_studies())
    assert _ids(studies) == ["NCT90000001", "NCT90000002", "NCT90000003"]
    assert [p.get("pageToken") for p in replay.params] == [
        None,
        "NF0g5JGBlPMuwQ",
        "NF0g5JGBlPMuwQ",
        "NF0g5JGBlPMuwQ",
    ]
    # Interval before page 2, then the two backoffs (each longer than the interval).
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_retries_exhausted_raise_a_clear_error():
    fake = FakeTime()
    unavailable = {"status": 503, "text": "Service Unavailable"}
    replay = Replay([unavailable] * 3)
    with (
        _client(replay, fake, max_retries=2) as client,
        pytest.raises(CtgovError, match=r"HTTP 503.*3 attempts"),
    ):
        list(client.iter_studies())
    assert len(replay.requests) == 3
    assert fake.sleeps == [1.0, 2.0]


def test_backoff_is_capped():
    fake = FakeTime()
    replay = Replay([{"status": 500}] * 4 + [_page("page2.json")])
    with _client(replay, fake, backoff_base_s=10.0, backoff_max_s=25.0) as client:
        list(client.iter_studies())
    assert fake.sleeps == [10.0, 20.0, 25.0, 25.0]


def test_transport_errors_are_retried():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake, replay = FakeTime(), Replay([refuse, _page("page2.json")])
    with _client(replay, fake) as client:
        assert _ids(list(client.iter_studies())) == ["NCT90000003"]
    assert fake.sleeps == [1.0]


def test_retry_after_as_an_http_date_counts_from_the_server_date():
    fake = FakeTime()
    limited = {
        "status": 429,
        "headers": {"Date": "Wed, 04 Nov 2026 10:00:00 GMT", "Retry-After": "Wed, 04 Nov 2026 10:00:12 GMT"},
    }
    replay = Replay([limited, _page("page2.json")])
    with _client(replay, fake) as client:
        list(client.iter_studies())
    assert fake.sleeps == [12.0]


def test_retry_after_too_long_gives_up_at_once():
    fake = FakeTime()
    replay = Replay([{"status": 429, "headers": {"Retry-After": "3600"}}])
    with (
        _client(replay, fake, max_retry_after_s=300) as client,
        pytest.raises(CtgovError, match="Retry-After 3600"),
    ):
        list(client.iter_studies())
    assert fake.sleeps == []


def test_client_errors_are_not_retried():
    fake = FakeTime()
    replay = Replay([{"status": 400, "text": "`filter.overallStatus` has invalid value"}])
    with _client(replay, fake) as client, pytest.raises(CtgovError, match=r"HTTP 400.*invalid value"):
        list(client.iter_studies(statuses=("NOPE",)))
    assert len(replay.requests) == 1
    assert fake.sleeps == []


# -- malformed pages -------------------------------------------------------------------------------


def test_malformed_page_is_an_error():
    fake, replay = FakeTime(), Replay([_page("malformed_page.json")])
    with _client(replay, fake) as client, pytest.raises(CtgovError, match="page 1: 'studies' must be a list"):
        list(client.iter_studies())


def test_non_json_body_is_an_error():
    fake, replay = FakeTime(), Replay([{"status": 200, "text": "<html>maintenance</html>"}])
    with _client(replay, fake) as client, pytest.raises(CtgovError, match="not JSON"):
        list(client.iter_studies())


def test_a_study_without_protocol_section_is_an_error():
    fake, replay = (
        FakeTime(),
        Replay([lambda r: httpx.Response(200, json={"studies": [{"hasResults": False}]})]),
    )
    with _client(replay, fake) as client, pytest.raises(CtgovError, match=r"studies\[0\]"):
        list(client.iter_studies())


def test_a_repeated_page_token_stops_the_loop():
    page = json.loads((FIXTURES / "page1.json").read_text())
    fake = FakeTime()
    replay = Replay([lambda r: httpx.Response(200, json=page)] * 3)
    with _client(replay, fake) as client, pytest.raises(CtgovError, match="repeats"):
        list(client.iter_studies())
    assert len(replay.requests) == 2
