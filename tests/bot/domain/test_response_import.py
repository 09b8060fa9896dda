"""What a response incident becomes here: the README's awkward cases of the HMCTS fork's
own database, one test each, on a database of each kind it was imported into once."""

from __future__ import annotations

from models import ChannelMember, FollowUpAction, Incident, SlackUser, TimelineEvent


def _incident(database, number: int) -> Incident:
    with database.connection_context():
        return Incident.get_by_id(number)


def _timeline(database, number: int, kind: str | None = None) -> list[TimelineEvent]:
    with database.connection_context():
        query = TimelineEvent.select().where(TimelineEvent.incident == number)
        if kind is not None:
            query = query.where(TimelineEvent.kind == kind)
        return list(query.order_by(TimelineEvent.occurred_at, TimelineEvent.id))


def test_times_are_the_utc_values_the_fork_stored(imported) -> None:
    """Incident 190: start_time typed as London time into the API, stored as if UTC."""
    incident = _incident(imported, 190)
    assert incident.reported_at.isoformat() == "2024-07-11T08:47:12.118000+00:00"
    assert incident.started_at.isoformat() == "2024-07-11T09:05:00+00:00"


def test_pins_across_the_repeated_autumn_hour_keep_their_utc_order(imported) -> None:
    times = [e.occurred_at for e in _timeline(imported, 107, "pin")]
    assert times == sorted(times) and len(times) >= 4


def test_a_pin_delivered_three_times_is_on_the_timeline_once(imported) -> None:
    pins = _timeline(imported, 209, "pin")
    assert len({p.message_ts for p in pins}) == len(pins)
    assert sum("ETA for full recovery" in p.text for p in pins) == 2  # two messages


def test_the_severity_the_fork_set_is_the_one_imported(imported) -> None:
    """Incident 216: "severity minor - 2 services" set major in the fork; that is history."""
    [change] = [e for e in _timeline(imported, 216, "severity") if "Major" in e.text]
    assert change.details["new"] == 2


def test_a_lead_removed_is_a_change_to_not_set(imported) -> None:
    removed = [e for e in _timeline(imported, 84, "lead") if e.details["new"] is None]
    assert removed and removed[0].text.endswith("→ not set")


def test_report_only_incidents_stay_reports_and_never_look_live(imported) -> None:
    closed_report = _incident(imported, 50)
    assert closed_report.report_only and closed_report.status == "resolved"
    with imported.connection_context():
        reports = Incident.select().where(Incident.report_only)
        assert all(not r.is_open for r in reports)


def test_the_private_incident_stays_private(imported) -> None:
    assert _incident(imported, 33).is_private


def test_long_texts_come_whole_and_html_stays_text(imported) -> None:
    incident = _incident(imported, 260)
    assert len(incident.title) <= 150 and "&amp;" not in incident.title
    assert "<script>alert('x')</script>" in incident.summary  # text, shown escaped
    longest = max(_timeline(imported, 260, "pin"), key=lambda e: len(e.text))
    assert len(longest.text) == 37109


def test_a_pin_by_a_bot_keeps_its_author(imported) -> None:
    authors = {e.author_id for e in _timeline(imported, 160, "pin")}
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
        assert _incident(imported, 39).reporter_id == "U0YH0QUP386"


def test_channel_renames_are_on_the_timeline(imported) -> None:
    renames = [e.text for e in _timeline(imported, 92, "renamed")]
    assert any("#inc-idam-login-failures" in r for r in renames)
    assert renames[-1].endswith("#inc-2023-09-idam-login-failures (time not recorded)")
    assert _incident(imported, 92).channel_name == "inc-2023-09-idam-login-failures"


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
        assert _incident(imported, number).status == "investigating"


def test_an_arabic_title_with_a_zwj_emoji_comes_unchanged(imported) -> None:
    title = _incident(imported, 117).title
    assert "\u200d" in title and any("\u0600" <= c <= "\u06ff" for c in title)


def test_people_seen_in_the_channel_are_its_members(imported) -> None:
    channel = _incident(imported, 72).channel_id
    with imported.connection_context():
        assert ChannelMember.select().where(ChannelMember.channel_id == channel).count() > 0
