"""Fixtures and rules that hold for every test.

- Every test gets the database with `transaction=True`: async code runs its queries on other
  threads' connections, which cannot see inside a test's wrapping transaction.
- Connections that async code opened on asgiref's worker thread are closed after each test, so
  none is left checked out of PostgreSQL's pool when the test database is dropped.
- The Slack client's session, one per event loop, is closed after each test (each has its loop).
- A blockbuster guard fails any test in which a blocking call runs inside the event loop.
"""

from collections.abc import AsyncIterator, Iterator

import pytest
from asgiref.sync import sync_to_async
from blockbuster import BlockBuster, blockbuster_ctx
from django.db import connections
from django.urls import get_resolver
from pydantic_ai import models as pydantic_ai_models

from slack import web_client

pytest_plugins = [
    "tests.job_fixtures",
    "tests.slack_fixtures",
    "tests.llm_fixtures",
    "tests.browser_fixtures",
]


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


# Tests never reach a real model; the provider tests allow requests to their local fake server.
pydantic_ai_models.ALLOW_MODEL_REQUESTS = False
