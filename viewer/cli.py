"""The incident-viewer command: serve the viewer with waitress, a production WSGI server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

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
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default: 8)")
    return parser.parse_args(argv)


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
    from waitress import serve

    from viewer import create_app

    app = create_app(settings)
    logging.getLogger(__name__).info("serving %s on %s:%s", settings, args.host, args.port)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="incident-viewer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
