"""Settings for the test suite: the service's own settings, plus what only tests need."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-that-is-long-enough-for-django-checks")
# DEBUG is off in the tests, which then need a DATABASE_URL: the default of local development
# (the test database itself is another file, below).
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{Path(__file__).resolve().parent.parent / 'db.sqlite3'}"
)
# The suite reads no local `.env` (`make run` writes one that turns DEBUG on): what a test needs,
# it sets.
os.environ["ENV_FILE"] = ""

from kraken_bot.settings import *  # noqa: F403

# Hashing passwords at full strength only slows the tests down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The tests talk plain HTTP to the service; the deployment checks cover the production value.
SECURE_SSL_REDIRECT = False

# The SQLite test database is a file, not memory, so the service started in a subprocess by the
# end-to-end tests shares it with the test; one file per test process.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"kraken-bot-tests-{os.getpid()}.sqlite3")
    }
