from django.core.management import call_command


def test_the_models_have_no_changes_missing_from_the_migrations() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
