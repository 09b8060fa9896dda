"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server."""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, request
from peewee import DatabaseError
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from waitress.server import create_server

from models import db

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer; more threads than Bolt's listener pool would only queue.
HTTP_THREADS = 16


def database_ready() -> bool:
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
    except DatabaseError as error:
        log.warning("database not reachable", extra={"error": str(error).splitlines()[0]})
        return False
    return True


def create_http_app(bolt_app: App) -> Flask:
    """POST /slack/events for everything Slack sends; GET /healthz for the orchestrator."""
    web = Flask("incident-bot")
    handler = SlackRequestHandler(bolt_app)

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        if database_ready():
            return {"status": "ok"}, 200
        return {"status": "database unavailable"}, 503

    return web


def serve_http(
    bolt_app: App, *, host: str, port: int, ready: threading.Event | None = None
) -> None:
    """Serve with waitress (a production WSGI server) until interrupted."""
    server = create_server(
        create_http_app(bolt_app), host=host, port=port, threads=HTTP_THREADS, ident="incident-bot"
    )
    log.info("http mode listening", extra={"host": host, "port": server.effective_port})
    if ready is not None:
        ready.set()
    try:
        server.run()
    finally:
        server.close()


def make_socket_handler(bolt_app: App, app_token: str) -> SocketModeHandler:
    """The handler's client asks bolt_app.client (so SLACK_API_URL) for connection URLs and
    reconnects by itself on every `disconnect` frame and lost connection."""
    return SocketModeHandler(bolt_app, app_token=app_token, logger=logging.getLogger("socket_mode"))


def serve_socket(bolt_app: App, app_token: str, *, stop: threading.Event | None = None) -> None:
    handler = make_socket_handler(bolt_app, app_token)
    handler.connect()
    log.info("socket mode connected")
    stop = stop or threading.Event()
    try:
        stop.wait()
    finally:
        handler.close()
