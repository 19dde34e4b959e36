"""`manage.py serve`: migrate, then serve the ASGI application with uvicorn.

`make run` and the container both start the service through this command, so what runs locally is
what runs in production. It is the one command that is not an `AsyncCommand`: uvicorn owns the
event loop.
"""

from typing import Any

import uvicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations, then serve Kraken Bot with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations before serving."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
        uvicorn.run(
            "kraken_bot.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=True,
            lifespan="on",
        )
