from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "bot owners"
VIEWED = ("view_question", "view_feedback")


def create_bot_owners(apps, schema_editor):
    """The group of people who review the bot: they see questions and feedback, and change or
    delete nothing. Permissions are normally created after all migrations; create this app's now
    so that the group can be given them on a fresh database too."""
    data = apps.get_app_config("data")
    data.models_module = getattr(data, "models_module", None) or True
    create_permissions(data, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="data", codename__in=VIEWED)
    )


def remove_bot_owners(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0005_question_total_time"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_bot_owners, remove_bot_owners),
    ]
