"""The full-text structure over insights_searchdoc, in the database's own terms: an FTS5 table kept in step by
triggers on SQLite; a generated tsvector column (title weighted A, body B) with a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE insights_searchdoc_fts USING fts5(title, body, content='insights_searchdoc', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER insights_searchdoc_ai AFTER INSERT ON insights_searchdoc BEGIN "
    "INSERT INTO insights_searchdoc_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER insights_searchdoc_ad AFTER DELETE ON insights_searchdoc BEGIN "
    "INSERT INTO insights_searchdoc_fts(insights_searchdoc_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER insights_searchdoc_au AFTER UPDATE OF title, body ON insights_searchdoc BEGIN "
    "INSERT INTO insights_searchdoc_fts(insights_searchdoc_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO insights_searchdoc_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS insights_searchdoc_au",
    "DROP TRIGGER IF EXISTS insights_searchdoc_ad",
    "DROP TRIGGER IF EXISTS insights_searchdoc_ai",
    "DROP TABLE IF EXISTS insights_searchdoc_fts",
]
POSTGRESQL = [
    "ALTER TABLE insights_searchdoc ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX insights_searchdoc_search ON insights_searchdoc USING gin (search)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS insights_searchdoc_search",
    "ALTER TABLE insights_searchdoc DROP COLUMN IF EXISTS search",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_searchdoc")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
            elidable=False,
        )
    ]
