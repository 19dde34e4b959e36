"""Fixtures for tests of the Slack endpoint: a fake Slack Web API, indexed docs, signed posts."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from django.http import HttpResponse
from django.test import AsyncClient
from django.utils import timezone

from application import index_documents
from fakes.slack import FakeSlack, fake_slack_server
from fakes.slack_payloads import SIGNING_SECRET, signed_headers
from tests.job_fixtures import all_jobs_done

ROTATION_DOC = """# Database runbook

## Rotating the password

Rotate the database password with `vault rotate db`, then restart the workers.
"""


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


@pytest.fixture
async def indexed_docs(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "runbook.md").write_text, ROTATION_DOC)
    await index_documents.index_documents(
        root=tmp_path,
        collection="handbook",
        base_url="https://docs.example.com",
        now=timezone.now(),
    )


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


__all__ = ["all_jobs_done", "indexed_docs", "post_signed", "slack"]
