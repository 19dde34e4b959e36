import pytest

from domain import records
from slack import rendering


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**Rotate** the key", "*Rotate* the key"),
        ("__Rotate__ the key", "*Rotate* the key"),
        ("an *important* step", "an _important_ step"),
        ("~~old~~ new", "~old~ new"),
        ("## Deploying", "*Deploying*"),
        ("- one\n- two\n  * nested", "• one\n• two\n  • nested"),
        (
            "See [the runbook](https://docs.example.com/run?a=1&b=2).",
            "See <https://docs.example.com/run?a=1&b=2|the runbook>.",
        ),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("run `make **test**` now", "run `make **test**` now"),
        ("```\n**not bold**\n```", "```\n**not bold**\n```"),
        ("2 * 3 * 4", "2 * 3 * 4"),
    ],
)
def test_markdown_is_converted_to_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert rendering.markdown_to_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize(
    ("markdown", "target"),
    [
        pytest.param(
            "See [the guide](https://docs.example.com/x><!channel>) now",
            "https://docs.example.com/x%3E%3C!channel%3E",
            id="markup-after-the-address",
        ),
        pytest.param(
            "See [docs.example.com](https://evil.example|docs.example.com).",
            "https://evil.example%7Cdocs.example.com",
            id="a-second-label",
        ),
    ],
)
def test_a_link_address_cannot_end_the_link_early_or_carry_markup(
    markdown: str, target: str
) -> None:
    converted = rendering.markdown_to_mrkdwn(markdown)

    assert f"<{target}|" in converted
    assert "<!" not in converted
    assert converted.count("|") == 1


def test_no_raw_double_asterisks_survive_outside_code() -> None:
    converted = rendering.markdown_to_mrkdwn("**Step 1**: open **Settings**, then **Save**.")

    assert "**" not in converted


def test_long_text_is_split_within_the_limit_and_nothing_is_lost() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 150 for n in range(30))

    parts = rendering.split_text(text, limit=rendering.MESSAGE_TEXT_LIMIT)

    assert len(parts) > 1
    assert all(len(part) <= rendering.MESSAGE_TEXT_LIMIT for part in parts)
    assert "".join(parts) == text


def test_text_without_breaks_is_still_split_whole() -> None:
    text = "x" * 10_001

    parts = rendering.split_text(text, limit=4_000)

    assert [len(part) for part in parts] == [4_000, 4_000, 2_001]


def test_a_code_block_cut_between_messages_is_closed_in_one_and_opened_in_the_next() -> None:
    steps = "".join(f"echo step {n}\n\n" for n in range(400))
    text = f"Run these:\n\n```bash\n{steps}```\n\nThen **check** the logs [1]."

    parts = rendering.message_parts(text, limit=rendering.MESSAGE_TEXT_LIMIT)

    assert len(parts) == 2
    assert all(len(part) <= rendering.MESSAGE_TEXT_LIMIT for part in parts)
    assert [part.count("```") for part in parts] == [2, 2]
    assert parts[1].startswith("```\necho step ")
    assert parts[1].endswith("```\n\nThen **check** the logs [1].")
    shown = parts[0].removesuffix("\n```") + parts[1].removeprefix("```\n")
    assert shown.replace("\n", "") == text.replace("\n", "")


def test_sources_are_a_numbered_list_of_links() -> None:
    citations = (
        records.Citation(passage_id=1, title="Runbook", heading="Passwords", url="https://d/r#p"),
        records.Citation(passage_id=2, title="FAQ"),
    )

    assert rendering.sources_markdown(citations) == (
        "**Sources**\n1. [Runbook › Passwords](https://d/r#p)\n2. FAQ"
    )


def test_a_source_names_the_document_title_once() -> None:
    title = "Asking Kraken Bot a question"
    citations = (records.Citation(passage_id=1, title=title, heading=f"{title} › Good questions"),)

    assert rendering.sources_markdown(citations) == (
        "**Sources**\n1. Asking Kraken Bot a question › Good questions"
    )


def test_a_source_title_cannot_change_where_its_link_goes() -> None:
    title = "Reset your password](https://phish.example/login) ([x"
    citations = (
        records.Citation(passage_id=1, title=title, url="https://docs.example.com/reset"),
        records.Citation(passage_id=2, title="[Draft](https://phish.example/) FAQ"),
    )

    converted = rendering.markdown_to_mrkdwn(rendering.sources_markdown(citations))

    assert converted == (
        "*Sources*\n"
        "1. <https://docs.example.com/reset|"
        "Reset your password](https://phish.example/login) ([x>\n"
        "2. [Draft](https://phish.example/) FAQ"
    )


def test_a_source_address_with_parentheses_stays_one_link() -> None:
    url = "https://wiki.example.com/Payroll_(UK)"
    citations = (records.Citation(passage_id=1, title="Payroll", url=url),)

    converted = rendering.markdown_to_mrkdwn(rendering.sources_markdown(citations))

    assert converted == "*Sources*\n1. <https://wiki.example.com/Payroll_%28UK%29|Payroll>"


def test_feedback_buttons_carry_the_question_id() -> None:
    [actions] = rendering.feedback_blocks(question_id=42)

    assert [button["value"] for button in actions["elements"]] == ["42", "42"]
    assert [button["action_id"] for button in actions["elements"]] == [
        rendering.FEEDBACK_UP,
        rendering.FEEDBACK_DOWN,
    ]
