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
from application.background import jobs
from tests.fake_slack import FakeSlack, fake_slack_server
from tests.polling import PATIENCE_S
from tests.slack_payloads import SIGNING_SECRET, signed_headers

ROTATION_DOC = """# Database runbook

## Rotating the password

Rotate the database password with `vault rotate db`, then restart the workers.
"""


@pytest.fixture
async def slack(settings) -> AsyncIterator[FakeSlack]:
    async with fake_slack_server() as fake:
        settings.SLACK_API_URL = fake.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test-token"
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        settings.SLACK_ALLOWED_CHANNELS = []
        yield fake
        assert await jobs.wait(timeout_s=PATIENCE_S) == 0


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


async def all_jobs_done() -> None:
    assert await jobs.wait(timeout_s=PATIENCE_S) == 0
