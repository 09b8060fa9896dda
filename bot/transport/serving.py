"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from waitress import wasyncore
from waitress.server import create_server

from bot.domain.numbers import whole_number
from bot.transport import request_guard as http_guard
from bot.transport.health import health_blueprint

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer; more threads than Bolt's listener pool would only queue.
HTTP_THREADS = 16


def create_http_app(bolt_app: App) -> Flask:
    """POST /slack/events for everything Slack sends (SlackEvents), and the health endpoints.

    Each delivery is checked by bot.transport.request_guard (size, signature, well-formed
    body) before Bolt builds its request from it; Bolt then verifies the signature again, as
    it always does.
    """
    web = Flask("incident-bot")
    web.config["MAX_CONTENT_LENGTH"] = http_guard.MAX_BODY_BYTES  # for the Flask routes
    # Bolt keeps the secret it was built with (bot.transport.app passes Settings.signing_secret) and
    # offers no accessor. An empty one is refused here, at start, not on the first request.
    secret = getattr(bolt_app, "_signing_secret", "") or ""
    if not secret.strip():
        raise ValueError("HTTP mode needs a signing secret")
    web.register_blueprint(health_blueprint())
    # Flask's own way to put WSGI middleware in front of it.
    web.wsgi_app = SlackEvents(bolt_app, secret, web.wsgi_app)  # type: ignore[method-assign]
    return web


StartResponse = Callable[..., Any]
WsgiApp = Callable[..., Iterable[bytes]]


class SlackEvents:
    """POST /slack/events as plain WSGI, in front of the Flask app that serves the rest.

    Slack's deliveries skip Flask's request context, routing and response objects, which
    cost about as much as Bolt's own dispatch of a pin; the health endpoints (and anything
    else, a GET on /slack/events included) go on to Flask.
    """

    PATH = "/slack/events"

    def __init__(self, bolt_app: App, secret: str, fallback: WsgiApp) -> None:
        self.bolt_app = bolt_app
        self.secret = secret
        self.fallback = fallback

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.fallback(environ, start_response)
        status, headers, body = self.answer(environ)
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_reason(status)}", headers)
        return [body]

    def answer(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = _headers(environ)
        try:
            raw = http_guard.read_limited(_content_length(environ), environ["wsgi.input"].read)
            if http_guard.is_ssl_check(raw, headers.get("Content-Type")):
                return 200, [("Content-Type", "text/plain;charset=utf-8")], b""
            checked = http_guard.check(self.secret, raw, headers, headers.get("Content-Type"))
            bolt_request = _bolt_request(checked, headers, environ.get("QUERY_STRING", ""))
        except http_guard.Refused as refused:
            log.info(
                "http request refused", extra={"status": refused.status, "reason": refused.reason}
            )
            return (
                refused.status,
                [("Content-Type", "application/json;charset=utf-8")],
                http_guard.error_body(refused.reason).encode(),
            )
        response = self.bolt_app.dispatch(bolt_request)
        out = [
            (name, value)
            for name, values in response.headers.items()
            if name.lower() != "content-length"  # set by __call__ from the encoded body
            for value in values
        ]
        if not any(name.lower() == "content-type" for name, _ in out):
            out.append(("Content-Type", "text/plain;charset=utf-8"))
        return response.status, out, (response.body or "").encode("utf-8")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers by their usual names, from the WSGI environ."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    return headers


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared length; None when there is none (chunked) or it is not a number, so the
    body is read up to the limit instead."""
    value = str(environ.get("CONTENT_LENGTH") or "").strip()
    return whole_number(value)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class ParsedRequest(BoltRequest):
    """Bolt's request carrying the body as the guard parsed it by its content type, in the
    request and in every copy Bolt makes of it (it copies the request for each lazy
    listener, and would parse the raw text again and guess wrong, see http_guard.parse).
    The raw text stays, for Bolt's own signature check."""

    @classmethod
    def of(cls, checked: http_guard.Checked, headers: dict[str, str], query: str) -> BoltRequest:
        request = cls(body=checked.text, query=query, headers=dict(headers))
        request.body = checked.body
        request.context = build_context(BoltContext(), checked.body)
        return request

    def to_copyable(self) -> BoltRequest:
        copy = super().to_copyable()
        copy.body = self.body
        return copy


def _bolt_request(checked: http_guard.Checked, headers: dict[str, str], query: str) -> BoltRequest:
    """Bolt's own request from the checked body (400 if Bolt still cannot read it)."""
    try:
        return ParsedRequest.of(checked, headers, query)
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


def make_socket_handler(bolt_app: App, app_token: str) -> SocketModeHandler:
    """The handler's client asks bolt_app.client (so SLACK_API_URL) for connection URLs and
    reconnects by itself on every `disconnect` frame and lost connection.

    slack_sdk's own ping default is kept (SocketModeClient's 5 s; Bolt's handler would pick
    10): a dropped connection is replaced within about 10 s, a silent one after 20 s
    without a pong. A shorter interval notices a dead link sooner, but gives up on a
    healthy one whenever the process is busy for a few seconds, and every reconnect spends
    apps.connections.open's Tier 1 budget; Slack redelivers what a dead link swallowed.
    """
    return SocketModeHandler(
        bolt_app,
        app_token=app_token,
        logger=logging.getLogger("socket_mode"),
        ping_interval=SOCKET_PING_INTERVAL,
    )


SOCKET_PING_INTERVAL = 5.0  # slack_sdk.socket_mode.SocketModeClient's default


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
