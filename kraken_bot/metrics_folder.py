"""The folder in which every process of `manage.py serve` keeps its metrics.

prometheus_client decides when it is imported where a process keeps its values: in memory, or in
files in the folder `PROMETHEUS_MULTIPROC_DIR` names. `/metrics` adds up the files of all the
processes (the serving process and uvicorn's workers), so `manage.py` sets
the folder before anything imports prometheus_client, and the processes `serve` starts inherit
it. This module imports nothing that imports prometheus_client.
"""

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from types import FrameType


@contextlib.contextmanager
def kept_for(command_line: list[str]) -> Iterator[None]:
    """Around `manage.py serve` (`command_line` is `sys.argv`): a fresh folder in
    `PROMETHEUS_MULTIPROC_DIR`, removed when the command ends; a folder the variable already
    names is used as it is."""
    if command_line[1:2] != ["serve"] or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
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


def _exit(signal_number: int, frame: FrameType | None) -> None:
    sys.exit(128 + signal_number)
