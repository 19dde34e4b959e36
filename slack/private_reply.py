"""The chat port of a channel whose answers are private: the status and the answer are shown only
to the person who asked, in the question's thread, with a button that shows the answer to
everyone. Ephemeral messages cannot be updated, so the answer is sent whole when it is ready."""

from slack_sdk.web.async_client import AsyncWebClient

from slack import chat, ephemeral


class PrivateChatPort:
    def __init__(self, *, client: AsyncWebClient, thread: chat.SlackThread) -> None:
        self._client = client
        self._thread = thread

    async def show_status(self, *, text: str) -> None:
        await self._post(text, blocks=[])

    def answer_writer(self) -> ephemeral.EphemeralAnswerWriter:
        return ephemeral.EphemeralAnswerWriter(port=self)

    async def send(self, markdown: str, *, question_id: int | None = None) -> None:
        for text, blocks in ephemeral.messages(markdown, question_id=question_id, shareable=True):
            await self._post(text, blocks=blocks)

    async def _post(self, text: str, *, blocks: list[dict[str, object]]) -> None:
        await self._client.chat_postEphemeral(
            channel=self._thread.channel_id,
            user=self._thread.user_id,
            thread_ts=self._thread.thread_ts,
            text=text,
            blocks=blocks or None,
        )
