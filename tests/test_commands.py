import asyncio
import io
import subprocess
import sys
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from fakes.servers import PROJECT_DIR, subprocess_environment
from kraken_bot.management.base import NOT_MIGRATED, AsyncCommand


class _Greet(AsyncCommand):
    async def ahandle(self, *args: Any, **options: Any) -> None:
        await asyncio.sleep(0)
        self.stdout.write(f"hello from a running loop: {asyncio.get_running_loop().is_running()}")


def test_an_async_command_runs_its_coroutine_to_completion() -> None:
    output = io.StringIO()

    call_command(_Greet(), stdout=output)

    assert output.getvalue().strip() == "hello from a running loop: True"


class _WhereIsTheLoop(AsyncCommand):
    loop_in_main_thread = True

    async def ahandle(self, *args: Any, **options: Any) -> None:
        in_main_thread = threading.current_thread() is threading.main_thread()
        self.stdout.write(f"the loop runs in the main thread: {in_main_thread}")


def test_an_async_command_that_stops_on_signals_runs_its_loop_in_the_main_thread() -> None:
    output = io.StringIO()

    call_command(_WhereIsTheLoop(), stdout=output)

    assert output.getvalue().strip() == "the loop runs in the main thread: True"


def test_an_async_command_without_ahandle_says_what_is_missing() -> None:
    with pytest.raises(NotImplementedError, match="async def ahandle"):
        call_command(AsyncCommand())


def test_local_admin_creates_one_login_and_then_points_to_it(settings) -> None:
    settings.DEBUG = True
    first, second = io.StringIO(), io.StringIO()

    call_command("local_admin", stdout=first)
    call_command("local_admin", stdout=second)

    assert "Created the local login: user 'admin'" in first.getvalue()
    assert "existing superuser" in second.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_local_admin_refuses_to_run_with_debug_off(settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("local_admin")


def test_a_command_on_a_database_that_was_never_migrated_says_to_migrate(tmp_path) -> None:
    empty_database = tmp_path / "never-migrated.sqlite3"

    finished = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "search", "rotate the password"],
        cwd=PROJECT_DIR,
        env=subprocess_environment(DEBUG="true", DATABASE_URL=f"sqlite:///{empty_database}"),
        capture_output=True,
        text=True,
        check=False,
    )

    assert finished.returncode == 1
    assert finished.stderr.strip() == f"CommandError: {NOT_MIGRATED}"
