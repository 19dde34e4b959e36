"""factory-boy for async tests: factories whose rows are created with `await Factory.acreate()`.

Sync `Factory.create()` runs blocking queries; inside a running event loop that would stall the loop
(and Django refuses it with a generic error), so it fails at once with a message that says what to
do instead.
"""

import asyncio
from typing import Any

import factory
from django.db import models


class SyncCreateInEventLoop(RuntimeError):
    """A factory's synchronous `create()` was called inside a running event loop."""


class AsyncSubFactory(factory.SubFactory):
    """A related row that `acreate()` creates first, itself with `acreate()`.

    Fields of the related row are passed as `<name>__<field>=value`, as with `SubFactory`.
    """


class AsyncDjangoModelFactory(factory.django.DjangoModelFactory[Any]):
    """A Django model factory with an awaitable `acreate()` and `acreate_batch()`.

    Post-generation declarations are not run by `acreate()`.
    """

    class Meta:
        abstract = True

    @classmethod
    async def acreate(cls, **kwargs: Any) -> Any:
        """Create the related rows of every `AsyncSubFactory`, then insert this row."""
        for name, declaration in cls._meta.declarations.items():
            if isinstance(declaration, AsyncSubFactory) and name not in kwargs:
                nested = _pop_prefixed(kwargs, prefix=f"{name}__")
                kwargs[name] = await declaration.get_factory().acreate(**nested)
        instance: models.Model = cls.build(**kwargs)
        await instance.asave(force_insert=True)
        return instance

    @classmethod
    async def acreate_batch(cls, size: int, **kwargs: Any) -> list[Any]:
        return [await cls.acreate(**kwargs) for _ in range(size)]

    @classmethod
    def _create(cls, model_class: type[models.Model], *args: Any, **kwargs: Any) -> Any:
        if _event_loop_is_running():
            raise SyncCreateInEventLoop(
                f"{cls.__name__}.create() runs blocking queries inside the running event loop; "
                f"in async code use `await {cls.__name__}.acreate(...)`"
            )
        return super()._create(model_class, *args, **kwargs)


def _pop_prefixed(kwargs: dict[str, Any], *, prefix: str) -> dict[str, Any]:
    keys = [key for key in kwargs if key.startswith(prefix)]
    return {key.removeprefix(prefix): kwargs.pop(key) for key in keys}


def _event_loop_is_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
