"""The ASGI route in front of Django: Slack's events are answered without Django's per-request
handler (its thread of each request's own), with the same checks, headers and error handling;
every other request goes to Django."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from django.core.handlers.asgi import ASGIHandler

from data import models
from kraken_bot.slack_events_route import SlackEventsRoute
from slack import events_view
from tests import slack_payloads as payloads
from tests.fake_slack import FakeSlack
from tests.slack_fixtures import all_jobs_done


@contextlib.asynccontextmanager
async def _routed(base_url: str = "https://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """A client of the route in front of a Django handler built now (with the settings as the
    test has set them)."""
    # httpx's and Django's stubs spell the same ASGI callables with different mapping types.
    route = cast(Any, SlackEventsRoute(ASGIHandler()))
    transport = httpx.ASGITransport(app=route)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _routed() as client:
        yield client


def _not_through_django(*args: object) -> None:
    raise AssertionError("Slack's events must not go through Django's request handler")


async def _post_mention(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))
    return await client.post(
        "/slack/events",
        content=body,
        headers={**payloads.event_headers(body), **headers},
    )


async def test_a_mention_is_recorded_and_acknowledged_without_djangos_request_handler(
    client: httpx.AsyncClient, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ASGIHandler, "handle", _not_through_django)

    response = await _post_mention(client)
    await all_jobs_done()

    assert response.status_code == 200
    assert await models.InboundEvent.objects.acount() == 1


async def test_other_requests_go_to_django(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_slack_events_get_the_security_headers_every_response_gets(
    slack: FakeSlack, settings
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    async with _routed() as client:
        response = await _post_mention(client)
    await all_jobs_done()

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=3600")


async def test_slack_events_over_plain_http_are_redirected(slack: FakeSlack, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    async with _routed("http://testserver") as client:
        response = await _post_mention(client)

    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/slack/events"
    assert await models.InboundEvent.objects.acount() == 0


async def test_slack_events_for_a_host_not_allowed_are_refused(
    client: httpx.AsyncClient, slack: FakeSlack
) -> None:
    response = await _post_mention(client, Host="kraken.evil.example")

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0


async def test_only_posts_are_taken(client: httpx.AsyncClient, slack: FakeSlack) -> None:
    response = await client.get("/slack/events")

    assert response.status_code == 405


async def test_a_body_beyond_djangos_limit_is_refused_not_failed(
    client: httpx.AsyncClient, slack: FakeSlack, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = payloads.event_callback(payloads.app_mention("x" * 2048))

    response = await client.post(
        "/slack/events",
        content=body,
        headers=payloads.event_headers(body),
    )

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


async def test_an_unexpected_error_is_a_500_as_django_makes_it(
    client: httpx.AsyncClient, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(*args: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(events_view, "slack_events", failing)

    response = await _post_mention(client)

    assert response.status_code == 500
