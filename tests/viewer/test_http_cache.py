"""What responses tell browsers: compressed bodies, validators that answer 304, and a
caching policy that never stores what not everyone may read."""

from __future__ import annotations

import gzip

from freezegun import freeze_time

from viewer.config import AuthSettings


def test_pages_and_the_api_are_compressed_for_clients_that_accept_it(client, seed) -> None:
    incident = seed.incident(title="Compressed")
    for n in range(40):
        seed.event(incident, text=f"step {n} of the rollback, nothing unusual to report")
    for path in (f"/incidents/{incident.id}", f"/api/incidents/{incident.id}"):
        # One clock for both: an open incident's duration so far is in the answer.
        with freeze_time("2025-03-10 12:00:00"):
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.get_data()) == plain.get_data()
        assert len(packed.get_data()) < len(plain.get_data()) / 3


def test_an_unchanged_page_asked_for_again_is_a_304(client, seed) -> None:
    incident = seed.incident(title="Validated")
    path = f"/incidents/{incident.id}"
    # One clock throughout: an open incident's page shows its duration so far.
    with freeze_time("2025-03-10 12:00:00"):
        for encoding in ("identity", "gzip"):
            first = client.get(path, headers={"Accept-Encoding": encoding})
            etag = first.headers["ETag"]
            again = client.get(path, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
            assert again.status_code == 304 and again.get_data() == b""
            assert first.headers["Cache-Control"] == "no-cache"
        seed.event(incident, text="something new")
        changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_private_incidents_and_signed_in_viewers_are_never_stored(make_app, seed) -> None:
    public = seed.incident(title="Public")
    private = seed.incident(title="Private", is_private=True)
    anonymous = make_app().test_client()  # private incidents hidden: nothing to protect
    assert anonymous.get(f"/incidents/{public.id}").headers["Cache-Control"] == "no-cache"
    app = make_app(show_private=True)
    client = app.test_client()
    # With private incidents shown, any page may hold one: a list, a search, the follow-ups.
    for path in (
        f"/incidents/{private.id}",
        f"/api/incidents/{private.id}",
        "/",
        "/?q=private",
        "/api/incidents?q=private",
        "/actions",
        "/api/actions",
        f"/incidents/{public.id}",
    ):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response.headers
    signed_in = make_app(
        auth=AuthSettings(mode="header", trusted_proxies=("127.0.0.1/32",))
    ).test_client()
    response = signed_in.get("/", headers={"X-Forwarded-Email": "alice@example.com"})
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_coding_refused_with_q_0_is_not_used(client, seed) -> None:
    incident = seed.incident(title="Refused coding")
    for n in range(40):
        seed.event(incident, text=f"step {n} of the rollback, nothing unusual to report")
    path = f"/incidents/{incident.id}"
    for header in ("gzip;q=0", "gzip; q=0.0, identity", "br;q=0, gzip;q=0"):
        answer = client.get(path, headers={"Accept-Encoding": header})
        assert "Content-Encoding" not in answer.headers, header
    chosen = client.get(path, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert chosen.headers["Content-Encoding"] == "gzip"
