"""Settings for the test suite: the service's own settings, plus what only tests need."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-that-is-long-enough-for-django-checks")

from kraken_bot.settings import *  # noqa: F403

# Hashing passwords at full strength only slows the tests down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The tests talk plain HTTP to the service; the deployment checks cover the production value.
SECURE_SSL_REDIRECT = False
