#!/usr/bin/env python
"""Django's command-line utility for Kraken Bot."""

import os
import sys

from kraken_bot import metrics_folder
from kraken_bot.configuration import ConfigurationError


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")
    try:
        # Before Django, and anything else that might import prometheus_client.
        with metrics_folder.kept_for(sys.argv):
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        sys.exit(f"kraken-bot: {error}")


if __name__ == "__main__":
    main()
