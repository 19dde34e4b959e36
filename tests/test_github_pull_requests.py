"""The GitHub adapter against a fake GitHub API on 127.0.0.1: pages, rate limits, timeouts."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from application import release_notes_ports
from kraken_bot.adapters import github_pull_requests
from tests.fake_github import FakeGitHub, fake_github_server

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with fake_github_server() as fake:
        for number in range(1, 6):
            fake.add_pull_request(number, f"Change {number}", labels=("bug",))
        yield fake


def _client(github: FakeGitHub, *, timeout_s: float = 5) -> github_pull_requests.GitHubPullRequests:
    return github_pull_requests.GitHubPullRequests(
        repo="kr/bot", api_url=github.api_url, token="ghp-test", timeout_s=timeout_s
    )


async def _numbers(client: github_pull_requests.GitHubPullRequests) -> list[int]:
    return [pull.number async for pull in client.merged_pull_requests(since=SINCE)]


async def test_every_page_is_followed_through_the_link_headers(github: FakeGitHub) -> None:
    numbers = await _numbers(_client(github))

    assert numbers == [1, 2, 3, 4, 5]
    assert [request.query.get("page", "1") for request in github.requests] == ["1", "2", "3"]
    assert github.requests[0].query["state"] == "closed"


async def test_pages_stop_at_pull_requests_older_than_the_range(github: FakeGitHub) -> None:
    github.pull_requests[2]["updated_at"] = "2025-12-01T00:00:00Z"

    numbers = await _numbers(_client(github))

    assert numbers == [1, 2]
    assert len(github.requests) == 2


async def test_a_rate_limited_page_is_asked_again_after_retry_after(github: FakeGitHub) -> None:
    github.rate_limit(retry_after_s=1)

    numbers = await _numbers(_client(github))

    assert numbers == [1, 2, 3, 4, 5]
    assert len(github.requests) == 4


async def test_a_rate_limit_that_resets_much_later_is_not_waited_for(github: FakeGitHub) -> None:
    github.rate_limit(retry_after_s=3_600)

    with pytest.raises(
        release_notes_ports.GitHubUnavailable, match="rate limit is spent for 3600 s"
    ):
        await _numbers(_client(github))
    assert len(github.requests) == 1


async def test_a_rate_limit_without_a_reset_time_is_not_waited_for(github: FakeGitHub) -> None:
    github.rate_limit(retry_after_s=None)

    with pytest.raises(release_notes_ports.GitHubUnavailable, match=r"rate limit is spent$"):
        await _numbers(_client(github))


async def test_a_slow_answer_times_out(github: FakeGitHub) -> None:
    github.slow(2.0)

    with pytest.raises(
        release_notes_ports.GitHubUnavailable, match=r"did not answer within 0\.2 s"
    ):
        await _numbers(_client(github, timeout_s=0.2))


async def test_an_unreachable_github_is_unavailable() -> None:
    client = github_pull_requests.GitHubPullRequests(
        repo="kr/bot", api_url="http://127.0.0.1:9", token="", timeout_s=1
    )

    with pytest.raises(release_notes_ports.GitHubUnavailable, match="could not be reached"):
        await _numbers(client)


async def test_unmerged_pull_requests_are_left_out(github: FakeGitHub) -> None:
    github.pull_requests[0]["merged_at"] = None

    assert await _numbers(_client(github)) == [2, 3, 4, 5]
