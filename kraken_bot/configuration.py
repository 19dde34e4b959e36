"""Reading the service's configuration from the environment.

Bad configuration must stop the process with one line that names the variable, not with a
traceback from deep inside a request, so every problem is collected into `ConfigurationError`
and the entry points (`manage.py`, `asgi.py`) print it and exit.
"""

from collections.abc import Mapping
from typing import Any

from environs import Env, EnvValidationError


class ConfigurationError(Exception):
    """The environment does not describe a configuration the service can run with."""


def read_environment(*, env_file: str) -> Env:
    """Return a deferred-validation reader over the environment and an optional `.env` file.

    Variables already in the environment win over the file; an empty `env_file` reads no file.
    """
    env = Env(eager=False)
    if env_file:
        env.read_env(env_file, recurse=False)
    return env


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
