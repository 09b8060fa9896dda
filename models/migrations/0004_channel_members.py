"""Members of incident channels (for the viewer's access to private incidents)."""

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class ChannelMember(Model):
        channel_id = CharField(max_length=32)
        user_id = CharField(max_length=32)
        joined_at = DateTimeField()

        class Meta:
            database = db
            table_name = "channel_member"
            indexes = ((("channel_id", "user_id"), True), (("user_id",), False))

    db.create_tables([ChannelMember])


def down(migrator, db):
    db.execute_sql("DROP TABLE channel_member")
