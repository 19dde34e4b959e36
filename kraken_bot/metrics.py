"""`GET /metrics`: the service's metrics in Prometheus' text format, for a bearer of the token.

Served only when `METRICS_TOKEN` is set, and only to a request that carries it
(`Authorization: Bearer …`); otherwise the URL does not exist. The metrics hold counts and timings
under fixed labels, never a setting, an id or a text. Under `manage.py serve` every process writes
its values to `PROMETHEUS_MULTIPROC_DIR`, and every scrape adds up those of all of them. The
queue of jobs is counted as it is scraped, where the jobs are kept: in the database, which every
process shares, or (SQLite) in this process. How long the oldest job due has waited is read from
the database's record of when each job was deferred, which only PostgreSQL's queue keeps.
"""

import asyncio
import hmac
import logging
import os
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError
from django.db.models import DateTimeField, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob
from procrastinate.exceptions import ConnectorException
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

logger = logging.getLogger(__name__)

# Well within Prometheus' default scrape timeout (10 s), which a scrape waiting for the pool's
# `DATABASE_POOL_TIMEOUT_S` (10 s by default) would pass, losing the counters too.
JOB_GAUGES_TIMEOUT_S = 3.0


@require_GET
async def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404
    if not carries_token(request.headers.get("Authorization", "")):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    jobs = await _job_gauges()
    # Collecting reads files (the other workers' values, /proc): off the event loop.
    body = await asyncio.to_thread(generate_latest, _registry())
    return HttpResponse(body + generate_latest(jobs), content_type=CONTENT_TYPE_PLAIN_0_0_4)


async def _job_gauges() -> "_Collected":
    """The gauges of the jobs, read from the database; left out when it does not answer in time,
    so that the counters still reach Prometheus, and say what fails, while it is away."""
    try:
        async with asyncio.timeout(JOB_GAUGES_TIMEOUT_S):
            return _Collected(await _jobs(), *await _oldest_waiting())
    except (DatabaseError, ConnectorException, TimeoutError) as error:
        logger.warning("Metrics without the jobs' gauges: the database did not answer (%r)", error)
        return _Collected()


async def _jobs() -> GaugeMetricFamily:
    jobs = GaugeMetricFamily(
        "kraken_jobs",
        "Jobs waiting (todo) and running (doing), of all workers, by task: a queue that keeps "
        "growing means the questions come faster than the workers answer them.",
        labels=["task", "status"],
    )
    for task in await app.job_manager.list_tasks_async():
        for status in ("todo", "doing"):
            jobs.add_metric([task["name"], status], task[status])
    return jobs


async def _oldest_waiting() -> list[GaugeMetricFamily]:
    """How long the job due longest ago has waited for a worker: from its deferral, or from when
    it was due again after a failure. A job whose lock a running job holds (a sync of a source
    that is syncing) waits for that job, not for a worker: it is left out."""
    if not isinstance(app.connector, DjangoConnector):
        return []
    now = timezone.now()
    deferred_at = ProcrastinateEvent.objects.filter(job=OuterRef("pk"), type="deferred").values(
        "at"
    )[:1]
    held = ProcrastinateJob.objects.filter(status="doing", lock__isnull=False).values("lock")
    waiting = (
        ProcrastinateJob.objects.filter(status="todo")
        .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now))
        .filter(Q(lock__isnull=True) | ~Q(lock__in=held))
        .annotate(
            since=Coalesce("scheduled_at", Subquery(deferred_at), output_field=DateTimeField())
        )
    )
    oldest = (await waiting.aaggregate(oldest=Min("since")))["oldest"]
    return [
        GaugeMetricFamily(
            "kraken_job_oldest_waiting_seconds",
            "How long the job due longest ago has waited to start, 0 when none waits: one that "
            "keeps growing means no worker takes jobs (stopped, or all busy).",
            value=(now - oldest).total_seconds() if oldest is not None else 0.0,
        )
    ]


class _Collected:
    """Metrics counted for one scrape."""

    def __init__(self, *families: Metric) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def carries_token(authorization: str) -> bool:
    """Whether a request's `Authorization` header carries `METRICS_TOKEN` as its bearer token."""
    offered = authorization.removeprefix("Bearer ")
    return hmac.compare_digest(offered.encode(), settings.METRICS_TOKEN.encode())


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # no hints
    return registry
