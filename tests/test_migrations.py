import datetime as dt

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from data import models

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


def test_the_models_have_no_changes_missing_from_the_migrations() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_questions_stored_before_the_total_time_column_get_their_total_from_their_timings() -> None:
    executor = MigrationExecutor(connection)
    before, after = (
        [("data", "0004_releasenote_range_and_fallback")],
        [("data", "0005_question_total_time")],
    )
    executor.migrate(before)
    old_question = executor.loader.project_state(before).apps.get_model("data", "Question")
    timed = old_question.objects.create(
        source="console", text="timed", created_at=NOW, timings={"answer": 90.0, "total": 120.5}
    )
    untimed = old_question.objects.create(source="console", text="untimed", created_at=NOW)

    executor.loader.build_graph()
    executor.migrate(after)
    call_command("migrate", verbosity=0)

    assert models.Question.objects.get(pk=timed.pk).total_ms == 120.5
    assert models.Question.objects.get(pk=untimed.pk).total_ms is None


def test_a_data_migration_makes_the_bot_owners_group_who_may_view_questions_and_feedback() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("data", "0005_question_total_time")])
    Permission.objects.filter(content_type__app_label="data").delete()  # as on a new database

    executor.loader.build_graph()
    executor.migrate([("data", "0006_bot_owners_group")])
    call_command("migrate", verbosity=0)

    group = Group.objects.get(name="bot owners")
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "view_feedback",
        "view_question",
    ]
