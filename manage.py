#!/usr/bin/env python
"""Django's command-line utility for Kraken Bot."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")
    from django.core.management import execute_from_command_line

    from kraken_bot.configuration import ConfigurationError

    try:
        execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        sys.exit(f"kraken-bot: {error}")


if __name__ == "__main__":
    main()
