"""The entry-points app: it carries the admin registrations and the management commands."""

from django.apps import AppConfig
from django.conf import settings

from kraken_bot.configuration import ConfigurationError


class KrakenBotConfig(AppConfig):
    name = "kraken_bot"
    verbose_name = "Kraken Bot"

    def ready(self) -> None:
        """Refuse to start with an LLM configuration pydantic-ai cannot use (no I/O here).

        pydantic-ai takes seconds to import, so commands that need no model do not pay for it.
        """
        if not settings.LLM_MODEL:
            return
        from agents import models

        try:
            models.check_configuration()
        except models.InvalidModelConfiguration as error:
            raise ConfigurationError(str(error)) from None
