"""`GET /metrics`: the service's metrics in Prometheus' text format, for a bearer of the token.

Served only when `METRICS_TOKEN` is set, and only to a request that carries it
(`Authorization: Bearer …`); otherwise the URL does not exist. The metrics hold counts and timings
under fixed labels, never a setting, an id or a text. Under `manage.py serve` every process writes
its values to `PROMETHEUS_MULTIPROC_DIR`, and every scrape adds up those of all of them.
"""

import asyncio
import hmac
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import generate_latest


@require_GET
async def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _carries_token(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    # Collecting reads files (the other workers' values, /proc): off the event loop.
    body = await asyncio.to_thread(generate_latest, _registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)


def _carries_token(request: HttpRequest) -> bool:
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return hmac.compare_digest(offered.encode(), settings.METRICS_TOKEN.encode())


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # no hints
    return registry
