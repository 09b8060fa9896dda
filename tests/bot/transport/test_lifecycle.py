"""The bot's start and stop, in process: retry delays, the drain, what liveness and readiness
look at, the health port's paths, the waitress stop that lets answers go out, the bound."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time

import pytest
from flask import Flask
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot import cli
from bot.transport import serving
from bot.transport.health import Health, health_blueprint
from bot.transport.serving import (
    CLOSE_SECONDS,
    DRAIN_SECONDS,
    WORST_CASE_SHUTDOWN_SECONDS,
    Drain,
    HttpServer,
    SlackRefused,
    create_health_app,
    keep_trying,
    retry_delay,
    worst_case_shutdown_seconds,
)

# deploy/ sets terminationGracePeriodSeconds to 45; the stop must end well inside it.
GRACE_PERIOD_SECONDS = 45
SHUTDOWN_BUDGET_SECONDS = 40


def test_the_worst_case_stop_with_the_default_drain_fits_the_grace_period() -> None:
    assert worst_case_shutdown_seconds() == WORST_CASE_SHUTDOWN_SECONDS
    assert WORST_CASE_SHUTDOWN_SECONDS <= SHUTDOWN_BUDGET_SECONDS < GRACE_PERIOD_SECONDS
    # The drain is part of it, second for second.
    assert worst_case_shutdown_seconds(0) == WORST_CASE_SHUTDOWN_SECONDS - DRAIN_SECONDS
    assert worst_case_shutdown_seconds(25) == WORST_CASE_SHUTDOWN_SECONDS + 15


def test_the_cli_default_drain_is_the_serving_default() -> None:
    assert cli.DRAIN_SECONDS == DRAIN_SECONDS
    parsed = cli._parser().parse_args(["run", "--mode", "http", "--port", "3000"])
    assert (parsed.drain_seconds, parsed.health_port) == (DRAIN_SECONDS, 8081)
    parsed = cli._parser().parse_args(["run", "--health-port", "0", "--drain-seconds", "2.5"])
    assert (parsed.drain_seconds, parsed.health_port) == (2.5, 0)
    for bad in ("-1", "soon", "301"):
        with pytest.raises(SystemExit):
            cli._parser().parse_args(["run", "--drain-seconds", bad])


def test_retry_delays_double_from_one_second_up_to_a_minute_with_jitter() -> None:
    lowest = [retry_delay(n, rand=lambda: 0.0) for n in range(1, 10)]
    highest = [retry_delay(n, rand=lambda: 1.0) for n in range(1, 10)]
    assert highest == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert lowest == [h / 2 for h in highest]
    assert retry_delay(10_000) <= 60


def test_keep_trying_logs_each_failure_once_with_the_next_delay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = iter([OSError("Connection refused"), OSError("Connection refused")])

    def attempt() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "connected"

    health = Health(database=lambda: True)
    opened: list[float] = []
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.transport.serving"):
        result = keep_trying(
            attempt,
            threading.Event(),
            health,
            what="connect",
            delay=lambda n: 0.05 * n,
            first_over=lambda: opened.append(time.monotonic() - started),
        )
    assert result == "connected"
    warnings = [r for r in caplog.records if r.getMessage() == "slack not reachable"]
    assert [(r.attempt, r.retry_in_seconds) for r in warnings] == [(1, 0.05), (2, 0.1)]  # type: ignore[attr-defined]
    assert all(r.error == "OSError: Connection refused" for r in warnings)  # type: ignore[attr-defined]
    assert len(opened) == 1 and opened[0] < 0.5  # after the first failure, not the success
    assert health.stuck() == []


def test_a_refused_token_is_not_retried_and_nothing_else_is_said_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        logging.getLogger("slack_sdk.web").error("Failed to send a request to Slack API server")
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="http://127.0.0.1/api/auth.test",
            req_args={},
            data={"ok": False, "error": "invalid_auth"},
            headers={},
            status_code=200,
        )
        try:
            raise SlackApiError("auth.test failed", response)
        except SlackApiError as error:
            raise BoltError("`token` is invalid") from error  # as Bolt's App does

    with caplog.at_level(logging.INFO), pytest.raises(SlackRefused, match="invalid_auth"):
        keep_trying(attempt, threading.Event(), Health(), what="start", delay=lambda n: 0.01)
    assert calls == [1]
    assert not [r for r in caplog.records if r.name == "slack_sdk.web"]
    assert not logging.getLogger("slack_sdk.web").disabled  # loud again afterwards


def test_keep_trying_gives_up_at_once_when_stopped() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise OSError("unreachable")

    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert keep_trying(attempt, stop, Health(), what="connect", delay=lambda n: 30.0) is None
    assert time.monotonic() - started < 1
    assert calls == [1]


def test_the_health_port_opens_after_the_grace_if_the_first_attempt_hangs() -> None:
    stop, opened = threading.Event(), threading.Event()

    def attempt() -> None:
        stop.wait(10)  # a connect timeout, a Retry-After…
        raise OSError("timed out")

    def first_over() -> None:
        opened.set()
        stop.set()

    started = time.monotonic()
    keep_trying(attempt, stop, Health(), what="connect", first_over=first_over, grace=0.3)
    assert opened.is_set()
    assert 0.25 < time.monotonic() - started < 2


def test_liveness_asks_neither_slack_nor_the_database() -> None:
    database_up = False
    connected = False
    health = Health(database=lambda: database_up)
    health.require("slack", lambda: connected, "socket mode not connected")
    health.watch("scheduler", lambda: True)
    client = _client(health)
    assert client.get("/livez").status_code == 200
    answer = client.get("/readyz")
    assert (answer.status_code, answer.get_json()) == (503, {"status": "socket mode not connected"})
    connected = True
    assert client.get("/readyz").get_json() == {"status": "database unavailable"}
    database_up = True
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    health.start_draining()
    for path in ("/readyz", "/healthz"):
        answer = client.get(path)
        assert (answer.status_code, answer.get_json()) == (503, {"status": "draining"})
    assert client.get("/livez").status_code == 200


def test_a_loop_that_stopped_turning_fails_liveness() -> None:
    health = Health(database=lambda: True)
    turning = True
    health.watch("slack-events", lambda: turning)
    health.watch("broken", lambda: 1 / 0 > 0)
    client = _client(health)
    answer = client.get("/livez")
    assert (answer.status_code, answer.get_json()["loops"]) == (503, ["broken"])
    health.unwatch("broken")
    assert client.get("/livez").status_code == 200
    turning = False
    assert client.get("/livez").get_json() == {"status": "stuck", "loops": ["slack-events"]}


def test_metrics_and_drain_only_where_asked() -> None:
    main = _client(Health(database=lambda: True), metrics=False)
    assert main.get("/metrics").status_code == 404
    assert main.get("/drain").status_code == 404
    health = Health(database=lambda: True)
    port = create_health_app(health, drain=lambda: 0.25).test_client()
    assert port.get("/metrics").status_code == 200
    assert port.get("/drain").get_json() == {"status": "drained", "waited_seconds": 0.25}


def test_only_this_machine_may_ask_for_the_drain() -> None:
    """It stops the process: Prometheus, or anyone else reaching the health port, may not."""
    asked: list[bool] = []
    port = create_health_app(
        Health(database=lambda: True), drain=lambda: asked.append(True) or 0.0
    ).test_client()
    for outside in ("10.244.1.7", "192.168.0.2"):
        refused = port.get("/drain", environ_base={"REMOTE_ADDR": outside})
        assert refused.status_code == 403
    assert asked == []
    assert port.get("/drain", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert asked == [True]


def test_the_drain_begins_once_and_its_end_does_not_move() -> None:
    now = [100.0]
    health, stop = Health(database=lambda: True), threading.Event()
    drain = Drain(health, stop, clock=lambda: now[0])
    drain.period = 10
    assert drain.begin("GET /drain") == 110
    assert health.draining and stop.is_set()
    now[0] = 104
    assert drain.begin("signal") == 110  # the SIGTERM after the hook: no second drain


def test_the_drain_holds_the_request_for_its_period() -> None:
    health, stop = Health(database=lambda: True), threading.Event()
    drain = Drain(health, stop)
    drain.period = 0.3
    waited = create_health_app(health, drain.hold).test_client().get("/drain").get_json()
    assert 0.25 <= waited["waited_seconds"] < 1
    # Once over, a second call (or the SIGTERM's) returns at once.
    assert drain.wait_over("signal") < 0.05


def test_before_serving_a_drain_is_over_at_once() -> None:
    drain = Drain(Health(), threading.Event())
    assert drain.wait_over("GET /drain") < 0.05


# -- the waitress stop -----------------------------------------------------------------------


def _slow_app(seconds: float) -> Flask:
    web = Flask("slow")

    @web.get("/slow")
    def slow() -> str:
        time.sleep(seconds)
        return "done"

    @web.get("/quick")
    def quick() -> str:
        return "quick"

    return web


def test_stop_lets_a_request_in_flight_finish_and_its_answer_arrive() -> None:
    server = HttpServer(_slow_app(0.8), host="127.0.0.1", port=0, threads=2, name="test")
    server.start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "/quick")
    assert idle.getresponse().read() == b"quick"  # kept alive, then idle
    answers: list[bytes] = []

    def slow_request() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/slow")
            answers.append(conn.getresponse().read())
        finally:
            conn.close()

    client = threading.Thread(target=slow_request)
    client.start()
    time.sleep(0.2)  # the request is being served
    assert server.loop_turns()
    started = time.monotonic()
    assert server.stop(timeout=5) is True
    took = time.monotonic() - started
    client.join(5)
    assert answers == [b"done"]
    assert 0.4 < took < 2
    # The idle keep-alive connection was closed, and nothing listens any more.
    try:
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            idle.request("GET", "/quick")
            idle.getresponse()
    finally:
        idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_stop_is_bounded_when_a_request_outlives_it() -> None:
    server = HttpServer(_slow_app(5), host="127.0.0.1", port=0, threads=2, name="test")
    server.start()

    def slow_request() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", "/slow")
            conn.getresponse().read()
        except (ConnectionError, http.client.HTTPException):
            pass
        finally:
            conn.close()

    threading.Thread(target=slow_request, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    assert server.stop(timeout=0.5) is False
    assert time.monotonic() - started < 0.5 + CLOSE_SECONDS + 0.2


def test_the_health_server_says_which_server_it_is(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.transport.serving"):
        server = HttpServer(
            create_health_app(Health()), host="127.0.0.1", port=0, threads=2, name="health"
        )
        server.start()
        time.sleep(0.1)
        server.stop(0.5)
    listening = [r for r in caplog.records if r.getMessage() == "listening"]
    assert [r.server for r in listening] == ["health"]  # type: ignore[attr-defined]
    assert not any("http mode" in r.getMessage() for r in caplog.records)


def _client(health: Health, *, metrics: bool = True):  # type: ignore[no-untyped-def]
    web = Flask("health-test")
    web.register_blueprint(health_blueprint(health, metrics=metrics))
    return web.test_client()


def test_serving_exposes_its_budget_in_one_place() -> None:
    steps = (
        serving.REQUESTS_SECONDS,
        serving.CLOSE_SECONDS,
        serving.SCHEDULER_SECONDS,
        serving.AFTER_ACK_SECONDS,
        serving.HEALTH_REQUESTS_SECONDS,
        serving.CLOSE_SECONDS,
        serving.EXIT_SECONDS,
    )
    assert worst_case_shutdown_seconds(7) == pytest.approx(7 + sum(steps))
