"""A chat port for tests: records what the person was shown, and can fail or wait on cue."""

import asyncio
import time
from dataclasses import dataclass, field

from application import ports


@dataclass
class FakeWriter:
    chat: "FakeChat"
    pieces: list[tuple[float, str]] = field(default_factory=list)

    async def append(self, *, text: str) -> None:
        if self.chat.append_gate is not None:
            await self.chat.append_gate.wait()
        self.pieces.append((time.perf_counter(), text))

    async def finish(self, *, reply: ports.Reply) -> str:
        if self.chat.reply_error is not None:
            raise self.chat.reply_error
        self.chat.replies.append(reply)
        return f"1767603600.{len(self.chat.replies):06d}"

    async def fail(self, *, text: str) -> None:
        self.chat.failures.append(text)

    @property
    def streamed(self) -> str:
        return "".join(text for _, text in self.pieces)


@dataclass
class FakeChat:
    statuses: list[str] = field(default_factory=list)
    replies: list[ports.Reply] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    writers: list[FakeWriter] = field(default_factory=list)
    status_error: Exception | None = None
    reply_error: Exception | None = None
    status_delay_s: float = 0.0
    status_barrier: asyncio.Barrier | None = None
    append_gate: asyncio.Event | None = None
    """A slow chat: each append waits until the gate opens."""

    async def show_status(self, *, text: str) -> None:
        if self.status_barrier is not None:
            await self.status_barrier.wait()
        await asyncio.sleep(self.status_delay_s)
        if self.status_error is not None:
            raise self.status_error
        self.statuses.append(text)

    def answer_writer(self) -> FakeWriter:
        writer = FakeWriter(chat=self)
        self.writers.append(writer)
        return writer
