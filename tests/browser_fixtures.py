"""Browser tests: the admin driven in a real Chromium (Debian's, at /usr/bin/chromium, through
Playwright; no browser is ever downloaded) against the real service under uvicorn.

Tests marked `browser` run wherever Chromium is installed. Without it they are left out of the run
(and the summary says so), so `make test` still passes on a machine with only Python; where
`KRAKEN_BROWSER_TESTS=required` (CI sets it), a missing Chromium fails them instead.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from blockbuster import BlockBuster
from playwright.async_api import Browser, async_playwright

from fakes.servers import (
    PROJECT_DIR,
    Served,
    database_url_shared_with_tests,
    served,
    subprocess_environment,
)
from tests.optional_tests import OptionalTests

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# The usual flags for a headless Chromium on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_DIR / "test-output" / "screenshots"


BROWSER_TESTS = OptionalTests(
    marker="browser",
    required_by="KRAKEN_BROWSER_TESTS",
    why_left_out=f"browser tests left out: no Chromium at {CHROMIUM} "
    "(apt-get install chromium to run them)",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    BROWSER_TESTS.leave_out_unless(CHROMIUM.exists(), config, items)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    BROWSER_TESTS.report(terminalreporter, config)


@pytest.fixture
async def browser(blockbuster: BlockBuster) -> AsyncIterator[Browser]:
    # Playwright looks for its driver on disk (a few stat calls) as it starts, once per test.
    for function in blockbuster.functions.values():
        function.can_block_in("playwright/_impl/transport.py", "connect")
    if not await asyncio.to_thread(CHROMIUM.exists):
        pytest.fail(f"Browser tests are required here, and there is no Chromium at {CHROMIUM}")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def admin_service() -> AsyncIterator[Served]:
    """The service as `make run` serves it (DEBUG on, so the admin's static files are served),
    on the test database."""
    environment = subprocess_environment(
        DATABASE_URL=database_url_shared_with_tests(), DEBUG="true"
    )
    async with served("--no-migrate", environment=environment) as service:
        yield service
