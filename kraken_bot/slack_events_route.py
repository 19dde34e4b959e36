"""Slack's events, answered in front of Django's request handler.

Django's ASGI handler gives every request a thread-sensitive context of its own, and its request
signals and the response's close are calls into that context's thread: a thread is started for each
request and another to join it. At the rate Slack sends events under load that costs the event loop
more than the rest of the ack, and the acks wait for it (a profile of the benchmark's 50 senders:
a fifth of the serving process's time; with this route, twice the acks a second). Slack's events
need none of it: they are signed, carry no session, and their one database call (recording the
event) gives back its connection within the call, on a thread of the shared pool.

So `/slack/events` is answered here, with Django's own request and response objects, the same
security and common checks and headers (`SlackEventsFirst`), and Django's handling of an
unexpected error (a 500, logged); every other request goes to Django. The request signals do not
fire for Slack's events: their receivers close the database connections of the request's thread,
which these requests do not have.
"""

from collections.abc import Mapping
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import response_for_exception
from django.http import HttpResponseBase

from kraken_bot.lifespan import Receive, Send
from kraken_bot.middleware import SLACK_EVENTS_PATH, SlackEventsFirst


class SlackEventsRoute:
    def __init__(self, django: ASGIHandler) -> None:
        self._django = django
        self._slack_first = SlackEventsFirst(django.get_response_async)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if not _for_slack(scope):
            await self._django(scope, receive, send)
            return
        try:
            body = await self._django.read_body(receive)
        except RequestAborted:
            return
        with body:
            response = await self._response(scope, body)
            await self._django.send_response(response, send)

    async def _response(self, scope: dict[str, Any], body: IO[bytes]) -> HttpResponseBase:
        created = self._django.create_request(scope, body)
        if created[0] is None:
            return created[1]
        request = created[0]
        try:
            return await self._slack_first.respond_to_slack(request)
        except Exception as error:
            # As Django does it: in a thread, for the error page's template is read from disk.
            return await sync_to_async(response_for_exception, thread_sensitive=False)(
                request, error
            )


def _for_slack(scope: Mapping[str, Any]) -> bool:
    if scope["type"] != "http":
        return False
    path = str(scope["path"])
    return path.removeprefix(str(scope.get("root_path", ""))) == SLACK_EVENTS_PATH
