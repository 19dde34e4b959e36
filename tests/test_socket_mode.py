"""Socket Mode shares the HTTP endpoint's app; no connection to Slack is possible here."""

import httpx
import pytest
from django.core.management import CommandError, call_command

from fakes.servers import free_port
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


def test_run_socket_mode_serves_the_metrics_of_its_process(settings, monkeypatch) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_APP_TOKEN = "xapp-test-token"
    settings.METRICS_TOKEN = "metrics-token"
    settings.WORKER_METRICS_PORT = free_port()
    scraped: list[httpx.Response] = []

    class ConnectedHandler:
        """Connected to Slack: the command serves until the connection ends."""

        async def start_async(self) -> None:
            async with httpx.AsyncClient() as scraper:
                scraped.append(
                    await scraper.get(
                        f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}/metrics",
                        headers={"Authorization": "Bearer metrics-token"},
                    )
                )

        async def close_async(self) -> None:
            pass

    monkeypatch.setattr(socket_mode, "build_handler", lambda app_token: ConnectedHandler())

    call_command("run_socket_mode")

    [scrape] = scraped
    assert scrape.status_code == 200
    assert "kraken_slack_events_total" in scrape.text
