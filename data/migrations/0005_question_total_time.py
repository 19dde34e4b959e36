from django.db import migrations, models


def fill_total_time(apps, schema_editor):
    """Copy the "total" of each stored question's timings into the new column."""
    Question = apps.get_model("data", "Question")
    answered = Question.objects.exclude(timings={}).only("pk", "timings")
    batch = []
    for question in answered.iterator(chunk_size=2000):
        total = question.timings.get("total")
        if isinstance(total, int | float):
            question.total_ms = float(total)
            batch.append(question)
        if len(batch) == 2000:
            Question.objects.bulk_update(batch, ["total_ms"])
            batch = []
    Question.objects.bulk_update(batch, ["total_ms"])


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0004_releasenote_range_and_fallback"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="total_ms",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(fields=["total_ms"], name="question_total_time_idx"),
        ),
        migrations.RunPython(fill_total_time, migrations.RunPython.noop),
    ]
