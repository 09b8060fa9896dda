"""What a response incident becomes here: the README's awkward cases of the HMCTS fork's
own database, one test each, on a database of each kind it was imported into once."""

from __future__ import annotations

import datetime as dt

from models import ChannelMember, FollowUpAction, Incident, SlackUser, StatusChange, TimelineEvent
from tests.bot.flows import incident_of, timeline_of


def test_times_are_the_utc_values_the_fork_stored(imported) -> None:
    """Incident 190: start_time typed as London time into the API, stored as if UTC."""
    incident = incident_of(imported, 190)
    assert incident.reported_at.isoformat() == "2024-07-11T08:47:12.118000+00:00"
    assert incident.started_at.isoformat() == "2024-07-11T09:05:00+00:00"


def test_pins_across_the_repeated_autumn_hour_keep_their_utc_order(imported) -> None:
    times = [e.occurred_at for e in timeline_of(imported, 107, "pin")]
    assert times == sorted(times) and len(times) >= 4


def test_a_pin_delivered_three_times_is_on_the_timeline_once(imported) -> None:
    pins = timeline_of(imported, 209, "pin")
    assert len({p.message_ts for p in pins}) == len(pins)
    assert sum("ETA for full recovery" in p.text for p in pins) == 2  # two messages


def test_the_severity_the_fork_set_is_the_one_imported(imported) -> None:
    """Incident 216: "severity minor - 2 services" set major in the fork; that is history."""
    [change] = [e for e in timeline_of(imported, 216, "severity") if "Major" in e.text]
    assert change.details["new"] == 2


def test_a_lead_removed_is_a_change_to_not_set(imported) -> None:
    removed = [e for e in timeline_of(imported, 84, "lead") if e.details["new"] is None]
    assert removed and removed[0].text.endswith("→ not set")


def test_report_only_incidents_stay_reports_and_never_look_live(imported) -> None:
    closed_report = incident_of(imported, 50)
    assert closed_report.report_only and closed_report.status == "resolved"
    with imported.connection_context():
        reports = Incident.select().where(Incident.report_only)
        assert all(not r.is_open for r in reports)


def test_the_private_incident_stays_private(imported) -> None:
    assert incident_of(imported, 33).is_private


def test_long_texts_come_whole_and_html_stays_text(imported) -> None:
    incident = incident_of(imported, 260)
    assert len(incident.title) <= 150 and "&amp;" not in incident.title
    assert "<script>alert('x')</script>" in incident.summary  # text, shown escaped
    longest = max(timeline_of(imported, 260, "pin"), key=lambda e: len(e.text))
    assert len(longest.text) == 37109


def test_a_pin_by_a_bot_keeps_its_author(imported) -> None:
    authors = {e.author_id for e in timeline_of(imported, 160, "pin")}
    assert {"U02RSPNSB0T", "U03JNKNSB0T"} <= authors


def test_a_follow_up_by_a_guest_keeps_their_handle(imported) -> None:
    with imported.connection_context():
        owners = {a.owner_id for a in FollowUpAction.select().where(FollowUpAction.incident == 135)}
        assert "U02S23VWI3B" in owners
        guest = SlackUser.get_by_id("U02S23VWI3B")
        assert guest.shown_name and guest.email is None


def test_a_follow_up_by_someone_who_left_keeps_them_known_by_name(imported) -> None:
    with imported.connection_context():
        person = SlackUser.get_by_id("U0YH0QUP386")
        assert person.is_deleted and person.shown_name != "U0YH0QUP386"
        assert incident_of(imported, 39).reporter_id == "U0YH0QUP386"


def test_channel_renames_are_on_the_timeline(imported) -> None:
    entries = timeline_of(imported, 92, "renamed")
    renames = [e.text for e in entries]
    assert any("#inc-idam-login-failures" in r for r in renames)
    assert renames[-1].endswith("#inc-2023-09-idam-login-failures (time not recorded)")
    # Not at the close: after the feed's last snapshot, which still had the old name.
    resolved = incident_of(imported, 92).resolved_at
    assert entries[-1].occurred_at > resolved + dt.timedelta(days=1)
    assert incident_of(imported, 92).channel_name == "inc-2023-09-idam-login-failures"


def test_mentions_and_links_escaped_by_the_fork_render_again(imported) -> None:
    with imported.connection_context():
        escaped = Incident.select().where(
            Incident.summary.contains("&lt;@U") | Incident.impact.contains("&lt;@U")
        )
        assert escaped.count() == 0
        notes = TimelineEvent.select().where(TimelineEvent.kind.in_(["note", "summary", "impact"]))
        assert not [n.text for n in notes if "&lt;@U" in n.text or "&lt;http" in n.text]


def test_stale_open_incidents_are_open_here(imported) -> None:
    for number in (72, 85, 161, 253):
        assert incident_of(imported, number).status == "investigating"


def test_an_arabic_title_with_a_zwj_emoji_comes_unchanged(imported) -> None:
    title = incident_of(imported, 117).title
    assert "\u200d" in title and any("\u0600" <= c <= "\u06ff" for c in title)


def test_people_seen_in_the_channel_are_its_members(imported) -> None:
    channel = incident_of(imported, 72).channel_id
    with imported.connection_context():
        assert ChannelMember.select().where(ChannelMember.channel_id == channel).count() > 0


def _at(value) -> str:
    return value.isoformat()


def test_a_report_in_londons_spring_forward_gap_keeps_its_utc_time(imported) -> None:
    assert _at(incident_of(imported, 152).reported_at) == "2024-03-31T01:30:00+00:00"


def test_an_incident_across_new_year_keeps_both_years(imported) -> None:
    incident = incident_of(imported, 128)
    assert _at(incident.reported_at) == "2023-12-31T23:52:41.900000+00:00"
    assert _at(incident.resolved_at) == "2024-01-01T00:37:41.900000+00:00"
    assert incident.channel_name == "inc-dec-31-23-54-04"


def test_a_leap_day_incident_whose_start_was_moved_earlier(imported) -> None:
    incident = incident_of(imported, 147)
    assert _at(incident.reported_at).startswith("2024-02-29T14:02:09")
    assert _at(incident.started_at) == "2024-02-29T13:26:09+00:00"


def test_a_rename_by_command_is_the_channel_name_and_on_the_timeline(imported) -> None:
    assert incident_of(imported, 64).channel_name == "inc-payments-callback-delays"
    renames = [e.text for e in timeline_of(imported, 64, "renamed")]
    assert renames and renames[-1].endswith("#inc-payments-callback-delays")


def test_a_unicode_rename_keeps_slacks_name(imported) -> None:
    assert incident_of(imported, 226).channel_name == "inc-uberweisung-fehlgeschlagen"


def test_an_end_before_the_start_is_kept_as_stored(imported) -> None:
    """Incident 73: closed at 10:12, then its start moved to 13:00 through the API."""
    incident = incident_of(imported, 73)
    assert _at(incident.resolved_at).startswith("2023-06-14T10:12:05")
    assert _at(incident.started_at) == "2023-06-14T13:00:00+00:00"


def test_a_zero_length_incident_without_a_channel(imported) -> None:
    incident = incident_of(imported, 154)
    assert incident.resolved_at == incident.started_at and incident.channel_id is None
    # Its summary's "p95 &gt; 8s" reads as typed.
    assert "p95 > 8s" in incident.summary


def test_the_summary_the_fork_truncated_is_what_it_kept(imported) -> None:
    assert incident_of(imported, 247).summary == "Login failing for legal reps."


def test_a_live_incident_closed_before_it_had_a_channel(imported) -> None:
    incident = incident_of(imported, 178)
    assert incident.status == "resolved" and incident.channel_id is None
    assert timeline_of(imported, 178, "pin") == []


def test_pins_with_no_text_come_across(imported) -> None:
    with imported.connection_context():
        empty = TimelineEvent.select().where(
            (TimelineEvent.kind == "pin") & (TimelineEvent.text == "")
        )
        assert empty.count() == 20


def test_people_renamed_by_the_directory_sync_are_one_person_with_todays_name(imported) -> None:
    """Pins made before the sync are credited by Slack id, under the name the fork has now."""
    with imported.connection_context():
        people = {p.user_id: p for p in SlackUser.select()}
        pins = TimelineEvent.select().where(
            (TimelineEvent.kind == "pin") & TimelineEvent.author_id.is_null(False)
        )
        for pin in pins:
            person = people[pin.author_id]
            assert pin.author_name == (person.real_name or person.display_name)


def test_nothing_imported_can_ping(imported) -> None:
    """The raw pin texts the fork kept have `<!here>` and group mentions: words here."""
    with imported.connection_context():
        live = TimelineEvent.select().where(TimelineEvent.text.contains("<!"))
        assert [e.text[:60] for e in live] == []
        assert TimelineEvent.select().where(TimelineEvent.text.contains("@here")).count() > 0


def test_an_incident_is_acknowledged_when_a_lead_was_first_set(imported) -> None:
    incident = incident_of(imported, 5)
    [first] = [e for e in timeline_of(imported, 5, "lead")][:1]
    assert first.details["old"] is None
    assert incident.acknowledged_at == first.occurred_at > incident.reported_at


def test_a_resolved_incidents_history_closes_when_it_ended(imported) -> None:
    """The feed records when a close was saved; the incident's end time is when it ended."""
    with imported.connection_context():
        for incident in Incident.select().where(
            (Incident.status == "resolved") & ~Incident.report_only
        ):
            last = (
                StatusChange.select()
                .where(StatusChange.incident == incident.id)
                .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
                .first()
            )
            assert (last.status, last.changed_at) == ("resolved", incident.resolved_at), incident.id
