"""Socket Mode: the same bolt app, reached over a WebSocket Slack opens to us, so a team can run
the bot with no public URL."""

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from slack import app as slack_app


def build_handler(*, app_token: str) -> AsyncSocketModeHandler:
    """A handler for the app every HTTP request also goes to: the same listeners, the same inbox."""
    return AsyncSocketModeHandler(slack_app.get_app(), app_token=app_token)
