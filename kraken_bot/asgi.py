"""The ASGI application that uvicorn serves (`kraken_bot.asgi:application`)."""

import os
import sys

from django.core.asgi import get_asgi_application

from kraken_bot.configuration import ConfigurationError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")

try:
    application = get_asgi_application()
except ConfigurationError as error:
    sys.exit(f"kraken-bot: {error}")
