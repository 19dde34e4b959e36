"""Logging in to the admin in tests, as a superuser or as one of the bot owners."""

import importlib

from asgiref.sync import sync_to_async
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.test import AsyncClient, Client

bot_owners_migration = importlib.import_module("data.migrations.0006_bot_owners_group")


def staff_user(*, superuser: bool = True, username: str = "owner") -> User:
    user: User = get_user_model().objects.create_user(
        username=username, password="pw", is_staff=True, is_superuser=superuser
    )
    return user


def bot_owner() -> User:
    """A staff member in the "bot owners" group, the group made by its data migration (the test
    database is emptied between tests, and the group with it)."""
    bot_owners_migration.create_bot_owners(apps, None)
    user = staff_user(superuser=False, username="reviewer")
    user.groups.add(Group.objects.get(name=bot_owners_migration.GROUP))
    return user


def logged_in(user: User | None = None) -> Client:
    client = Client()
    client.force_login(user or staff_user())
    return client


async def alogged_in(user: User | None = None) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user or await sync_to_async(staff_user)())
    return client
