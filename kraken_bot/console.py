"""The console's chat port: how `manage.py ask` shows the bot's status and answers in a terminal."""

from typing import Protocol

from application import ports


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


class ConsolePort:
    """Status and failures go to stderr; the answer to stdout as it is written, unless JSON is
    printed instead."""

    def __init__(self, *, out: Writable, err: Writable, show_answer: bool = True) -> None:
        self._out = out
        self._err = err
        self._show_answer = show_answer

    async def show_status(self, *, text: str) -> None:
        self._err.write(f"{text}\n")

    def answer_writer(self) -> "ConsoleAnswerWriter":
        return ConsoleAnswerWriter(out=self._out, err=self._err, show_answer=self._show_answer)


class ConsoleAnswerWriter:
    def __init__(self, *, out: Writable, err: Writable, show_answer: bool) -> None:
        self._out = out
        self._err = err
        self._show_answer = show_answer
        self._shown = ""

    async def append(self, *, text: str) -> None:
        if self._show_answer:
            self._out.write(text)
            self._shown += text

    async def finish(self, *, reply: ports.Reply) -> str:
        if self._show_answer:
            rest = (
                reply.text[len(self._shown) :]
                if reply.text.startswith(self._shown)
                else f"\n{reply.text}"
            )
            self._out.write(rest.rstrip() + "\n\n" + render_sources(reply))
        return ""

    async def fail(self, *, text: str) -> None:
        self._err.write(f"{text}\n")


def render_sources(reply: ports.Reply) -> str:
    """The sources as a numbered list, one a line."""
    lines = ["Sources:"] if reply.citations else []
    for number, citation in enumerate(reply.citations, start=1):
        link = f" <{citation.url}>" if citation.url else ""
        lines.append(f"  [{number}] {citation.place}{link}")
    return "".join(f"{line}\n" for line in lines)
