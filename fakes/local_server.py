"""Serving a fake's aiohttp app on 127.0.0.1, for as long as a test needs it.

Every fake HTTP server (Slack, OpenAI, GitHub, Confluence, Notion, a web site) starts the same
way: on a port the system picks (so tests running side by side never collide), answering at once
when left (a short shutdown timeout, so a test does not wait on an open keep-alive connection).
One helper keeps those choices in one place.
"""

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web


@contextlib.asynccontextmanager
async def serve_locally(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1; yields its root URL, `http://127.0.0.1:<port>`."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
