"""The relay between the model's stream and the chat: nothing lost, and failures still told."""

import asyncio

from application import answer_relay, ports


class _RefusingWriter:
    """A chat writer whose appends fail, as a chat that went away mid-answer would."""

    def __init__(self) -> None:
        self.failed_with: list[str] = []
        self.refused = asyncio.Event()

    async def append(self, *, text: str) -> None:
        self.refused.set()
        raise ConnectionError("the chat went away")

    async def finish(self, *, reply: ports.Reply) -> str:
        raise AssertionError("a failed answer is not finished")

    async def fail(self, *, text: str) -> None:
        self.failed_with.append(text)


async def test_when_an_append_failed_the_failure_is_still_shown() -> None:
    chat = _RefusingWriter()
    relay = answer_relay.RelayedWriter(chat, every_s=answer_relay.APPEND_EVERY_S)

    await relay.append(text="The first words")
    await chat.refused.wait()
    await relay.fail(text="Sorry, I could not answer that.")

    assert chat.failed_with == ["Sorry, I could not answer that."]


class _SlowWriter:
    """A chat writer whose appends wait until the test lets them through."""

    def __init__(self) -> None:
        self.appended: list[str] = []
        self.finished_with: list[str] = []
        self.sending = asyncio.Event()
        self.let_through = asyncio.Event()

    async def append(self, *, text: str) -> None:
        self.sending.set()
        await self.let_through.wait()
        self.appended.append(text)

    async def finish(self, *, reply: ports.Reply) -> str:
        self.finished_with.append(reply.text)
        return "1.000001"

    async def fail(self, *, text: str) -> None:
        raise AssertionError("the answer did not fail")


async def test_text_still_waiting_when_the_answer_is_finished_goes_with_the_finished_answer() -> (
    None
):
    chat = _SlowWriter()
    relay = answer_relay.RelayedWriter(chat, every_s=answer_relay.APPEND_EVERY_S)

    await relay.append(text="The first words, ")
    await chat.sending.wait()
    await relay.append(text="the last ")
    await relay.append(text="words.")
    finishing = asyncio.create_task(
        relay.finish(reply=ports.Reply(question_id=1, text="The first words, the last words."))
    )
    chat.let_through.set()

    assert await finishing == "1.000001"
    assert chat.appended == ["The first words, "]
    assert chat.finished_with == ["The first words, the last words."]


class _RecordingWriter:
    """A chat writer that takes each append at once, and can be waited on for a number of them."""

    def __init__(self) -> None:
        self.appended: list[str] = []
        self.appended_at: list[float] = []
        self.finished_with: list[str] = []
        self.failed_with: list[str] = []
        self._changed = asyncio.Condition()

    async def append(self, *, text: str) -> None:
        async with self._changed:
            self.appended.append(text)
            self.appended_at.append(asyncio.get_running_loop().time())
            self._changed.notify_all()

    async def appends(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.appended) >= count)

    async def finish(self, *, reply: ports.Reply) -> str:
        self.finished_with.append(reply.text)
        return "1.000001"

    async def fail(self, *, text: str) -> None:
        self.failed_with.append(text)


async def test_after_the_first_words_the_text_is_appended_at_most_once_a_turn_all_together() -> (
    None
):
    chat = _RecordingWriter()
    relay = answer_relay.RelayedWriter(chat, every_s=0.2)

    await relay.append(text="The first words")
    await chat.appends(1)
    await relay.append(text=", then ")
    await relay.append(text="more")
    async with asyncio.timeout(10):
        await chat.appends(2)

    assert chat.appended == ["The first words", ", then more"]
    assert chat.appended_at[1] - chat.appended_at[0] >= 0.2


async def _holding_text_until_its_next_turn(
    chat: _RecordingWriter, *, text: str
) -> answer_relay.RelayedWriter:
    """A relay that has passed on the first words and holds `text` for a turn an hour away."""
    relay = answer_relay.RelayedWriter(chat, every_s=3600)
    await relay.append(text="The first words")
    await chat.appends(1)
    await relay.append(text=text)
    return relay


async def test_a_finished_answer_does_not_wait_for_the_next_turn_to_append() -> None:
    chat = _RecordingWriter()
    relay = await _holding_text_until_its_next_turn(chat, text=", the rest.")

    async with asyncio.timeout(10):
        reply_ts = await relay.finish(
            reply=ports.Reply(question_id=1, text="The first words, the rest.")
        )

    assert reply_ts == "1.000001"
    assert chat.appended == ["The first words"]
    assert chat.finished_with == ["The first words, the rest."]


async def test_a_failed_answer_does_not_wait_for_the_next_turn_to_be_told() -> None:
    chat = _RecordingWriter()
    relay = await _holding_text_until_its_next_turn(chat, text=" and more")

    async with asyncio.timeout(10):
        await relay.fail(text="Sorry, I could not answer that.")

    assert chat.appended == ["The first words"]
    assert chat.failed_with == ["Sorry, I could not answer that."]
