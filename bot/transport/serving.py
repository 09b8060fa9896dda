"""How the App meets Slack: a Socket Mode connection, or signed HTTP behind a WSGI server;
the health port beside either, reaching Slack at start, and the bounded stop (drain first)."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, Generic, NamedTuple, TypeVar

from flask import Flask
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.errors import SlackApiError
from waitress import wasyncore
from waitress.server import create_server

from bot.config import Mode
from bot.domain.numbers import whole_number
from bot.transport import request_guard as http_guard
from bot.transport.health import Health, health_blueprint
from incident_common.environment import ConfigError

log = logging.getLogger(__name__)

# Slack waits 3 s for an answer; more threads than Bolt's listener pool would only queue.
HTTP_THREADS = 16


def create_http_app(bolt_app: App, health: Health | None = None, *, metrics: bool = True) -> Flask:
    """POST /slack/events for everything Slack sends (SlackEvents), and the health endpoints
    /livez, /readyz and /healthz. /metrics too unless `metrics` is off: `incident-bot run`
    turns it off, its metrics being on the health port; on, it suits a server of one port
    (testkit's in-process one).

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
    web.register_blueprint(health_blueprint(health, metrics=metrics))
    # Flask's own way to put WSGI middleware in front of it.
    web.wsgi_app = SlackEvents(bolt_app, secret, web.wsgi_app)  # type: ignore[method-assign]
    return web


def create_health_app(health: Health, drain: Callable[[], float] | None = None) -> Flask:
    """The health port's app: /livez, /readyz (and /healthz), /metrics, and GET /drain."""
    web = Flask("incident-bot-health")
    web.register_blueprint(health_blueprint(health, metrics=True, drain=drain))
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


# -- the shutdown budget ---------------------------------------------------------------------
# Every step of a stop has a bound, and their sum is what the pod's grace period must cover
# (the kubelet counts a preStop hook's time in terminationGracePeriodSeconds).

DRAIN_SECONDS = 10.0
"""Default `--drain-seconds`: how long the Slack port goes on answering once readiness says
503, so that every ingress has taken the pod out of its endpoints before the port closes
(Kubernetes says nothing when they have; removal usually reaches them within seconds)."""
REQUESTS_SECONDS = 6.0
"""Requests taken before the Slack port closed (HTTP mode), or envelopes in hand when the
connection closed (Socket Mode), finish within this. Slack stops waiting after 3 s; the rest
is for an event's listener to store what Slack would otherwise send again."""
CLOSE_SECONDS = 2.0
"""Per server, after its requests: the last answers flushed, the connections closed, its
loop ended."""
HEALTH_REQUESTS_SECONDS = 1.0
"""The health port's requests in hand at the very end (a probe, a scrape)."""
SCHEDULER_SECONDS = 5.0
"""A scheduler run in progress (a reminder being posted) finishes within this."""
AFTER_ACK_SECONDS = 10.0
"""Work after an ack (lazy listeners: opening a declared incident's channel) finishes
within this."""
EXIT_SECONDS = 1.0
"""Logs flushed, the interpreter gone."""


def worst_case_shutdown_seconds(drain_seconds: float = DRAIN_SECONDS) -> float:
    """The longest `incident-bot run` takes from SIGTERM (or GET /drain) to its exit: the
    drain, the Slack side's requests and close, the scheduler, the work after acks, the
    health port's close, the exit. (Socket Mode does not drain, so it takes less.)"""
    return (
        drain_seconds
        + REQUESTS_SECONDS
        + CLOSE_SECONDS
        + SCHEDULER_SECONDS
        + AFTER_ACK_SECONDS
        + HEALTH_REQUESTS_SECONDS
        + CLOSE_SECONDS
        + EXIT_SECONDS
    )


WORST_CASE_SHUTDOWN_SECONDS = worst_case_shutdown_seconds()  # 37 s with the default drain


class Step(NamedTuple):
    """One bounded step of a stop, run after serving has ended (the scheduler, the pools)."""

    name: str
    run: Callable[[], object]
    seconds: float


def bounded(step: str, action: Callable[[], object], seconds: float) -> bool:
    """Run `action` for at most `seconds` (in a daemon thread); False, logged, if it overran:
    it is left behind, and the process exits without waiting for it."""

    def run() -> None:
        try:
            action()
        except Exception:
            log.exception("shutdown step failed", extra={"step": step})

    thread = threading.Thread(target=run, name=f"stop-{step}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        log.warning("shutdown step cut short", extra={"step": step, "seconds": seconds})
        return False
    return True


# -- the HTTP servers -------------------------------------------------------------------------

HEALTH_THREADS = 4  # a held GET /drain takes one; probes and scrapes need the others
# How long the serving loop may take to turn once before /livez calls it stuck: it turns at
# least every second (waitress's select timeout) and at once when its trigger is pulled.
LOOP_CHECK_SECONDS = 1.5

T = TypeVar("T")


class HttpServer:
    """waitress (a production WSGI server) with a bounded stop that lets requests in flight
    finish and their answers go out.

    waitress has no public graceful stop; closing its sockets from another thread races its
    loop, so every close is handed to the loop thread through waitress's own trigger.
    """

    def __init__(
        self,
        wsgi_app: Flask,
        *,
        host: str,
        port: int,
        threads: int = HTTP_THREADS,
        name: str = "http",
    ):
        # Large bodies are spooled to disk by waitress and refused with 413 by the guard; a
        # waitress-level cap would cut the connection instead of answering.
        self.name = name
        self._server = create_server(
            wsgi_app, host=host, port=port, threads=threads, ident="incident-bot"
        )
        self._stopped = threading.Event()
        self._stopping = False

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_forever(self) -> None:
        log.info("listening", extra={"server": self.name, "port": self.port})
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def start(self) -> threading.Thread:
        """serve_forever in a daemon thread named after the server."""
        thread = threading.Thread(target=self.serve_forever, name=self.name, daemon=True)
        thread.start()
        return thread

    def loop_turns(self, timeout: float = LOOP_CHECK_SECONDS) -> bool:
        """Liveness: the loop that accepts, reads and writes every connection runs a callback
        within `timeout` (a pipe write and a wake-up; no request is made). True while a stop
        is under way: that is bounded, and not a reason to restart."""
        if self._stopping:
            return True
        if self._stopped.is_set():
            return False
        return self._in_loop(lambda: True, timeout) is True

    def stop(self, timeout: float = REQUESTS_SECONDS) -> bool:
        """Stop accepting; close each connection once it has nothing in hand (no request being
        read or run, no answer waiting to go out), for up to `timeout`; then close the rest
        and end the loop. Returns within `timeout` + CLOSE_SECONDS; True if nothing was cut."""
        self._stopping = True
        server = self._server
        started = time.monotonic()
        requests_until = started + timeout
        close_until = requests_until + CLOSE_SECONDS

        def left(until: float) -> float:
            return max(0.0, until - time.monotonic())

        # 1. No new connections.
        self._in_loop(lambda: wasyncore.dispatcher.close(server), left(close_until))
        # 2. Requests already taken are answered (their listeners finish: nothing half-done).
        busy = self._in_loop(self._close_idle, left(close_until))
        while busy and left(requests_until) > 0:
            time.sleep(min(0.02, left(requests_until)))
            busy = self._in_loop(self._close_idle, left(close_until))
        finished = busy == 0
        if not finished:
            log.warning(
                "requests still running at shutdown", extra={"server": self.name, "busy": busy}
            )

        # 3. Close what is left and take the trigger out of the loop's map, which ends the
        #    loop. The trigger's pipe stays open if a request thread outlived the timeout: it
        #    may still pull it, and must not hit a closed descriptor.
        def close_connections() -> None:
            for channel in list(server._map.values()):
                if channel is server.trigger:
                    server.trigger.del_channel()
                else:
                    channel.close()

        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(close_connections)
        ended = self._stopped.wait(left(close_until))
        if finished:  # the worker threads are idle: let them go
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=left(close_until))
            if ended:
                server.trigger.close()
        log.info(
            "closed",
            extra={"server": self.name, "seconds": round(time.monotonic() - started, 3)},
        )
        return finished and ended

    def _close_idle(self) -> int:
        """In the loop thread: close every connection with nothing in hand; how many remain."""
        busy = 0
        for channel in list(self._server.active_channels.values()):
            if channel.requests or channel.request is not None or channel.total_outbufs_len:
                busy += 1
            else:
                channel.handle_close()
        return busy

    def _in_loop(self, action: Callable[[], T], timeout: float) -> T | None:
        """`action()` run by the loop thread; None if it did not run within `timeout`."""
        done = threading.Event()
        result: list[T] = []

        def run() -> None:
            try:
                result.append(action())
            finally:
                done.set()

        try:
            self._server.trigger.pull_trigger(run)
        except OSError:  # the trigger is closed: the loop is gone
            return None
        if done.wait(timeout) and result:
            return result[0]
        return None


# -- draining ---------------------------------------------------------------------------------


class Drain:
    """Readiness answers 503 at once, while the Slack port goes on answering for `period`
    seconds (0 until HTTP serving has begun, and in Socket Mode, where Slack routes nothing
    through an ingress), then the stop goes on.

    Begun once, by GET /drain (a Kubernetes preStop hook) or by SIGTERM; beginning it again
    (the SIGTERM the kubelet sends after the hook) changes nothing.
    """

    def __init__(
        self,
        health: Health,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.period = 0.0
        self._health = health
        self._stop = stop
        self._clock = clock
        self._lock = threading.Lock()
        self._until: float | None = None

    def begin(self, trigger: str) -> float:
        """Begin draining unless it has begun; when it is (or was) over, on `clock`."""
        with self._lock:
            if self._until is None:
                self._until = self._clock() + self.period
                self._health.start_draining()
                log.info("draining", extra={"trigger": trigger, "seconds": self.period})
            until = self._until
        self._stop.set()
        return until

    def wait_over(self, trigger: str) -> float:
        """Begin (unless begun) and return once the drain period is over; seconds waited."""
        started = self._clock()
        remaining = self.begin(trigger) - started
        if remaining > 0:
            time.sleep(remaining)
        return self._clock() - started

    def hold(self) -> float:
        """GET /drain: its answer comes when the drain is over, so the kubelet, which sends
        SIGTERM only after its preStop hook returns, waits for it."""
        return self.wait_over("GET /drain")


# -- reaching Slack at start ------------------------------------------------------------------

RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
# The health port opens once the first attempt to reach Slack is over (or after this, if it
# is still waiting), so that a start that reaches Slack at once, the usual one, is ready at
# its first probe: with the port open before, the kubelet's startup probe would pass at
# once, the first readiness probe find the connection not quite up, and the pod wait a
# whole readiness period. A Slack that does not answer keeps the port closed no longer.
FIRST_ATTEMPT_GRACE_SECONDS = 2.0


def retry_delay(failures: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `failures`-th failed attempt to reach Slack: 1 s doubling up
    to 60 s, each drawn between half of that and all of it, so replicas that failed together
    do not come back together."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2.0 ** min(failures - 1, 16))
    return ceiling * (0.5 + 0.5 * rand())


def _why(error: Exception) -> str:
    """One short line on a failed attempt, without anything secret (tokens go in headers,
    never in URLs; the log formatter scrubs token-shaped text besides)."""
    code = _slack_error(error)
    if code is not None:
        return f"slack answered {code}"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


# Answers no retry can change: the token itself is refused (a new one needs a restart, to
# read the environment again). The process stops with a configuration error instead.
CREDENTIALS_REFUSED = frozenset(
    {
        "account_inactive",
        "invalid_auth",
        "not_allowed_token_type",
        "not_authed",
        "token_expired",
        "token_revoked",
    }
)


class SlackRefused(ConfigError):
    """Slack refused a token at start (see CREDENTIALS_REFUSED)."""


def _slack_error(error: BaseException) -> str | None:
    """Slack's error code, also from Bolt's BoltError around the auth.test it made."""
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, SlackApiError):
            response = cause.response
            return str(response.get("error") or response.status_code)
    return None


# What Bolt and slack_sdk log about each failed attempt (an error per HTTP try, a warning
# per App built): the one warning below says it, with the delay before the next one.
_CHATTY_LOGGERS = ("slack_bolt", "slack_sdk.web", "socket_mode")


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """Only while nothing else runs in the process (before serving has begun)."""
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, before, strict=True):
            logger.disabled = was


class _Attempts(Generic[T]):
    """keep_trying's thread: the attempts, their warnings and the waits between them."""

    def __init__(
        self,
        attempt: Callable[[], T],
        stop: threading.Event,
        what: str,
        delay: Callable[[int], float],
    ) -> None:
        self.attempt, self.stop, self.what, self.delay = attempt, stop, what, delay
        self.result: list[T] = []
        self.refused: list[SlackRefused] = []
        self.tried = threading.Event()  # the first attempt failed
        self.done = threading.Event()  # succeeded, or refused for good

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                with _quietly():
                    self.result.append(self.attempt())
            except Exception as error:
                failures += 1
                if not self._again(error, failures):
                    return
            else:
                self.done.set()
                return

    def _again(self, error: Exception, failures: int) -> bool:
        code = _slack_error(error)
        if code in CREDENTIALS_REFUSED:
            self.refused.append(SlackRefused(f"Slack refused the token at {self.what}: {code}"))
            self.done.set()
            return False
        wait = self.delay(failures)
        log.warning(
            "slack not reachable",
            extra={
                "step": self.what,
                "attempt": failures,
                "retry_in_seconds": round(wait, 2),
                "error": _why(error),
            },
        )
        self.tried.set()
        return not self.stop.wait(wait)


def keep_trying(
    attempt: Callable[[], T],
    stop: threading.Event,
    health: Health,
    *,
    what: str,
    delay: Callable[[int], float] = retry_delay,
    first_over: Callable[[], None] = lambda: None,
    grace: float = FIRST_ATTEMPT_GRACE_SECONDS,
) -> T | None:
    """`attempt()` until it succeeds or `stop` is set, waiting `delay(n)` after the n-th
    failure, each logged once as a warning naming the next delay. None if stopped first;
    SlackRefused if Slack refused the token itself (no retry would change that).

    The attempts run in a thread of their own, so a SIGTERM is obeyed at once even while one
    waits on Slack (a connect timeout, a Retry-After); liveness watches that thread.
    `first_over()` is called (in the calling thread) once the first attempt is over, or
    after `grace` seconds if it is still waiting.
    """
    attempts = _Attempts(attempt, stop, what, delay)
    thread = threading.Thread(target=attempts.run, name="reach-slack", daemon=True)
    health.watch("reach-slack", lambda: thread.is_alive() or attempts.done.is_set())
    began = time.monotonic()
    thread.start()
    told = False
    while not stop.is_set() and not attempts.done.wait(0.05):
        if not told and (attempts.tried.is_set() or time.monotonic() - began >= grace):
            told = True
            first_over()
    health.unwatch("reach-slack")
    if attempts.refused:
        raise attempts.refused[0]
    if not told and attempts.done.is_set():
        first_over()
    return attempts.result[0] if attempts.done.is_set() else None


# -- Socket Mode --------------------------------------------------------------------------------


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


def socket_loops_turn(handler: SocketModeHandler) -> bool:
    """Liveness in Socket Mode: the client's threads that read the connection, dispatch
    envelopes and replace a lost connection are running, connected or not (a lost
    connection is the client's to replace, and says nothing about this process)."""
    link = handler.client  # not a Web API client: the Socket Mode one
    if link.closed:
        return True
    # The monitor, once started, is what replaces a lost connection.
    monitor = link.current_app_monitor.is_alive() or not link.current_app_monitor_started
    return bool(
        link.message_processor.is_alive() and link.current_session_runner.is_alive() and monitor
    )


def close_socket(handler: SocketModeHandler, queued_seconds: float = 1.0) -> None:
    """Close the connection now (Slack sends what this process has not acked to another
    connection), hand what was already read to the workers, then wait for them to finish.

    What is handled after the close cannot be acked any more: Slack sends it again, and the
    replica that gets it finds it stored (idempotency lives in the schema)."""
    link = handler.client
    link.auto_reconnect_enabled = False  # or the close below would dial a new connection
    link.disconnect()
    # Envelopes read but not yet dispatched: the processor takes them within milliseconds.
    until = time.monotonic() + queued_seconds
    while not link.message_queue.empty() and time.monotonic() < until:
        time.sleep(0.01)
    # The message processor stops now, instead of after its 1 s queue poll.
    link.closed = True
    link.message_queue.put(None)
    handler.close()


def _serve_socket(
    build: Callable[[], App],
    app_token: str,
    *,
    stop: threading.Event,
    health: Health,
    open_health_port: Callable[[], None],
    on_started: Callable[[], None],
) -> bool:
    made: list[SocketModeHandler] = []
    built: list[App] = []

    def connected() -> bool:
        if not made:
            return False
        link = made[0].client
        return bool(link.is_connected())

    health.require("slack", connected, "socket mode not connected")

    def connect() -> SocketModeHandler:
        if not built:
            built.append(build())
        if not made:
            handler = make_socket_handler(built[0], app_token)
            made.append(handler)
            health.watch("socket mode", lambda: socket_loops_turn(handler))
        handler = made[0]
        handler.client.wss_uri = None  # URLs are single-use: a failed attempt's is spent
        handler.connect()
        return handler

    reached = keep_trying(connect, stop, health, what="connect", first_over=open_health_port)
    if reached is not None:
        log.info("socket mode connected")
        on_started()
        stop.wait()
    health.start_draining()
    if not made:
        return True
    return bounded("socket mode", lambda: close_socket(made[0]), REQUESTS_SECONDS + CLOSE_SECONDS)


# -- HTTP mode ----------------------------------------------------------------------------------


def _serve_http(
    build: Callable[[], App],
    *,
    host: str,
    port: int,
    stop: threading.Event,
    health: Health,
    drain: Drain,
    drain_seconds: float,
    open_health_port: Callable[[], None],
    on_started: Callable[[], None],
) -> bool:
    serving = threading.Event()
    health.require("serving", serving.is_set, "starting")
    app = keep_trying(build, stop, health, what="start", first_over=open_health_port)
    if app is None:
        return True
    server = HttpServer(
        create_http_app(app, health, metrics=False), host=host, port=port, name="slack-events"
    )
    server.start()
    health.watch("slack-events", server.loop_turns)
    drain.period = drain_seconds
    serving.set()
    on_started()
    stop.wait()
    waited = drain.wait_over("signal")
    log.info("drained", extra={"seconds": round(waited, 3)})
    return server.stop(REQUESTS_SECONDS)


# -- both -------------------------------------------------------------------------------------


def serve(
    mode: str,
    build: Callable[[], App],
    *,
    stop: threading.Event,
    health: Health | None = None,
    app_token: str = "",
    host: str = "0.0.0.0",
    port: int = 3000,
    health_port: int | None = None,
    drain_seconds: float = DRAIN_SECONDS,
    on_started: Callable[[], None] = lambda: None,
    afterwards: Sequence[Step] = (),
) -> bool:
    """`incident-bot run` from start to stop, in Socket Mode or HTTP mode.

    1. `build()` (the App; it calls auth.test) and, in Socket Mode, the connection are tried
       until they succeed (`keep_trying`); `stop` ends that at once. The health port
       (`health_port`; None: none: /livez, /readyz, /metrics, GET /drain) opens once the
       first attempt is over (FIRST_ATTEMPT_GRACE_SECONDS at most), before any retry.
    2. Then `on_started()`.
    3. Serving until `stop` is set (SIGTERM, or GET /drain, which sets it too).
    4. HTTP mode drains for `drain_seconds` (see Drain); then the Slack port closes and the
       requests taken finish (REQUESTS_SECONDS). Socket Mode closes its connection at once
       and lets the envelopes in hand finish (REQUESTS_SECONDS).
    5. `afterwards`, each within its seconds; last, the health port closes.

    True when nothing was cut short; otherwise threads may still be at work, which the caller
    must not wait for (see worst_case_shutdown_seconds for the bound on all of it).
    """
    health = health or Health()
    drain = Drain(health, stop)
    opened: list[HttpServer] = []

    def open_health_port() -> None:
        if health_port is not None and not opened:
            server = HttpServer(
                create_health_app(health, drain.hold),
                host=host,
                port=health_port,
                threads=HEALTH_THREADS,
                name="health",
            )
            server.start()
            opened.append(server)

    finished = False
    try:
        if mode == Mode.SOCKET:
            finished = _serve_socket(
                build,
                app_token,
                stop=stop,
                health=health,
                open_health_port=open_health_port,
                on_started=on_started,
            )
        else:
            finished = _serve_http(
                build,
                host=host,
                port=port,
                stop=stop,
                health=health,
                drain=drain,
                drain_seconds=drain_seconds,
                open_health_port=open_health_port,
                on_started=on_started,
            )
    finally:
        for step in afterwards:
            finished = bounded(step.name, step.run, step.seconds) and finished
        for server in opened:
            finished = server.stop(HEALTH_REQUESTS_SECONDS) and finished
    return finished
