"""Reading the service's configuration from the environment.

Bad configuration must stop the process with one line that names the variable, not with a
traceback from deep inside a request, so every problem is collected into `ConfigurationError`
and the entry points (`manage.py`, `asgi.py`) print it and exit.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from environs import Env, EnvValidationError


class ConfigurationError(Exception):
    """The environment does not describe a configuration the service can run with."""


def read_environment(*, env_file: str | None, default_env_file: Path) -> Env:
    """Return a deferred-validation reader over the environment and an optional `.env` file.

    Variables already in the environment win over the file. `env_file` is `ENV_FILE`: unset, the
    default file is read where there is one; empty, no file is read; otherwise it must name a
    file: one skipped unnoticed would leave its settings unset, and the error would name one of
    them instead.

    Raises: ConfigurationError.
    """
    env = Env(eager=False)
    if env_file is None:
        env.read_env(default_env_file, recurse=False)
    elif env_file:
        env.read_env(_required_file(env_file), recurse=False)
    return env


def _required_file(env_file: str) -> str:
    if not Path(env_file).is_file():
        raise ConfigurationError(
            f"ENV_FILE: there is no file {env_file}: give the path of a .env file, "
            "or set ENV_FILE empty to read none"
        )
    return env_file


def seal(env: Env) -> None:
    """Validate everything read so far, raising one `ConfigurationError` for all problems.

    Raises: ConfigurationError.
    """
    try:
        env.seal()
    except EnvValidationError as error:
        raise ConfigurationError(_describe(error.error_messages)) from None


def _describe(messages: Mapping[str, Any] | list[str]) -> str:
    if not isinstance(messages, Mapping):
        return f"invalid configuration: {_flatten(messages)}"
    problems = "; ".join(f"{name}: {_flatten(text)}" for name, text in messages.items())
    return f"invalid configuration: {problems}"


def _flatten(text: Any) -> str:
    if isinstance(text, Mapping):
        return " ".join(_flatten(value) for value in text.values())
    if isinstance(text, list | tuple):
        return " ".join(_flatten(value) for value in text)
    return str(text)
