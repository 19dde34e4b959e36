"""Running the real service in a subprocess, as uvicorn serves it in production."""

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def subprocess_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process: no local `.env`, no database of the suite's unless
    given, and the given variables."""
    environment = {**os.environ, "ENV_FILE": "", "PYTHONUNBUFFERED": "1"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.pop("DATABASE_URL", None)
    return {**environment, **overrides}


def database_url_shared_with_tests() -> str:
    """The URL of the test database, for a child process that must read and write what the test
    does (on SQLite the test settings keep it in a file for this)."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings["USER"] or ""
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        port = settings["PORT"] or 5432
        return f"postgres://{user}{password}@{settings['HOST']}:{port}/{settings['NAME']}"
    return f"sqlite:///{settings['NAME']}"


@contextlib.asynccontextmanager
async def served(*arguments: str, environment: Mapping[str, str]) -> AsyncIterator[str]:
    """Run `manage.py serve` with the arguments on a free port; yield its URL once it listens."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROJECT_DIR / "manage.py"),
        "serve",
        "--port",
        str(port),
        *arguments,
        cwd=PROJECT_DIR,
        env=dict(environment),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(_until_listening(process), STARTUP_TIMEOUT_S)
        # Keep reading the server's log so a full pipe never blocks it.
        draining = asyncio.create_task(_drain(process))
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
    await draining


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    async for _ in process.stdout:
        pass


async def _until_listening(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    output = []
    async for line in process.stdout:
        output.append(line.decode(errors="replace"))
        if b"Uvicorn running on" in line:
            return
    raise RuntimeError("the server stopped before it listened:\n" + "".join(output))
