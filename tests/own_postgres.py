"""A PostgreSQL cluster of the test's own (its own data folder and port), which the test can
stop and start again, to see what the service does when its database goes away.

The server binaries come from `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so
as root (CI runs as root) the cluster is run as the `postgres` user through `runuser`.
"""

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from fakes.servers import free_port

COMMAND_TIMEOUT_S = 60


def _server_binaries() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    return versions[-1]


# Looked up once, at import: the tests that use it run inside an event loop.
SERVER_BINARIES = _server_binaries()


@dataclass(frozen=True)
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    async def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            "-c unix_socket_directories='' -c fsync=off"
        )
        await _run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    async def stop(self) -> None:
        """Stop at once, as a crashed or unplugged server does: clients are cut off."""
        await _run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    async def running(self) -> bool:
        return await _run("pg_ctl", "-D", str(self.data), "status", check=False) == 0


async def _run(program: str, *arguments: str, check: bool = True) -> int:
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    process = await asyncio.create_subprocess_exec(
        *as_postgres,
        str(SERVER_BINARIES / program),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_S)
    if check and process.returncode != 0:
        raise RuntimeError(f"{program} failed:\n{output.decode(errors='replace')}")
    assert process.returncode is not None
    return process.returncode


@contextlib.asynccontextmanager
async def own_postgres() -> AsyncIterator[Cluster]:
    """A fresh, running cluster on a free port; stopped and deleted when left, even on failure."""
    data = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="kraken-bot-postgres-"))
    if os.geteuid() == 0:
        await asyncio.to_thread(shutil.chown, data, "postgres", "postgres")
    cluster = Cluster(data=data / "cluster", port=free_port())
    try:
        await _run(
            "initdb",
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        await cluster.start()
        yield cluster
    finally:
        try:
            if await cluster.running():
                await cluster.stop()
        finally:
            await asyncio.to_thread(shutil.rmtree, data, ignore_errors=True)
