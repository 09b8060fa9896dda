"""One incident's page, its review export, the 404 page and private incidents."""

from __future__ import annotations

import datetime as dt

from tests.viewer.factories import T0


def test_incident_page_shows_the_facts(client, seed) -> None:
    seed.user("UREP", "Ada")
    seed.user("ULEAD", "", real_name="Grace Hopper")
    incident = seed.incident(
        title="Payments failing",
        summary="Card payments *fail*",
        impact="All EU customers",
        severity=2,
        status="monitoring",
        reporter_id="UREP",
        lead_id="ULEAD",
        channel_id="C0PAY",
        channel_name="inc-payments",
    )
    seed.event(incident, author_id="UHELP", author_name="helper", text="Rolled back")
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f"Incident {incident.id}" in html
    assert '<h1 class="heading-l">Payments failing</h1>' in html
    assert "Status: </span>Monitoring" in html
    assert "Severity: </span>SEV2 Major" in html
    assert "Card payments <strong>fail</strong>" in html
    assert "All EU customers" in html
    assert "<dt>Reporter</dt><dd>Ada</dd>" in html
    assert "<dt>Lead</dt><dd>Grace Hopper</dd>" in html
    assert "<li>Ada</li><li>Grace Hopper</li><li>helper</li>" in html
    assert 'href="https://acme.slack.com/archives/C0PAY">#inc-payments</a>' in html
    assert '<dt>Reported</dt><dd><time datetime="2025-03-10T09:00:00Z">' in html
    assert "<dt>Acknowledged</dt><dd>Not recorded</dd>" in html


def test_no_slack_links_without_a_workspace_url(make_app, seed) -> None:
    incident = seed.incident(channel_id="C0PAY", channel_name="inc-payments")
    html = make_app().test_client().get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "slack.com" not in html
    assert "#inc-payments" in html


def test_timeline_in_time_order_with_kind_author_and_local_time(client, seed) -> None:
    seed.user("UALICE", "alice")
    incident = seed.incident()
    later = seed.event(
        incident,
        kind="note",
        text="Second",
        occurred_at=T0 + dt.timedelta(hours=2),
        author_id="UALICE",
    )
    earlier = seed.event(
        incident,
        kind="pin",
        text="First",
        occurred_at=T0 + dt.timedelta(hours=1),
        author_name="bob",
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert html.index(f'id="entry-{earlier.id}"') < html.index(f'id="entry-{later.id}"')
    assert "Pinned message" in html and "Note</span>" in html
    assert '<span class="author">alice</span>' in html
    assert '<span class="author">bob</span>' in html
    # All on one day: times only.
    assert '<time datetime="2025-03-10T10:00:00Z">10:00</time>' in html


def test_a_message_entry_says_who_put_it_on_the_timeline(client, seed) -> None:
    """The author wrote it; someone else pinned or marked it: both are named."""
    seed.user("UALICE", "alice")
    seed.user("UBOB", "bob")
    incident = seed.incident()
    seed.event(incident, kind="reaction", text="db at 100%", author_id="UBOB", added_by_id="UALICE")
    seed.event(incident, kind="pin", text="own pin", author_id="UBOB", added_by_id="UBOB")
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert (
        'Marked message</span> <span class="author">bob</span> '
        '<span class="adder">marked by alice</span>'
    ) in html
    assert html.count('class="adder"') == 1  # bob pinning his own message says it once


def test_a_timeline_over_days_has_a_heading_per_day(client, seed) -> None:
    incident = seed.incident()
    seed.event(incident, occurred_at=dt.datetime(2025, 3, 10, 23, 0, tzinfo=dt.UTC))
    seed.event(incident, occurred_at=dt.datetime(2025, 3, 11, 1, 0, tzinfo=dt.UTC))
    seed.event(incident, occurred_at=dt.datetime(2025, 3, 11, 2, 0, tzinfo=dt.UTC))
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    first = html.index(
        '<h3 class="heading-s timeline__day" id="day-2025-03-10">Monday 10 March 2025'
    )
    second = html.index('id="day-2025-03-11">Tuesday 11 March 2025</h3>')
    assert first < html.index(">23:00</time>") < second < html.index(">01:00</time>")
    assert html.count("timeline__day") == 2
    assert '<a href="#day-2025-03-10">10 Mar</a>' in html  # jump to a day


def test_the_hour_the_clocks_go_back_says_which_one(client, seed) -> None:
    """In London 01:00-02:00 on 26 Oct 2025 happens twice: the clock alone would read
    01:55 then 01:10."""
    incident = seed.incident()
    seed.event(incident, occurred_at=dt.datetime(2025, 10, 26, 0, 55, tzinfo=dt.UTC))
    seed.event(incident, occurred_at=dt.datetime(2025, 10, 26, 1, 10, tzinfo=dt.UTC))
    seed.event(incident, occurred_at=dt.datetime(2025, 10, 26, 9, 0, tzinfo=dt.UTC))
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert html.index(">01:55 BST</time>") < html.index(">01:10 GMT</time>")
    assert ">09:00</time>" in html
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert review.index("### 01:55 BST:") < review.index("### 01:10 GMT:")


def test_a_change_of_when_the_impact_started_is_a_change(client, seed) -> None:
    incident = seed.incident()
    entry = seed.event(
        incident,
        kind="started",
        text="Impact started: not set → 2025-03-04 09:15 UTC",
        message_ts=None,
    )
    html = client.get(f"/incidents/{incident.id}?kind=changes").get_data(as_text=True)
    assert f'class="entry k-changes" id="entry-{entry.id}"' in html
    assert "Impact start change" in html


def test_a_long_timeline_can_be_filtered_turned_round_and_linked_to(client, seed) -> None:
    incident = seed.incident()
    pin = seed.event(incident, kind="pin", text="restarted the pool")
    change = seed.event(
        incident, kind="status", text="Status: Investigating → Identified", message_ts=None
    )
    update = seed.event(incident, kind="update", text="Rolling back", message_ts=None)
    note = seed.event(incident, kind="note", text="call with vendor", message_ts=None)
    page = f"/incidents/{incident.id}"
    html = client.get(page).get_data(as_text=True)
    assert f'class="entry k-changes" id="entry-{change.id}"' in html
    assert f'class="entry k-updates" id="entry-{update.id}"' in html
    assert 'aria-current="page">All (4)</a>' in html
    assert f'<a href="{page}?kind=messages">Messages (1)</a>' in html
    assert f'<a href="{page}?kind=changes">Changes (1)</a>' in html
    assert "Follow-ups (" not in html  # no entries of that kind: no link
    # Every entry has a link of its own (in the view it is shown in).
    assert f'<p class="meta"><a href="#entry-{pin.id}"><time' in html
    assert f'<a href="{page}#entry-{note.id}">Jump to the latest entry</a>' in html

    only = client.get(f"{page}?kind=updates&order=newest").get_data(as_text=True)
    assert f'id="entry-{update.id}"' in only and f'id="entry-{pin.id}"' not in only
    assert "1 of 4 entries, newest first." in only
    # The other choice is kept in each link.
    assert f'<a href="{page}?kind=notes&amp;order=newest">Notes (1)</a>' in only
    assert f'<a href="{page}?kind=updates">Oldest first</a>' in only
    assert "Jump to the latest entry" not in only  # newest first: it is at the top

    turned = client.get(f"{page}?order=newest").get_data(as_text=True)
    assert turned.index(f'id="entry-{note.id}"') < turned.index(f'id="entry-{pin.id}"')
    # Nonsense in the query is the default view, not an error.
    odd = client.get(f"{page}?kind=%3Cscript%3E&order=sideways")
    assert odd.status_code == 200 and "4 entries, oldest first." in odd.get_data(as_text=True)


def test_files_are_listed_with_safe_links_only(client, seed) -> None:
    incident = seed.incident()
    seed.event(
        incident,
        files=[
            {"name": "graph.png", "url": "https://files.slack.com/graph.png"},
            {"name": "evil.html", "url": "javascript:alert(1)"},
            "not a file",
        ],
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert '<a href="https://files.slack.com/graph.png">graph.png</a>' in html
    assert "<li>evil.html</li>" in html
    assert "javascript:" not in html


def test_mentions_resolve_from_the_user_cache_and_channels(client, seed) -> None:
    seed.user("UALICE", "alice")
    other = seed.incident(channel_id="C0OTHER", channel_name="inc-other")
    incident = seed.incident()
    seed.event(incident, text="<@UALICE> see <#C0OTHER> and <@UNKNOWN>")
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert '<span class="mention">@alice</span>' in html
    assert ">#inc-other</a>" in html
    assert "@UNKNOWN" in html
    assert other.id != incident.id


def test_unknown_incident_is_a_proper_404_page(client) -> None:
    response = client.get("/incidents/4242")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert '<h1 class="heading-l">Page not found</h1>' in html
    assert "There is no incident 4242" in html
    assert client.get("/nowhere").status_code == 404
    assert client.get("/incidents/not-a-number").status_code == 404


def test_private_incident_is_404_unless_configured(make_app, seed) -> None:
    incident = seed.incident(title="Secret", is_private=True)
    hidden = make_app().test_client()
    refused = hidden.get(f"/incidents/{incident.id}")
    assert refused.status_code == 404
    # Someone who followed a link from Slack learns what would let them see it, and not
    # whether it exists: a number with no incident reads the same.
    reason = refused.get_data(as_text=True).split("<h1", 1)[1]
    assert "this viewer has no sign-in, so it shows no private incidents" in reason
    nothing = hidden.get("/incidents/4242").get_data(as_text=True).split("<h1", 1)[1]
    assert nothing.replace("4242", str(incident.id)) == reason
    assert hidden.get(f"/incidents/{incident.id}/review.md").status_code == 404
    shown = make_app(show_private=True).test_client()
    page = shown.get(f"/incidents/{incident.id}")
    assert page.status_code == 200
    assert "Private</strong>" in page.get_data(as_text=True)
    assert shown.get(f"/incidents/{incident.id}/review.md").status_code == 200


def test_review_export_is_a_downloadable_markdown_draft(client, seed) -> None:
    seed.user("UREP", "Ada")
    incident = seed.incident(
        title="Payments <b>failing</b>",
        summary="Cards *declined*",
        impact="EU",
        severity=1,
        reporter_id="UREP",
        channel_id="C0PAY",
        channel_name="inc-payments",
    )
    seed.event(
        incident,
        text="Rolled back <https://deploy.example/42|deploy 42>",
        author_id="UREP",
        files=[{"name": "log.txt", "url": "https://f/log.txt"}],
    )
    response = client.get(f"/incidents/{incident.id}/review.md")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="incident-{incident.id}-review.md"'
    )
    assert text.startswith(
        f"# Post-incident review: incident {incident.id}, Payments \\<b\\>failing\\</b\\>"
    )
    for expected in (
        "## Summary\n\nCards **declined**",
        "## Impact\n\nEU",
        "- **Reporter:** Ada",
        "- **Severity:** SEV1 Critical",
        "| Reported | Mon 10 Mar 2025, 09:00 GMT |",
        "## Timeline",
        "Rolled back [deploy 42](https://deploy.example/42)",
        "- File: log.txt",
        "## Follow-up actions",
    ):
        assert expected in text
    assert "<b>" not in text


def test_an_incident_slack_did_not_open_says_so_and_why(client, seed) -> None:
    incident = seed.incident(
        title="Stranded", channel_id=None, open_problem="restricted_action: ask a Slack admin"
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Not opened in Slack (Slack answered restricted_action: ask a Slack admin)" in html
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert body["opened_in_slack"] is False and body["channel"] is None
    assert body["open_problem"].startswith("restricted_action")


def test_an_imported_incident_says_where_it_came_from(client, seed) -> None:
    incident = seed.incident(
        title="Old report", imported_from="response", report_only=True, status="resolved"
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "From response, where it was a report only, never a live incident" in html
    # Never passed off as an incident that was run and resolved: here, in the list, the API.
    report_tag = '<span class="visually-hidden">Status: </span>Report only</strong>'
    assert report_tag in html and "Status: </span>Resolved" not in html
    assert report_tag in client.get("/?status=resolved").get_data(as_text=True)
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert body["report_only"] is True and body["status_label"] == "Report only"
    assert "- **Status:** Report only" in client.get(
        f"/incidents/{incident.id}/review.md"
    ).get_data(as_text=True)
    assert "Imported" not in client.get(
        f"/incidents/{seed.incident(title='Declared here').id}"
    ).get_data(as_text=True)


def test_when_the_impact_started_is_shown_with_the_time_to_detect(client, seed) -> None:
    reported = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    incident = seed.incident(
        title="Payments slow",
        reported_at=reported,
        started_at=reported - dt.timedelta(minutes=45),
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "<dt>Impact started</dt>" in html
    assert "<dt>Time to detect</dt><dd>45 minutes</dd>" in html
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert body["times"]["started_at"] == "2025-03-04T09:15:00Z"
    assert {"label": "Time to detect", "from": "started", "to": "reported", "seconds": 2700} in (
        body["durations"]
    )
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "| Impact started | " in review and "| Time to detect | 45 minutes |" in review


def test_a_deleted_message_keeps_its_place_but_not_its_words(client, seed) -> None:
    seed.user("UALICE", "Alice")
    incident = seed.incident(title="Oops")
    gone = seed.event(
        incident,
        text="token xoxb-123",
        files=[{"name": "xoxb-123.txt", "url": "https://f.example/x"}],
        author_id="UBOB",
        added_by_id="UALICE",
        edited_at=T0 + dt.timedelta(minutes=30),  # edited, then deleted
        deleted_at=T0 + dt.timedelta(hours=1),
    )
    edited = seed.event(incident, text="fixed wording", edited_at=T0 + dt.timedelta(hours=2))
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    entries = {e["id"]: e for e in body["timeline"]}
    assert entries[gone.id]["text"] is None and entries[gone.id]["html"] is None
    assert entries[gone.id]["files"] == []
    assert entries[gone.id]["deleted_at"] == "2025-03-10T10:00:00Z"
    assert entries[gone.id]["added_by"] == {"id": "UALICE", "name": "Alice"}
    assert entries[edited.id]["edited_at"] == "2025-03-10T11:00:00Z"
    assert (
        entries[edited.id]["deleted_at"] is None and entries[edited.id]["text"] == "fixed wording"
    )
    for path in (f"/incidents/{incident.id}", f"/incidents/{incident.id}/review.md"):
        assert "xoxb-123" not in client.get(path).get_data(as_text=True), path
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "no longer kept; Alice had put it on the timeline._" in review
    assert "fixed wording _(edited" in review
    # The deleted message's edit went with its words.
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    entry = page.split(f'id="entry-{gone.id}"')[1].split("</li>")[0]
    assert "Edited" not in entry and "Alice had put it on the timeline" in entry


def test_an_entry_rendered_before_shows_what_changed_since(client, seed) -> None:
    """Entries are rendered once and kept: an edit, a deletion or a new name is shown."""
    from models import SlackUser, TimelineEvent

    seed.user("UCAROL", "Carol")
    incident = seed.incident()
    entry = seed.event(incident, text="ask <@UCAROL> about the pool")
    page = f"/incidents/{incident.id}"
    assert "@Carol" in client.get(page).get_data(as_text=True)
    with seed.bound():
        SlackUser.update(display_name="Carol M").where(SlackUser.user_id == "UCAROL").execute()
    assert "@Carol M" in client.get(page).get_data(as_text=True)
    with seed.bound():
        TimelineEvent.update(text="ask <@UCAROL> about the queue").where(
            TimelineEvent.id == entry.id
        ).execute()
    assert "about the queue" in client.get(page).get_data(as_text=True)
    with seed.bound():
        TimelineEvent.update(text="", deleted_at=T0).where(TimelineEvent.id == entry.id).execute()
    html = client.get(page).get_data(as_text=True)
    assert "about the" not in html and "Message deleted in Slack" in html


def test_people_named_in_the_summary_and_impact_read_by_name_everywhere(client, seed) -> None:
    seed.user("UCAROL", "Carol")
    seed.user("UDAVE", "Dave")
    incident = seed.incident(
        summary="Failover started by <@UCAROL>",
        impact="Ask <@UDAVE> before telling customers",
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "@Carol" in html and "@Dave" in html and "UCAROL" not in html
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "@Carol" in review and "@Dave" in review and "UCAROL" not in review
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert body["names"]["UCAROL"] == "Carol" and body["names"]["UDAVE"] == "Dave"
    assert body["summary"] == "Failover started by <@UCAROL>"
    assert "@Carol" in body["summary_html"]


def test_identified_and_the_last_update_are_key_times(client, seed) -> None:
    reported = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    incident = seed.incident(
        reported_at=reported,
        status="identified",
        identified_at=reported + dt.timedelta(minutes=20),
        last_update_at=reported + dt.timedelta(minutes=50),
    )
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "<dt>Identified</dt>" in html
    assert "<dt>Time to identify</dt><dd>20 minutes</dd>" in html
    assert "<dt>Last update</dt>" in html and ">Tue 4 Mar 2025, 10:50 GMT</time>" in html
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert body["times"]["identified_at"] == "2025-03-04T10:20:00Z"
    assert body["last_update_at"] == "2025-03-04T10:50:00Z"
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "| Identified | " in review and "| Time to identify | 20 minutes |" in review


def test_an_open_incident_says_when_its_next_update_is_due(make_app, seed) -> None:
    from freezegun import freeze_time

    reported = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    sev1 = seed.incident(severity=1, reported_at=reported, last_update_at=reported)
    sev4 = seed.incident(severity=4, reported_at=reported)
    app = make_app(update_minutes={1: 30})
    with freeze_time("2025-03-04 10:10:00"):
        html = app.test_client().get(f"/incidents/{sev1.id}").get_data(as_text=True)
        body = app.test_client().get(f"/api/incidents/{sev1.id}").get_json()
    assert "<dt>Next update due</dt>" in html and ">Tue 4 Mar 2025, 10:30 GMT</time>" in html
    assert "Overdue" not in html
    assert body["next_update_due_at"] == "2025-03-04T10:30:00Z"
    with freeze_time("2025-03-04 11:00:00"):
        late = app.test_client().get(f"/incidents/{sev1.id}").get_data(as_text=True)
    assert 'Next update due</dt><dd><time datetime="2025-03-04T10:30:00Z">' in late
    assert 'tag--overdue">Overdue' in late
    # No updates asked for at SEV4 here.
    assert "Next update due" not in app.test_client().get(f"/incidents/{sev4.id}").get_data(
        as_text=True
    )


def test_mentions_in_titles_read_as_names_everywhere(client, seed) -> None:
    """Titles stored before the bot made them readable (or imported) still hold raw ids."""
    seed.user("UALICE", "alice")
    incident = seed.incident(title="Checkout down for <@UALICE>'s team <!here>")
    seed.action(incident, "Ask <@UALICE> for the runbook", owner_id="UALICE")
    wanted = "Checkout down for @alice's team @here"
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f"<title>Incident {incident.id}: {wanted} " in page.replace("&#39;", "'")
    assert f'<h1 class="heading-l">{wanted}</h1>' in page.replace("&#39;", "'")
    assert "Ask @alice for the runbook" in page
    listed = client.get("/").get_data(as_text=True).replace("&#39;", "'")
    assert wanted in listed and "UALICE" not in listed
    actions = client.get("/actions").get_data(as_text=True).replace("&#39;", "'")
    assert wanted in actions and "Ask @alice for the runbook" in actions
    assert "&lt;@UALICE" not in actions and "UALICE" not in actions.split("owner=")[0]
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "Checkout down for @alice's team @here" in review.replace("\\", "")
    assert "UALICE" not in review
    api = client.get(f"/api/incidents/{incident.id}").get_json()
    assert api["title"] == "Checkout down for <@UALICE>'s team <!here>"  # as stored
    assert api["title_text"] == wanted
    [item] = client.get("/api/incidents").get_json()["items"]
    assert item["title_text"] == wanted
    [action] = client.get("/api/actions").get_json()["items"]
    assert action["title_text"] == "Ask @alice for the runbook"
