"""What an import from another incident tool needs: each imported incident and person
remembers the row it came from (and what it looked like, to tell a changed source row from
an unchanged one); an incident says whether it was only ever a report, when its impact
started and where it was imported from; a follow-up has a due date, priority, category and
the source row it came from."""

from peewee import CharField, DateTimeField, IntegerField, Model, TextField

_NOT_NULL = (("incident", "report_only", "BOOLEAN NOT NULL DEFAULT FALSE"),)


def up(migrator, db):
    for table, column, kind in _NOT_NULL:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
    migrator.migrate(
        migrator.add_column("incident", "started_at", DateTimeField(null=True)),
        migrator.add_column("incident", "imported_from", CharField(max_length=64, null=True)),
        migrator.add_column("follow_up_action", "due_at", DateTimeField(null=True)),
        migrator.add_column("follow_up_action", "priority", CharField(max_length=16, null=True)),
        migrator.add_column("follow_up_action", "category", CharField(max_length=16, null=True)),
        migrator.add_column(
            "follow_up_action", "imported_key", CharField(max_length=64, null=True)
        ),
    )

    class ImportedRow(Model):  # a frozen copy of models.imports.ImportedRow
        source = CharField(max_length=64)
        kind = CharField(max_length=32)
        old_id = CharField(max_length=64)
        incident_id = IntegerField(null=True, index=True)
        new_id = CharField(max_length=64, null=True)
        fingerprint = CharField(max_length=64)
        imported_at = DateTimeField()
        note = TextField(null=True)

        class Meta:
            database = db
            table_name = "imported_row"
            indexes = ((("source", "kind", "old_id"), True),)

    db.create_tables([ImportedRow])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "imported_row"')
    for table, column in (
        ("follow_up_action", "imported_key"),
        ("follow_up_action", "category"),
        ("follow_up_action", "priority"),
        ("follow_up_action", "due_at"),
        ("incident", "imported_from"),
        ("incident", "started_at"),
        ("incident", "report_only"),
    ):
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
