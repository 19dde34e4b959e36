"""`manage.py local_admin`: make sure a new local install has a login for the admin site."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from domain import accounts
from kraken_bot.management.base import AsyncCommand


class Command(AsyncCommand):
    help = "Create an 'admin' superuser with a random password if there is none (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    async def ahandle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("local_admin is for local development: it runs only with DEBUG=true")
        login = await accounts.ensure_local_admin(username=options["username"])
        if login is None:
            self.stdout.write(
                "Log in with your existing superuser "
                "(forgotten the password? uv run python manage.py changepassword <username>)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the local login: user {login.username!r}, password {login.password!r} "
                "(shown only this once)."
            )
        )
