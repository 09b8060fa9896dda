"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server."""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, request
from peewee import DatabaseError
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from waitress import wasyncore
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


class HttpServer:
    """waitress (a production WSGI server) with a stop that lets requests in flight finish.

    waitress has no public graceful stop; closing its sockets from another thread races its
    loop, so every close is handed to the loop thread through waitress's own trigger.
    """

    def __init__(self, wsgi_app: Flask, *, host: str, port: int, threads: int = HTTP_THREADS):
        self._server = create_server(wsgi_app, host=host, port=port, threads=threads,
                                     ident="incident-bot")
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_forever(self) -> None:
        log.info("http mode listening", extra={"port": self.port})
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def stop(self, timeout: float = 10.0) -> None:
        server = self._server
        # 1. No new connections.
        server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))
        # 2. Requests already taken are answered (their listeners finish: nothing half-done).
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)
        # 3. Close what is left, which ends the loop.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self._stopped.wait(timeout)


def serve_http(bolt_app: App, *, host: str, port: int,
               stop: threading.Event | None = None) -> None:
    """Serve until `stop` is set, then finish the requests in flight."""
    server = HttpServer(create_http_app(bolt_app), host=host, port=port)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    (stop or threading.Event()).wait()
    server.stop()
    thread.join(5)


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
