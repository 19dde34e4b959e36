"""The one slack-bolt `AsyncApp` of a process, built from the settings when Slack is configured."""

import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache

from django.conf import settings
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError

from slack import chat, listeners
from slack.web_client import build_web_client

logger = logging.getLogger(__name__)

HTTP_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
SOCKET_MODE_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")


class TokenNotConfirmed(Exception):
    """Slack did not say whose the bot token is (`auth.test` failed), so no request is handled."""


def missing_settings(required: tuple[str, ...] = HTTP_SETTINGS) -> list[str]:
    """The Slack settings still needed: by the HTTP endpoint, unless told otherwise."""
    return [name for name in required if not getattr(settings, name)]


def not_configured_message() -> str:
    return (
        "Slack is not configured: set "
        + " and ".join(missing_settings())
        + " (and SLACK_APP_TOKEN for Socket Mode) to connect the bot to Slack."
    )


def get_app() -> AsyncApp:
    """The app for the current settings (built once per set of settings)."""
    return _build_app(
        settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET, settings.SLACK_API_URL
    )


@lru_cache(maxsize=4)
def _build_app(token: str, signing_secret: str, api_url: str) -> AsyncApp:
    # bolt hands each request's client the token `authorize` gives; the app's own client would
    # only be reported as ignored.
    client = build_web_client()
    client.token = None
    app = AsyncApp(
        client=client,
        authorize=_authorize_once(),
        signing_secret=signing_secret,
        # The HTTP endpoint checks Slack's signature itself (`events_view`), and Socket Mode
        # needs none: Slack's connection itself is authenticated.
        request_verification_enabled=False,
        name="kraken-bot",
        logger=logger,
    )
    listeners.register(app)
    return app


def _authorize_once() -> Callable[[], Awaitable[AuthorizeResult]]:
    """bolt's `authorize`: the bot token's identity, asked of Slack at the app's first request.

    bolt's own authorization for one workspace answers a failed `auth.test` with 200, and Slack
    would never deliver that event again. Raised instead, the failure makes bolt answer 500 (over
    Socket Mode, no ack), and Slack delivers the request again.
    """
    confirmed: AuthorizeResult | None = None

    async def authorize() -> AuthorizeResult:
        nonlocal confirmed
        if confirmed is None:
            try:
                response = await build_web_client().auth_test()
            except SlackApiError as error:
                raise TokenNotConfirmed(
                    f"auth.test failed ({chat.failure_reason(error)}): the request is refused, "
                    "for Slack to deliver again"
                ) from error
            confirmed = AuthorizeResult.from_auth_test_response(
                auth_test_response=response,
                bot_token=settings.SLACK_BOT_TOKEN,
                bot_scopes=response.headers.get("x-oauth-scopes"),
            )
        return confirmed

    return authorize
