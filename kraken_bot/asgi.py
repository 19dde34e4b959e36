"""The ASGI application that uvicorn serves (`kraken_bot.asgi:application`)."""

import os
import sys

from django.core.asgi import get_asgi_application

from kraken_bot.configuration import ConfigurationError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")

try:
    django_application = get_asgi_application()
except ConfigurationError as error:
    sys.exit(f"kraken-bot: {error}")

from django.urls import get_resolver

from kraken_bot.lifespan import ServiceLifespan  # needs Django set up
from kraken_bot.request_size import RequestSizeLimit

# Import every view (and the agents behind them) now: Django would otherwise do it on the first
# request, inside the event loop, blocking it for seconds.
get_resolver().url_patterns  # noqa: B018

application = ServiceLifespan(RequestSizeLimit(django_application))
