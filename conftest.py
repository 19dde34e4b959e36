"""Fixtures and rules that hold for every test of the repository: the suite's, in tests/ (whose
conftest.py adds the suite's fixtures), and the benchmark's own, in bench/tests/.

- Every test gets the database with `transaction=True`: async code runs its queries on other
  threads' connections, which cannot see inside a test's wrapping transaction.
- Connections that async code opened on asgiref's worker thread are closed after each test, so
  none is left checked out of PostgreSQL's pool when the test database is dropped.
- The Slack client's session, one per event loop, is closed after each test (each has its loop).
- A blockbuster guard fails any test in which a blocking call runs inside the event loop.
- `indexed_docs`: a runbook in the search index, for the answers to cite.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from blockbuster import BlockBuster, blockbuster_ctx
from django.db import connections
from django.urls import get_resolver
from django.utils import timezone
from pydantic_ai import models as pydantic_ai_models

from application import channel_settings, index_documents
from slack import web_client

ROTATION_DOC = """# Database runbook

## Rotating the password

Rotate the database password with `vault rotate db`, then restart the workers.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session", autouse=True)
def _views_imported_before_any_loop() -> None:
    """As `kraken_bot.asgi` does at start-up: import the views outside the event loop."""
    get_resolver().url_patterns  # noqa: B018


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    with blockbuster_ctx() as guard:
        # Django builds the middleware chain (the static files middleware scans its folders)
        # once per handler: in the service that happens at start-up, outside the loop; the async
        # test client builds its handler inside the loop.
        for function in guard.functions.values():
            function.can_block_in("django/core/handlers/base.py", "load_middleware")
        yield guard


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
async def _close_slack_session() -> AsyncIterator[None]:
    """Each test has a loop of its own, and the Slack client a session in it."""
    yield
    await web_client.close_session()


@pytest.fixture(autouse=True)
def _channel_settings_read_afresh() -> None:
    """Emptying the tables between tests sends no signal: what a process held is forgotten."""
    channel_settings.forget_held_settings()


@pytest.fixture
async def indexed_docs(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "runbook.md").write_text, ROTATION_DOC)
    await index_documents.index_documents(
        root=tmp_path,
        collection="handbook",
        base_url="https://docs.example.com",
        now=timezone.now(),
    )


# Tests never reach a real model; the provider tests allow requests to their local fake server.
pydantic_ai_models.ALLOW_MODEL_REQUESTS = False
