"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server."""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, request
from slack_bolt import App
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from waitress import wasyncore
from waitress.server import create_server

from bot import http_guard
from bot.health import health_blueprint

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer; more threads than Bolt's listener pool would only queue.
HTTP_THREADS = 16


def create_http_app(bolt_app: App) -> Flask:
    """POST /slack/events for everything Slack sends, and the health endpoints.

    Each request is checked by bot.http_guard (size, signature, well-formed body) before
    Bolt builds its request from it; Bolt then verifies the signature again, as it always does.
    """
    web = Flask("incident-bot")
    # Werkzeug enforces this too when anything reads the body (chunked bodies included).
    web.config["MAX_CONTENT_LENGTH"] = http_guard.MAX_BODY_BYTES
    # Bolt keeps the secret it was built with (bot.app passes Settings.signing_secret) and
    # offers no accessor. An empty one is refused here, at start, not on the first request.
    secret = getattr(bolt_app, "_signing_secret", "") or ""
    if not secret.strip():
        raise ValueError("HTTP mode needs a signing secret")

    @web.post("/slack/events")
    def slack_events() -> Response:
        try:
            raw = http_guard.read_limited(request.content_length, request.stream.read)
            headers = dict(request.headers)
            checked = http_guard.check(secret, raw, headers, request.headers.get("Content-Type"))
            bolt_request = _bolt_request(checked.text, headers)
        except http_guard.Refused as refused:
            log.info(
                "http request refused", extra={"status": refused.status, "reason": refused.reason}
            )
            return Response(
                http_guard.error_body(refused.reason),
                status=refused.status,
                content_type="application/json;charset=utf-8",
            )
        return to_flask_response(bolt_app.dispatch(bolt_request))

    web.register_blueprint(health_blueprint())
    return web


def _bolt_request(text: str, headers: dict[str, str]) -> BoltRequest:
    """Bolt's own request from the checked body (400 if Bolt still cannot read it)."""
    try:
        return BoltRequest(
            body=text,
            query=request.query_string.decode("utf-8", errors="replace"),
            headers=dict(headers),
        )
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        raise http_guard.Refused(400, "malformed payload") from error


class HttpServer:
    """waitress (a production WSGI server) with a stop that lets requests in flight finish.

    waitress has no public graceful stop; closing its sockets from another thread races its
    loop, so every close is handed to the loop thread through waitress's own trigger.
    """

    def __init__(self, wsgi_app: Flask, *, host: str, port: int, threads: int = HTTP_THREADS):
        # Large bodies are spooled to disk by waitress and refused with 413 by the guard; a
        # waitress-level cap would cut the connection instead of answering.
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


# The builtin client notices a dead connection only from its monitor, which runs every
# ping_interval and gives up on a connection after 4 intervals without a pong: Bolt's default
# (10 s) leaves a cut or silent connection unnoticed for 10-50 s. Half a second finds either
# within about 3 s, for two small frames a second.
SOCKET_PING_INTERVAL = 0.5


def make_socket_handler(bolt_app: App, app_token: str) -> SocketModeHandler:
    """The handler's client asks bolt_app.client (so SLACK_API_URL) for connection URLs and
    reconnects by itself on every `disconnect` frame and lost connection."""
    return SocketModeHandler(
        bolt_app,
        app_token=app_token,
        logger=logging.getLogger("socket_mode"),
        ping_interval=SOCKET_PING_INTERVAL,
    )


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
