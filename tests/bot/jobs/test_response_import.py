"""incident-bot import-response: the HMCTS fork's own database (testkit/data, made by its
code) into SQLite and PostgreSQL, as a team would run it before and at the cut-over."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import psycopg2
import pytest
from freezegun import freeze_time

from bot.cli import main
from bot.domain import incidents, reminders
from bot.domain.incidents import Declaration
from bot.domain.reminder_settings import ReminderSettings
from bot.jobs.response_import import ImportProblem, Report, printer, run_import, who_runs_it
from models import (
    AuditEntry,
    ChannelMember,
    FollowUpAction,
    Incident,
    SlackUser,
    StatusChange,
    TimelineEvent,
)
from testkit.postgres import response_database
from tests.bot.flows import incident_of, timeline_of

SEVERITY_COUNTS = {1: 21, 2: 55, 3: 111, 4: 77, None: 50}


def _import(source: str, **options: Any) -> Report:
    return run_import(source, **options)


def incident_channel(url: str, number: int) -> str:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT channel_id FROM response_commschannel WHERE incident_id = %s", (number,)
        )
        return str(cursor.fetchone()[0])


def _sql(url: str, statement: str, *args: object) -> None:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(statement, args)
    connection.close()


def _counts(database) -> dict[str, int]:
    with database.connection_context():
        return {
            model.__name__: model.select().count()
            for model in (
                Incident,
                TimelineEvent,
                StatusChange,
                FollowUpAction,
                SlackUser,
                ChannelMember,
                AuditEntry,
            )
        }


def _declared_here(title: str) -> Incident | None:
    """An incident declared in this bot, as a person would."""
    return incidents.declare(
        Declaration(
            title=title,
            summary="",
            impact="",
            severity=None,
            lead_id=None,
            reporter_id="U0NEW",
            is_private=False,
        )
    )


def test_everything_comes_across_in_the_numbers_the_readme_gives(database, source: str) -> None:
    report = _import(source)
    assert report.counts["incidents"]["imported"] == 314 and not report.failed
    # The fork's second and third deliveries of pin 517 (events 767, 768): left out, said.
    assert report.skipped == [
        {
            "kind": "timeline entries",
            "id": f"timelineevent {n}",
            "reason": "a second delivery of a pin already on incident 209's timeline",
        }
        for n in (767, 768)
    ]
    assert report.counts["timeline entries"]["skipped"] == 2
    with database.connection_context():
        assert Incident.select().count() == 314
        assert Incident.select().where(Incident.report_only).count() == 56
        open_ones = Incident.select().where(Incident.status != "resolved")
        assert sorted(i.id for i in open_ones) == [72, 85, 161, 253, 314]
        for level, n in SEVERITY_COUNTS.items():
            assert (
                Incident.select()
                .where(
                    Incident.severity.is_null(level is None)
                    if level is None
                    else Incident.severity == level
                )
                .count()
                == n
            )
        assert Incident.select().where(Incident.lead_id.is_null()).count() == 64
        assert Incident.select().where(Incident.channel_id.is_null(False)).count() == 227
        assert [i.id for i in Incident.select().where(Incident.is_private)] == [33]
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 811
        assert TimelineEvent.select().where(TimelineEvent.kind == "note").count() == 47
        assert FollowUpAction.select().count() == 484
        assert FollowUpAction.select().where(FollowUpAction.done).count() == 109
        assert SlackUser.select().count() == 61
        audit = AuditEntry.select().where(AuditEntry.action == "imported")
        assert audit.count() == 314
        assert {a.source for a in audit} == {"import"}
        who = {(a.details["from"], a.details["by"]) for a in audit}
        assert who == {("response", who_runs_it())}
        assert all(i.imported_from == "response" for i in Incident.select())


def test_a_second_run_changes_nothing(database, source: str) -> None:
    _import(source)
    before = _counts(database)
    report = _import(source)
    assert report.counts["incidents"] == {
        "imported": 0,
        "updated": 0,
        "unchanged": 314,
        "skipped": 0,
    }
    assert report.counts["people"]["unchanged"] == 61
    for kind, table in (
        ("timeline entries", "TimelineEvent"),
        ("follow-ups", "FollowUpAction"),
        ("participants", "ChannelMember"),
    ):
        assert report.counts[kind] == {
            "imported": 0,
            "updated": 0,
            "unchanged": before[table],
            "skipped": 0,
        }, kind
    assert _counts(database) == before


def test_a_run_after_the_source_grew_brings_only_what_is_new(database, source: str) -> None:
    _import(source)
    before = _counts(database)
    # The fork goes on meanwhile: a new incident, and a new pin on a stale open one.
    _sql(
        source,
        "INSERT INTO response_incident (id, report, reporter_id, report_time, report_only,"
        " private, start_time, summary, lead_id, severity) VALUES (315, 'Queue backlog',"
        " 1, '2025-09-25 10:00', false, false, '2025-09-25 10:00', 'Jobs wait', NULL, '2')",
    )
    _sql(
        source,
        "INSERT INTO response_pinnedmessage (incident_id, author_id, message_ts, text, timestamp)"
        " VALUES (72, 1, '1758794400.000100', 'Restarted the &lt;consumer&gt;', "
        "'2025-09-25 10:00')",
    )
    report = _import(source)
    assert report.counts["incidents"] == {
        "imported": 1,
        "updated": 1,
        "unchanged": 313,
        "skipped": 0,
    }
    # Only what is new is counted as new: the rest of incident 72 is as it was.
    assert report.counts["timeline entries"]["imported"] == 2  # the pin; 315 declared
    assert report.counts["timeline entries"]["updated"] == 0
    assert report.counts["follow-ups"]["imported"] == report.counts["follow-ups"]["updated"] == 0
    assert report.counts["participants"]["updated"] == 0
    assert report.counts["participants"]["unchanged"] == before["ChannelMember"]
    after = _counts(database)
    assert after["Incident"] == before["Incident"] + 1
    pins = [e.message_ts for e in timeline_of(database, 72, "pin")]
    assert pins.count("1758794400.000100") == 1
    # The updated incident's rows were replaced, not doubled.
    assert after["FollowUpAction"] == before["FollowUpAction"]
    assert after["TimelineEvent"] == before["TimelineEvent"] + 2  # the pin; 315 declared


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(database, source: str) -> None:
    before = _counts(database)
    report = _import(source, dry_run=True)
    assert report.dry_run and report.counts["incidents"]["imported"] == 314
    assert _counts(database) == before


def test_a_database_that_is_not_response_is_named_for_what_it_lacks(database, source: str) -> None:
    _sql(source, "ALTER TABLE response_pinnedmessage DROP COLUMN text")
    _sql(source, "DROP TABLE response_userstats")
    with pytest.raises(ImportProblem) as raised:
        _import(source)
    assert "response_pinnedmessage.text" in str(raised.value)
    assert "response_userstats" in str(raised.value)
    assert _counts(database)["Incident"] == 0


def test_an_unreachable_source_is_said_plainly(database) -> None:
    with pytest.raises(ImportProblem, match="cannot read the source database"):
        _import("postgresql://postgres@127.0.0.1:1/nothing")


def test_an_interrupted_import_picks_up_where_it_stopped(database, source: str) -> None:
    def stop_after_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(source, progress=stop_after_first_batch)
    assert _counts(database)["Incident"] == 100
    # Numbering already continues after what came in before the interruption.
    declared = _declared_here("Meanwhile")
    assert declared is not None and declared.id == 101
    report = _import(source)
    assert report.counts["incidents"]["unchanged"] == 100
    # The fork's 101 meets the one declared meanwhile: skipped, and said.
    assert report.counts["incidents"]["imported"] == 213
    assert [s["id"] for s in report.skipped if s["kind"] == "incidents"] == [101]
    assert _counts(database)["Incident"] == 314


def test_incidents_keep_their_numbers_and_new_ones_continue_after_them(
    database, source: str
) -> None:
    _import(source)
    assert incident_of(database, 123).id == 123
    declared = _declared_here("After the move")
    assert declared is not None and declared.id == 315


def test_a_number_already_taken_here_is_skipped_with_the_reason(database, source: str) -> None:
    with database.connection_context():
        Incident.create(id=7, title="Declared here first", reporter_id="U0HERE")
    report = _import(source)
    assert {
        "kind": "incidents",
        "id": 7,
        "reason": "an incident declared here already has this number",
    } in report.skipped
    assert incident_of(database, 7).title == "Declared here first"
    assert report.counts["incidents"]["imported"] == 313


def test_the_command_migrates_a_new_database_first(source: str, tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["import-response", "--from", source], env={"DATABASE_URL": url}) == 0
    assert "incidents: 314 imported" in capsys.readouterr().out


def test_the_command_reports_and_writes_json(
    database_url: str, source: str, tmp_path, capsys
) -> None:
    out = tmp_path / "report.json"
    code = main(
        ["import-response", "--from", source, "--report", str(out)],
        env={"DATABASE_URL": database_url},
    )
    assert code == 0
    assert "incidents: 314 imported" in capsys.readouterr().out
    assert json.loads(out.read_text())["counts"]["incidents"]["imported"] == 314
    assert (
        main(
            ["import-response", "--from", "postgresql://postgres@127.0.0.1:1/x"],
            env={"DATABASE_URL": database_url},
        )
        == 2
    )


@pytest.mark.parametrize(
    ("source_url", "said"),
    [
        ("mysql://root@127.0.0.1/response", "--from must start with postgresql://"),
        ("postgresql://postgres@127.0.0.1:5432/", "--from: a postgresql URL needs a host"),
        ("postgresql://postgres@127.0.0.1:99999/response", "--from: the port is not a number"),
    ],
)
def test_a_source_url_that_names_no_database_is_said_plainly(
    database_url: str, source_url: str, said: str, capsys
) -> None:
    code = main(["import-response", "--from", source_url], env={"DATABASE_URL": database_url})
    assert code == 2
    assert said in capsys.readouterr().err


def test_typed_fields_come_as_the_plain_words_this_bot_keeps(database, source: str) -> None:
    """A title, summary or action typed through the fork's commands held Slack's markup:
    here they read as they do when typed to this bot (the announcement and the viewer's
    title show them as text)."""
    _sql(
        source,
        "INSERT INTO response_incident (id, report, reporter_id, report_time, report_only,"
        " private, start_time, summary, impact, lead_id, severity) VALUES (315,"
        " 'Payments &amp; refunds failing for &lt;@U0ZWDK0HMRD&gt;', 1, '2025-09-25 10:00',"
        " false, false, '2025-09-25 10:00', 'See &lt;https://status.example.com|status&gt;',"
        " 'a &lt;b&gt; c', NULL, '2')",
    )
    _sql(
        source,
        "INSERT INTO response_action (incident_id, details, done, user_id)"
        " VALUES (315, 'Fix &lt;@U0ZWDK0HMRD&gt; thing', false, 1)",
    )
    _import(source)
    with database.connection_context():
        name = SlackUser.get_by_id("U0ZWDK0HMRD").real_name
        [action] = FollowUpAction.select().where(FollowUpAction.incident == 315)
    incident = incident_of(database, 315)
    assert incident.title == f"Payments & refunds failing for @{name}"
    assert incident.summary == "See status (https://status.example.com)"
    assert incident.impact == "a <b> c"  # typed in the fork's dialog: words, not markup
    assert action.title == f"Fix @{name} thing"


def test_the_fork_itself_is_refused_as_target(
    source: str, response_template: str, tmp_path, capsys
) -> None:
    out = tmp_path / "report.json"
    for target in (source, source + "?connect_timeout=3"):
        code = main(
            ["import-response", "--from", source, "--report", str(out)],
            env={"DATABASE_URL": target},
        )
        assert code == 2
        assert "DATABASE_URL and --from name the same database" in capsys.readouterr().err
        assert "same database" in json.loads(out.read_text())["error"]
    # A copy of the fork under another name: a response database all the same.
    with response_database(template=response_template) as copy:
        code = main(["import-response", "--from", source], env={"DATABASE_URL": copy})
        assert code == 2
        assert "DATABASE_URL is a response database" in capsys.readouterr().err
        with psycopg2.connect(copy) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('incident')")
            assert cursor.fetchone() == (None,)  # nothing of this bot's written there


def test_a_dry_run_does_not_migrate_the_target(source: str, tmp_path, capsys) -> None:
    fresh = tmp_path / "fresh.db"
    code = main(
        ["import-response", "--from", source, "--dry-run"],
        env={"DATABASE_URL": f"sqlite:///{fresh}"},
    )
    assert code == 2
    assert "run incident-bot migrate first" in capsys.readouterr().err
    assert main(["migrate"], env={"DATABASE_URL": f"sqlite:///{fresh}"}) == 0
    code = main(
        ["import-response", "--from", source, "--dry-run"],
        env={"DATABASE_URL": f"sqlite:///{fresh}"},
    )
    said = capsys.readouterr()
    assert code == 0 and "Dry run: nothing was written" in said.out
    assert f"into sqlite:///{fresh} (dry run: nothing is written)" in said.err


def test_ctrl_c_says_how_to_go_on(
    database, database_url: str, source: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises, after the first batch

    monkeypatch.setattr("bot.jobs.response_import.printer", lambda: interrupt)
    code = main(["import-response", "--from", source], env={"DATABASE_URL": database_url})
    assert code == 130
    assert "interrupted; every batch finished so far is kept" in capsys.readouterr().err
    assert _counts(database)["Incident"] == 100


def test_a_report_that_cannot_be_written_is_said_before_the_import(
    database, database_url: str, source: str, tmp_path, capsys
) -> None:
    out = tmp_path / "missing" / "report.json"
    code = main(
        ["import-response", "--from", source, "--report", str(out)],
        env={"DATABASE_URL": database_url},
    )
    assert code == 2
    assert f"cannot write --report {out}" in capsys.readouterr().err
    assert _counts(database)["Incident"] == 0


def test_a_row_the_fork_no_longer_has_is_counted_as_removed(database, source: str) -> None:
    _import(source)
    before = _counts(database)
    _sql(source, "DELETE FROM response_action WHERE id = (SELECT MIN(id) FROM response_action)")
    report = _import(source)
    assert report.counts["follow-ups"]["removed"] == 1
    assert report.counts["follow-ups"]["unchanged"] == before["FollowUpAction"] - 1
    assert "  follow-ups: 0 imported, 0 updated, 483 unchanged, 0 skipped, 1 removed" in (
        report.lines()
    )
    assert _counts(database)["FollowUpAction"] == before["FollowUpAction"] - 1


def test_open_incidents_are_reminded_from_the_import_not_from_years_ago(
    database, source: str
) -> None:
    """The cut-over on a Saturday morning: nothing old is overdue; an update is asked for
    once the usual interval has passed since the import."""
    imported_at = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    with freeze_time(imported_at):
        _import(source)
    settings = ReminderSettings(update_minutes={n: 30 for n in (1, 2, 3, 4)})
    open_ones = {72, 85, 161, 253, 314}
    soon = reminders.due(imported_at + dt.timedelta(minutes=10), settings)
    assert [r for r in soon if r.incident_id in open_ones] == []
    later = reminders.due(imported_at + dt.timedelta(minutes=31), settings)
    overdue = {r.incident_id for r in later if r.kind == "update_overdue"}
    with database.connection_context():
        rated = {i.id for i in Incident.select().where(Incident.id.in_(open_ones)) if i.severity}
    assert overdue == {n for n in rated if incident_of(database, n).channel_id}
    assert all(r.elapsed <= dt.timedelta(minutes=31) for r in later)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere(database, source: str) -> None:
    terminal, log = _Terminal(), io.StringIO()
    _import(source, progress=printer(terminal), dry_run=True)
    _import(source, progress=printer(log), dry_run=True)
    assert "Importing" in terminal.getvalue() and "314/314" in terminal.getvalue()
    assert log.getvalue().splitlines() == [
        "incidents: 100/314",
        "incidents: 200/314",
        "incidents: 300/314",
        "incidents: 314/314",
    ]


def test_a_close_and_reopen_in_the_event_feed_are_in_the_history(database, source: str) -> None:
    """The fork records a reopen (end_time set back to null) only in its event feed."""
    for at, closed in (("2023-06-20 10:00", "true"), ("2023-06-21 09:30", "false")):
        _sql(
            source,
            "INSERT INTO response_event (timestamp, event_type, payload) VALUES"
            " (%s, 'incident_event', %s)",
            at,
            json.dumps({"id": 72, "is_closed": closed == "true"}),
        )
    _import(source)
    with database.connection_context():
        history = StatusChange.select().where(StatusChange.incident == 72)
        steps = [
            (h.from_status, h.status, h.changed_at.isoformat()[:16])
            for h in history.order_by(StatusChange.changed_at, StatusChange.id)
        ]
    assert steps[-2:] == [
        ("investigating", "resolved", "2023-06-20T10:00"),
        ("resolved", "investigating", "2023-06-21T09:30"),
    ]
    lines = [e.text for e in timeline_of(database, 72, "status")]
    assert lines[-2:] == ["Status: Investigating → Resolved", "Status: Resolved → Investigating"]
    assert incident_of(database, 72).status == "investigating"
    # Every entry says which of the fork's rows it came from.
    pins = timeline_of(database, 72, "pin")
    assert pins and all(p.details["from"].startswith("response:") for p in pins)


def test_work_done_in_the_bot_since_the_import_is_never_overwritten(database, source: str) -> None:
    """A follow-up marked done here, then the fork changes the incident: the bot's record
    wins, and the report says so."""
    _import(source)
    with database.connection_context():
        action = FollowUpAction.select().where(FollowUpAction.incident == 72).first()
        FollowUpAction.update(done=True, done_by="U0HERE").where(
            FollowUpAction.id == action.id
        ).execute()
    _sql(
        source,
        "INSERT INTO response_pinnedmessage (incident_id, author_id, message_ts, text, timestamp)"
        " VALUES (72, 1, '1758794400.000200', 'Late note in the fork', '2025-09-25 10:00')",
    )
    report = _import(source)
    assert {
        "kind": "incidents",
        "id": 72,
        "reason": "changed here since it was imported; kept as it is",
    } in report.skipped
    with database.connection_context():
        assert FollowUpAction.get_by_id(action.id).done


def test_the_same_fork_read_in_another_time_zone_or_under_another_name_is_unchanged(
    database, source: str, response_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(source)
    monkeypatch.setenv("PGTZ", "Europe/London")
    with response_database(template=response_template) as copy:
        report = _import(copy)
    assert report.counts["incidents"]["unchanged"] == 314 and not report.skipped


def test_the_daily_open_for_long_reminder_starts_the_day_after_the_import(
    database, source: str
) -> None:
    imported_at = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday, working hours
    with freeze_time(imported_at):
        _import(source)
    settings = ReminderSettings(update_minutes={})
    open_ones = {72, 85, 161, 253}
    today = reminders.due(imported_at + dt.timedelta(minutes=5), settings)
    assert [r for r in today if r.incident_id in open_ones] == []
    tomorrow = reminders.due(imported_at + dt.timedelta(days=1), settings)
    assert {r.incident_id for r in tomorrow if r.kind == "open_long"} >= open_ones


def test_an_import_before_working_hours_counts_that_days_open_for_long_as_sent(
    database, source: str
) -> None:
    """The cut-over at 06:30 on a Thursday: no round of reminders at 09:00 that morning."""
    imported_at = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
    with freeze_time(imported_at):
        _import(source)
    settings = ReminderSettings(update_minutes={})
    open_ones = {72, 85, 161, 253}
    morning = reminders.due(dt.datetime(2026, 12, 3, 9, 5, tzinfo=dt.UTC), settings)
    assert [r for r in morning if r.incident_id in open_ones] == []
    friday = reminders.due(dt.datetime(2026, 12, 4, 9, 5, tzinfo=dt.UTC), settings)
    assert {r.incident_id for r in friday if r.kind == "open_long"} >= open_ones


def test_reminders_count_from_the_last_import_until_the_bot_runs_the_incident(
    database, source: str
) -> None:
    """Imported for a trial on Monday, again at the cut-over on Saturday: the first start
    goes by Saturday's import, not by Monday's."""
    trial = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    cut_over = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    with freeze_time(trial):
        _import(source)
    with freeze_time(cut_over):
        report = _import(source)
    assert report.counts["incidents"]["unchanged"] == 314
    assert any("reminders of 5 open incidents" in w for w in report.warnings)
    settings = ReminderSettings(update_minutes={n: 30 for n in (1, 2, 3, 4)})
    open_ones = {72, 85, 161, 253, 314}
    soon = reminders.due(cut_over + dt.timedelta(minutes=10), settings)
    assert [r for r in soon if r.incident_id in open_ones] == []
    # Once the bot has reminded an incident's channel, the next import leaves its
    # reminders alone: they are the bot's.
    later = cut_over + dt.timedelta(minutes=31)
    [due] = [r for r in reminders.due(later, settings) if r.incident_id == 253]
    assert reminders.claim(due, later, by="bot-1") is not None
    with freeze_time(later + dt.timedelta(minutes=5)):
        again = _import(source)
    assert any("reminders of 4 open incidents" in w for w in again.warnings)
    with database.connection_context():
        assert incident_of(database, 253).last_update_at == cut_over


def test_two_incidents_on_one_slack_channel_both_come_across(database, source: str) -> None:
    """response reuses a channel whose name is taken; here a channel has one incident."""
    open_channel = incident_channel(source, 72)
    _sql(
        source,
        "UPDATE response_commschannel SET channel_id = %s WHERE incident_id = 5",
        open_channel,
    )
    report = _import(source)
    assert not report.failed
    assert incident_of(database, 72).channel_id == open_channel
    assert incident_of(database, 5).channel_id is None
    [said] = [w for w in report.warnings if open_channel in w]
    assert "incidents 5, 72" in said and "incident 72 keeps it (it is open)" in said


def test_incidents_left_open_for_long_in_the_fork_are_named(database, source: str) -> None:
    with freeze_time(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)):
        report = _import(source)
    [said] = [w for w in report.warnings if "open in response for more than 30 days" in w]
    assert "72 (since 2023-06-06)" in said and "every working day" in said


def test_without_the_incidents_channel_the_report_says_headlines_are_not_linked(
    database, source: str, database_url: str, capsys
) -> None:
    report = _import(source)
    assert any("INCIDENTS_CHANNEL is not set" in w for w in report.warnings)
    linked = _import(source, announcements_channel="C07INCIDNTS")
    assert not any("INCIDENTS_CHANNEL" in w for w in linked.warnings)
    code = main(
        ["import-response", "--from", source],
        env={"DATABASE_URL": database_url, "INCIDENTS_CHANNEL": "#incidents"},
    )
    assert code == 2 and "INCIDENTS_CHANNEL" in capsys.readouterr().err


def test_what_slack_said_of_a_person_wins_over_the_fork(database, source: str) -> None:
    _import(source)
    with database.connection_context():
        SlackUser.update(display_name="Fresh from Slack", fetched_at=dt.datetime.now(dt.UTC)).where(
            SlackUser.user_id == "U0YH0QUP386"
        ).execute()
    _sql(
        source,
        "UPDATE response_externaluser SET display_name = 'Renamed in the fork'"
        " WHERE external_id = 'U0YH0QUP386'",
    )
    _import(source)
    with database.connection_context():
        assert SlackUser.get_by_id("U0YH0QUP386").display_name == "Fresh from Slack"
