import time
from pathlib import Path

import pytest
from blockbuster import BlockingError

import slack

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_import_slack_is_our_package_not_slack_sdks_deprecated_module() -> None:
    assert Path(slack.__file__) == PROJECT_DIR / "slack" / "__init__.py"


async def test_a_blocking_call_inside_the_event_loop_fails_the_test() -> None:
    with pytest.raises(BlockingError):
        time.sleep(0)  # noqa: ASYNC251 - the blocking call this test is about


def test_blocking_calls_outside_the_event_loop_are_allowed() -> None:
    time.sleep(0)
