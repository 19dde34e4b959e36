"""The entry-points app: it carries the admin registrations and the management commands."""

import logging

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save

from agents import limits
from kraken_bot.configuration import ConfigurationError


class KrakenBotConfig(AppConfig):
    name = "kraken_bot"
    verbose_name = "Kraken Bot"

    def ready(self) -> None:
        """Refuse to start with an LLM or embedding configuration pydantic-ai cannot use (no I/O
        here).

        pydantic-ai takes seconds to import, so commands that need no model do not pay for it.
        With JSON logs, Python's warnings become log lines too, so every line is an object.
        """
        if settings.LOG_FORMAT == "json":
            logging.captureWarnings(True)
        try:
            limits.check_run_limits()
        except limits.InvalidRunLimits as error:
            raise ConfigurationError(str(error)) from None
        if settings.LLM_MODEL or settings.LLM_CLASSIFIER_MODEL:
            _check_models()
        if settings.EMBEDDING_MODEL:
            _check_embedding_model()
        _forget_channel_settings_when_changed()


def _forget_channel_settings_when_changed() -> None:
    from application import channel_settings
    from data import models

    def forget(**_: object) -> None:
        channel_settings.forget_held_settings()

    for signal in (post_save, post_delete):
        signal.connect(forget, sender=models.ChannelSettings, weak=False)


def _check_models() -> None:
    from agents import models

    try:
        models.check_configuration()
    except models.InvalidModelConfiguration as error:
        raise ConfigurationError(str(error)) from None


def _check_embedding_model() -> None:
    from agents import embeddings

    try:
        embeddings.configured_embedder()
    except embeddings.InvalidEmbeddingModel as error:
        raise ConfigurationError(str(error)) from None
