import tempfile

import httpx
import pytest
from django.test import AsyncClient

from fakes.servers import database_url_shared_with_tests, served, subprocess_environment


async def test_the_health_check_answers_ok_after_a_database_round_trip() -> None:
    response = await AsyncClient().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0


async def test_the_service_served_as_make_run_does_answers_health_and_admin_login() -> None:
    environment = subprocess_environment(
        DEBUG="true", DATABASE_URL=database_url_shared_with_tests()
    )

    async with (
        served(environment=environment) as service,
        httpx.AsyncClient(base_url=service.url) as client,
    ):
        health = await client.get("/healthz")
        login = await client.get("/admin/login/")

    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert login.status_code == 200
    assert "Kraken Bot" in login.text
    assert await service.stop()
    [not_configured] = [line for line in service.log if "Slack is not configured" in line]
    assert "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in not_configured


async def test_in_production_only_the_health_check_is_served_over_plain_http() -> None:
    environment = subprocess_environment(
        DEBUG="false",
        SECRET_KEY="a-production-secret-key-with-more-than-fifty-characters-0123456789",
        DATABASE_URL=database_url_shared_with_tests(),
    )

    async with (
        served(environment=environment) as service,
        httpx.AsyncClient(base_url=service.url) as client,
    ):
        health = await client.get("/healthz")
        plain_login = await client.get("/admin/login/")
        proxied_login = await client.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})

    assert health.status_code == 200
    assert plain_login.status_code == 301
    assert plain_login.headers["Location"].startswith("https://")
    assert proxied_login.status_code == 200
    assert proxied_login.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "database_url",
    [
        # A folder where the file should be: SQLite cannot open it. (A file in a missing folder
        # stops the service at start-up.)
        pytest.param(f"sqlite:///{tempfile.gettempdir()}", id="sqlite-file-is-a-folder"),
        pytest.param("postgres://postgres@127.0.0.1:9/kraken", id="postgresql-refused"),
    ],
)
async def test_the_health_check_answers_503_with_a_reason_when_the_database_is_unreachable(
    database_url: str,
) -> None:
    environment = subprocess_environment(DATABASE_URL=database_url, DATABASE_POOL_TIMEOUT_S="1")

    async with (
        served("--no-migrate", environment=environment) as service,
        httpx.AsyncClient(base_url=service.url) as client,
    ):
        response = await client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": False, "reason": "database unreachable (OperationalError)"}
