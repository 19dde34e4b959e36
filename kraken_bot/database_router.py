"""Keeps procrastinate's tables off SQLite.

procrastinate stores its jobs in PostgreSQL only: its migrations are PostgreSQL's SQL. On SQLite,
the embedded default, they are recorded as applied without running, so `migrate` works on both
databases.
"""

from typing import Any

from django.db import connections

PROCRASTINATE = "procrastinate"


class ProcrastinateOnPostgresqlOnly:
    """A database router that has an opinion on procrastinate's migrations only."""

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if app_label == PROCRASTINATE and connections[db].vendor != "postgresql":
            return False
        return None
