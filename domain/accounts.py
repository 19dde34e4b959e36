"""Staff accounts for the admin site."""

import secrets
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from domain._connections import gives_back_connection


@dataclass(frozen=True, kw_only=True)
class LocalAdmin:
    """A login that was just created, with its password (shown once, never stored in clear)."""

    username: str
    password: str


@gives_back_connection
async def ensure_local_admin(*, username: str) -> LocalAdmin | None:
    """Create a superuser with a random password when the database has none yet.

    Returns the new login, or None when a superuser already exists.
    """
    users = get_user_model().objects
    if await users.filter(is_superuser=True).aexists():
        return None
    password = secrets.token_urlsafe(12)
    # Hashing the password is deliberately slow: it runs in a worker thread.
    await sync_to_async(users.create_superuser)(username=username, email="", password=password)
    return LocalAdmin(username=username, password=password)
