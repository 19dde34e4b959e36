"""`POST /slack/events`: the Events API, interactivity and slash commands over HTTP.

Bolt's Django adapter is synchronous; this view builds bolt's async request from Django's and
awaits the app's dispatch, so the event is recorded and acknowledged without leaving the loop.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_bolt.request.async_request import AsyncBoltRequest

from slack import app as slack_app


@csrf_exempt
@require_POST
async def slack_events(request: HttpRequest) -> HttpResponse:
    if slack_app.missing_settings():
        return HttpResponse(
            slack_app.not_configured_message(), status=503, content_type="text/plain"
        )
    try:
        bolt_request = AsyncBoltRequest(
            body=request.body.decode("utf-8"),
            query=request.META.get("QUERY_STRING", ""),
            headers={name.lower(): value for name, value in request.headers.items()},
        )
    except ValueError:  # not UTF-8, or a JSON or form body that does not parse
        return HttpResponse("Malformed request body.", status=400, content_type="text/plain")
    bolt_response = await slack_app.get_app().async_dispatch(bolt_request)
    response = HttpResponse(status=bolt_response.status, content=bolt_response.body)
    for name, values in bolt_response.headers.items():
        response[name] = ", ".join(values)
    return response
