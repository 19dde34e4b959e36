from django.db import migrations, models

# Added in place with SQL both vendors read: Django would rebuild SQLite's table to add a column
# with a default, and the rebuild drops the trigger that keeps the full-text index in step.
ADD_ANCHOR = "ALTER TABLE data_passage ADD COLUMN anchor varchar(500) NOT NULL DEFAULT ''"
DROP_ANCHOR = "ALTER TABLE data_passage DROP COLUMN anchor"


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0017_remove_indexingrun"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD_ANCHOR, DROP_ANCHOR)],
            state_operations=[
                migrations.AddField(
                    model_name="passage",
                    name="anchor",
                    field=models.CharField(blank=True, max_length=500),
                ),
            ],
        ),
    ]
