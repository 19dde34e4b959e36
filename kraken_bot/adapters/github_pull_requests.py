"""The pull-request port over GitHub's REST API, with httpx.

Closed pull requests are listed newest-updated first, 100 a page, following the `Link: rel="next"`
header until the pages reach pull requests last updated before the range began. A rate-limited
answer (403 or 429 with `X-RateLimit-Remaining: 0` or `Retry-After`) is retried once the limit
resets, when that is soon; otherwise, and on timeouts and other errors, `GitHubUnavailable` says
why, and the use case carries on with git alone.
"""

import asyncio
import datetime as dt
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from application import release_notes_ports
from domain import history

PAGE_SIZE = 100
# The longest the notes wait for a rate limit to reset before going on without GitHub.
MAX_RATE_LIMIT_WAIT_S = 60.0
MAX_RATE_LIMIT_RETRIES = 3


class GitHubPullRequests:
    """The merged pull requests of one repository (`owner/name`)."""

    def __init__(self, *, repo: str, api_url: str, token: str, timeout_s: float) -> None:
        self._url = f"{api_url.rstrip('/')}/repos/{repo}/pulls"
        self._repo = repo
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        }
        self._timeout_s = timeout_s

    async def merged_pull_requests(
        self, *, since: dt.datetime
    ) -> AsyncIterator[history.PullRequest]:
        params: dict[str, str | int] | None = {
            "state": "closed",
            "sort": "updated",
            "direction": "desc",
            "per_page": PAGE_SIZE,
        }
        url: str | None = self._url
        async with httpx.AsyncClient(headers=self._headers, timeout=self._timeout_s) as client:
            while url:
                response = await self._get(client, url, params)
                for pull_request in _page(response):
                    if _time(pull_request["updated_at"]) < since:
                        return
                    if pull_request.get("merged_at"):
                        yield _pull_request(pull_request)
                url, params = response.links.get("next", {}).get("url"), None

    async def _get(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str | int] | None
    ) -> httpx.Response:
        for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                response = await client.get(url, params=params)
            except httpx.TimeoutException:
                raise release_notes_ports.GitHubUnavailable(
                    f"GitHub did not answer within {self._timeout_s:g} s"
                ) from None
            except httpx.HTTPError as error:
                raise release_notes_ports.GitHubUnavailable(
                    f"GitHub could not be reached ({type(error).__name__})"
                ) from None
            wait_s = _rate_limit_wait_s(response)
            if wait_s is None:
                break
            if wait_s > MAX_RATE_LIMIT_WAIT_S:
                resets = f" for {wait_s:.0f} s" if math.isfinite(wait_s) else ""
                raise release_notes_ports.GitHubUnavailable(f"GitHub's rate limit is spent{resets}")
            await asyncio.sleep(wait_s)
        else:
            raise release_notes_ports.GitHubUnavailable("GitHub kept answering: rate limited")
        if response.status_code != httpx.codes.OK:
            raise release_notes_ports.GitHubUnavailable(
                f"GitHub answered {response.status_code} for {self._repo}: {_message(response)}"
            )
        return response


def _rate_limit_wait_s(response: httpx.Response) -> float | None:
    """How long to wait before asking again, or None when the answer is not a rate limit."""
    if response.status_code not in {403, 429}:
        return None
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None and retry_after.isdigit():
        return float(retry_after)
    if response.headers.get("X-RateLimit-Remaining") == "0":
        reset = response.headers.get("X-RateLimit-Reset", "")
        return max(0.0, float(reset) - time.time()) if reset.isdigit() else math.inf
    return None


def _pull_request(data: dict[str, Any]) -> history.PullRequest:
    return history.PullRequest(
        number=int(data["number"]),
        title=str(data["title"]),
        labels=tuple(str(label["name"]) for label in data.get("labels", [])),
        merge_commit_sha=str(data.get("merge_commit_sha") or ""),
    )


def _page(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, list):
        raise release_notes_ports.GitHubUnavailable("GitHub answered with something not a list")
    return page


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", "no message"))
    except ValueError:
        return "not JSON"
