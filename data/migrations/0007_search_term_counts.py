"""How many indexed passages hold each word, kept by the database itself, so that search weighs
a question's words by their rarity without counting them at query time.

- PostgreSQL: a table `data_search_term` (term, passages) with a row per lexeme of
  `data_passage.search_vector`, and a row with the empty term (never a lexeme) for the number of
  indexed passages. Statement triggers on `data_passage` add each statement's new vectors and
  take away its old ones (and empty the table when it is truncated), so the counts stay right
  however passages are written or deleted (cascades included). Each writing transaction takes an advisory lock before it changes counts,
  so two indexing transactions queue one behind the other instead of deadlocking on them.
- SQLite: nothing; FTS5 counts a word's passages from its list of them, quickly at the sizes
  SQLite serves.
"""

from django.db import migrations

from data.migrations._per_vendor import run_sql

_FORWARD = {
    "sqlite": [],
    "postgresql": [
        "CREATE TABLE data_search_term (term text PRIMARY KEY, passages integer NOT NULL)",
        """
        CREATE FUNCTION data_search_term_add(vectors tsvector[], change integer)
        RETURNS void LANGUAGE sql AS $$
            SELECT pg_advisory_xact_lock(hashtext('data_search_term'));
            INSERT INTO data_search_term AS counted (term, passages)
            SELECT term, change * count(*) FROM (
                SELECT unnest(tsvector_to_array(vector)) AS term FROM unnest(vectors) AS vector
                UNION ALL
                SELECT '' FROM unnest(vectors)
            ) AS terms
            GROUP BY term
            ON CONFLICT (term) DO UPDATE SET passages = counted.passages + excluded.passages;
        $$
        """,
        """
        CREATE FUNCTION data_search_term_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM data_search_term_add(
                    ARRAY(SELECT search_vector FROM old_rows WHERE search_vector IS NOT NULL), -1
                );
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM data_search_term_add(
                    ARRAY(SELECT search_vector FROM new_rows WHERE search_vector IS NOT NULL), 1
                );
            END IF;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER data_search_term_insert AFTER INSERT ON data_passage "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION data_search_term_count()",
        "CREATE TRIGGER data_search_term_update AFTER UPDATE ON data_passage "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION data_search_term_count()",
        "CREATE TRIGGER data_search_term_delete AFTER DELETE ON data_passage "
        "REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION data_search_term_count()",
        """
        CREATE FUNCTION data_search_term_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE data_search_term;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER data_search_term_truncate AFTER TRUNCATE ON data_passage "
        "FOR EACH STATEMENT EXECUTE FUNCTION data_search_term_clear()",
        "SELECT data_search_term_add("
        "ARRAY(SELECT search_vector FROM data_passage WHERE search_vector IS NOT NULL), 1)",
    ],
}
_BACKWARD = {
    "sqlite": [],
    "postgresql": [
        "DROP TRIGGER data_search_term_truncate ON data_passage",
        "DROP FUNCTION data_search_term_clear()",
        "DROP TRIGGER data_search_term_delete ON data_passage",
        "DROP TRIGGER data_search_term_update ON data_passage",
        "DROP TRIGGER data_search_term_insert ON data_passage",
        "DROP FUNCTION data_search_term_count()",
        "DROP FUNCTION data_search_term_add(tsvector[], integer)",
        "DROP TABLE data_search_term",
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0006_bot_owners_group"),
    ]

    operations = [
        run_sql(forward=_FORWARD, backward=_BACKWARD),
    ]
