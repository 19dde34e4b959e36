"""The middleware: Slack's events skip what only the admin site needs, and keep the rest."""

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.test import AsyncClient

from data import models
from tests import slack_payloads as payloads
from tests.fake_slack import FakeSlack
from tests.slack_fixtures import all_jobs_done, post_signed


def _not_for_slack(*args: object) -> None:
    raise AssertionError("Slack's events must not go through the admin site's middleware")


async def test_slack_events_skip_sessions_csrf_authentication_and_messages(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for middleware in (SessionMiddleware, AuthenticationMiddleware, MessageMiddleware):
        monkeypatch.setattr(middleware, "process_request", _not_for_slack)
    monkeypatch.setattr(CsrfViewMiddleware, "process_view", _not_for_slack)
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body)
    await all_jobs_done()

    assert response.status_code == 200
    assert await models.InboundEvent.objects.acount() == 1


async def test_slack_events_get_the_security_headers_every_response_gets(
    slack: FakeSlack, settings
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body, headers={"X-Forwarded-Proto": "https"})
    await all_jobs_done()

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=3600")


async def test_slack_events_over_plain_http_are_redirected_as_every_page_is(
    slack: FakeSlack, settings
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body)

    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/slack/events"
    assert await models.InboundEvent.objects.acount() == 0


async def test_slack_events_for_a_host_not_allowed_are_refused(slack: FakeSlack) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body, headers={"Host": "kraken.evil.example"})

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0


async def test_the_admin_site_still_gets_sessions_csrf_and_the_security_headers() -> None:
    response = await AsyncClient().get("/admin/login/")

    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Vary"] == "Cookie"
