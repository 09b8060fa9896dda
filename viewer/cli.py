"""The incident-viewer command: serve the viewer with waitress, a production WSGI server."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from incident_common.environment import ConfigError, log_format_from_env
from incident_common.logs import configure_logging
from viewer.config import Settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="incident-viewer",
        description="Serve the read-only incident viewer. Configured by DATABASE_URL, "
        "VIEWER_TIMEZONE, SLACK_WORKSPACE_URL, VIEWER_SHOW_PRIVATE, and for sign-in "
        "VIEWER_AUTH and the variables the README lists with it.",
    )
    parser.add_argument(
        "--host",
        help="address to listen on (default: 127.0.0.1 when VIEWER_AUTH=none, so a viewer "
        "without sign-in is reachable from this machine only; else all addresses)",
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=9090,
        help="internal port for GET /metrics, which no Ingress should route (default: 9090; "
        "0: none)",
    )
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default: 8)")
    return parser.parse_args(argv)


def listen_address(requested: str | None, settings: Settings) -> str:
    if requested:
        return requested
    return "127.0.0.1" if settings.auth.mode == "none" else "0.0.0.0"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    env = os.environ if env is None else env
    try:
        settings = Settings.from_env(env)
        log_format = log_format_from_env(env)
    except ConfigError as error:
        print(f"incident-viewer: {error}", file=sys.stderr)
        return 2
    # The same log lines as the bot's: JSON with LOG_FORMAT=json, passwords scrubbed.
    configure_logging(log_format)

    # Imported here so `--help` and configuration errors need neither Flask nor waitress.
    from waitress import create_server

    from viewer import create_app
    from viewer.metrics import metrics_app

    app = create_app(settings)
    host = listen_address(args.host, settings)
    server = internal = None
    try:
        server = create_server(app, host=host, port=args.port, threads=args.threads, ident="viewer")
        if args.metrics_port:
            internal = create_server(metrics_app(), host=host, port=args.metrics_port, threads=1)
    except OSError as error:
        if server is not None:
            server.close()
        print(f"incident-viewer: cannot listen on {host}: {error}", file=sys.stderr)
        return 2
    if internal is not None:
        # A daemon: it holds no request worth finishing, and ends with the process.
        threading.Thread(target=internal.run, name="metrics", daemon=True).start()
    log = logging.getLogger(__name__)
    log.info(
        "serving %s on %s:%s (metrics on port %s)",
        settings,
        host,
        args.port,
        args.metrics_port or "none",
    )
    serve_until_stopped(server)
    log.info("stopped")
    return 0


def serve_until_stopped(server: Any) -> None:
    """Serve until SIGTERM or SIGINT. As PID 1 in a container a signal without a handler is
    ignored, and Kubernetes would wait out the grace period and kill the pod: here it ends
    the loop (waitress then lets requests in hand finish, for a few seconds at most)."""

    def stop(signum: int, _frame: object) -> None:
        logging.getLogger(__name__).info("stopping on %s", signal.Signals(signum).name)
        raise SystemExit(0)  # waitress's loop ends on SystemExit and shuts its workers down

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()


if __name__ == "__main__":
    sys.exit(main())
