"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server."""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from waitress import wasyncore
from waitress.server import create_server

from bot.health import health_blueprint

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer; more threads than Bolt's listener pool would only queue.
HTTP_THREADS = 16


def create_http_app(bolt_app: App) -> Flask:
    """POST /slack/events for everything Slack sends, and the health endpoints."""
    web = Flask("incident-bot")
    handler = SlackRequestHandler(bolt_app)

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    web.register_blueprint(health_blueprint())
    return web


class HttpServer:
    """waitress (a production WSGI server) with a stop that lets requests in flight finish.

    waitress has no public graceful stop; closing its sockets from another thread races its
    loop, so every close is handed to the loop thread through waitress's own trigger.
    """

    def __init__(self, wsgi_app: Flask, *, host: str, port: int, threads: int = HTTP_THREADS):
        self._server = create_server(
            wsgi_app, host=host, port=port, threads=threads, ident="incident-bot"
        )
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
        finished = not server.task_dispatcher.threads
        if not finished:
            log.warning("http requests still running at shutdown")
        # 3. Close the connections and take the trigger out of the loop's map, which ends the
        #    loop. The trigger's pipe stays open until the loop is gone: a request thread that
        #    outlived the timeout may still pull it, and must not hit a closed descriptor.
        def close_connections() -> None:
            for channel in list(server._map.values()):
                if channel is server.trigger:
                    server.trigger.del_channel()
                else:
                    channel.close()

        server.trigger.pull_trigger(close_connections)
        if self._stopped.wait(timeout) and finished:
            server.trigger.close()

def serve_http(bolt_app: App, *, host: str, port: int, stop: threading.Event | None = None) -> None:
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


def serve_socket(
    bolt_app: App,
    app_token: str,
    *,
    stop: threading.Event | None = None,
    health_host: str = "0.0.0.0",
    health_port: int | None = None,
) -> None:
    """Connect, then hold the connection until `stop`; health on its own port if asked."""
    handler = make_socket_handler(bolt_app, app_token)
    handler.connect()
    log.info("socket mode connected")
    health: HttpServer | None = None
    if health_port is not None:
        web = Flask("incident-bot-health")
        web.register_blueprint(health_blueprint(is_alive=handler.client.is_connected))
        health = HttpServer(web, host=health_host, port=health_port, threads=2)
        threading.Thread(target=health.serve_forever, name="health", daemon=True).start()
    try:
        (stop or threading.Event()).wait()
    finally:
        handler.close()
        if health is not None:
            health.stop()
