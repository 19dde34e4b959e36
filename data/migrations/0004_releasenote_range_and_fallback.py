from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0003_inbox_claims"),
    ]

    operations = [
        migrations.AddField(
            model_name="releasenote",
            name="from_sha",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="releasenote",
            name="to_sha",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="releasenote",
            name="warnings",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="releasenote",
            name="llm_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddIndex(
            model_name="releasenote",
            index=models.Index(
                fields=["repository", "from_sha", "to_sha", "posted_channel"],
                name="releasenote_posted_range_idx",
            ),
        ),
    ]
