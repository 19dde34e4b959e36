"""The database goes away under the running service, and comes back.

The service runs (uvicorn in a subprocess) on a PostgreSQL cluster the test starts itself, so the
test can stop it, whichever database the rest of the suite uses.
"""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

import httpx
import psycopg
import pytest

from fakes import slack_payloads as payloads
from fakes.polling import PATIENCE_S, until
from fakes.servers import (
    PROJECT_DIR,
    manage,
    served,
    start_job_worker,
    subprocess_environment,
)
from fakes.slack import FakeSlack
from kraken_bot.management.commands import worker
from tests.own_postgres import Cluster, own_postgres

# The served processes run the jobs: `manage.py worker` on PostgreSQL.
pytestmark = pytest.mark.served

UNHEALTHY_WITHIN_S = 5
METRICS_TOKEN = "metrics-token-for-tests"


async def _questions(cluster: Cluster) -> dict[str, list[str]]:
    """The statuses of the questions stored for each event id."""
    async with await psycopg.AsyncConnection.connect(cluster.url) as connection:
        rows = await (
            await connection.execute("SELECT event_id, status FROM data_question ORDER BY id")
        ).fetchall()
    found: dict[str, list[str]] = {}
    for event_id, status in rows:
        found.setdefault(event_id, []).append(status)
    return found


async def test_without_its_database_the_service_says_so_refuses_events_and_loses_none(
    slack: FakeSlack,
) -> None:
    async with own_postgres() as cluster:
        environment = subprocess_environment(
            DATABASE_URL=cluster.url,
            DATABASE_POOL_TIMEOUT_S="1",
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET=payloads.SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            METRICS_TOKEN=METRICS_TOKEN,
        )
        async with (
            served(environment=environment) as service,
            httpx.AsyncClient(
                base_url=service.url, headers={"X-Forwarded-Proto": "https"}, timeout=PATIENCE_S
            ) as client,
        ):

            async def send(body: str, **headers: str) -> int:
                response = await client.post(
                    "/slack/events",
                    content=body,
                    headers={**payloads.event_headers(body), **headers},
                )
                return response.status_code

            async def health() -> int:
                return (await client.get("/healthz")).status_code

            before, in_flight, during, after = (
                payloads.event_callback(payloads.app_mention(f"rotate the password ({n})"))
                for n in range(4)
            )
            ids = [json.loads(body)["event_id"] for body in (before, in_flight, during, after)]

            assert await send(before) == 200
            await until(lambda: _answered(cluster, ids[0]), within_s=PATIENCE_S)

            # An answer in flight when the database goes away: stored, held up by Slack, and
            # then unable to record its answer.
            slack.slow("assistant.threads.setStatus", 3)
            assert await send(in_flight) == 200
            await until(lambda: _stored(cluster, ids[1]), within_s=PATIENCE_S)
            await cluster.stop()
            unhealthy_after_s = await until(lambda: _is(health, 503), within_s=PATIENCE_S)
            refused = await send(during)
            scrape = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )

            async def in_flight_failed() -> bool:
                return any(
                    f"event_id='{ids[1]}'" in line and "ended with status" in line
                    for line in service.whole_log
                )

            await until(in_flight_failed, within_s=PATIENCE_S)
            await cluster.start()
            slack.slow("assistant.threads.setStatus", 0)
            await until(lambda: _is(health, 200), within_s=PATIENCE_S)
            # procrastinate stops a worker whose connection to the database broke; the service's
            # restart policy starts it again (docs/operations.md), as the test does here.
            lost_worker = service.job_workers[0].process

            async def worker_stopped() -> bool:
                return lost_worker.returncode is not None

            await until(worker_stopped, within_s=PATIENCE_S)
            await start_job_worker(service, environment=environment)
            redelivered = await send(
                during, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
            )
            assert await send(after) == 200
            await until(lambda: _answered(cluster, ids[2]), within_s=PATIENCE_S)
            await until(lambda: _answered(cluster, ids[3]), within_s=PATIENCE_S)
            await until(lambda: _answered(cluster, ids[1]), within_s=PATIENCE_S)
            still_running = service.process.returncode is None

        questions = await _questions(cluster)

    assert unhealthy_after_s < UNHEALTHY_WITHIN_S
    assert refused == 503
    assert scrape.status_code == 200
    assert 'kraken_slack_events_total{outcome="unrecorded"} 1.0' in scrape.text
    assert "kraken_jobs" not in scrape.text
    assert redelivered == 200
    assert still_running
    assert {event_id: questions.get(event_id) for event_id in ids} == {
        event_id: ["answered"] for event_id in ids
    }


async def _answered(cluster: Cluster, event_id: str) -> bool:
    return (await _questions(cluster)).get(event_id) == ["answered"]


async def _stored(cluster: Cluster, event_id: str) -> bool:
    return event_id in await _questions(cluster)


async def _is(probe: Callable[[], Awaitable[int]], status: int) -> bool:
    return await probe() == status


async def test_a_worker_that_loses_its_database_stops_saying_so_in_one_line() -> None:
    async with own_postgres() as cluster:
        environment = subprocess_environment(
            DATABASE_URL=cluster.url, DATABASE_POOL_TIMEOUT_S="1", SHUTDOWN_GRACE_S="1"
        )
        migrated, said = await manage("migrate", "--noinput", environment=environment)
        assert migrated == 0, said
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PROJECT_DIR / "manage.py"),
            "worker",
            cwd=PROJECT_DIR,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await until(lambda: _registered_workers(cluster), within_s=PATIENCE_S)
            await cluster.stop()
            output, _ = await asyncio.wait_for(process.communicate(), PATIENCE_S)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    said = output.decode(errors="replace")

    assert process.returncode == 1, said
    # Its last words: one line, not the traceback of an exception nothing caught.
    assert said.rstrip().splitlines()[-1].startswith(f"CommandError: {worker.LOST_DATABASE} (")


async def _registered_workers(cluster: Cluster) -> bool:
    async with await psycopg.AsyncConnection.connect(cluster.url) as connection:
        row = await (
            await connection.execute("SELECT count(*) FROM procrastinate_workers")
        ).fetchone()
    return bool(row and row[0])
