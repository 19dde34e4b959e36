"""`POST /slack/events`: the Events API, interactivity and slash commands over HTTP.

Bolt's Django adapter is synchronous; this view builds bolt's async request from Django's and
awaits the app's dispatch, so the event is recorded and acknowledged without leaving the loop.

The view checks Slack's signature itself, before anything is parsed, and bolt's own check is off
(`slack.app`): bolt's fails with an error on a timestamp that is not a whole number, and logs the
whole body of each request it refuses, anyone's text, megabytes a line.
"""

import logging
import re
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from application import metrics
from slack import app as slack_app
from slack import events

logger = logging.getLogger(__name__)

# Seconds since the epoch, as Slack sends them; a longer number would only be refused as stale.
_TIMESTAMP = re.compile(r"[0-9]{1,20}")


@csrf_exempt
@require_POST
async def slack_events(request: HttpRequest) -> HttpResponse:
    if slack_app.missing_settings():
        return HttpResponse(
            slack_app.not_configured_message(), status=503, content_type="text/plain"
        )
    started = time.perf_counter()
    try:
        body = request.body.decode("utf-8")
    except (RequestDataTooBig, UnicodeDecodeError):
        return _malformed()
    if not _signed_by_slack(body, request):
        return _refused(body)
    try:
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.META.get("QUERY_STRING", ""),
            headers={name.lower(): value for name, value in request.headers.items()},
        )
    # Building the request only parses it. It fails on a body that is not JSON or a form, and
    # bolt's parsing trips (AttributeError, KeyError, …) over JSON of another shape than
    # Slack's (`null`, a list, `authorizations` that are not a list of objects): all malformed.
    except Exception:
        return _malformed()
    if not events.readable(bolt_request.body):
        return _malformed()
    bolt_response = await slack_app.get_app().async_dispatch(bolt_request)
    metrics.step_seconds.labels(step="ack").observe(time.perf_counter() - started)
    response = HttpResponse(status=bolt_response.status, content=bolt_response.body)
    for name, values in bolt_response.headers.items():
        response[name] = ", ".join(values)
    return response


def _malformed() -> HttpResponse:
    metrics.slack_requests_refused.labels(reason="malformed").inc()
    return HttpResponse("Malformed request body.", status=400, content_type="text/plain")


def _signed_by_slack(body: str, request: HttpRequest) -> bool:
    """Whether Slack signed the body, in the last five minutes, with the app's signing secret."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    return bool(_TIMESTAMP.fullmatch(timestamp)) and SignatureVerifier(
        settings.SLACK_SIGNING_SECRET
    ).is_valid(body, timestamp, signature)


def _refused(body: str) -> HttpResponse:
    metrics.slack_requests_refused.labels(reason="signature").inc()
    logger.info("Refused a request not signed by Slack (a body of %s characters)", len(body))
    return HttpResponse(status=401)
