"""Reading the model's answer as fast as it is written, whatever the chat's speed.

Appending each piece of the answer to the chat before reading the next would hold the model's
stream up for every Slack call, and the answer would take the model's time plus the chat's. The
relay takes each piece at once and one sender passes it on: its appends never overlap,
and each carries all the text that arrived since the one before it. Once the answer is finished,
the sender stops after the append in flight, and the text it had not sent goes with the finished
answer: one chat call fewer between the model's last word and the reply.

The first words are passed on at once, the rest at most once every `APPEND_EVERY_S`. Slack allows
an app about a hundred appends a minute in a workspace (its Tier 4), and an append still in flight
when the answer is finished holds the finished answer back until it returns: sent back to back,
there nearly always is one.
"""

import asyncio
import contextlib

from application import ports

APPEND_EVERY_S = 1.0


class RelayedWriter:
    """An `AnswerWriter` in front of the chat's, which never keeps the model waiting."""

    def __init__(self, writer: ports.AnswerWriter, *, every_s: float) -> None:
        self._writer = writer
        self._every_s = every_s
        self._pending: list[str] = []
        self._sender: asyncio.Task[None] | None = None
        self._finishing = asyncio.Event()

    async def append(self, *, text: str) -> None:
        self._pending.append(text)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="relay the answer")

    async def finish(self, *, reply: ports.Reply) -> str:
        self._finishing.set()
        await self._all_sent()
        return await self._writer.finish(reply=reply)

    async def fail(self, *, text: str) -> None:
        # The failure replaces whatever was shown: the text not sent yet is not worth sending,
        # and an append that failed must not keep the person from hearing that it went wrong.
        self._pending.clear()
        self._finishing.set()
        with contextlib.suppress(Exception):
            await self._all_sent()
        await self._writer.fail(text=text)

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending and not self._finishing.is_set():
            text = "".join(self._pending)
            self._pending.clear()
            started = loop.time()
            await self._writer.append(text=text)
            await self._pause(until=started + self._every_s)

    async def _pause(self, *, until: float) -> None:
        """Wait for the next append's turn, or until the answer is finished."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(until):
                await self._finishing.wait()

    async def _all_sent(self) -> None:
        if self._sender is not None:
            await self._sender
