"""The health check that load balancers and the container's HEALTHCHECK poll."""

import logging
import time

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


async def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when a database round-trip succeeds, 503 with the reason when it does not.

    The reason names the failure's kind only: this endpoint is public, and the driver's message
    can carry host names. The full message goes to the log.
    """
    started = time.perf_counter()
    try:
        await sync_to_async(_round_trip)()
    except DatabaseError as error:
        logger.warning("Health check: database unreachable: %s", error)
        return JsonResponse(
            {
                "status": "unavailable",
                "database": {
                    "ok": False,
                    "reason": f"database unreachable ({type(error).__name__})",
                },
            },
            status=503,
        )
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return JsonResponse(
        {
            "status": "ok",
            "database": {"ok": True, "vendor": connection.vendor, "latency_ms": latency_ms},
        }
    )


def _round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
