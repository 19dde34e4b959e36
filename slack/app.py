"""The one slack-bolt `AsyncApp` of a process, built from the settings when Slack is configured."""

import logging
from functools import lru_cache

from django.conf import settings
from slack_bolt.async_app import AsyncApp

from slack import listeners
from slack.web_client import build_web_client

logger = logging.getLogger(__name__)

HTTP_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
SOCKET_MODE_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")


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
    app = AsyncApp(
        client=build_web_client(),
        signing_secret=signing_secret,
        # The HTTP endpoint checks Slack's signature itself (`events_view`), and Socket Mode
        # needs none: Slack's connection itself is authenticated.
        request_verification_enabled=False,
        name="kraken-bot",
        logger=logger,
    )
    listeners.register(app)
    return app
