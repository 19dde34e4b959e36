"""The full-text index of passages, which Django's models do not describe: per database vendor.

- SQLite: an FTS5 table `data_passage_search` (title, heading, body; porter stemming), one row per
  passage with the passage's id as rowid. The indexing operation writes its rows; a trigger
  deletes them with their passage, however the passage is deleted.
- PostgreSQL: a weighted `tsvector` column `data_passage.search_vector` with a GIN index, written
  by the indexing operation and deleted with its row.

Note for later migrations of `Passage` on SQLite: Django rebuilds a table for some changes, which
drops its triggers; such a migration must create the trigger again.
"""

from django.db import migrations

from data.migrations._per_vendor import run_sql

_FORWARD = {
    "sqlite": [
        "CREATE VIRTUAL TABLE data_passage_search USING fts5("
        "title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER data_passage_search_delete AFTER DELETE ON data_passage "
        "BEGIN DELETE FROM data_passage_search WHERE rowid = old.id; END",
    ],
    "postgresql": [
        "ALTER TABLE data_passage ADD COLUMN search_vector tsvector",
        "CREATE INDEX data_passage_search_vector_idx ON data_passage USING gin (search_vector)",
    ],
}
_BACKWARD = {
    "sqlite": [
        "DROP TRIGGER data_passage_search_delete",
        "DROP TABLE data_passage_search",
    ],
    "postgresql": [
        "DROP INDEX data_passage_search_vector_idx",
        "ALTER TABLE data_passage DROP COLUMN search_vector",
    ],
}


class Migration(migrations.Migration):

    dependencies = [
        ("data", "0001_initial"),
    ]

    operations = [
        run_sql(forward=_FORWARD, backward=_BACKWARD),
    ]
