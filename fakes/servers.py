"""Running the real service in a subprocess, as uvicorn serves it in production."""

import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from fakes.slack_payloads import SIGNING_SECRET

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Generous: on a machine whose cores are busy with other work, starting Django and uvicorn (and
# each worker's import of the project) can take many times as long as on a quiet one.
STARTUP_TIMEOUT_S = 180
COMMAND_TIMEOUT_S = 180
# The longest log line read from a served process (a request's body can be in one).
LOG_LINE_LIMIT = 16 * 1024 * 1024
# How much of the served processes' log a failing test shows: the end of it.
LOG_SHOWN_ON_FAILURE = 30_000


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


def bot_environment(*, slack_api_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a bot served in a subprocess: the test's database, the fake Slack, and
    the given variables."""
    return subprocess_environment(
        **{
            "DATABASE_URL": database_url_shared_with_tests(),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api_url,
            **overrides,
        }
    )


async def manage(*arguments: str, environment: Mapping[str, str]) -> tuple[int, str]:
    """Run a `manage.py` command in a subprocess; return its exit status and its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROJECT_DIR / "manage.py"),
        *arguments,
        cwd=PROJECT_DIR,
        env=dict(environment),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_S)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@dataclass
class Process:
    """A running `manage.py` command, and its output so far."""

    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    draining: asyncio.Task[None] | None = None

    async def end(self) -> None:
        """Stop it the way a deploy does (SIGTERM), and wait for it to exit."""
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()
        if self.draining is not None:
            await self.draining


@dataclass
class Served(Process):
    """A running service: its URL, and on PostgreSQL the job workers started with it."""

    url: str = ""
    job_workers: list[Process] = field(default_factory=list)

    async def stop(self) -> bool:
        """Stop the service, then its job workers, the way a deploy does; True when the service
        shut down gracefully (uvicorn re-raises the signal after its shutdown, so its exit status
        is always -15). A worker stopped while it still starts exits with -15 too: tests of a
        worker's own shutdown look at its log."""
        await self.end()
        for worker in self.job_workers:
            await worker.end()
        return any("Application shutdown complete" in line for line in self.log)

    @property
    def whole_log(self) -> list[str]:
        """What the service and its job workers said."""
        return [*self.log, *(line for worker in self.job_workers for line in worker.log)]


async def _start(*arguments: str, environment: Mapping[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        cwd=PROJECT_DIR,
        env=dict(environment),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        limit=LOG_LINE_LIMIT,
    )


@contextlib.asynccontextmanager
async def served(
    *arguments: str,
    environment: Mapping[str, str],
    launcher: tuple[str, ...] = (str(PROJECT_DIR / "manage.py"),),
    workers: int = 1,
    job_workers: int = 1,
) -> AsyncIterator[Served]:
    """Run `manage.py serve` with the arguments on a free port, until stopped or left, and on
    PostgreSQL `job_workers` × `manage.py worker` (on SQLite the service runs its jobs). Another
    `launcher` (Python's arguments before `serve`) runs the command some other way."""
    port = free_port()
    process = await _start(
        *launcher,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *arguments,
        environment=environment,
    )
    service = Served(process=process, url=f"http://127.0.0.1:{port}")
    try:
        try:
            await asyncio.wait_for(
                until_listening(process, into=service.log, workers=workers), STARTUP_TIMEOUT_S
            )
        except TimeoutError:
            raise TimeoutError(
                f"`serve` with {workers} worker(s) was not listening on port {port} after "
                f"{STARTUP_TIMEOUT_S} s; its log so far:\n" + "".join(service.log)
            ) from None
        # Keep reading the server's log so a full pipe never blocks it.
        service.draining = asyncio.create_task(_drain(process, into=service.log))
        # Workers start once `serve` has migrated the database.
        if environment.get("DATABASE_URL", "").startswith("postgres"):
            for _ in range(job_workers):
                await start_job_worker(service, environment=environment)
        yield service
    except Exception:
        logger.warning(
            "What the served processes said:\n%s",
            "".join(service.whole_log)[-LOG_SHOWN_ON_FAILURE:],
        )
        raise
    finally:
        await service.stop()


async def start_job_worker(service: Served, *, environment: Mapping[str, str]) -> None:
    """Start another `manage.py worker` for the service; it stops with the service."""
    process = await _start(str(PROJECT_DIR / "manage.py"), "worker", environment=environment)
    worker = Process(process=process)
    worker.draining = asyncio.create_task(_drain(process, into=worker.log))
    service.job_workers.append(worker)


async def _drain(process: asyncio.subprocess.Process, *, into: list[str]) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        into.append(line.decode(errors="replace"))


async def until_listening(
    process: asyncio.subprocess.Process, *, into: list[str], workers: int
) -> None:
    """Until uvicorn listens: a single process says so once started; with several workers it
    says so first, and each worker listens once it has started."""
    assert process.stdout is not None
    running = False
    started = 0
    async for line in process.stdout:
        into.append(line.decode(errors="replace"))
        running = running or b"Uvicorn running on" in line
        started += b"Application startup complete" in line
        if running and (workers == 1 or started >= workers):
            return
    raise RuntimeError("the server stopped before it listened:\n" + "".join(into))


def descendants(pid: int) -> list[int]:
    """The processes a process started (Linux `/proc`), and theirs, while they run."""
    found: list[int] = []
    for child in _children(pid):
        found += [child, *descendants(child)]
    return found


def _children(pid: int) -> list[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    children: list[int] = []
    for task in tasks:
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return children
