"""procrastinate's jobs in the admin, on PostgreSQL, where they are kept.

procrastinate registers its own read-only page of jobs; on SQLite there are no jobs to list (its
tables exist on PostgreSQL only), so the page is taken out of the admin there.
"""

import procrastinate.contrib.django.admin  # noqa: F401 - registers the page this module may undo
from django.contrib import admin
from django.db import connection
from procrastinate.contrib.django import models

if connection.vendor != "postgresql":
    admin.site.unregister(models.ProcrastinateJob)
