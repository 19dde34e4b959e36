"""The entry-points app: it carries the admin registrations and the management commands."""

from django.apps import AppConfig


class KrakenBotConfig(AppConfig):
    name = "kraken_bot"
    verbose_name = "Kraken Bot"
