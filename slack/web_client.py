"""The Slack Web API client every part of the bot shares: slack_sdk's `AsyncWebClient`, pointed at
`SLACK_API_URL`, retrying rate limits (after `Retry-After`), server errors and dropped connections.
"""

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


def build_web_client(*, wait_out_rate_limits: bool = True) -> AsyncWebClient:
    """A client with the bot token from the settings. Without `wait_out_rate_limits`, a 429 is
    raised at once, for calls the bot would rather do without than wait a minute for."""
    retries: list[AsyncRetryHandler] = [
        _CountCalls(),
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
    ]
    if wait_out_rate_limits:
        retries.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES))
    return AsyncWebClient(
        token=settings.SLACK_BOT_TOKEN or None,
        base_url=settings.SLACK_API_URL,
        timeout=TIMEOUT_S,
        retry_handlers=retries,
    )


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
