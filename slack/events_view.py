"""`POST /slack/events`: the Events API, interactivity and slash commands over HTTP.

Bolt's Django adapter is synchronous; this view builds bolt's async request from Django's and
awaits the app's dispatch, so the event is recorded and acknowledged without leaving the loop.
"""

import time

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_bolt.request.async_request import AsyncBoltRequest

from application import metrics
from slack import app as slack_app
from slack import events

# Its route, without the leading slash (Django's `path()` form); the first middleware matches it.
ROUTE = "slack/events"


@csrf_exempt
@require_POST
async def slack_events(request: HttpRequest) -> HttpResponse:
    if slack_app.missing_settings():
        return HttpResponse(
            slack_app.not_configured_message(), status=503, content_type="text/plain"
        )
    started = time.perf_counter()
    try:
        bolt_request = AsyncBoltRequest(
            body=request.body.decode("utf-8"),
            query=request.META.get("QUERY_STRING", ""),
            headers={name.lower(): value for name, value in request.headers.items()},
        )
    # Building the request only parses it. It fails on a body that is not UTF-8, JSON or a form,
    # and bolt's parsing trips (AttributeError, KeyError, …) over JSON of another shape than
    # Slack's (`null`, a list, `authorizations` that are not a list of objects): all malformed.
    except Exception:
        return _malformed()
    if not events.readable(bolt_request.body):
        return _malformed()
    bolt_response = await slack_app.get_app().async_dispatch(bolt_request)
    if bolt_response.status == 401:
        metrics.slack_requests_refused.labels(reason="signature").inc()
    metrics.step_seconds.labels(step="ack").observe(time.perf_counter() - started)
    response = HttpResponse(status=bolt_response.status, content=bolt_response.body)
    for name, values in bolt_response.headers.items():
        response[name] = ", ".join(values)
    return response


def _malformed() -> HttpResponse:
    metrics.slack_requests_refused.labels(reason="malformed").inc()
    return HttpResponse("Malformed request body.", status=400, content_type="text/plain")
