import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fakes.polling import PATIENCE_S
from fakes.servers import PROJECT_DIR, subprocess_environment
from kraken_bot.configuration import read_environment

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-with-more-than-fifty-characters-0123456789",
    "ALLOWED_HOSTS": "kraken.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return _run_manage(*arguments, environment=subprocess_environment(**environment))


def _run_manage(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *arguments],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
    )


def _settings(**environment: str) -> Any:
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({'DEBUG': settings.DEBUG, 'DATABASE': settings.DATABASES['default']}, "
        "default=str))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=subprocess_environment(DJANGO_SETTINGS_MODULE="kraken_bot.settings", **environment),
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        pytest.param({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY", id="no-secret-key"),
        pytest.param(
            {"DEBUG": "false", "SECRET_KEY": PRODUCTION["SECRET_KEY"]},
            "DATABASE_URL",
            id="production-without-a-database-url",
        ),
        pytest.param({"DEBUG": "perhaps"}, "DEBUG", id="debug-not-a-boolean"),
        pytest.param({"DATABASE_URL": "not a url at all"}, "DATABASE_URL", id="unparsable-url"),
        pytest.param({"DATABASE_URL": "mysql://db/kraken"}, "DATABASE_URL", id="unsupported-db"),
        pytest.param({"LLM_TIMEOUT_S": "-3"}, "LLM_TIMEOUT_S", id="negative-timeout"),
        pytest.param({"SLACK_API_URL": "slack"}, "SLACK_API_URL", id="api-url-not-a-url"),
        pytest.param({"LLM_MODEL": "nonsense:model"}, "LLM_MODEL", id="unknown-model"),
        pytest.param(
            {"LLM_MODEL": "anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY": ""},
            "ANTHROPIC_API_KEY",
            id="model-without-its-key",
        ),
        pytest.param(
            {"LLM_MODEL": "anthropic:claude-sonnet-4-5", "LLM_BASE_URL": "http://127.0.0.1:1/v1"},
            "LLM_BASE_URL",
            id="base-url-for-a-non-openai-model",
        ),
        pytest.param({"LLM_OUTPUT_MODE": "json"}, "LLM_OUTPUT_MODE", id="unknown-output-mode"),
        pytest.param(
            {"LLM_MODEL": "openai:gpt-5", "OPENAI_API_KEY": "sk-x", "LLM_OUTPUT_MODE": "native"},
            "LLM_OUTPUT_MODE",
            id="output-mode-without-a-server",
        ),
        pytest.param(
            {"LLM_CLASSIFIER_MODEL": "nonsense:model"},
            "LLM_CLASSIFIER_MODEL",
            id="unknown-classifier-model",
        ),
        pytest.param(
            {"EMBEDDING_MODEL": "nonsense:model"}, "EMBEDDING_MODEL", id="unknown-embedder"
        ),
        pytest.param(
            {"EMBEDDING_MODEL": "cohere:embed-v4.0"},
            "EMBEDDING_MODEL",
            id="embedder-without-its-package",
        ),
        pytest.param({"EMBEDDING_BASE_URL": "not a url"}, "EMBEDDING_BASE_URL", id="embedder-url"),
        pytest.param({"QUESTION_CATEGORIES": ","}, "QUESTION_CATEGORIES", id="no-categories"),
        pytest.param({"LOG_FORMAT": "xml"}, "LOG_FORMAT", id="unknown-log-format"),
        pytest.param({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", id="unknown-log-level"),
        pytest.param(
            {"DATABASE_URL": "sqlite:////no-such-folder-for-kraken-bot/db.sqlite3"},
            "DATABASE_URL",
            id="sqlite-file-in-a-missing-folder",
        ),
        pytest.param(
            {"ENV_FILE": "/no-such-folder-for-kraken-bot/.env"}, "ENV_FILE", id="missing-env-file"
        ),
        pytest.param({"ENV_FILE": str(PROJECT_DIR)}, "ENV_FILE", id="env-file-a-folder"),
        pytest.param(
            {"PROMETHEUS_MULTIPROC_DIR": "/no-such-folder-for-kraken-bot/metrics"},
            "PROMETHEUS_MULTIPROC_DIR",
            id="missing-metrics-folder",
        ),
        pytest.param({"ANSWER_CONCURRENCY": "0"}, "ANSWER_CONCURRENCY", id="no-concurrency"),
        pytest.param({"LLM_RUN_LIMITS": "answer=soon"}, "LLM_RUN_LIMITS", id="limits-unparsed"),
        pytest.param({"LLM_RUN_LIMITS": "chat=10/100"}, "LLM_RUN_LIMITS", id="limits-no-agent"),
        pytest.param({"LLM_RUN_LIMITS": "answer=0/100"}, "LLM_RUN_LIMITS", id="limits-zero"),
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(
    environment: dict[str, str], named: str
) -> None:
    completed = _manage("check", **{"DEBUG": "true", **environment})

    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("kraken-bot: ")
    assert named in lines[0]


def test_production_settings_pass_the_deployment_checks_without_warnings() -> None:
    completed = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert completed.returncode == 0, completed.stderr
    assert "System check identified no issues" in completed.stdout


def test_debug_is_off_unless_asked_for() -> None:
    production = _settings(
        SECRET_KEY=PRODUCTION["SECRET_KEY"], DATABASE_URL=PRODUCTION["DATABASE_URL"]
    )

    assert production["DEBUG"] is False


def test_the_default_database_is_a_sqlite_file_in_the_project() -> None:
    database = _settings(DEBUG="true")["DATABASE"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(PROJECT_DIR / "db.sqlite3")
    assert database["CONN_MAX_AGE"] == 0


def test_a_postgres_url_selects_psycopg_with_the_connection_pool() -> None:
    database = _settings(
        DEBUG="true",
        DATABASE_URL="postgres://kraken@db.internal:5432/kraken",
        DATABASE_POOL_SIZE="7",
    )["DATABASE"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "kraken"
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] == 7


def test_commands_run_by_hand_work_with_the_env_file_make_run_writes(tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "Makefile", tmp_path)
    shutil.copy(PROJECT_DIR / ".env.example", tmp_path)
    subprocess.run(
        ["make", "--silent", "-C", str(tmp_path), ".env"],  # noqa: S607 - make from the PATH
        check=True,
        timeout=PATIENCE_S,
    )
    by_hand = subprocess_environment(ENV_FILE=str(tmp_path / ".env"))
    by_hand.pop("SECRET_KEY", None)
    by_hand.pop("DEBUG", None)

    completed = _run_manage("check", environment=by_hand)

    assert completed.returncode == 0, completed.stderr


def test_without_env_file_the_default_env_file_is_read_where_there_is_one(tmp_path: Path) -> None:
    default_env_file = tmp_path / ".env"
    default_env_file.write_text("KRAKEN_BOT_TEST_SETTING=from-the-file\n")

    env = read_environment(env_file=None, default_env_file=default_env_file)

    assert env.str("KRAKEN_BOT_TEST_SETTING", "") == "from-the-file"


def test_without_env_file_a_missing_default_env_file_is_no_error(tmp_path: Path) -> None:
    env = read_environment(env_file=None, default_env_file=tmp_path / ".env")

    assert env.str("KRAKEN_BOT_TEST_SETTING", "unset") == "unset"
