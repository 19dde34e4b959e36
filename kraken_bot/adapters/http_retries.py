"""Asking a documentation source's HTTP API politely and again: what the Confluence and Notion
readers share (the web site reader shares the pace, `Pacer`, and how to read `Retry-After`, and
keeps its own policy).

Requests are spaced to the sync's pace (`SyncLimits.requests_per_second`), so a sync never
bursts at a source it shares with people. An answer that asks to wait (429, or 503, with
`Retry-After`) is asked again after that wait, when it is at most a minute, up to three times;
a server error is asked again after a growing multiple of the pace. What cannot be waited out
(the host unreachable, no answer in time, a rate limit that will not lift) raises
`SourceUnavailable` with one line; any other answer, a last server error included, is the
caller's to judge, since only it knows whether a page or the whole listing is at stake;
`json_object` judges an answer the caller cannot do without.
"""

import asyncio
import datetime as dt
import email.utils
from typing import Any, Self

import httpx

from application.source_ports import SourceUnavailable

MAX_RETRIES = 3
# The longest a sync waits for a source's rate limit to lift before giving up on this sync.
MAX_WAIT_S = 60.0
# Answers that say the whole source is busy: after the retries, the sync stops.
_BUSY = {httpx.codes.TOO_MANY_REQUESTS, httpx.codes.SERVICE_UNAVAILABLE}


class Pacer:
    """Spaces requests at most `requests_per_second` apart, counted from when each was due
    rather than from when it went, so late wake-ups of a busy loop do not slow the sync."""

    def __init__(self, *, requests_per_second: float) -> None:
        self.interval_s = 1.0 / requests_per_second
        self._due = 0.0

    def slow_to(self, interval_s: float) -> None:
        """Space requests at least `interval_s` apart from now on."""
        self.interval_s = max(self.interval_s, interval_s)

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._due > now:
            await asyncio.sleep(self._due - now)
        self._due = max(now, self._due) + self.interval_s


class PacedClient:
    """An httpx client for one source's API that keeps to the pace and retries as above; use it
    in `async with`. `service` names the source in the messages (`Confluence`, `Notion`)."""

    def __init__(
        self,
        *,
        service: str,
        requests_per_second: float,
        timeout_s: float,
        headers: dict[str, str],
        auth: tuple[str, str] | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(headers=headers, auth=auth, timeout=timeout_s)
        self._service = service
        self._timeout_s = timeout_s
        self._pacer = Pacer(requests_per_second=requests_per_second)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """The source's answer, after the waits and retries it asked for.

        Raises: SourceUnavailable.
        """
        for attempt in range(MAX_RETRIES + 1):
            response = await self._send(method, url, params=params, json=json)
            if not _retryable(response) or attempt == MAX_RETRIES:
                break
            await asyncio.sleep(self._wait_s(response, attempt))
        if response.status_code in _BUSY:
            raise SourceUnavailable(
                f"{self._service} kept answering HTTP {response.status_code} "
                f"after {MAX_RETRIES} retries"
            )
        return response

    async def _send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: dict[str, str | int] | None,
        json: dict[str, Any] | None,
    ) -> httpx.Response:
        await self._pacer.wait()
        try:
            return await self._client.request(method, url, params=params, json=json)
        except httpx.TimeoutException:
            raise SourceUnavailable(
                f"{self._service} did not answer within {self._timeout_s:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise SourceUnavailable(
                f"{self._service} could not be reached ({type(error).__name__})"
            ) from None

    def _wait_s(self, response: httpx.Response, attempt: int) -> float:
        """What the answer asked for, or, when it names no wait, the pace doubled per attempt:
        a sync told to go gently backs off gently too."""
        wait_s = retry_after_s(response)
        if wait_s is None:
            return self._pacer.interval_s * 2.0**attempt
        if wait_s > MAX_WAIT_S:
            raise SourceUnavailable(
                f"{self._service} asked to wait {wait_s:.0f} s (HTTP {response.status_code})"
            )
        return wait_s


def json_object(response: httpx.Response, *, service: str, what: str) -> dict[str, Any]:
    """The answer's JSON object: any other answer means what was asked for (`what`, for the
    message) is incomplete.

    Raises: SourceUnavailable, for an answer but 200, or one that is no JSON object.
    """
    if response.status_code != httpx.codes.OK:
        raise SourceUnavailable(f"{service} answered HTTP {response.status_code} for {what}")
    try:
        found = response.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise SourceUnavailable(f"{service} answered with something not JSON for {what}")
    return found


def _retryable(response: httpx.Response) -> bool:
    return response.status_code == httpx.codes.TOO_MANY_REQUESTS or response.is_server_error


def retry_after_s(response: httpx.Response) -> float | None:
    """The wait `Retry-After` asks for, in seconds, whether it gives them or a date (counted from
    the answer's own `Date`, so that a server's clock that differs from ours asks for no more or
    less than it means); None when it asks for nothing readable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    until = _http_date(value)
    if until is None:
        return None
    sent = _http_date(response.headers.get("Date", "")) or dt.datetime.now(dt.UTC)
    return max(0.0, (until - sent).total_seconds())


def _http_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None
