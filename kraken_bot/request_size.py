"""A request body larger than Django allows is refused before it is read.

Django's ASGI handler reads a request's whole body, into memory and then a temporary file, before
any view runs, and only a view's reading of it checks `DATA_UPLOAD_MAX_MEMORY_SIZE`; uvicorn sets
no limit. `/slack/events` is open to anyone who can reach it, so without this a stranger's endless
body would fill the disk before its missing signature is seen. A body that says its size is
refused with 413 unread; one sent in chunks is read up to the limit, then the request is dropped
as a client that went away, and answered 413.
"""

from typing import Any

from django.conf import settings

from kraken_bot.lifespan import ASGIApp, Receive, Send

TOO_LARGE = b"Request body too large."


class RequestSizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if scope["type"] != "http" or limit is None:
            await self._app(scope, receive, send)
            return
        if _declared_size(scope) > limit:
            await _refuse(send)
            return
        received = 0

        async def receive_within_limit() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return {"type": "http.disconnect"} if received > limit else message

        await self._app(scope, receive_within_limit, send)
        if received > limit:
            await _refuse(send)


def _declared_size(scope: dict[str, Any]) -> int:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return 0


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(TOO_LARGE)).encode()),
                # So that uvicorn closes the connection instead of reading the rest of the body.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": TOO_LARGE})
