from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connection

from domain import queries
from tests.factories import QuestionFactory


def _connection_is_open() -> bool:
    return connection.connection is not None


async def test_a_domain_call_gives_its_threads_connection_back_when_done() -> None:
    async with ThreadSensitiveContext():
        question = await QuestionFactory.acreate()
        opened_by_the_factory = await sync_to_async(_connection_is_open)()

        await queries.get_question(question_id=question.pk)

        still_open = await sync_to_async(_connection_is_open)()

    assert opened_by_the_factory
    assert not still_open
