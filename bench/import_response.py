"""import-response at scale: the HMCTS fork's dump (testkit/data) copied 32 times over into
one source database of 10,048 incidents and about 115,000 timeline events (each copy's
incidents numbered 1,000 apart; free-text events added so the timeline passes 100,000),
then imported into a fresh PostgreSQL database (the target: under a minute) and, as a
yardstick, into SQLite. A second run over the same source shows the cost of "nothing
changed".

Usage: python bench/import_response.py [COPIES]   (default 32)
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.jobs.response_import import run_import
from models import init_database, migrate
from testkit.postgres import response_database, throwaway_database

# Tables with an incident_id column, copied for each copy with the numbers moved.
_CHILDREN = {
    "response_commschannel": "channel_id, channel_name",
    "response_headlinepost": "message_ts, comms_channel_id",
    "response_timelineevent": "timestamp, text, event_type, metadata",
    "response_pinnedmessage": "author_id, message_ts, text, timestamp, timeline_event_id",
    "response_action": "created_date, details, done, done_date, due_date, user_id, priority, type",
    "response_userstats": "user_id, join_time, message_count",
}
STEP = 1000


def scale(url: str, copies: int) -> tuple[int, int]:
    """Copy every incident `copies - 1` more times; (incidents, timeline events)."""
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        for k in range(1, copies):
            offset = k * STEP
            cursor.execute(
                "INSERT INTO response_incident (id, report, reporter_id, report_time, report_only,"
                " private, start_time, end_time, summary, impact, lead_id, severity)"
                f" SELECT id + {offset}, report, reporter_id, report_time, report_only, private,"
                " start_time, end_time, summary, impact, lead_id, severity"
                " FROM response_incident WHERE id < %s",
                (STEP,),
            )
            for table, columns in _CHILDREN.items():
                if table == "response_commschannel":
                    # Channel ids are unique per copy, as Slack's would be.
                    select = f"'C{k}Z' || substr(channel_id, 2), channel_name"
                elif table == "response_headlinepost":
                    select = "message_ts, NULL"
                elif table == "response_pinnedmessage":
                    select = "author_id, message_ts, text, timestamp, NULL"
                else:
                    select = columns
                cursor.execute(
                    f"INSERT INTO {table} (incident_id, {columns})"
                    f" SELECT incident_id + {offset}, {select} FROM {table}"
                    " WHERE incident_id < %s",
                    (STEP,),
                )
            cursor.execute(
                "INSERT INTO response_event (timestamp, event_type, payload)"
                " SELECT timestamp, event_type,"
                " jsonb_set(payload::jsonb, '{id}',"
                " to_jsonb((payload::jsonb->>'id')::int + %s))::text"
                " FROM response_event WHERE event_type = 'incident_event'"
                " AND (payload::jsonb->>'id')::int < %s",
                (offset, STEP),
            )
        # Free-text entries, two more per existing event, a minute apart.
        for extra in (1, 2):
            cursor.execute(
                "INSERT INTO response_timelineevent (incident_id, timestamp, text, event_type)"
                f" SELECT incident_id, timestamp + interval '{extra} minute', text, 'text'"
                " FROM response_timelineevent WHERE event_type <> 'text' OR %s = 1",
                (extra,),
            )
        cursor.execute("SELECT count(*) FROM response_incident")
        incidents = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM response_timelineevent")
        events = cursor.fetchone()[0]
    connection.close()
    return incidents, events


def timed(source: str, target: str) -> tuple[float, float]:
    init_database(target)
    started = time.perf_counter()
    first = run_import(source)
    once = time.perf_counter() - started
    if first.failed:
        raise SystemExit(f"failures: {first.failed[:3]}")
    started = time.perf_counter()
    run_import(source)
    return once, time.perf_counter() - started


def main(copies: int) -> None:
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(response_database())
        incidents, events = scale(source, copies)
        print(f"source: {incidents:,} incidents, {events:,} timeline events (+ pins)")
        target = stack.enter_context(throwaway_database())
        once, again = timed(source, target)
        print(f"PostgreSQL target: {once:.1f} s; again, nothing changed: {again:.1f} s")
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        sqlite = f"sqlite:///{folder}/bench.db"
        migrate(init_database(sqlite))
        once, again = timed(source, sqlite)
        print(f"SQLite target (yardstick): {once:.1f} s; again: {again:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
