"""Folding a range of commits into the changes that release notes list."""

import datetime as dt

from domain import history

WHEN = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _commit(
    sha: str, subject: str, *parents: str, body: str = "", author: str = "Ana"
) -> history.GitCommit:
    return history.GitCommit(
        sha=sha * 40 if len(sha) == 1 else sha,
        parents=tuple(parent * 40 for parent in parents),
        author=author,
        committed_at=WHEN,
        subject=subject,
        body=body,
    )


def _revert(sha: str, target: str, parent: str) -> history.GitCommit:
    return _commit(sha, "Revert something", parent, body=f"This reverts commit {target * 40}.")


def _subjects(commits: list[history.GitCommit]) -> list[str]:
    return [change.subject for change in history.changes_of(commits=commits, tip=commits[0].sha)]


def test_a_commit_reverted_and_reverted_back_stays() -> None:
    commits = [_revert("c", "b", "b"), _revert("b", "a", "a"), _commit("a", "feat: dark mode")]

    assert _subjects(commits) == ["feat: dark mode"]


def test_a_commit_reverted_three_times_is_gone() -> None:
    commits = [
        _revert("d", "c", "c"),
        _revert("c", "b", "b"),
        _revert("b", "a", "a"),
        _commit("a", "feat: dark mode"),
    ]

    assert _subjects(commits) == []


def test_a_revert_of_a_commit_before_the_range_is_a_change() -> None:
    commits = [_revert("b", "9", "a"), _commit("a", "fix: typo")]

    assert _subjects(commits) == ["fix: typo", "Revert something"]


def test_a_squashed_pull_request_keeps_its_number() -> None:
    [change] = history.changes_of(commits=[_commit("a", "Answer in threads (#42)")], tip="a" * 40)

    assert (change.subject, change.pr_number) == ("Answer in threads", 42)


def test_a_merge_that_is_not_a_pull_request_keeps_its_commits_one_by_one() -> None:
    commits = [
        _commit("m", "Merge branch 'topic'", "a", "c"),
        _commit("c", "second on topic", "b"),
        _commit("b", "first on topic", "0"),
        _commit("a", "on main", "0"),
    ]

    assert _subjects(commits) == ["on main", "first on topic", "second on topic"]


def test_a_reverted_pull_request_takes_its_commits_with_it() -> None:
    commits = [
        _revert("e", "d", "d"),
        _commit("d", "Merge pull request #7 from x/y", "a", "b", body="Add y"),
        _commit("b", "y", "0"),
        _commit("a", "on main", "0"),
    ]

    assert _subjects(commits) == ["on main"]


def test_a_pull_request_that_reverts_a_pull_request_goes_with_it() -> None:
    commits = [
        _commit("g", "Merge pull request #8 from x/revert-y", "d", "e", body='Revert "Add y"'),
        _revert("e", "d", "d"),
        _commit("d", "Merge pull request #7 from x/y", "a", "b", body="Add y"),
        _commit("b", "y", "0"),
        _commit("a", "on main", "0"),
    ]

    assert _subjects(commits) == ["on main"]


def test_co_authors_are_contributors_of_their_pull_request() -> None:
    commits = [
        _commit("m", "Merge pull request #7 from x/y", "a", "b", body="Add y", author="Merger"),
        history.GitCommit(
            sha="b" * 40,
            parents=("a" * 40,),
            author="Bo",
            committed_at=WHEN,
            subject="y",
            trailers=(("Co-authored-by", "Cy Park <cy@example.com>"), ("Signed-off-by", "Bo")),
        ),
        _commit("a", "on main"),
    ]

    changes = history.changes_of(commits=commits, tip="m" * 40)

    assert [(change.subject, change.authors) for change in changes] == [
        ("on main", ("Ana",)),
        ("Add y", ("Bo", "Cy Park")),
    ]


def test_pull_requests_from_github_replace_titles_and_add_labels() -> None:
    changes = history.changes_of(commits=[_commit("a", "wip")], tip="a" * 40)
    pull = history.PullRequest(
        number=9, title="Faster search", labels=("performance",), merge_commit_sha="a" * 40
    )

    [change] = history.with_pull_requests(changes=changes, pull_requests=[pull])

    assert (change.subject, change.labels, change.pr_number) == (
        "Faster search",
        ("performance",),
        9,
    )


def test_a_pull_request_merged_without_a_title_is_named_by_its_first_commit() -> None:
    commits = [
        _commit("d", "Merge pull request #7 from x/y", "a", "c"),
        _commit("c", "second commit", "b"),
        _commit("b", "first commit", "0"),
        _commit("a", "on main", "0"),
    ]

    changes = history.changes_of(commits=commits, tip="d" * 40)

    assert [(change.subject, change.pr_number) for change in changes] == [
        ("on main", None),
        ("first commit", 7),
    ]
