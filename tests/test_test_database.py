import threading

from asgiref.sync import sync_to_async
from django.db import connection

from data import models
from tests.factories import QuestionFactory


async def test_an_async_test_runs_outside_any_wrapping_transaction() -> None:
    in_atomic_block = await sync_to_async(lambda: connection.in_atomic_block)()

    assert in_atomic_block is False


async def test_rows_written_by_a_test_are_visible_to_other_threads_connections() -> None:
    question = await QuestionFactory.acreate()

    def read_on_a_new_thread() -> tuple[bool, int]:
        found = models.Question.objects.filter(pk=question.pk).exists()
        connection.close()
        return found, threading.get_ident()

    found, thread = await sync_to_async(read_on_a_new_thread, thread_sensitive=False)()

    assert found
    assert thread != threading.get_ident()
