"""Which database the suite runs on, for the tests of what only PostgreSQL has.

Such a test has a counterpart saying what SQLite, the embedded default, does instead: CI runs the
suite on both and requires as many tests on each, none skipped.
"""

from django.db import connection

# `vendor` comes from the settings alone: reading it at import opens no connection.
ON_POSTGRESQL = connection.vendor == "postgresql"
