"""`/metrics`: Prometheus' text format, only for the bearer of `METRICS_TOKEN`, and the sum of
the counts of every process of the service: uvicorn's workers and their answer processes."""

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from django.test import AsyncClient
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from agents import embeddings
from application import embed_passages
from application import metrics as application_metrics
from fakes import slack_payloads as payloads
from fakes.openai import FakeOpenAI
from fakes.polling import PATIENCE_S, until
from fakes.servers import (
    bot_environment,
    database_url_shared_with_tests,
    free_port,
    manage,
    served,
    subprocess_environment,
)
from fakes.slack import FakeSlack
from kraken_bot import tasks, worker_metrics
from kraken_bot.management.commands.serve import ONE_PROCESS_ON_SQLITE
from slack import app as slack_app
from slack import jobs
from tests.databases import ON_POSTGRESQL
from tests.slack_fixtures import all_jobs_done, post_signed

TOKEN = "metrics-token-for-tests"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a scrape, 0 when it is not there yet."""
    return sum(
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == name and labels.items() <= found.labels.items()
    )


async def _scrape() -> str:
    response = await AsyncClient().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.content.decode()


async def test_metrics_are_not_served_without_a_token_setting(settings) -> None:
    settings.METRICS_TOKEN = ""

    response = await AsyncClient().get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404


async def test_metrics_refuse_a_request_without_the_token(settings) -> None:
    settings.METRICS_TOKEN = TOKEN

    missing = await AsyncClient().get("/metrics")
    wrong = await AsyncClient().get("/metrics", headers={"Authorization": "Bearer guess"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


async def test_an_answered_mention_is_counted_and_timed_step_by_step(
    settings, slack: FakeSlack, indexed_docs: None
) -> None:
    settings.METRICS_TOKEN = TOKEN
    embedder = embeddings.configured_embedder()
    assert embedder is not None
    # The passages searched by meaning too, so that the question is embedded.
    await embed_passages.embed_new_passages(embedder=embedder)
    before = await _scrape()

    await post_signed(payloads.event_callback(payloads.app_mention("how do I rotate the db?")))
    await all_jobs_done()
    await post_signed("{}", headers={"X-Slack-Signature": "v0=forged"})
    after = await _scrape()

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("kraken_slack_events_total", outcome="recorded") == 1
    assert grew("kraken_slack_requests_refused_total", reason="signature") == 1
    assert grew("kraken_questions_total", outcome="answered") == 1
    for step in ("ack", "status", "store", "classify", "answer", "reply"):
        assert grew("kraken_step_seconds_count", step=step) >= 1, step
    assert grew("kraken_llm_tokens_total", model="offline", kind="output") > 0
    assert grew("kraken_embedding_tokens_total", model="offline:all-MiniLM-L6-v2-int8") > 0
    assert grew("kraken_slack_api_calls_total", method="chat.startStream") == 1
    assert "xoxb-test-token" not in after
    assert payloads.SIGNING_SECRET not in after


async def test_slacks_retries_are_counted_by_its_reason_over_http_and_socket_mode(
    settings, slack: FakeSlack, indexed_docs: None
) -> None:
    settings.METRICS_TOKEN = TOKEN
    body = payloads.event_callback(payloads.app_mention("how do I rotate the db?"))
    before = await _scrape()

    await post_signed(body)
    await post_signed(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    await post_signed(
        body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "a reason yet to come"}
    )
    # Socket Mode's envelope says it is a retry in fields of its own, attempt 0 on the first
    # delivery; bolt turns them into headers.
    for attempt, reason in ((0, ""), (3, "timeout")):
        await run_async_bolt_app(
            slack_app.get_app(),
            SocketModeRequest(
                type="events_api",
                envelope_id=f"envelope-{attempt}",
                payload=json.loads(body),
                retry_attempt=attempt,
                retry_reason=reason,
            ),
        )
    await all_jobs_done()
    after = await _scrape()

    def grew(**labels: str) -> float:
        name = "kraken_slack_retries_total"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert (grew(reason="http_timeout"), grew(reason="other"), grew()) == (1, 2, 3)
    assert len(slack.calls_to("chat.startStream")) == 1


async def test_an_answer_by_the_fallback_is_counted_as_such(
    settings, slack: FakeSlack, indexed_docs: None, llm: FakeOpenAI
) -> None:
    settings.METRICS_TOKEN = TOKEN
    for _ in range(6):
        llm.error(500)
    before = await _scrape()

    await post_signed(payloads.event_callback(payloads.app_mention("how do I rotate the db?")))
    await all_jobs_done()
    after = await _scrape()

    def grew(outcome: str) -> float:
        return sample(after, "kraken_questions_total", outcome=outcome) - sample(
            before, "kraken_questions_total", outcome=outcome
        )

    assert (grew("fallback"), grew("answered")) == (1, 0)


async def test_a_rate_limited_slack_call_is_counted(
    settings, slack: FakeSlack, indexed_docs: None
) -> None:
    settings.METRICS_TOKEN = TOKEN
    slack.rate_limit("chat.startStream", retry_after_s=0)
    before = await _scrape()

    await post_signed(payloads.event_callback(payloads.app_mention("how do I rotate the db?")))
    await all_jobs_done()
    after = await _scrape()

    limited = "kraken_slack_api_rate_limited_total"
    assert (
        sample(after, limited, method="chat.startStream")
        - sample(before, limited, method="chat.startStream")
        == 1
    )


async def test_the_jobs_waiting_are_counted_where_they_are_kept(settings, jobs_run: None) -> None:
    settings.METRICS_TOKEN = TOKEN
    later = jobs.answer_event.configure(schedule_in={"hours": 1})
    job_id = await later.defer_async(event_id="EvLater", bot_id="BKRAKEN")

    waiting = sample(await _scrape(), "kraken_jobs", task=jobs.answer_event.name, status="todo")
    await app.job_manager.cancel_job_by_id_async(job_id)
    after = sample(await _scrape(), "kraken_jobs", task=jobs.answer_event.name, status="todo")

    assert (waiting, after) == (1, 0)


if ON_POSTGRESQL:

    async def test_how_long_the_oldest_job_due_has_waited_is_read_from_the_database(
        settings,
    ) -> None:
        settings.METRICS_TOKEN = TOKEN
        settings.PROCRASTINATE_READONLY_MODELS = False
        none_waiting = sample(await _scrape(), "kraken_job_oldest_waiting_seconds")
        later = jobs.answer_event.configure(schedule_in={"hours": 1})
        not_due = await later.defer_async(event_id="EvLater", bot_id="BKRAKEN")
        due = await jobs.answer_event.defer_async(event_id="EvDue", bot_id="BKRAKEN")
        # A sync of a source that is syncing waits for that sync, not for a worker.
        syncing = tasks.sync_source.configure(lock="sync_source-1")
        running = await syncing.defer_async(source_id=1)
        await ProcrastinateJob.objects.filter(id=running).aupdate(status="doing")
        behind = await syncing.defer_async(source_id=1)
        for job_id, waited_min in ((due, 5), (behind, 10)):
            deferred = ProcrastinateEvent.objects.filter(job_id=job_id, type="deferred")
            await deferred.aupdate(at=timezone.now() - dt.timedelta(minutes=waited_min))

        waited = sample(await _scrape(), "kraken_job_oldest_waiting_seconds")
        await ProcrastinateJob.objects.filter(id=running).adelete()
        for job_id in (not_due, due, behind):
            await app.job_manager.cancel_job_by_id_async(job_id)

        assert none_waiting == 0
        assert 300 <= waited < 300 + PATIENCE_S

    @pytest.mark.served
    async def test_with_two_workers_a_scrape_adds_up_the_counts_of_both(
        slack: FakeSlack, indexed_docs: None
    ) -> None:
        environment = bot_environment(
            slack_api_url=slack.api_url,
            METRICS_TOKEN=TOKEN,
        )
        bodies = [payloads.event_callback(payloads.app_mention(f"rotate db {n}")) for n in range(6)]

        async with (
            served("--no-migrate", environment=environment, workers=2) as service,
            httpx.AsyncClient(
                base_url=service.url, headers={"X-Forwarded-Proto": "https"}
            ) as client,
        ):
            for body in bodies:
                # A new connection each time, so the kernel spreads them over both workers.
                async with httpx.AsyncClient(
                    base_url=service.url, headers={"X-Forwarded-Proto": "https"}
                ) as sender:
                    sent = await sender.post(
                        "/slack/events",
                        content=body,
                        headers=payloads.event_headers(body),
                    )
                    assert sent.status_code == 200
            async with asyncio.timeout(PATIENCE_S):
                await slack.wait_for("chat.stopStream", len(bodies))
            scrapes = [
                (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
                for _ in range(4)
            ]

        assert sum("Started server process" in line for line in service.log) == 2
        for scrape in scrapes:
            assert sample(scrape, "kraken_slack_events_total", outcome="recorded") == len(bodies)

    @pytest.mark.served
    async def test_a_job_worker_serves_the_counts_of_the_answers_it_wrote_to_the_bearer(
        slack: FakeSlack, indexed_docs: None
    ) -> None:
        port = free_port()
        environment = bot_environment(
            slack_api_url=slack.api_url, METRICS_TOKEN=TOKEN, WORKER_METRICS_PORT=str(port)
        )
        body = payloads.event_callback(payloads.app_mention("how do I rotate the db?"))

        async with served("--no-migrate", environment=environment) as service:
            worker = service.job_workers[0]

            async def serving_metrics() -> bool:
                return any("Metrics served at" in line for line in worker.log)

            await until(serving_metrics, within_s=PATIENCE_S)
            async with httpx.AsyncClient(
                base_url=service.url, headers={"X-Forwarded-Proto": "https"}
            ) as client:
                sent = await client.post(
                    "/slack/events", content=body, headers=payloads.event_headers(body)
                )
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper:
                refused = await scraper.get("/metrics")

                async def answer_counted() -> bool:
                    scrape = await scraper.get(
                        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                    )
                    return sample(scrape.text, "kraken_questions_total", outcome="answered") == 1

                await until(answer_counted, within_s=PATIENCE_S)
                scrape = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

        assert sent.status_code == 200
        assert refused.status_code == 401
        assert sample(scrape.text, "kraken_slack_api_calls_total", method="chat.startStream") == 1

else:

    async def test_on_sqlite_serve_refuses_more_than_one_process_in_one_line() -> None:
        environment = subprocess_environment(DATABASE_URL=database_url_shared_with_tests())

        status, output = await manage("serve", "--workers", "2", environment=environment)

        assert status == 1
        assert output == f"CommandError: {ONE_PROCESS_ON_SQLITE}\n"

    async def test_on_sqlite_no_job_age_is_served_the_queue_in_memory_keeps_no_deferral_times(
        settings, jobs_run: None
    ) -> None:
        settings.METRICS_TOKEN = TOKEN

        scrape = await _scrape()

        assert "kraken_jobs" in scrape
        assert "kraken_job_oldest_waiting_seconds" not in scrape

    async def test_the_metrics_a_worker_serves_are_its_process_counts_to_the_bearer_only(
        settings,
    ) -> None:
        # No worker runs on SQLite: its metrics server is tried in this process.
        port = free_port()
        settings.METRICS_TOKEN = TOKEN
        settings.WORKER_METRICS_PORT = port
        application_metrics.slack_api_calls.labels(method="chat.startStream").inc()

        async with (
            worker_metrics.metrics_served(),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper,
        ):
            refused = await scraper.get("/metrics")
            wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer nope"})
            scrape = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

        assert (refused.status_code, wrong.status_code, scrape.status_code) == (401, 401, 200)
        assert sample(scrape.text, "kraken_slack_api_calls_total", method="chat.startStream") >= 1


@pytest.mark.served
async def test_with_one_worker_a_scrape_has_the_counts_of_its_requests_and_on_sqlite_of_its_jobs(
    slack: FakeSlack, indexed_docs: None
) -> None:
    environment = bot_environment(slack_api_url=slack.api_url, METRICS_TOKEN=TOKEN)
    body = payloads.event_callback(payloads.app_mention("how do I rotate the db?"))
    signed = payloads.event_headers(body)
    forged = {**signed, "X-Slack-Signature": "v0=forged"}

    async with (
        served("--no-migrate", environment=environment) as service,
        httpx.AsyncClient(base_url=service.url, headers={"X-Forwarded-Proto": "https"}) as client,
    ):
        sent = await client.post("/slack/events", content=body, headers=signed)
        refused = await client.post("/slack/events", content=body, headers=forged)
        async with asyncio.timeout(PATIENCE_S):
            await slack.wait_for("chat.stopStream")
        scrape = (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text

    assert (sent.status_code, refused.status_code) == (200, 401)
    assert sample(scrape, "kraken_slack_events_total", outcome="recorded") == 1
    assert sample(scrape, "kraken_slack_requests_refused_total", reason="signature") == 1
    # Only the signed event is acknowledged; the refused request is counted above, not timed.
    assert sample(scrape, "kraken_step_seconds_count", step="ack") == 1
    # On PostgreSQL the answer is written by a worker, whose calls are not this process's.
    streams = 0 if ON_POSTGRESQL else 1
    assert sample(scrape, "kraken_slack_api_calls_total", method="chat.startStream") == streams


def _metrics_folders(parent: Path) -> list[Path]:
    return list(parent.glob("kraken-bot-metrics-*"))


@pytest.mark.served
async def test_the_metrics_folder_is_removed_when_the_service_stops(
    slack: FakeSlack, tmp_path: Path
) -> None:
    environment = bot_environment(
        slack_api_url=slack.api_url, METRICS_TOKEN=TOKEN, TMPDIR=str(tmp_path)
    )

    async with served("--no-migrate", environment=environment) as service:
        while_serving = await asyncio.to_thread(_metrics_folders, tmp_path)
        stopped_gracefully = await service.stop()
    after = await asyncio.to_thread(_metrics_folders, tmp_path)

    assert len(while_serving) == 1
    assert stopped_gracefully
    assert after == []
