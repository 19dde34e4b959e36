"""Reading a run's messages, for the offline models that reply from what the agent was given."""

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart, UserPromptPart


def last_user_prompt(messages: list[ModelMessage]) -> str:
    """The latest text the user sent."""
    prompts = [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart) and isinstance(part.content, str)
    ]
    return prompts[-1] if prompts else ""


def last_tool_result(messages: list[ModelMessage], *, tool_name: str) -> Any | None:
    """What the latest call of the tool returned, or None when it was not called yet."""
    returns = [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart) and part.tool_name == tool_name
    ]
    return returns[-1] if returns else None
