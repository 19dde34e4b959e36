"""The folder in which every process of `manage.py serve` keeps its metrics.

prometheus_client decides when it is imported where a process keeps its values: in memory, or in
files in the folder `PROMETHEUS_MULTIPROC_DIR` names. `/metrics` adds up the files of all the
processes (the serving process and uvicorn's workers), so `manage.py` sets
the folder before anything imports prometheus_client, and the processes `serve` starts inherit
it. This module imports nothing that imports prometheus_client.

A folder the variable names is the operator's: it is checked to exist, since prometheus_client
would fail every count without it, but not to be empty, since the commands run beside `serve` with
the same environment (a worker, a command run by hand) keep their files there too, and a service
restarted on the same volume finds its last run's files there.
"""

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from kraken_bot.configuration import ConfigurationError


@contextlib.contextmanager
def kept_for(command_line: list[str]) -> Iterator[None]:
    """Around a `manage.py` command (`command_line` is `sys.argv`): a folder
    `PROMETHEUS_MULTIPROC_DIR` already names must exist, and is used as it is; without one,
    `serve` gets a fresh folder, removed when the command ends.

    Raises: ConfigurationError.
    """
    named = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if named:
        _require_folder(named)
    if command_line[1:2] != ["serve"] or named:
        yield
        return
    folder = tempfile.mkdtemp(prefix="kraken-bot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    # After its graceful shutdown on SIGTERM, uvicorn raises the signal again, with the handler
    # found at its start: the default one would end the process before the folder is removed.
    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _require_folder(folder: str) -> None:
    if not Path(folder).is_dir():
        raise ConfigurationError(
            f"PROMETHEUS_MULTIPROC_DIR: there is no folder {folder}: create it (empty), "
            "or leave the variable unset"
        )


def _exit(signal_number: int, frame: FrameType | None) -> None:
    sys.exit(128 + signal_number)
