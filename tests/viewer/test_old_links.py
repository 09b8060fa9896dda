"""The fork's incident links, in documents and bookmarks, land on the incident's page."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/incident/{n}/", "/incident/{n}"])
def test_responses_incident_links_move_here_for_good(client, seed, path: str) -> None:
    incident = seed.incident(title="From the old tool")
    answer = client.get(path.format(n=incident.id))
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"/incidents/{incident.id}"
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200 and "From the old tool" in page.get_data(as_text=True)


def test_a_link_to_no_incident_ends_on_the_not_found_page(client) -> None:
    answer = client.get("/incident/424242/", follow_redirects=True)
    assert answer.status_code == 404
