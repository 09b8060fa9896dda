"""Follow-ups on an incident's page, across incidents (/actions and /api/actions), in the
API and in the review draft: owner, due date (and overdue), ticket, who finished it."""

from __future__ import annotations

import datetime as dt

from tests.viewer.factories import T0

PAST = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)  # due by the end of 28 Feb (London)
FUTURE = dt.datetime(2099, 1, 2, 0, 0, tzinfo=dt.UTC)


def _world(seed):
    seed.user("UALICE", "Alice")
    seed.user("UBOB", "Bob")
    first = seed.incident(title="Payments down")
    second = seed.incident(title="Search slow")
    hidden = seed.incident(title="Secret", is_private=True)
    late = seed.action(
        first,
        "Add an alert",
        owner_id="UALICE",
        due_at=PAST,
        ticket_url="https://jira.example.com/browse/OPS-1",
    )
    later = seed.action(second, "Write the runbook", owner_id="UBOB", due_at=FUTURE)
    done = seed.action(first, "Roll back", owner_id="UBOB", done=True, done_by="UALICE", done_at=T0)
    secret = seed.action(hidden, "Rotate the secret", owner_id="UALICE")
    return first, late, later, done, secret


def test_an_incidents_follow_ups_show_owner_due_ticket_and_who_finished(client, seed) -> None:
    first, late, _, done, _ = _world(seed)
    html = client.get(f"/incidents/{first.id}").get_data(as_text=True)
    # The title on a line of its own, the details below it.
    assert (
        '<p class="followup__title"><strong>Open</strong>: Add an alert '
        '<strong class="tag tag--overdue">Overdue</strong></p>'
    ) in html
    assert '<p class="followup__details small">Owner: Alice · due 28 Feb 2025 · ' in html
    assert '<a href="https://jira.example.com/browse/OPS-1">ticket OPS-1' in html
    assert "Owner: Bob · done by Alice" in html
    body = client.get(f"/api/incidents/{first.id}").get_json()
    by_id = {a["id"]: a for a in body["actions"]}
    assert by_id[late.id]["owner"] == {"id": "UALICE", "name": "Alice"}
    assert by_id[late.id]["overdue"] is True and by_id[late.id]["due_at"] == "2025-03-01T00:00:00Z"
    assert by_id[late.id]["ticket_url"] == "https://jira.example.com/browse/OPS-1"
    assert by_id[done.id]["done_by"] == {"id": "UALICE", "name": "Alice"}
    review = client.get(f"/incidents/{first.id}/review.md").get_data(as_text=True)
    assert "- [ ] Add an alert — owner: Alice; due 28 Feb 2025 (overdue); [ticket](" in review
    assert "- [x] Roll back — owner: Bob; done by Alice" in review


def test_follow_ups_across_incidents_open_first_and_private_ones_hidden(client, seed) -> None:
    _, late, later, done, secret = _world(seed)
    html = client.get("/actions").get_data(as_text=True)
    assert "2 follow-ups" in html
    assert html.index("Add an alert") < html.index("Write the runbook")  # soonest due first
    assert "Roll back" not in html and "Rotate the secret" not in html
    every = client.get("/actions?state=all").get_data(as_text=True)
    assert "3 follow-ups" in every and "Roll back" in every and "Rotate the secret" not in every
    overdue = client.get("/actions?overdue=1").get_data(as_text=True)
    assert "1 follow-up" in overdue and "Write the runbook" not in overdue
    bobs = client.get("/actions?owner=UBOB&state=all").get_data(as_text=True)
    assert "2 follow-ups of Bob" in bobs and "Add an alert" not in bobs
    assert "Open ones first, then those done; the soonest due first within each" in bobs
    assert "The soonest due first; those with no due date last." in html
    assert "every follow-up of Alice</a>" in html
    done_only = client.get("/actions?state=done").get_data(as_text=True)
    assert "Open ones first" not in done_only
    nobody = client.get("/actions?owner=UNOBODY").get_data(as_text=True)
    assert "0 follow-ups of the Slack user UNOBODY" in nobody
    body = client.get("/api/actions?state=all").get_json()
    assert [a["id"] for a in body["items"]] == [late.id, later.id, done.id]
    assert body["total"] == 3
    assert secret.id not in [a["id"] for a in body["items"]]
    # Nonsense is the default view, not an error.
    assert client.get("/actions?state=%3Cx%3E&owner=a%20b&page=-3").status_code == 200


def test_private_follow_ups_are_shown_to_who_may_see_them(make_app, seed) -> None:
    *_, secret = _world(seed)
    shown = make_app(show_private=True).test_client().get("/actions").get_data(as_text=True)
    assert "Rotate the secret" in shown


def test_the_api_refuses_parameters_it_does_not_understand(client, seed) -> None:
    for query in ("state=bogus", "page=0", "page=x", "overdue=yes", "owner=%3Cscript%3E"):
        answer = client.get(f"/api/actions?{query}")
        assert answer.status_code == 400, query
        assert answer.get_json()["error"]["status"] == 400
    assert client.get("/api/actions?state=done&page=1&overdue=1&owner=UALICE").status_code == 200
    # The page shows its default view instead: a person followed an old link.
    assert client.get("/actions?state=bogus").status_code == 200
