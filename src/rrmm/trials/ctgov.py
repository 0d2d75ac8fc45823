"""A small, polite client of the ClinicalTrials.gov API v2 ``/studies`` endpoint.

Query parameters (API v2): ``query.cond`` (condition, Essie syntax: ``AREA[Condition]"multiple myeloma"``
matches the condition field itself), ``query.term`` (other terms), ``filter.overallStatus`` (comma-separated
statuses), ``pageSize`` (at most 1000), ``pageToken`` (the previous page's ``nextPageToken``), ``countTotal``
(``true``: the first page carries ``totalCount``) and ``format=json``.

The HTTP transport is injectable (tests pass :class:`httpx.MockTransport`), and so are ``sleep`` and
``clock``: the client keeps ``min_interval_s`` between requests and retries 429, 5xx and transport errors
with exponential backoff, honouring ``Retry-After``, without ever waiting for real in a test.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from rrmm import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONDITION_QUERY",
    "DEFAULT_STATUSES",
    "ClinicalTrialsClient",
    "CtgovError",
]

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
#: Multiple myeloma and plasma cell leukaemia, by the condition field (the plain condition search is fuzzy).
DEFAULT_CONDITION_QUERY = (
    'AREA[Condition]"multiple myeloma" OR AREA[Condition]"plasma cell myeloma" OR '
    'AREA[Condition]"plasma cell leukemia" OR AREA[Condition]"plasma cell leukaemia"'
)
DEFAULT_STATUSES: tuple[str, ...] = ("RECRUITING", "NOT_YET_RECRUITING")
MAX_PAGE_SIZE = 1000
USER_AGENT = f"rrmm/{__version__} (clinical decision support for relapsed/refractory multiple myeloma)"


class CtgovError(RuntimeError):
    """The API could not be read: an HTTP error, retries exhausted, or a page not in the v2 shape."""


class ClinicalTrialsClient:
    """Pages through ``/studies``; use as a context manager (or call :meth:`close`).

    After the first page of :meth:`iter_studies`, :attr:`total_count` holds the API's ``totalCount``
    (``None`` if it sent none), and ``on_total`` is called with it, for a progress bar.
    """

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        base_url: str = DEFAULT_BASE_URL,
        min_interval_s: float = 0.5,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        *,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_retry_after_s: float = 300.0,
        timeout_s: float = 30.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if min_interval_s < 0 or backoff_base_s < 0:
            raise ValueError("intervals must be >= 0")
        self._http = httpx.Client(
            transport=transport,
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            timeout=timeout_s,
        )
        self._min_interval_s = min_interval_s
        self._max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_retry_after_s = max_retry_after_s
        self._last_request_at: float | None = None
        #: ``totalCount`` of the last :meth:`iter_studies` (after its first page).
        self.total_count: int | None = None
        #: HTTP requests sent, retries included.
        self.requests_sent = 0

    def __enter__(self) -> ClinicalTrialsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def iter_studies(
        self,
        condition_query: str = DEFAULT_CONDITION_QUERY,
        statuses: Sequence[str] = DEFAULT_STATUSES,
        page_size: int = 100,
        max_studies: int | None = None,
        *,
        term_query: str | None = None,
        on_total: Callable[[int | None], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the raw v2 study objects matching the query, page after page.

        ``statuses`` empty means any status; ``max_studies`` stops early.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        if max_studies is not None and max_studies < 0:
            raise ValueError("max_studies must be >= 0")
        if isinstance(statuses, str):
            raise TypeError("statuses must be a sequence of status names, not one string")
        self.total_count = None
        if max_studies == 0:
            return
        size = page_size if max_studies is None else min(page_size, max_studies)
        params: dict[str, str] = {"format": "json", "pageSize": str(size)}
        if condition_query:
            params["query.cond"] = condition_query
        if term_query:
            params["query.term"] = term_query
        if statuses:
            params["filter.overallStatus"] = ",".join(s.strip().upper() for s in statuses)

        yielded = 0
        token: str | None = None
        seen_tokens: set[str] = set()
        page_number = 1
        while True:
            page_params = dict(params)
            if token is None:
                page_params["countTotal"] = "true"
            else:
                page_params["pageToken"] = token
            page = self._get_json("/studies", page_params)
            studies, next_token = _read_page(page, page_number)
            if token is None:
                total = page.get("totalCount")
                self.total_count = total if isinstance(total, int) and not isinstance(total, bool) else None
                if on_total is not None:
                    on_total(self.total_count)
            for study in studies:
                yield study
                yielded += 1
                if max_studies is not None and yielded >= max_studies:
                    return
            if next_token is None:
                return
            if next_token in seen_tokens:
                raise CtgovError(f"page {page_number}: nextPageToken {next_token!r} repeats an earlier one")
            seen_tokens.add(next_token)
            token = next_token
            page_number += 1

    # -- HTTP ---------------------------------------------------------------------------------------

    def _get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        attempts = self._max_retries + 1
        for attempt in range(attempts):
            self._keep_interval()
            self.requests_sent += 1
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                delay = self._backoff(attempt)
            else:
                status = response.status_code
                if status == 429 or 500 <= status <= 599:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after_s(response)
                    if retry_after is not None and retry_after > self._max_retry_after_s:
                        raise CtgovError(
                            f"GET {path}: HTTP {status} with Retry-After {retry_after:.0f} s "
                            f"(more than {self._max_retry_after_s:.0f} s): try again later"
                        )
                    delay = self._backoff(attempt) if retry_after is None else retry_after
                elif response.is_error:
                    raise CtgovError(f"GET {response.url}: HTTP {status}: {response.text[:300]}")
                else:
                    try:
                        body = response.json()
                    except ValueError as exc:
                        raise CtgovError(f"GET {path}: the response is not JSON ({exc})") from None
                    if not isinstance(body, dict):
                        raise CtgovError(f"GET {path}: expected a JSON object, got {type(body).__name__}")
                    return body
            if attempt + 1 == attempts:
                raise CtgovError(f"GET {path}: {problem}, still failing after {attempts} attempts")
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _keep_interval(self) -> None:
        now = self._clock()
        if self._last_request_at is not None:
            wait = self._min_interval_s - (now - self._last_request_at)
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_request_at = now

    def _backoff(self, attempt: int) -> float:
        return float(min(self._backoff_max_s, self._backoff_base_s * 2**attempt))


def _read_page(page: Mapping[str, Any], number: int) -> tuple[list[dict[str, Any]], str | None]:
    studies = page.get("studies")
    if not isinstance(studies, list):
        raise CtgovError(f"page {number}: 'studies' must be a list, got {type(studies).__name__}")
    for i, study in enumerate(studies):
        if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
            raise CtgovError(f"page {number}: studies[{i}] is not a v2 study object (no protocolSection)")
    token = page.get("nextPageToken")
    if token is not None and (not isinstance(token, str) or not token):
        raise CtgovError(f"page {number}: nextPageToken must be a non-empty string, got {token!r}")
    return studies, token


def _retry_after_s(response: httpx.Response) -> float | None:
    """Seconds asked by ``Retry-After`` (delta-seconds or an HTTP date), or ``None``."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Measured against the server's own Date header when it sent one (no clock skew), else ours.
    now = datetime.now(UTC)
    date_header = response.headers.get("Date")
    if date_header:
        try:
            server_now = email.utils.parsedate_to_datetime(date_header)
            now = server_now if server_now.tzinfo else server_now.replace(tzinfo=UTC)
        except (TypeError, ValueError):
            pass
    return max(0.0, (when - now).total_seconds())
