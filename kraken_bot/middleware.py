"""The first middleware: Slack's events, acknowledged without a thread round trip per middleware.

Under ASGI, Django runs each classic middleware's `process_request` and `process_response`
through `sync_to_async`: a round trip to a thread and back for each hook, a dozen for a request
through the whole chain, each waiting its turn on an event loop that is busy writing answers.

`POST /slack/events` skips the chain: Django's security, common and clickjacking middleware,
whose hooks only read the request and the settings and set headers, run here in the loop, and
the request goes straight to its view. Sessions, authentication, messages and CSRF are for the
admin site's people, not for Slack, whose requests are signed (the view checks the signature and
is CSRF-exempt). Every other request goes through the chain as Django builds it.

The service itself answers Slack's events before they reach Django's handler
(`slack_events_route`), through `respond_to_slack`; this middleware does the same for the requests
that do reach it (Django's test client, a server given Django's application alone).
"""

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import clickjacking, common, security

from slack import events_view

SLACK_EVENTS_PATH = f"/{events_view.ROUTE}"

GetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class SlackEventsFirst:
    """Send Slack's events to their view at once, with the response headers every page gets."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: GetResponse) -> None:
        if not iscoroutinefunction(get_response):
            raise TypeError("SlackEventsFirst needs the async middleware chain")
        self.get_response = get_response
        markcoroutinefunction(self)
        # In the order of MIDDLEWARE; only their hooks are called.
        self._security = security.SecurityMiddleware(get_response)
        self._common = common.CommonMiddleware(get_response)
        self._clickjacking = clickjacking.XFrameOptionsMiddleware(get_response)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info != SLACK_EVENTS_PATH:
            return await self.get_response(request)
        return await self.respond_to_slack(request)

    async def respond_to_slack(self, request: HttpRequest) -> HttpResponseBase:
        """The events view's response, with the security and common checks and headers."""
        # A redirect to HTTPS, or a host that is not allowed, answers before the view.
        early = self._security.process_request(request) or self._common.process_request(request)
        response = early if early is not None else await events_view.slack_events(request)
        response = self._clickjacking.process_response(request, response)
        # The same response, or a redirect: an HttpResponse either way.
        checked = cast(HttpResponse, self._common.process_response(request, response))
        return self._security.process_response(request, checked)
