"""`/metrics` of a job worker: the answers it writes (questions finished, their steps' timings,
the model's tokens, Slack's calls) are counted in its own process, which the web process's
`/metrics` cannot see. Served in the worker's event loop by aiohttp, for the bearer of
`METRICS_TOKEN`, on `WORKER_METRICS_PORT` (off unless set: workers sharing a host each need a port
of their own). The jobs' queue is counted by the web process's `/metrics`, for all workers.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from django.conf import settings
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY
from prometheus_client.exposition import generate_latest

from kraken_bot import metrics

logger = logging.getLogger(__name__)

# Prometheus scrapes workers from elsewhere (another container or host): the token guards it.
HOST = "0.0.0.0"  # noqa: S104


@contextlib.asynccontextmanager
async def metrics_served() -> AsyncIterator[None]:
    """While open, serve the worker's metrics, where they are asked for."""
    port = settings.WORKER_METRICS_PORT
    if not (port and settings.METRICS_TOKEN):
        yield
        return
    application = web.Application()
    application.router.add_get("/metrics", _metrics)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    logger.info("Metrics served at http://%s:%s/metrics", HOST, port)
    try:
        yield
    finally:
        await runner.cleanup()


async def _metrics(request: web.Request) -> web.Response:
    if not metrics.carries_token(request.headers.get("Authorization", "")):
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
