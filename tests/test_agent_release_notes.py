import json

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents import release_notes, transcript

COMMITS = [
    release_notes.Commit(sha="a" * 40, subject="feat(search): rank titles higher", author="Ana"),
    release_notes.Commit(sha="b" * 40, subject="fix: empty mentions crashed the bot", author="Bo"),
    release_notes.Commit(sha="c" * 40, subject="perf: cache thread context", author="Ana"),
    release_notes.Commit(sha="d" * 40, subject="docs: explain Socket Mode", author="Cy"),
    release_notes.Commit(sha="e" * 40, subject="refactor: split the answerer", author="Bo"),
    release_notes.Commit(sha="f" * 40, subject="feat!: drop Python 3.10", author="Ana"),
    release_notes.Commit(sha="1" * 40, subject="Tidy things up", author="Dee"),
    release_notes.Commit(
        sha="2" * 40,
        subject="Merge pull request #42",
        author="Eve",
        pr_number=42,
        pr_title="Answer in threads",
        labels=("enhancement",),
    ),
]


def _sections(notes: release_notes.ReleaseNotes) -> dict[str, list[str]]:
    return {section.title: section.items for section in notes.sections}


async def test_the_offline_writer_groups_changes_by_convention_label_and_keyword() -> None:
    written = await release_notes.write_release_notes(commits=COMMITS)

    assert _sections(written.notes) == {
        "Breaking changes": ["Drop Python 3.10 (fffffff)"],
        "Features": ["Rank titles higher (aaaaaaa)", "Answer in threads (#42)"],
        "Fixes": ["Empty mentions crashed the bot (bbbbbbb)"],
        "Performance": ["Cache thread context (ccccccc)"],
        "Documentation": ["Explain Socket Mode (ddddddd)"],
        "Internal": ["Split the answerer (eeeeeee)"],
        "Other changes": ["Tidy things up (1111111)"],
    }
    assert written.notes.contributors == ["Ana", "Bo", "Cy", "Dee", "Eve"]


async def test_notes_that_leave_a_change_out_are_sent_back_to_the_model() -> None:
    attempts: list[int] = []

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        changes = json.loads(transcript.last_user_prompt(messages))["changes"]
        kept = changes if attempts else changes[:-1]
        attempts.append(len(kept))
        notes = release_notes.group_offline(kept)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])

    with release_notes.release_notes_writer.override(model=FunctionModel(reply)):
        written = await release_notes.write_release_notes(commits=COMMITS)

    assert attempts == [len(COMMITS) - 1, len(COMMITS)]
    assert "(#42)" in str(written.notes)


async def test_a_change_whose_reference_shows_only_inside_a_longer_one_is_sent_back() -> None:
    """#4 is not written when only #42 is."""
    commits = [
        release_notes.Commit(sha="3" * 40, subject="Fix login", author="Ana", pr_number=4),
        release_notes.Commit(sha="4" * 40, subject="Fix logout", author="Bo", pr_number=42),
    ]
    attempts: list[int] = []

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        changes = json.loads(transcript.last_user_prompt(messages))["changes"]
        kept = changes if attempts else changes[1:]
        attempts.append(len(kept))
        notes = release_notes.group_offline(kept)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])

    with release_notes.release_notes_writer.override(model=FunctionModel(reply)):
        written = await release_notes.write_release_notes(commits=commits)

    assert attempts == [1, 2]
    assert _sections(written.notes) == {"Fixes": ["Fix login (#4)", "Fix logout (#42)"]}


async def test_a_breaking_change_footer_after_a_long_body_still_makes_it_breaking() -> None:
    commit = release_notes.Commit(
        sha="5" * 40,
        subject="feat: answer in threads",
        body="Why and how, at length. " * 40 + "\n\nBREAKING CHANGE: replies move into threads.",
        author="Ana",
    )

    written = await release_notes.write_release_notes(commits=[commit])

    assert _sections(written.notes) == {"Breaking changes": ["Answer in threads (5555555)"]}


async def test_a_long_range_is_summarised_for_the_model_and_still_listed_in_full() -> None:
    prompts: list[dict[str, object]] = []

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = json.loads(transcript.last_user_prompt(messages))
        prompts.append(prompt)
        notes = release_notes.group_offline(prompt["changes"])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])

    with release_notes.release_notes_writer.override(model=FunctionModel(reply)):
        written = await release_notes.write_release_notes(commits=COMMITS, max_changes=3)

    [prompt] = prompts
    assert prompt["changes"] == [
        {
            "reference": reference,
            "title": title,
            "body": "",
            "breaking": breaking,
            "labels": labels,
            "author": author,
        }
        for reference, title, breaking, labels, author in [
            ("aaaaaaa", "feat(search): rank titles higher", False, [], "Ana"),
            ("fffffff", "feat!: drop Python 3.10", True, [], "Ana"),
            ("#42", "Answer in threads", False, ["enhancement"], "Eve"),
        ]
    ]
    assert prompt["not_shown"] == {
        "Fixes": 1,
        "Performance": 1,
        "Documentation": 1,
        "Internal": 1,
        "Other changes": 1,
    }
    offline = await release_notes.write_release_notes(commits=COMMITS)
    assert written.notes == offline.notes


async def test_co_authors_are_contributors() -> None:
    commit = release_notes.Commit(
        sha="a" * 40, subject="fix: a crash", author="Ana", co_authors=("Bo", "Ana", "Cy")
    )

    written = await release_notes.write_release_notes(commits=[commit])

    assert written.notes.contributors == ["Ana", "Bo", "Cy"]


def test_the_offline_notes_need_no_model() -> None:
    written = release_notes.write_offline_notes(commits=COMMITS)

    assert written.usage.model_name == "offline"
    assert [section.title for section in written.notes.sections][-1] == "Other changes"


async def test_a_subject_that_starts_by_adding_something_is_a_feature() -> None:
    commits = [
        release_notes.Commit(sha="a" * 40, subject="Add a dark mode", author="Ana"),
        release_notes.Commit(sha="b" * 40, subject="Addresses are validated", author="Ana"),
    ]

    written = await release_notes.write_release_notes(commits=commits)

    assert _sections(written.notes) == {
        "Features": ["Add a dark mode (aaaaaaa)"],
        "Other changes": ["Addresses are validated (bbbbbbb)"],
    }


async def test_a_colon_after_a_word_that_is_no_commit_type_is_kept_in_other_changes() -> None:
    commit = release_notes.Commit(sha="3" * 40, subject="Foundation: layered service", author="Ana")

    written = await release_notes.write_release_notes(commits=[commit])

    assert _sections(written.notes) == {"Other changes": ["Foundation: layered service (3333333)"]}
