# Kraken Bot's image. Its steps are the Makefile's: uv installs exactly what uv.lock pins, and
# `manage.py serve` (what `make run` runs) starts uvicorn. The replicas do not migrate as they
# start, all at once: migrating is a step of its own, once per release (docs/operations.md).
# One image, two process types on PostgreSQL: `web` is the default command below; `worker` runs
# the jobs (answers, summaries) with the command `python manage.py worker`.

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY manage.py ./
COPY kraken_bot ./kraken_bot
COPY slack ./slack
COPY application ./application
COPY agents ./agents
COPY domain ./domain
COPY data ./data
COPY docs ./docs
RUN DEBUG=true ENV_FILE= .venv/bin/python manage.py collectstatic --noinput

FROM python:3.11-slim
# `manage.py release_notes` reads a repository's history with git. The repository is mounted,
# owned by another user than the container's, which git refuses to read unless told it is safe.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'
# The folder is the service's own before anything is copied into it: a folder WORKDIR or COPY
# creates stays root's, and the service writes there (SOURCES_CACHE_DIR's clones, a SQLite file).
RUN useradd --system --uid 10001 --home-dir /app kraken \
    && install --directory --owner kraken --group kraken /app
WORKDIR /app
COPY --from=build --chown=kraken:kraken /app /app
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 PORT=8000 WEB_CONCURRENCY=2
USER kraken
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=4)"]
CMD ["sh", "-c", "exec python manage.py serve --no-migrate --host 0.0.0.0 --port \"$PORT\" --workers \"$WEB_CONCURRENCY\""]
