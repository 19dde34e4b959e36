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
    relay = answer_relay.RelayedWriter(chat)

    await relay.append(text="The first words")
    await chat.refused.wait()
    await relay.fail(text="Sorry, I could not answer that.")

    assert chat.failed_with == ["Sorry, I could not answer that."]
