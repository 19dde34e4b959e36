import datetime as dt

from application import ports, thread_context
from domain import records
from tests.factories import QuestionFactory

ORIGIN = records.SlackOrigin(
    team_id="T0001",
    channel_id="C0001",
    user_id="U1",
    thread_ts="100.000001",
    message_ts="100.000900",
)


class FixedReplies:
    def __init__(self, messages: list[records.ThreadMessage]) -> None:
        self.messages = messages

    async def replies(self) -> list[records.ThreadMessage]:
        return self.messages


class LimitedReplies:
    async def replies(self) -> list[records.ThreadMessage]:
        raise ports.RepliesUnavailable("ratelimited")


async def test_a_thread_of_500_messages_stays_within_the_budget_keeping_the_newest() -> None:
    messages = [
        records.ThreadMessage(author=f"U{n}", text=f"message {n} " + "x" * 200) for n in range(500)
    ]

    context = await thread_context.thread_context(
        origin=ORIGIN, replies=FixedReplies(messages), budget_tokens=1_000
    )

    size = sum(len(m.author) + len(m.text) + 2 for m in context.messages)
    assert size <= 1_000 * thread_context.CHARACTERS_PER_TOKEN
    assert context.messages[-1] == messages[-1]
    oldest, *whole = context.messages
    assert whole == messages[-len(whole) :]
    cut_from = messages[-len(whole) - 1]
    assert oldest.author == cut_from.author
    assert oldest.text.startswith("…")
    assert cut_from.text.endswith(oldest.text[1:])


async def test_a_message_longer_than_the_budget_left_is_kept_by_its_end() -> None:
    """A log pasted whole, then "what does this error mean?": the error is at the log's end."""
    log = "\n".join(f"INFO step {n} ok" for n in range(2_000)) + "\nERROR disk full on /var"
    messages = [
        records.ThreadMessage(author="U1", text="Deploys fail again."),
        records.ThreadMessage(author="U1", text=log),
    ]

    context = await thread_context.thread_context(
        origin=ORIGIN, replies=FixedReplies(messages), budget_tokens=1_000
    )

    [kept] = context.messages
    assert kept.text.startswith("…")
    assert kept.text.endswith("ERROR disk full on /var")
    assert len(kept.author) + len(kept.text) + 2 <= 1_000 * thread_context.CHARACTERS_PER_TOKEN


async def test_when_slack_limits_the_thread_the_stored_exchanges_are_used_with_a_note() -> None:
    await _answered_in_the_thread(
        "How do I deploy?", "Run make deploy.", message_ts="100.000100", reply_ts="100.000200"
    )

    context = await thread_context.thread_context(
        origin=ORIGIN, replies=LimitedReplies(), budget_tokens=1_000
    )

    assert [(m.text, m.from_bot) for m in context.messages] == [
        ("How do I deploy?", False),
        ("Run make deploy.", True),
    ]
    assert context.note == thread_context.LIMITED_NOTE


async def test_when_slack_limits_the_thread_an_answer_its_asker_alone_saw_stays_private() -> None:
    await _answered_publicly_then_privately()

    context = await thread_context.thread_context(
        origin=ORIGIN, replies=LimitedReplies(), budget_tokens=1_000
    )

    assert [(m.text, m.from_bot) for m in context.messages] == [
        ("how do I roll back?", False),
        ("Run make rollback.", True),
        ("who may roll back?", False),
    ]


async def test_the_bots_answer_a_cached_read_of_the_thread_lacks_is_taken_from_what_it_stored() -> (
    None
):
    """A follow-up soon after an answer: the thread was read (and kept) before that answer."""
    read_before_the_answer = [
        records.ThreadMessage(author="U2", text="Deploys fail since noon.", ts="100.000001"),
        records.ThreadMessage(author="U1", text="@Kraken how do I roll back?", ts="100.000100"),
        records.ThreadMessage(author="U2", text="Same here.", ts="100.000300"),
    ]
    await _answered_publicly_then_privately()

    context = await thread_context.thread_context(
        origin=ORIGIN, replies=FixedReplies(read_before_the_answer), budget_tokens=1_000
    )

    assert [(m.text, m.from_bot) for m in context.messages] == [
        ("Deploys fail since noon.", False),
        ("@Kraken how do I roll back?", False),
        ("Run make rollback.", True),
        ("Same here.", False),
        ("who may roll back?", False),
    ]
    assert context.note == ""


async def _answered_publicly_then_privately() -> None:
    await _answered_in_the_thread(
        "how do I roll back?", "Run make rollback.", message_ts="100.000100", reply_ts="100.000200"
    )
    await _answered_in_the_thread(
        "who may roll back?",
        "Anyone on call (an answer only its asker saw).",
        message_ts="100.000400",
        reply_ts="",
    )


async def _answered_in_the_thread(text: str, answer: str, **slack: str) -> None:
    await QuestionFactory.acreate(
        team_id="T0001",
        channel_id="C0001",
        thread_ts=ORIGIN.thread_ts,
        text=text,
        status="answered",
        answer=answer,
        answered_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        **slack,
    )
