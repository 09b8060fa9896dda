"""Views of private incidents, appended to the audit log.

The viewer's own connection is read-only at the database level, so this module holds a
second, writable connection used for one statement only: INSERT INTO audit_entry. In
PostgreSQL give it a role that may do nothing else (VIEWER_AUDIT_DATABASE_URL; see the
README for the grant); audit_entry's triggers refuse UPDATE and DELETE whoever asks.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from peewee import Database, DatabaseError
from werkzeug.exceptions import ServiceUnavailable

from models import AuditEntry, Incident, Source
from models.db import make_database
from models.fields import utcnow
from viewer import metrics
from viewer.auth.user import User

log = logging.getLogger(__name__)

AUDIT_KEY = "viewer.audit_database"
SOURCE = Source.VIEWER
ACTION = "viewed"


def register(app: Flask, url: str) -> None:
    # Built, not connected: a viewer that never shows a private incident never connects.
    database = make_database(url)
    if hasattr(database, "max_connections"):
        database.max_connections = 4  # one short insert at a time per request thread
    app.extensions[AUDIT_KEY] = database


def audit_database(app: Flask) -> Database:
    return app.extensions[AUDIT_KEY]


def record_view(incident: Incident, user: User | None) -> None:
    """Append one "viewed" row for this request, or refuse the view (503) if it cannot."""
    details = {
        "path": request.path,
        "view": request.endpoint,
        "email": user.email if user else None,
        "subject": user.subject if user else None,
        "remote_addr": request.remote_addr,
    }
    # Built on the model (for its column types) but bound to the audit connection only, and
    # without RETURNING, which would need SELECT on the table too.
    query = AuditEntry.insert(
        incident=incident.id,
        at=utcnow(),
        actor_id=user.slack_user_id if user else None,
        source=SOURCE,
        action=ACTION,
        details=details,
    ).returning()
    database = audit_database(current_app)
    try:
        with database.connection_context():
            query.bind(database).execute()
    except DatabaseError as error:
        log.error("view of private incident %s not audited: %s", incident.id, error)
        raise ServiceUnavailable(
            "This incident is private and every view of it is recorded; the record could not "
            "be written just now. Try again in a few minutes."
        ) from error
    metrics.PRIVATE_VIEWS.inc()
    log.info(
        "private incident viewed",
        extra={"incident": incident.id, "slack_user": user.slack_user_id if user else None},
    )
