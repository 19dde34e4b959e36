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
from slack_sdk.web.async_client import AsyncWebClient

TIMEOUT_S = 10
RETRIES = 3


def build_web_client(*, wait_out_rate_limits: bool = True) -> AsyncWebClient:
    """A client with the bot token from the settings. Without `wait_out_rate_limits`, a 429 is
    raised at once, for calls the bot would rather do without than wait a minute for."""
    retries: list[AsyncRetryHandler] = [
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
