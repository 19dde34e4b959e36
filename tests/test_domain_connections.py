from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connection
from django.utils import timezone

from domain import operations, queries
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


async def test_recording_a_slack_event_gives_its_threads_connection_back_when_done() -> None:
    async with ThreadSensitiveContext():
        await sync_to_async(connection.ensure_connection)()

        await operations.record_event(
            event_id="Ev0001",
            team_id="T0001",
            event_type="app_mention",
            payload={"event_id": "Ev0001"},
            received_at=timezone.now(),
        )

        still_open = await sync_to_async(_connection_is_open)()

    assert not still_open
