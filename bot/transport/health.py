"""Health endpoints for the orchestrator: liveness of the process, readiness of the database."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response
from peewee import DatabaseError
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from models import db

log = logging.getLogger(__name__)


def database_ready() -> bool:
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
    except DatabaseError as error:
        log.warning("database not reachable", extra={"error": str(error).splitlines()[0]})
        return False
    return True


def health_blueprint(is_alive: Callable[[], bool] = lambda: True) -> Blueprint:
    """/livez: the process (and, in Socket Mode, its connection) works; restart it if not.
    /readyz and /healthz: the database answers; stop sending work here if not.
    /metrics: Prometheus text format."""
    health = Blueprint("health", __name__)

    @health.get("/livez")
    def livez() -> tuple[dict[str, str], int]:
        if is_alive():
            return {"status": "ok"}, 200
        return {"status": "not connected"}, 503

    @health.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    @health.get("/readyz")
    @health.get("/healthz")
    def readyz() -> tuple[dict[str, str], int]:
        if database_ready():
            return {"status": "ok"}, 200
        return {"status": "database unavailable"}, 503

    return health
