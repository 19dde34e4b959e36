"""Fixtures for tests of the Slack endpoint: a fake Slack Web API, signed posts."""

from collections.abc import AsyncIterator
from typing import cast

import pytest
from django.http import HttpResponse
from django.test import AsyncClient

from fakes.slack import FakeSlack, fake_slack_server
from fakes.slack_payloads import SIGNING_SECRET, signed_headers
from tests.job_fixtures import all_jobs_done


@pytest.fixture
async def slack(
    settings, jobs_run: None, request: pytest.FixtureRequest
) -> AsyncIterator[FakeSlack]:
    """The fake Slack Web API; the jobs the test defers run, and are finished before it stops
    (in a test marked `served`, the served processes run them, and the test waits for them)."""
    async with fake_slack_server() as fake:
        settings.SLACK_API_URL = fake.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test-token"
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        settings.SLACK_ALLOWED_CHANNELS = []
        yield fake
        if not request.node.get_closest_marker("served"):
            await all_jobs_done()


async def post_signed(
    body: str, *, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> HttpResponse:
    """Post a body to the Slack endpoint, signed as Slack signs it."""
    response = await AsyncClient().post(
        "/slack/events",
        data=body,
        content_type=content_type,
        headers={**signed_headers(body), **(headers or {})},
    )
    return cast(HttpResponse, response)


__all__ = ["all_jobs_done", "post_signed", "slack"]
