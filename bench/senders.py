"""The load generator of the parts that time acks (ack latency, many in flight): each sender
sends its requests one after another over a keep-alive HTTP/1.1 connection of its own, from a
process of its own, timing each from writing it to reading the last byte of its response.

httpx, the client the other parts use, spends about a millisecond of CPU on a request, in the
process that also plays Slack and the model: with 50 senders it alone put p99 above 200 ms
against a server that does nothing, so the figure measured the client. Here the requests are
signed and encoded before the clock starts, the process does nothing else, and a request costs
the client a few system calls; `measure_floor` measures what is left against a server that only
answers 200.

    python -m bench.senders    (JSON on stdin: `port` and `senders`, a list of request lists)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from fakes.servers import PROJECT_DIR, free_port, until_listening

HEADERS_END = b"\r\n\r\n"
FLOOR_SENDERS = 50
FLOOR_REQUESTS = 10
STARTUP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Ack:
    """One request's response: when it was sent (`time.perf_counter()`, the same clock in every
    process on Linux), how long its response took, and its status."""

    sent_at: float
    ms: float
    status: int


@dataclass(frozen=True)
class Sending:
    """Each sender's acks in the order sent, and the time from opening the first connection to
    the last ack."""

    acks: list[list[Ack]]
    elapsed_s: float


def request(body: str, headers: dict[str, str]) -> bytes:
    """A POST of the body to Slack's events route, with the headers and a Content-Length."""
    encoded = body.encode()
    lines = [
        "POST /slack/events HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{name}: {value}" for name, value in headers.items()),
        f"Content-Length: {len(encoded)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded


async def send(port: int, senders: Sequence[Sequence[bytes]]) -> Sending:
    """Send each sender's requests in turn, all senders at once, from a child process."""
    order = json.dumps({"port": port, "senders": [[r.decode() for r in s] for s in senders]})
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.senders",
        cwd=PROJECT_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await child.communicate(order.encode())
    if child.returncode != 0:
        raise RuntimeError(f"the load generator exited with status {child.returncode}")
    sent = json.loads(output)
    return Sending(
        acks=[[Ack(*ack) for ack in acks] for acks in sent["acks"]],
        elapsed_s=sent["elapsed_s"],
    )


async def measure_floor() -> list[float]:
    """The generator's times against a server that answers every request at once: the
    smallest ack latencies it can report at 50 senders."""
    async with _nothing_served() as port:
        filler = request("{}", {"Content-Type": "application/json"})
        sending = await send(port, [[filler] * FLOOR_REQUESTS for _ in range(FLOOR_SENDERS)])
    return [one.ms for batch in sending.acks for one in batch]


@contextlib.asynccontextmanager
async def _nothing_served() -> AsyncIterator[int]:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "uvicorn", "--port", str(port), "--no-access-log"),
        "bench.senders:nothing",
        cwd=PROJECT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(until_listening(server, into=[], workers=1), STARTUP_TIMEOUT_S)
        yield port
    finally:
        server.terminate()
        await server.wait()


async def nothing(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that reads the request and answers 200 with no body."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
    )
    await send({"type": "http.response.body", "body": b""})


async def _run(port: int, senders: list[list[bytes]]) -> dict[str, Any]:
    started = time.perf_counter()
    acks = await asyncio.gather(*(_sender(port, requests) for requests in senders))
    return {"acks": acks, "elapsed_s": time.perf_counter() - started}


async def _sender(port: int, requests: list[bytes]) -> list[tuple[float, float, int]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    acks = []
    try:
        for one in requests:
            started = time.perf_counter()
            writer.write(one)
            status, keep_alive = await response(reader)
            acks.append((started, (time.perf_counter() - started) * 1000, status))
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()
    return acks


async def response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status, and whether the connection stays open."""
    head = (await reader.readuntil(HEADERS_END)).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip().lower()
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        await _chunks(reader)
    return status, fields.get("connection") != "close"


async def _chunks(reader: asyncio.StreamReader) -> None:
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")


def main() -> None:
    order = json.load(sys.stdin)
    senders = [[one.encode() for one in requests] for requests in order["senders"]]
    json.dump(asyncio.run(_run(order["port"], senders)), sys.stdout)


if __name__ == "__main__":
    main()
