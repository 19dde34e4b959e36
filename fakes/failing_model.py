"""A model whose server fails, as pydantic-ai reports it, for the fallback's tests."""

from collections.abc import AsyncIterator

from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel


def failing_model(status: int, *, body: str) -> FunctionModel:
    """A model whose every stream fails before its first piece with the HTTP status and body."""

    async def broken(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        pieces: tuple[str, ...] = ()
        for piece in pieces:
            yield piece
        raise ModelHTTPError(status_code=status, model_name="failing", body=body)

    return FunctionModel(stream_function=broken, model_name="failing")
