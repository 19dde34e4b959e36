"""Socket Mode shares the HTTP endpoint's app; no connection to Slack is possible here."""

import pytest
from django.core.management import CommandError, call_command

from slack import app as slack_app
from slack import socket_mode


async def test_the_socket_mode_handler_serves_the_same_app_and_listeners(settings) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_SIGNING_SECRET = "secret"
    settings.SLACK_APP_TOKEN = "xapp-test-token"

    handler = socket_mode.build_handler(app_token=settings.SLACK_APP_TOKEN)
    try:
        assert handler.app is slack_app.get_app()
        assert handler.client.app_token == "xapp-test-token"
        listened = {listener.ack_function.__name__ for listener in handler.app._async_listeners}
        assert {"on_question", "on_feedback", "on_command", "on_summarise_shortcut"} <= listened
    finally:
        await handler.close_async()


def test_run_socket_mode_says_which_settings_are_missing(settings) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_APP_TOKEN = ""

    with pytest.raises(CommandError, match="Socket Mode needs SLACK_APP_TOKEN"):
        call_command("run_socket_mode")
