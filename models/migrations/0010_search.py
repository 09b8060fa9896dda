"""Full-text search over what people wrote: an incident's title, summary and impact, and
its timeline. PostgreSQL: GIN indexes on the 'simple' text-search configuration (words
as written, in any language, no stemming), so a search never reads every row. SQLite:
FTS5 tables kept in step with their tables by triggers (external content: the text is
not stored twice), filled once here from what is there already."""

from peewee import PostgresqlDatabase

INCIDENT_DOCUMENT = (
    "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' "
    "|| coalesce(impact, ''))"
)
TIMELINE_DOCUMENT = "to_tsvector('simple', coalesce(text, ''))"

_SQLITE = (
    "CREATE VIRTUAL TABLE incident_fts USING fts5("
    "title, summary, impact, content='incident', content_rowid='id')",
    "CREATE TRIGGER incident_fts_insert AFTER INSERT ON incident BEGIN "
    "INSERT INTO incident_fts(rowid, title, summary, impact) "
    "VALUES (new.id, new.title, new.summary, new.impact); END",
    "CREATE TRIGGER incident_fts_delete AFTER DELETE ON incident BEGIN "
    "INSERT INTO incident_fts(incident_fts, rowid, title, summary, impact) "
    "VALUES ('delete', old.id, old.title, old.summary, old.impact); END",
    "CREATE TRIGGER incident_fts_update AFTER UPDATE OF title, summary, impact ON incident "
    "BEGIN INSERT INTO incident_fts(incident_fts, rowid, title, summary, impact) "
    "VALUES ('delete', old.id, old.title, old.summary, old.impact); "
    "INSERT INTO incident_fts(rowid, title, summary, impact) "
    "VALUES (new.id, new.title, new.summary, new.impact); END",
    "INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE timeline_fts USING fts5("
    "text, content='timeline_event', content_rowid='id')",
    "CREATE TRIGGER timeline_fts_insert AFTER INSERT ON timeline_event BEGIN "
    "INSERT INTO timeline_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER timeline_fts_delete AFTER DELETE ON timeline_event BEGIN "
    "INSERT INTO timeline_fts(timeline_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER timeline_fts_update AFTER UPDATE OF text ON timeline_event BEGIN "
    "INSERT INTO timeline_fts(timeline_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO timeline_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO timeline_fts(timeline_fts) VALUES ('rebuild')",
)


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(f"CREATE INDEX incident_search ON incident USING gin ({INCIDENT_DOCUMENT})")
        db.execute_sql(
            f"CREATE INDEX timeline_event_search ON timeline_event USING gin ({TIMELINE_DOCUMENT})"
        )
        return
    for statement in _SQLITE:
        db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS timeline_event_search")
        db.execute_sql("DROP INDEX IF EXISTS incident_search")
        return
    for name in ("incident_fts", "timeline_fts"):
        for verb in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}_{verb}")
        db.execute_sql(f"DROP TABLE IF EXISTS {name}")
