"""Lifecycle milestones, status history, follow-up actions, the append-only audit log,
delivery keys, and timeline entries that know their sources, edits and deletions."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    Model,
    PostgresqlDatabase,
    TextField,
)

# Frozen copies, as in 0001: later changes to models/ must not change this migration.


def up(migrator, db):
    class Incident(Model):
        class Meta:
            database = db
            table_name = "incident"

    class StatusChange(Model):
        incident = ForeignKeyField(Incident, on_delete="CASCADE")
        from_status = CharField(max_length=20, null=True)
        status = CharField(max_length=20)
        changed_at = DateTimeField()
        changed_by = CharField(max_length=32, null=True)
        source = CharField(max_length=16, default="command")

        class Meta:
            database = db
            table_name = "status_change"
            indexes = ((("incident", "changed_at"), False),)

    class FollowUpAction(Model):
        incident = ForeignKeyField(Incident, on_delete="CASCADE")
        title = TextField()
        owner_id = CharField(max_length=32, null=True)
        created_by = CharField(max_length=32, null=True)
        created_at = DateTimeField()
        done = BooleanField(default=False)
        done_by = CharField(max_length=32, null=True)
        done_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "follow_up_action"

    class AuditEntry(Model):
        incident = ForeignKeyField(Incident, null=True, on_delete="RESTRICT")
        at = DateTimeField()
        actor_id = CharField(max_length=32, null=True)
        source = CharField(max_length=16)
        action = CharField(max_length=32)
        old_value = TextField(null=True)
        new_value = TextField(null=True)
        details = TextField(null=True)

        class Meta:
            database = db
            table_name = "audit_entry"

    class Delivery(Model):
        key = CharField(max_length=128, primary_key=True)
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = "delivery"

    db.create_tables([StatusChange, FollowUpAction, AuditEntry, Delivery])

    migrator.migrate(
        *(
            migrator.add_column("incident", name, DateTimeField(null=True))
            for name in (
                "acknowledged_at",
                "identified_at",
                "mitigated_at",
                "resolved_at",
                "last_update_at",
                "channel_archived_at",
            )
        ),
        migrator.add_column("timeline_event", "pinned", BooleanField(default=False)),
        migrator.add_column("timeline_event", "reacted", BooleanField(default=False)),
        migrator.add_column("timeline_event", "shortcut", BooleanField(default=False)),
        migrator.add_column("timeline_event", "source", CharField(max_length=16, null=True)),
        migrator.add_column("timeline_event", "details", TextField(null=True)),
        migrator.add_column("timeline_event", "edited_at", DateTimeField(null=True)),
        migrator.add_column("timeline_event", "deleted_at", DateTimeField(null=True)),
        migrator.add_index("incident", ("reported_at",), False),
        migrator.add_index("incident", ("status", "reported_at"), False),
    )
    # Every existing message entry came from a pin.
    db.execute_sql(
        "UPDATE timeline_event SET pinned = %s WHERE kind = 'pin'"
        % ("true" if isinstance(db, PostgresqlDatabase) else "1")
    )

    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END; $$ LANGUAGE plpgsql"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry "
                "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END"
            )
