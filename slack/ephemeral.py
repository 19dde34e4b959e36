"""The chat port of the `/kraken` slash command: the answer shown only to the person who asked,
through the command's response URL (which works in channels the bot is not a member of).
Ephemeral messages cannot be streamed or updated piece by piece, so the answer is sent whole."""

from collections.abc import Iterator
from typing import Any, Protocol

from slack_sdk.errors import SlackClientError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from application import ports
from slack import rendering, web_client


class ReplyRefused(SlackClientError):
    """The response URL refused the reply: it expired or was used up, or Slack failed. slack_sdk's
    webhook client retries a dropped connection and a rate limit, not a server error: a run again
    of the job retries that."""


class EphemeralChatPort:
    def __init__(self, *, response_url: str) -> None:
        self._webhook = AsyncWebhookClient(
            url=response_url,
            timeout=web_client.TIMEOUT_S,
            retry_handlers=web_client.retry_handlers(),
        )

    async def show_status(self, *, text: str) -> None:
        """Nothing to do: the command's acknowledgement already says the bot is working."""

    def answer_writer(self) -> "EphemeralAnswerWriter":
        return EphemeralAnswerWriter(port=self)

    async def send(self, markdown: str, *, question_id: int | None = None) -> None:
        """Raises: ReplyRefused."""
        for text, blocks in messages(markdown, question_id=question_id):
            response = await self._webhook.send(text=text, blocks=blocks, response_type="ephemeral")
            if response.status_code != 200:
                raise ReplyRefused(
                    f"The response URL refused the reply (HTTP {response.status_code})"
                )


class Sender(Protocol):
    async def send(self, markdown: str, *, question_id: int | None = None) -> None:
        """Send the text, in as many messages as it takes, only to the asker; under an answer
        (with its question's id), the buttons that go with it."""


def messages(
    markdown: str, *, question_id: int | None, shareable: bool = False
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The text and blocks of each message the text takes, the buttons of the answer to the
    question, if one is named, under the last."""
    parts = rendering.message_parts(markdown, limit=rendering.MESSAGE_TEXT_LIMIT)
    buttons = (
        rendering.feedback_blocks(question_id=question_id, shareable=shareable)
        if question_id
        else []
    )
    for number, part in enumerate(parts, start=1):
        last = number == len(parts)
        yield (
            rendering.markdown_to_mrkdwn(part),
            [*rendering.markdown_blocks(part), *(buttons if last else [])],
        )


class EphemeralAnswerWriter:
    def __init__(self, *, port: Sender) -> None:
        self._port = port

    async def append(self, *, text: str) -> None:
        """Ephemeral replies are sent whole, when the answer is finished."""

    async def finish(self, *, reply: ports.Reply) -> str:
        sources = rendering.sources_markdown(reply.citations)
        await self._port.send(
            f"{reply.text.rstrip()}\n\n{sources}" if sources else reply.text,
            question_id=reply.question_id,
        )
        return ""

    async def fail(self, *, text: str) -> None:
        await self._port.send(text)
