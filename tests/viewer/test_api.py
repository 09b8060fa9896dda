"""The JSON API: list and incident, checked against the OpenAPI document the app serves."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.viewer import schema_check
from tests.viewer.factories import T0


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["openapi"].startswith("3.1")
    return body


def test_list_matches_the_schema_and_links_to_the_next_page(make_app, seed, document) -> None:
    client = make_app(page_size=2, slack_workspace_url="https://acme.slack.com").test_client()
    seed.user("ULEAD", "Grace")
    for n in range(3):
        seed.incident(
            title=f"Disk {n}",
            lead_id="ULEAD" if n else None,
            severity=n or None,
            reported_at=T0 + dt.timedelta(hours=n),
            channel_id=f"C0DISK{n}" if n else None,
            channel_name=f"inc-disk-{n}" if n else None,
        )
    first = client.get("/api/incidents?q=disk")
    body = first.get_json()
    assert schema_check.response_errors(document, "/api/incidents", 200, body) == []
    # Open ones, the most severe first.
    assert [item["title"] for item in body["items"]] == ["Disk 1", "Disk 2"]
    assert body["items"][0]["channel"] == {
        "id": "C0DISK1",
        "name": "inc-disk-1",
        "url": "https://acme.slack.com/archives/C0DISK1",
    }
    assert body["total"] == 3 and body["pages"] == 2
    assert body["links"]["next"] == "http://localhost/api/incidents?q=disk&page=2"
    assert body["links"]["prev"] is None
    assert body["items"][0]["lead"] == {"id": "ULEAD", "name": "Grace"}

    second = client.get(body["links"]["next"]).get_json()
    assert schema_check.response_errors(document, "/api/incidents", 200, second) == []
    assert [item["title"] for item in second["items"]] == ["Disk 0"]
    assert second["links"]["next"] is None
    assert second["items"][0]["severity"] == {"level": None, "label": "Not set"}
    assert second["items"][0]["channel"] is None


def test_per_page_is_kept_in_links(client, seed) -> None:
    for _ in range(3):
        seed.incident()
    body = client.get("/api/incidents?per_page=1").get_json()
    assert body["per_page"] == 1
    assert body["links"]["next"] == "http://localhost/api/incidents?page=2&per_page=1"


def test_list_filters_match_the_page(client, seed) -> None:
    seed.incident(title="Open sev1", severity=1)
    seed.incident(title="Closed sev1", severity=1, status="resolved")
    seed.incident(title="Open sev3", severity=3)
    body = client.get("/api/incidents?status=open&severity=1").get_json()
    assert [i["title"] for i in body["items"]] == ["Open sev1"]


def test_bad_parameters_are_400_with_an_error_body(client, document) -> None:
    response = client.get("/api/incidents?severity=7")
    assert response.status_code == 400
    body = response.get_json()
    assert schema_check.response_errors(document, "/api/incidents", 400, body) == []
    assert "severity" in body["error"]["detail"]


def test_incident_matches_the_schema(client, seed, document) -> None:
    seed.user("UREP", "Ada")
    incident = seed.incident(
        title="Payments",
        summary="*Cards* fail",
        reporter_id="UREP",
        channel_id="C0PAY",
        channel_name="inc-pay",
        severity=2,
    )
    seed.event(
        incident,
        text="<@UREP> rolled back",
        author_id="UREP",
        permalink="https://acme.slack.com/archives/C0PAY/p1",
        files=[{"name": "a.png", "url": "https://f.example/a.png"}],
    )
    seed.event(incident, kind="note", text="From an integration", author_name="deploybot")
    response = client.get(f"/api/incidents/{incident.id}")
    body = response.get_json()
    assert schema_check.response_errors(document, "/api/incidents/{number}", 200, body) == []
    assert body["number"] == incident.id
    assert body["reporter"] == {"id": "UREP", "name": "Ada"}
    assert body["channel"] == {
        "id": "C0PAY",
        "name": "inc-pay",
        "url": "https://acme.slack.com/archives/C0PAY",
    }
    assert body["times"]["reported_at"] == "2025-03-10T09:00:00Z"
    assert [e["kind"] for e in body["timeline"]] == ["pin", "note"]
    assert body["timeline"][0]["html"] == '<p><span class="mention">@Ada</span> rolled back</p>'
    assert body["timeline"][1]["author"] == {"id": None, "name": "deploybot"}
    assert body["actions"] == [] and body["status_history"] == []


def test_the_api_says_how_each_entry_came_and_what_was_taken_off(client, seed, document) -> None:
    """As complete as the page: each entry's source and flags, who changed each status from
    where, and the messages taken off the timeline, kept with who took them off."""
    seed.user("UREP", "Ada")
    seed.user("ULEAD", "Grace")
    incident = seed.incident(title="Queue", reporter_id="UREP", channel_id="C0Q")
    seed.event(
        incident,
        kind="pin",
        source="pin",
        added_by_id="UREP",
        edited_at=T0,
        details={"removals": [{"removed_at": "2025-03-10T09:10:00+00:00", "removed_by": "ULEAD"}]},
    )
    seed.event(
        incident,
        kind="reaction",
        source="reaction",
        text="a guess that was wrong",
        added_by_id="ULEAD",
        removed_at=T0 + dt.timedelta(hours=1),
        removed_by_id="ULEAD",
    )
    seed.status_change(
        incident,
        from_status="investigating",
        status="identified",
        changed_at=T0 + dt.timedelta(minutes=30),
        changed_by="ULEAD",
        source="mention",
    )
    body = client.get(f"/api/incidents/{incident.id}").get_json()
    assert schema_check.response_errors(document, "/api/incidents/{number}", 200, body) == []
    [entry] = body["timeline"]
    assert (entry["source"], entry["edited"], entry["deleted"]) == ("pin", True, False)
    assert entry["added_by"] == {"id": "UREP", "name": "Ada"}
    assert entry["removals"] == [
        {"removed_at": "2025-03-10T09:10:00Z", "removed_by": {"id": "ULEAD", "name": "Grace"}}
    ]
    [removed] = body["removed_from_timeline"]
    assert removed["text"] == "a guess that was wrong" and removed["source"] == "reaction"
    assert removed["removed_by"] == {"id": "ULEAD", "name": "Grace"}
    assert removed["removed_at"] == "2025-03-10T10:00:00Z"
    assert body["status_history"] == [
        {
            "status": "identified",
            "from_status": "investigating",
            "changed_at": "2025-03-10T09:30:00Z",
            "changed_by": {"id": "ULEAD", "name": "Grace"},
            "source": "mention",
        }
    ]
    # Not on the page either: it left the timeline.
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "a guess that was wrong" not in page
    # The review says the same: who changed the status and how, what was taken off.
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    assert "- Mon 10 Mar 2025, 09:30 GMT: Identified by Grace (@-mention)" in review
    assert "Pinned message, pinned by Ada" in review
    assert "- _Taken off the timeline by Grace at Mon 10 Mar 2025, 09:10 GMT, then put back._" in (
        review
    )
    taken = review.split("## Taken off the timeline", 1)[1].split("##", 1)[0]
    assert "a guess that was wrong — removed" in taken and taken.strip().endswith("by Grace")


def test_unknown_and_private_incidents_are_404_json(make_app, seed, document) -> None:
    private = seed.incident(is_private=True)
    client = make_app().test_client()
    for number in (private.id, 999):
        response = client.get(f"/api/incidents/{number}")
        assert response.status_code == 404
        body = response.get_json()
        assert schema_check.response_errors(document, "/api/incidents/{number}", 404, body) == []
    assert client.get("/api/incidents").get_json()["total"] == 0
    shown = make_app(show_private=True).test_client()
    assert shown.get(f"/api/incidents/{private.id}").get_json()["is_private"] is True


def test_the_checker_catches_drift(document) -> None:
    good = {"error": {"status": 404, "title": "x", "detail": "y"}}
    assert schema_check.response_errors(document, "/api/incidents/{number}", 404, good) == []
    extra = {"error": {**good["error"], "stack": "..."}}
    assert schema_check.response_errors(document, "/api/incidents/{number}", 404, extra)
    wrong = {"error": {**good["error"], "status": "404"}}
    assert schema_check.response_errors(document, "/api/incidents/{number}", 404, wrong)
