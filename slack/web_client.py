"""The Slack Web API client every part of the bot shares: slack_sdk's `AsyncWebClient`, pointed at
`SLACK_API_URL`, retrying rate limits (after `Retry-After`), server errors and dropped connections.

Given no session, slack_sdk opens a new aiohttp session, and so a new connection, for every call:
a streamed answer makes half a dozen calls, and the handshakes cost the event loop more CPU than
the calls themselves. So every client's calls go through one session per event loop (bolt copies
the app client's session into the client it makes for each request). A session belongs to the loop
that opened it: the service, a command and each test run their own, and close it when they end
(`close_session`).
"""

import asyncio
import weakref

import aiohttp
from django.conf import settings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from application import metrics

TIMEOUT_S = 10
RETRIES = 3

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


class SharedSessionWebClient(AsyncWebClient):
    """An `AsyncWebClient` whose calls reuse the connections of the running loop's session."""

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The running loop's session; outside a loop, none (slack_sdk then opens one a call)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        session = _sessions.get(loop)
        if session is None or session.closed:
            # slack_sdk applies its timeout only to the sessions it opens itself.
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
            _sessions[loop] = session
        return session

    @session.setter
    def session(self, given: aiohttp.ClientSession | None) -> None:
        if given is not None:
            raise ValueError("A shared-session client uses its event loop's session")


def build_web_client(*, wait_out_rate_limits: bool = True) -> AsyncWebClient:
    """A client with the bot token from the settings. Without `wait_out_rate_limits`, a 429 is
    raised at once, for calls the bot would rather do without than wait a minute for."""
    return SharedSessionWebClient(
        token=settings.SLACK_BOT_TOKEN or None,
        base_url=settings.SLACK_API_URL,
        timeout=TIMEOUT_S,
        retry_handlers=[_CountCalls(), *retry_handlers(wait_out_rate_limits=wait_out_rate_limits)],
    )


def retry_handlers(*, wait_out_rate_limits: bool = True) -> list[AsyncRetryHandler]:
    """slack_sdk's own retries, for any of its clients: of a dropped connection, a server error
    and, unless told otherwise, a rate limit."""
    retries: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
    ]
    if wait_out_rate_limits:
        retries.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES))
    return retries


class _CountCalls(AsyncRetryHandler):
    """Counts every request and every 429 for `/metrics`; never asks for a retry itself.

    slack_sdk asks each retry handler in turn after every response (and every failed request),
    so the first handler sees them all, retries of the handlers after it included.
    """

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rsplit("/", 1)[-1]
        metrics.slack_api_calls.labels(method=method).inc()
        if response is not None and response.status_code == 429:
            metrics.slack_api_rate_limited.labels(method=method).inc()
        return False


async def close_session() -> None:
    """Close the running loop's session, if it opened one: before the loop ends."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()
