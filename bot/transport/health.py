"""Health endpoints for the orchestrator: liveness of the process's own loops, readiness to
take work (database, Socket Mode connection, not draining), Prometheus metrics, the drain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Blueprint, Response, request
from peewee import DatabaseError
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from models import db

log = logging.getLogger(__name__)

Check = Callable[[], bool]
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def database_ready() -> bool:
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
    except DatabaseError as error:
        log.warning("database not reachable", extra={"error": str(error).splitlines()[0]})
        return False
    return True


class Health:
    """What /livez and /readyz report, shared by the threads that serve and the one that stops.

    Alive: every loop registered with `watch` says it still turns (the serving thread's event
    loop, the Socket Mode client's receive and dispatch threads, the scheduler's thread, the
    thread retrying Slack at start). Nothing here asks Slack or the database: a restart cures
    a stuck process, never an outage elsewhere (it would only restart every replica at once).

    Ready: not draining, every condition registered with `require` holds (in Socket Mode: the
    connection is up), and the database answers.
    """

    def __init__(self, database: Check = database_ready) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._loops: dict[str, Check] = {}
        self._conditions: dict[str, tuple[Check, str]] = {}
        self._draining = threading.Event()

    def watch(self, name: str, turns: Check) -> None:
        """Liveness includes `turns()` (cheap, never blocking for long) from now on."""
        with self._lock:
            self._loops[name] = turns

    def unwatch(self, name: str) -> None:
        with self._lock:
            self._loops.pop(name, None)

    def require(self, name: str, holds: Check, reason: str) -> None:
        """Readiness includes `holds()`; `reason` is what /readyz says while it does not."""
        with self._lock:
            self._conditions[name] = (holds, reason)

    def start_draining(self) -> None:
        self._draining.set()

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def stuck(self) -> list[str]:
        """The loops that no longer turn (none: alive)."""
        with self._lock:
            loops = list(self._loops.items())
        return [name for name, turns in loops if not _holds(turns)]

    def not_ready(self) -> str | None:
        """Why no work should come here now; None when ready."""
        if self.draining:
            return "draining"
        with self._lock:
            conditions = list(self._conditions.values())
        for holds, reason in conditions:
            if not _holds(holds):
                return reason
        if not self._database():
            return "database unavailable"
        return None


def _holds(check: Check) -> bool:
    try:
        return bool(check())
    except Exception:  # a check that fails says no; the endpoint must still answer
        log.exception("health check failed")
        return False


def health_blueprint(
    health: Health | None = None,
    *,
    metrics: bool = True,
    drain: Callable[[], float] | None = None,
) -> Blueprint:
    """/livez: the process's own loops turn (restart it if not). /readyz and /healthz (the
    same, under the name the HTTP mode documented first): send work here (see Health).
    /metrics (if `metrics`): Prometheus text format. GET /drain (if `drain` is given, for a
    Kubernetes preStop hook): begin draining and answer when the drain period is over;
    `drain` does that and returns the seconds it waited."""
    health = health or Health()
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/livez")
    def livez() -> tuple[dict[str, object], int]:
        stuck = health.stuck()
        if stuck:
            return {"status": "stuck", "loops": stuck}, 503
        return {"status": "ok"}, 200

    @blueprint.get("/readyz")
    @blueprint.get("/healthz")
    def readyz() -> tuple[dict[str, str], int]:
        reason = health.not_ready()
        if reason is None:
            return {"status": "ok"}, 200
        return {"status": reason}, 503

    if metrics:

        @blueprint.get("/metrics")
        def metrics_text() -> Response:
            return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    if drain is not None:
        hold = drain

        @blueprint.get("/drain")
        def drain_now() -> tuple[dict[str, object], int]:
            # It stops the process: only from this machine (a preStop `exec`, an operator
            # on the pod), never from Prometheus or anything else that reaches the port.
            # SIGTERM drains the same way, so Kubernetes needs no hook for it.
            if request.remote_addr not in LOOPBACK:
                return {"status": "refused: only from this machine"}, 403
            waited = hold()
            return {"status": "drained", "waited_seconds": round(waited, 3)}, 200

    return blueprint
