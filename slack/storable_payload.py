"""Slack's payloads made storable before anything reads them: the first bolt middleware, for the
HTTP endpoint and Socket Mode alike, replaces in every text of the payload the characters no
database stores (`domain.storable_text`). The inbox, the listeners and the questions then only
ever see text both databases keep as it is.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from domain import storable_text


async def make_storable(req: AsyncBoltRequest, next: Callable[[], Awaitable[None]]) -> None:
    req.body = _storable(req.body)
    await next()


def _storable(value: Any) -> Any:
    match value:
        case str():
            return storable_text.storable(value)
        case dict():
            return {_storable(key): _storable(item) for key, item in value.items()}
        case list():
            return [_storable(item) for item in value]
    return value
