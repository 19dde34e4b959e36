"""The `data` Django app."""

from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "data"
    verbose_name = "Kraken Bot data"
    default_auto_field = "django.db.models.BigAutoField"
