"""`manage.py release_notes` end to end, on real git repositories built in `tmp_path`."""

import io
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from prometheus_client import REGISTRY
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents import release_notes as writer
from agents import transcript
from application import release_notes_ports
from data import models
from fakes.slack import fake_slack_server
from kraken_bot.management.commands import release_notes as release_notes_command
from slack import release_notes_poster
from tests import git_repos, json_schema
from tests.background_loop import served_in_background
from tests.fake_github import fake_github_server

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "release-notes.schema.json"


@pytest.fixture
def repo(tmp_path: Path) -> git_repos.GitRepo:
    return git_repos.sample_repository(tmp_path / "kraken")


def _run(*arguments: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("release_notes", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_offline_notes_cover_the_range_since_the_previous_tag(repo: git_repos.GitRepo) -> None:
    rank, fix, tidy, dark_mode, docs = (
        repo.sha(f":/^{subject}")[:7]
        for subject in ("feat.search", "fix: empty", "Tidy up", "feat: add a dark", "docs:")
    )

    output, _ = _run("--repo", str(repo.path), "--to", "v1.1.0")

    assert output == (
        "# Changes from v1.0.0 to v1.1.0 (12 commits)\n\n"
        f"## Features\n\n- Rank titles higher ({rank})\n- Add a dark mode ({dark_mode})\n\n"
        f"## Fixes\n\n- Empty mentions crashed the bot ({fix})\n\n"
        f"## Documentation\n\n- Explain Socket Mode ({docs})\n\n"
        f"## Other changes\n\n- Tidy up the settings module ({tidy})\n"
        "- Answer questions in threads (#42)\n\n"
        "## Contributors\n\nAna Lima, Bo Chen, Cy Park, Dee Roy, Eve Ng\n"
    )
    stored = models.ReleaseNote.objects.get()
    assert (stored.from_ref, stored.to_ref) == ("v1.0.0", "v1.1.0")
    assert (stored.from_sha, stored.to_sha) == (repo.sha("v1.0.0"), repo.sha("v1.1.0"))
    assert (stored.commit_count, stored.model_name, stored.markdown) == (12, "offline", output)
    assert stored.repository == str(repo.path)


def test_the_experimental_flag_reverted_for_good_is_left_out(repo: git_repos.GitRepo) -> None:
    output, _ = _run("--repo", str(repo.path), "--to", "v1.1.0", "--format", "slack")

    assert "experimental" not in output.lower()
    assert "Revert" not in output
    assert "Answer in the thread" not in output, "a merged pull request is one change"
    assert output.startswith("*Changes from v1.0.0 to v1.1.0 (12 commits)*\n\n*Features*\n• ")


def test_the_model_writes_the_notes_when_one_is_configured(repo: git_repos.GitRepo) -> None:
    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        changes = json.loads(transcript.last_user_prompt(messages))["changes"]
        notes = writer.ReleaseNotes(
            sections=[
                writer.ReleaseSection(
                    title="Features",
                    items=[f"Now: {change['title']} ({change['reference']})" for change in changes],
                )
            ]
        )
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])

    def tokens_written() -> float:
        labels = {"model": "scripted", "kind": "output"}
        return REGISTRY.get_sample_value("kraken_llm_tokens_total", labels) or 0.0

    before = tokens_written()
    with writer.release_notes_writer.override(model=FunctionModel(reply, model_name="scripted")):
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0")

    assert tokens_written() > before
    assert "- Now: Answer questions in threads (#42)" in output
    assert "## Other changes" not in output
    assert "## Contributors\n\nAna Lima, Bo Chen, Cy Park, Dee Roy, Eve Ng" in output
    assert errors == ""
    assert models.ReleaseNote.objects.get().model_name == "scripted"


def test_a_failing_model_falls_back_to_the_offline_notes_and_stores_why(
    repo: git_repos.GitRepo,
) -> None:
    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart("I would rather write a poem.")])

    with writer.release_notes_writer.override(model=FunctionModel(reply)):
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0")

    assert "## Other changes\n\n- Tidy up the settings module" in output
    assert errors.startswith("Warning: Unable to write the release notes: ")
    assert "the notes use the offline grouping" in errors
    stored = models.ReleaseNote.objects.get()
    assert stored.model_name == "offline"
    assert stored.llm_error.startswith("Unable to write the release notes: ")
    assert stored.warnings == [errors.removeprefix("Warning: ").strip()]


def test_json_notes_follow_their_documented_schema(repo: git_repos.GitRepo, tmp_path) -> None:
    target = tmp_path / "notes.json"

    output, errors = _run(
        "--repo", str(repo.path), "--to", "v1.1.0", "--format", "json", "--output", str(target)
    )

    document = json.loads(target.read_text())
    json_schema.validate(document, json.loads(SCHEMA.read_text()))
    assert output == ""
    assert errors.strip() == f"Wrote the release notes to {target}"
    assert document["range"] == {
        "from_ref": "v1.0.0",
        "from_sha": repo.sha("v1.0.0"),
        "to_ref": "v1.1.0",
        "to_sha": repo.sha("v1.1.0"),
    }
    assert [section["title"] for section in document["sections"]] == [
        "Features",
        "Fixes",
        "Documentation",
        "Other changes",
    ]
    assert document["commit_count"] == 12
    assert document["model"] == "offline"
    assert document["warnings"] == []


def test_the_schema_validator_rejects_notes_that_break_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())

    with pytest.raises(json_schema.SchemaError, match="missing"):
        json_schema.validate({"schema_version": 1}, schema)


def test_notes_are_posted_to_slack_and_the_message_ts_is_stored(
    repo: git_repos.GitRepo, settings
) -> None:
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        _, errors = _run("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")

    [call] = slack_api.calls_to("chat.postMessage")
    assert call.args["channel"] == "C0RELEASE"
    assert call.args["text"].startswith("*Changes from v1.0.0 to v1.1.0 (12 commits)*")
    assert "• Answer questions in threads (#42)" in call.args["text"]
    stored = models.ReleaseNote.objects.get()
    assert (stored.posted_channel, stored.posted_ts) == ("C0RELEASE", next(iter(slack_api.posted)))
    assert f"Posted to C0RELEASE (ts {stored.posted_ts})" in errors


def test_notes_posted_to_a_channel_named_at_slacks_longest_are_stored_with_its_name(
    repo: git_repos.GitRepo, settings
) -> None:
    name = "#" + "release-announcements-" * 3 + "x" * 14
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        _run("--repo", str(repo.path), "--to", "v1.1.0", "--post", name)

    assert len(name) == 81
    assert models.ReleaseNote.objects.get().posted_channel == name


def test_posting_the_same_range_again_without_a_terminal_is_refused_unless_forced(
    repo: git_repos.GitRepo, settings
) -> None:
    arguments = ("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        _run(*arguments)

        with pytest.raises(
            CommandError, match=r"already posted to C0RELEASE .*no terminal.*--force posts anyway"
        ):
            _run(*arguments)
        refused_calls = len(slack_api.calls_to("chat.postMessage"))
        _run(*arguments, "--force")

    assert refused_calls == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 2
    assert models.ReleaseNote.objects.exclude(posted_ts="").count() == 2


def test_a_range_posted_from_another_checkout_is_not_posted_again_without_asking(
    repo: git_repos.GitRepo, settings, tmp_path: Path
) -> None:
    elsewhere = git_repos.clone(repo, tmp_path / "cron-checkout")
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        _run("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")

        with pytest.raises(CommandError, match=r"already posted to C0RELEASE .*no terminal"):
            _run("--repo", str(elsewhere), "--to", "v1.1.0", "--post", "C0RELEASE")

    assert len(slack_api.calls_to("chat.postMessage")) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_posting_again_asks_first(
    repo: git_repos.GitRepo, settings, monkeypatch
) -> None:
    arguments = ("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")
    prompts = io.StringIO()
    monkeypatch.setattr(sys, "stderr", prompts)
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        _run(*arguments)
        monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
        with pytest.raises(CommandError, match="not posting again"):
            _run(*arguments)
        monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
        _run(*arguments)

    assert prompts.getvalue().count("Post them again? [y/N]") == 2
    assert len(slack_api.calls_to("chat.postMessage")) == 2


def test_an_empty_range_says_so_and_posts_nothing(repo: git_repos.GitRepo, settings) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-test"

    output, _ = _run(
        "--repo", str(repo.path), "--from", "v1.1.0", "--to", "v1.1.0", "--post", "C0RELEASE"
    )

    assert output.strip() == "No commits between v1.1.0 and v1.1.0: nothing to write"
    assert not models.ReleaseNote.objects.exists()


def test_an_unknown_ref_is_one_clear_error(repo: git_repos.GitRepo) -> None:
    with pytest.raises(CommandError, match=r"^Unknown ref 'v9\.9\.9': no commit of .* is called"):
        _run("--repo", str(repo.path), "--from", "v9.9.9")


def test_a_ref_that_looks_like_an_option_is_refused(repo: git_repos.GitRepo) -> None:
    with pytest.raises(CommandError, match="Unknown ref '--all'"):
        _run("--repo", str(repo.path), "--to=--all")


def test_a_path_that_is_not_a_repository_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=f"^{tmp_path} is not a git repository"):
        _run("--repo", str(tmp_path))


def test_a_path_that_does_not_exist_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a git repository"):
        _run("--repo", str(tmp_path / "missing"))


@pytest.mark.parametrize("start", [(), ("--from", "HEAD~1")], ids=["latest tag", "given ref"])
def test_a_shallow_clone_is_refused_with_how_to_fetch_its_history(
    repo: git_repos.GitRepo, tmp_path: Path, start: tuple[str, ...]
) -> None:
    clone = git_repos.clone(repo, tmp_path / "ci-checkout", depth=2)

    with pytest.raises(
        CommandError,
        match=rf"^{clone} is a shallow clone.*`git fetch --unshallow`.*fetch depth 0",
    ):
        _run("--repo", str(clone), *start)
    assert not models.ReleaseNote.objects.exists()


def test_github_titles_and_labels_are_used_and_linked(repo: git_repos.GitRepo, settings) -> None:
    settings.GITHUB_TOKEN = "ghp-test"
    with served_in_background(fake_github_server) as github:
        github.add_pull_request(43, "Not in this release")
        github.add_pull_request(
            42, "Answer in threads", labels=("enhancement",), merge_sha=repo.sha("v1.1.0")
        )
        github.add_pull_request(41, "Older, unrelated")
        settings.GITHUB_API_URL = github.api_url
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0", "--github", "kr/bot")

    assert f"- Answer in threads ([#42]({github.api_url}/kr/bot/pull/42))" in output
    assert output.index("Answer in threads") < output.index("## Fixes"), "labelled a feature"
    assert f"([{repo.sha('v1.1.0~1')[:7]}]({github.api_url}/kr/bot/commit/" in output
    assert [request.query.get("page", "1") for request in github.requests] == ["1", "2"]
    assert github.requests[0].headers["Authorization"] == "Bearer ghp-test"
    assert errors == ""


def test_on_github_enterprise_the_references_link_to_its_host_not_github_com(
    repo: git_repos.GitRepo, settings
) -> None:
    settings.GITHUB_TOKEN = "ghp-test"
    with served_in_background(fake_github_server) as github:
        github.add_pull_request(42, "Answer in threads", merge_sha=repo.sha("v1.1.0"))
        settings.GITHUB_API_URL = f"{github.api_url}/api/v3"
        output, errors = _run(
            "--repo", str(repo.path), "--to", "v1.1.0", "--github", "org/app", "--format", "json"
        )

    links = {
        reference: url
        for section in json.loads(output)["sections"]
        for item in section["items"]
        for reference, url in item["links"].items()
    }
    assert links["#42"] == f"{github.api_url}/org/app/pull/42"
    assert all(url.startswith(f"{github.api_url}/org/app/") for url in links.values())
    assert errors == ""


@pytest.mark.parametrize(
    ("api_url", "web_url"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://ghe.corp/api/v3", "https://ghe.corp"),
        ("https://ghe.corp/api/v3/", "https://ghe.corp"),
        ("https://api.octocorp.ghe.com", "https://octocorp.ghe.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_the_web_address_of_github_follows_its_api_address(api_url: str, web_url: str) -> None:
    assert release_notes_command.github_web_url(api_url) == web_url


def test_when_github_fails_the_notes_use_git_alone_with_a_warning(
    repo: git_repos.GitRepo, settings
) -> None:
    settings.GITHUB_TOKEN = "ghp-test"
    with served_in_background(fake_github_server) as github:
        github.fail(status=502)
        settings.GITHUB_API_URL = github.api_url
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0", "--github", "kr/bot")

    assert f"- Answer questions in threads ([#42]({github.api_url}/kr/bot/pull/42))" in output
    assert errors.strip() == (
        "Warning: GitHub answered 502 for kr/bot: API rate limit exceeded; the notes use git alone"
    )
    assert models.ReleaseNote.objects.get().warnings == [errors.strip().removeprefix("Warning: ")]


def test_github_without_a_token_is_refused_before_any_work(repo: git_repos.GitRepo) -> None:
    with pytest.raises(CommandError, match="--github needs GITHUB_TOKEN"):
        _run("--repo", str(repo.path), "--github", "kr/bot")


def test_five_thousand_commits_are_listed_in_full_and_summarised_for_the_model(
    tmp_path: Path,
) -> None:
    repo = git_repos.long_repository(tmp_path / "long", commits=5_000)
    prompts: list[dict[str, Any]] = []

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = json.loads(transcript.last_user_prompt(messages))
        prompts.append(prompt)
        notes = writer.group_offline(prompt["changes"])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])

    tracemalloc.start()
    try:
        with writer.release_notes_writer.override(model=FunctionModel(reply)):
            output, _ = _run("--repo", str(repo.path), "--format", "json")
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    document = json.loads(output)
    assert document["commit_count"] == 5_000
    assert sum(len(section["items"]) for section in document["sections"]) == 5_000
    [prompt] = prompts
    assert len(prompt["changes"]) == writer.MAX_CHANGES_FOR_MODEL
    assert prompt["not_shown"] == {
        "Features": 1_050,
        "Fixes": 1_250,
        "Internal": 1_250,
        "Other changes": 1_250,
    }
    assert peak_bytes < 40 * 1024 * 1024, "5,000 commits need about 16 MB"


def test_a_refused_post_is_one_clear_error_and_the_notes_are_stored_and_written(
    repo: git_repos.GitRepo, settings, tmp_path: Path
) -> None:
    target = tmp_path / "notes.md"
    printed = io.StringIO()
    with served_in_background(fake_slack_server) as slack_api:
        settings.SLACK_API_URL = slack_api.api_url
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        slack_api.refuse("chat.postMessage", "not_in_channel", times=2)
        arguments = ("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")

        with pytest.raises(CommandError, match=r"^Unable to post the notes to C0RELEASE: Slack"):
            _run(*arguments, "--output", str(target))
        with pytest.raises(CommandError, match=r"\(the notes are stored in the database\)$"):
            call_command("release_notes", *arguments, stdout=printed, stderr=io.StringIO())

    first, second = models.ReleaseNote.objects.order_by("pk")
    assert target.read_text(encoding="utf-8") == first.markdown
    assert printed.getvalue() == second.markdown
    assert {(note.posted_channel, note.posted_ts) for note in (first, second)} == {("", "")}


def test_notes_refused_part_way_through_are_not_posted_again_without_asking(
    repo: git_repos.GitRepo, settings, monkeypatch
) -> None:
    async def part_way(self: Any, *, channel: str, notes: Any) -> str:
        raise release_notes_ports.UnableToPost(
            f"Unable to post the notes to {channel}: Slack refused it: fatal_error "
            "(parts 1 to 1 of 3 were posted)",
            first_ts="1767600000.000100",
        )

    monkeypatch.setattr(release_notes_poster.SlackReleaseNotesPublisher, "publish", part_way)
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    arguments = ("--repo", str(repo.path), "--to", "v1.1.0", "--post", "C0RELEASE")

    with pytest.raises(CommandError, match=r"parts 1 to 1 of 3 were posted"):
        _run(*arguments)
    with pytest.raises(CommandError, match=r"already posted to C0RELEASE .*--force posts anyway"):
        _run(*arguments)

    stored = models.ReleaseNote.objects.get()
    assert (stored.posted_channel, stored.posted_ts) == ("C0RELEASE", "1767600000.000100")


def test_posting_without_a_bot_token_is_refused_before_any_work(
    repo: git_repos.GitRepo, settings
) -> None:
    settings.SLACK_BOT_TOKEN = ""

    with pytest.raises(CommandError, match="--post needs SLACK_BOT_TOKEN"):
        _run("--repo", str(repo.path), "--post", "C0RELEASE")
    assert not models.ReleaseNote.objects.exists()


def test_an_output_file_that_cannot_be_written_is_one_clear_error(
    repo: git_repos.GitRepo, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "notes.md"

    with pytest.raises(CommandError, match=f"^Unable to write the release notes to {target}: "):
        _run("--repo", str(repo.path), "--to", "v1.1.0", "--output", str(target))


def test_a_slow_github_times_out_and_the_notes_use_git_alone(
    repo: git_repos.GitRepo, settings
) -> None:
    settings.GITHUB_TOKEN = "ghp-test"
    settings.GITHUB_TIMEOUT_S = 0.2
    with served_in_background(fake_github_server) as github:
        github.slow(2.0)
        settings.GITHUB_API_URL = github.api_url
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0", "--github", "kr/bot")

    assert f"- Answer questions in threads ([#42]({github.api_url}/kr/bot/pull/42))" in output
    assert errors.strip() == (
        "Warning: GitHub did not answer within 0.2 s; the notes use git alone"
    )


def test_a_rate_limited_github_is_asked_again_and_its_titles_used(
    repo: git_repos.GitRepo, settings
) -> None:
    settings.GITHUB_TOKEN = "ghp-test"
    with served_in_background(fake_github_server) as github:
        github.add_pull_request(42, "Answer in threads", merge_sha=repo.sha("v1.1.0"))
        github.rate_limit(retry_after_s=1)
        settings.GITHUB_API_URL = github.api_url
        output, errors = _run("--repo", str(repo.path), "--to", "v1.1.0", "--github", "kr/bot")

    assert f"- Answer in threads ([#42]({github.api_url}/kr/bot/pull/42))" in output
    assert len(github.requests) == 2
    assert errors == ""


def test_progress_is_shown_when_stderr_is_a_terminal_while_reading_and_writing(
    repo: git_repos.GitRepo, monkeypatch
) -> None:
    progress = _Terminal()
    monkeypatch.setattr(sys, "stderr", progress)

    _run("--repo", str(repo.path), "--to", "v1.1.0")

    assert progress.getvalue() == (
        "\r\x1b[KRead 12 commits\n\r\x1b[KWriting the notes of 6 changes…\n"
    )
