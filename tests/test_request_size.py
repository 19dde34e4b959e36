"""A body larger than Django allows is refused before the service reads it, through uvicorn: the
request of a stranger who has not signed it cannot fill the disk first."""

import asyncio
import socket
from urllib.parse import urlsplit

import pytest

from fakes.servers import bot_environment, served
from fakes.slack import FakeSlack

MEGABYTE = 1_000_000
SENT_MEGABYTES = 200
SOCKET_TIMEOUT_S = 60


@pytest.mark.served
async def test_a_body_over_the_limit_is_refused_before_it_is_read(slack: FakeSlack) -> None:
    async with served("--no-migrate", environment=bot_environment(slack_api_url=slack.api_url)) as (
        service
    ):
        address = urlsplit(service.url)
        declared = await asyncio.to_thread(_post_declared, address.hostname, address.port)
        chunked, megabytes_taken = await asyncio.to_thread(
            _post_chunked, address.hostname, address.port
        )

    assert declared.startswith(b"HTTP/1.1 413 ")
    assert chunked.startswith(b"HTTP/1.1 413 ")
    # What the service read, and what the sockets' buffers held on the way.
    assert megabytes_taken < SENT_MEGABYTES // 4


def _post_declared(host: str | None, port: int | None) -> bytes:
    """A request saying its body is SENT_MEGABYTES, of which no byte is sent."""
    with socket.create_connection((host, port), timeout=SOCKET_TIMEOUT_S) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (SENT_MEGABYTES * MEGABYTE)
        )
        return _response(connection)


def _post_chunked(host: str | None, port: int | None) -> tuple[bytes, int]:
    """A body of SENT_MEGABYTES in chunks of a megabyte, sent until the service stops taking it;
    the response and the megabytes taken."""
    chunk = b"%x\r\n%s\r\n" % (MEGABYTE, b"x" * MEGABYTE)
    taken = 0
    with socket.create_connection((host, port), timeout=SOCKET_TIMEOUT_S) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            for _ in range(SENT_MEGABYTES):
                connection.sendall(chunk)
                taken += 1
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _response(connection), taken


def _response(connection: socket.socket) -> bytes:
    received = b""
    try:
        while b"\r\n\r\n" not in received and (data := connection.recv(65_536)):
            received += data
    except ConnectionResetError:
        pass
    return received
