"""The audit writer: a view of a private incident is shown only once it is recorded, and the
PostgreSQL role the README documents can append audit rows and do nothing else."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse, urlunparse

import psycopg2
import pytest
from peewee import DatabaseError

from models import AuditEntry, Incident
from models.db import make_database
from viewer import create_app
from viewer.config import Settings
from viewer.database import close_all

# The grant in the README, word for word (the role name aside).
GRANT = """
CREATE ROLE {role} LOGIN PASSWORD 'audit-test';
GRANT INSERT ON audit_entry TO {role};
GRANT USAGE ON SEQUENCE audit_entry_id_seq TO {role};
"""


def test_a_view_that_cannot_be_recorded_is_not_shown(make_app, seed) -> None:
    public = seed.incident(title="Public outage")
    private = seed.incident(title="Secret breach", is_private=True)
    client = make_app(
        show_private=True, audit_database_url="postgresql://nobody@127.0.0.1:9/nothing"
    ).test_client()
    response = client.get(f"/incidents/{private.id}")
    assert response.status_code == 503
    assert "Secret breach" not in response.get_data(as_text=True)
    assert client.get(f"/api/incidents/{private.id}").status_code == 503
    assert client.get(f"/incidents/{public.id}").status_code == 200


def _as(url: str, role: str) -> str:
    parsed = urlparse(url)
    return urlunparse(
        parsed._replace(netloc=f"{role}:audit-test@{parsed.hostname}:{parsed.port or 5432}")
    )


def test_the_documented_grant_allows_the_audit_insert_and_nothing_else(postgres_url) -> None:
    role = f"viewer_audit_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    owner = make_database(postgres_url)
    app = None
    try:
        with admin.cursor() as cursor:
            cursor.execute(GRANT.format(role=role))
        with owner.bind_ctx([Incident]), owner.connection_context():
            private = Incident.create(
                title="Secret breach",
                reporter_id="U1",
                is_private=True,
                channel_id=f"C{uuid.uuid4().hex[:10].upper()}",
            )
        audit_url = _as(postgres_url, role)
        app = create_app(
            Settings(database_url=postgres_url, show_private=True, audit_database_url=audit_url)
        )
        assert app.test_client().get(f"/incidents/{private.id}").status_code == 200
        with owner.bind_ctx([AuditEntry]), owner.connection_context():
            (entry,) = AuditEntry.select().where(AuditEntry.incident == private.id)
        assert (entry.source, entry.action) == ("viewer", "viewed")

        restricted = make_database(audit_url)
        with restricted.connection_context():
            for sql in (
                "SELECT title FROM incident",
                "SELECT * FROM audit_entry",
                "UPDATE incident SET title = 'x'",
                "DELETE FROM audit_entry",
                "INSERT INTO incident (title) VALUES ('x')",
                "UPDATE audit_entry SET action = 'x'",
            ):
                with pytest.raises(DatabaseError, match="permission denied"):
                    restricted.execute_sql(sql)
                restricted.rollback()
        restricted.close_all()
    finally:
        if app is not None:
            close_all(app)
        owner.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}")
        admin.close()
