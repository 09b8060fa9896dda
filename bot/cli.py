"""The incident-bot command: `migrate`, `run --mode socket|http`, `demo` and
`import-response`."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.config import Mode, Settings, database_url_from_env, incidents_channel_from_env
from incident_common.environment import (
    ConfigError,
    database_url,
    log_format_from_env,
    without_password,
)
from incident_common.logs import configure_logging

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

log = logging.getLogger("incident_bot")

# bot.transport.serving.DRAIN_SECONDS, repeated here so `--help` needs no Slack imports
# (tests/bot/transport/test_lifecycle.py keeps the two equal).
DRAIN_SECONDS = 10.0
MAX_DRAIN_SECONDS = 300.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incident-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the schema in DATABASE_URL")
    run = sub.add_parser("run", help="connect to Slack and handle incidents")
    run.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.SOCKET.value)
    demo = sub.add_parser("demo", help="try it without Slack: a fake Slack, the bot, the viewer")
    demo.add_argument("--database", default="incident-demo.db", help="SQLite file to use")
    demo.add_argument("--viewer-port", type=int, default=8080)
    run.add_argument("--port", type=int, default=3000, help="http mode: port to listen on")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (http and health)")
    run.add_argument(
        "--health-port",
        type=int,
        default=8081,
        help="port for /livez, /readyz, /metrics and GET /drain, in both modes (0: none)",
    )
    run.add_argument(
        "--drain-seconds",
        type=_seconds,
        default=DRAIN_SECONDS,
        help="http mode: after GET /drain or SIGTERM, how long to go on answering while "
        f"/readyz says 503, before the port closes (default: {DRAIN_SECONDS:g})",
    )
    imports = sub.add_parser(
        "import-response",
        help="import a monzo/response database into DATABASE_URL (again and again, safely)",
    )
    imports.add_argument(
        "--from", dest="source", required=True, help="postgresql://… of the response database"
    )
    imports.add_argument("--dry-run", action="store_true", help="do everything but the writes")
    imports.add_argument("--report", help="also write the report to this file, as JSON")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= MAX_DRAIN_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_DRAIN_SECONDS:g}")
    return value


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        if args.command == "migrate":
            return _migrate(env)
        if args.command == "demo":
            return _demo(args)
        if args.command == "import-response":
            return _import_response(args, env)
        return _run(args, env)
    except ConfigError as error:
        print(f"incident-bot: configuration error: {error}", file=sys.stderr)
        return 2


def _migrate(env: Mapping[str, str]) -> int:
    configure_logging(log_format_from_env(env))
    from peewee import OperationalError

    from models import init_database, migrate

    init_database(database_url_from_env(env))
    try:
        applied = migrate()
    except OperationalError as error:
        # What libpq says (a refused certificate, a wrong password, no route) is the answer;
        # a traceback around it only hides it.
        reason = " ".join(str(error).split())
        print(
            f"incident-bot: cannot migrate, the database refused or was not reached: {reason}",
            file=sys.stderr,
        )
        return 1
    log.info("schema up to date", extra={"applied": applied})
    return 0


def _import_response(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    configure_logging(log_format_from_env(env), level=logging.WARNING)
    from bot.domain.reminder_settings import ReminderSettings
    from bot.jobs.response_import import ImportProblem, prepare_target, printer, run_import

    source, target = database_url("--from", args.source), database_url_from_env(env)
    announcements, reminders = incidents_channel_from_env(env), ReminderSettings.from_env(env)
    # Before hours of work, not after: a report that cannot be written is said now.
    if args.report and not _write_report(args.report, {}):
        return 2
    print(
        f"Importing from {without_password(source)} into {without_password(target)}"
        + (" (dry run: nothing is written)" if args.dry_run else ""),
        file=sys.stderr,
    )
    try:
        prepare_target(target, source, dry_run=args.dry_run)
        report = run_import(
            source,
            dry_run=args.dry_run,
            announcements_channel=announcements,
            progress=printer(),
            reminders=reminders,
        )
    except ImportProblem as problem:
        print(f"incident-bot: {problem}", file=sys.stderr)
        if args.report:
            _write_report(args.report, {"error": str(problem)})
        return 2
    except KeyboardInterrupt:
        print(
            "\nincident-bot: interrupted; every batch finished so far is kept: run the same "
            "command again to go on",
            file=sys.stderr,
        )
        return 130
    print("\n".join(report.lines()))
    if args.report:
        _write_report(args.report, {"target": without_password(target), **report.as_json()})
    return 1 if report.failed else 0


def _write_report(path: str, body: dict[str, object]) -> bool:
    import json

    try:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2, ensure_ascii=False)
    except OSError as error:
        print(f"incident-bot: cannot write --report {path}: {error}", file=sys.stderr)
        return False
    return True


def _demo(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("fakeslack") is None:
        # The container images leave the fake Slack out: the demo is for a checkout.
        print(
            "incident-bot: the demo needs the fake Slack (fakeslack), which this installation "
            "leaves out, as the container images do. Run it from a checkout: "
            "pip install . && incident-bot demo",
            file=sys.stderr,
        )
        return 2
    configure_logging("text", level=logging.WARNING)
    from pathlib import Path

    from bot.demo import run_demo

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return run_demo(Path(args.database), args.viewer_port, stop)


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = Settings.from_env(env, mode=args.mode)
    configure_logging(
        settings.log_format,
        secrets=(settings.bot_token, settings.app_token, settings.signing_secret),
    )
    # Bolt switches to multi-workspace OAuth when these two are set; this bot is single-workspace.
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        if name in os.environ:
            log.warning("ignoring %s: the bot runs with a single bot token", name)
            del os.environ[name]

    from bot.features.deps import Deps
    from bot.jobs.scheduler import Scheduler
    from bot.slack.client import make_client
    from bot.transport.app import build_app
    from bot.transport.health import Health
    from bot.transport.serving import (
        AFTER_ACK_SECONDS,
        SCHEDULER_SECONDS,
        Step,
        serve,
        worst_case_shutdown_seconds,
    )
    from models import init_database

    init_database(settings.database_url)
    deps = Deps.create(settings)
    scheduler_client = make_client(settings.bot_token, settings.slack_api_url)
    scheduler = Scheduler(
        scheduler_client, settings.reminders, jobs=_jobs(settings, scheduler_client)
    )
    health = Health()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def build() -> App:
        # Bolt calls auth.test here: it raises while Slack cannot be reached, and is tried again.
        return build_app(settings, make_client(settings.bot_token, settings.slack_api_url), deps)

    def on_started() -> None:
        scheduler.start()
        if scheduler.running:
            # Its thread is alive (a run waiting on Slack's rate limits is alive, not stuck).
            health.watch("scheduler", lambda: scheduler.running or stop.is_set())
        # Everything built so far lives as long as the process: keep it out of the
        # collector's scans so a collection during a request stays short.
        gc.freeze()

    log.info(
        "starting",
        extra={
            "mode": str(args.mode),
            "health_port": args.health_port or None,
            "drain_seconds": args.drain_seconds,
            "worst_case_shutdown_seconds": worst_case_shutdown_seconds(args.drain_seconds),
        },
    )
    finished = serve(
        args.mode,
        build,
        stop=stop,
        health=health,
        app_token=settings.app_token,
        host=args.host,
        port=args.port,
        health_port=args.health_port or None,
        drain_seconds=args.drain_seconds,
        on_started=on_started,
        afterwards=(
            # Lets a run in progress finish.
            Step("scheduler", lambda: scheduler.stop(SCHEDULER_SECONDS), SCHEDULER_SECONDS),
            # Lets work after an ack finish (a declaration half-opened in Slack helps nobody).
            Step("work after ack", deps.close, AFTER_ACK_SECONDS),
        ),
    )
    log.info("stopped", extra={"finished": finished})
    if not finished:
        # Threads still at work would hold up the interpreter's exit (it joins the pools'
        # workers) past the bound the orchestrator's grace period counts on.
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _jobs(settings: Settings, client: WebClient) -> tuple[Callable[[dt.datetime], int], ...]:
    """The scheduler's periodic work besides reminders."""
    from bot.jobs.headline_posts import adopt_headline_posts
    from bot.jobs.member_sync import sync_private_members

    synced_at: dict[int, dt.datetime] = {}
    adopted: set[int] = set()

    def sync_members(now: dt.datetime) -> int:
        return sync_private_members(client, now, synced_at)

    def take_over_headline_posts(now: dt.datetime) -> int:
        return adopt_headline_posts(client, settings, now, adopted)

    jobs: tuple[Callable[[dt.datetime], int], ...] = (sync_members, take_over_headline_posts)
    if settings.archive_after_days:
        from bot.jobs.archiver import archive_due

        days = settings.archive_after_days

        def archive_channels(now: dt.datetime) -> int:
            return archive_due(client, days, now)

        jobs = (*jobs, archive_channels)
    return jobs


if __name__ == "__main__":
    sys.exit(main())
