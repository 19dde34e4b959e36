from django.db import migrations, models


def claim_existing_events_when_received(apps, schema_editor):
    InboundEvent = apps.get_model("data", "InboundEvent")
    InboundEvent.objects.update(claimed_at=models.F("received_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0002_passage_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundevent",
            name="message_key",
            field=models.CharField(blank=True, max_length=128, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="claimed_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(claim_existing_events_when_received, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="inboundevent",
            name="claimed_at",
            field=models.DateTimeField(),
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddIndex(
            model_name="inboundevent",
            index=models.Index(fields=["claimed_at"], name="inboundevent_claimed_idx"),
        ),
    ]
