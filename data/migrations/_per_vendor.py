"""A migration step written in each database vendor's own SQL, for what Django's models do not
describe (full-text indexes, triggers). The loader skips this module: its name starts with `_`.
"""

from collections.abc import Callable
from typing import Any

from django.db import migrations

Statements = dict[str, list[str]]


def run_sql(*, forward: Statements, backward: Statements) -> migrations.RunPython:
    """Run the statements listed for the vendor in use, forward or backward."""
    return migrations.RunPython(_run(forward), _run(backward))


def _run(statements: Statements) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement)

    return run
