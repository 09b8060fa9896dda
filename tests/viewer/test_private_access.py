"""Private incidents: shown only to signed-in members of their Slack channel (or to everyone
signed in with VIEWER_SHOW_PRIVATE=true); every view is a row in the audit log, written
through the audit connection alone, in a fixed number of queries."""

from __future__ import annotations

import pytest

from testkit.sql_count import counting
from tests.viewer.conftest import oidc_auth, sign_in
from tests.viewer.test_header_auth import PROXY, header_auth

DETAIL_PATHS = ("/incidents/{n}", "/api/incidents/{n}", "/incidents/{n}/review.md")


class Person:
    """A browser behind the auth proxy, as one Slack user."""

    def __init__(self, client, slack_id: str | None, email: str = "p@example.com") -> None:
        self.client = client
        self.headers = {"X-Forwarded-Email": email}
        if slack_id:
            self.headers["X-Forwarded-User"] = slack_id

    def get(self, path: str):
        return self.client.get(path, headers=self.headers, environ_base={"REMOTE_ADDR": PROXY})


@pytest.fixture
def secret(seed):
    public = seed.incident(title="Public outage", channel_id="C0PUB", lead_id="UOTHER")
    private = seed.incident(
        title="Secret breach",
        is_private=True,
        channel_id="C0SEC",
        channel_name="inc-secret",
        severity=1,
    )
    seed.member("C0SEC", "UMEMBER", "UOTHER")
    seed.member("C0PUB", "UOUTSIDER")
    seed.event(public, text="Same root cause as <#C0SEC>")
    seed.event(private, text="Customers see <#C0PUB>")
    return public, private


def test_a_channel_member_sees_it_and_each_view_is_audited(make_app, seed, secret) -> None:
    _, private = secret
    member = Person(make_app(auth=header_auth()).test_client(), "UMEMBER", "m@example.com")
    for path in DETAIL_PATHS:
        response = member.get(path.format(n=private.id))
        assert response.status_code == 200, path
        assert "Secret breach" in response.get_data(as_text=True)
    assert member.get("/api/incidents").get_json()["total"] == 2
    assert "inc-secret" in member.get(f"/incidents/{secret[0].id}").get_data(as_text=True)
    assert "Secret breach" in member.get("/").get_data(as_text=True)
    assert "2 incidents" in member.get("/stats").get_data(as_text=True)

    entries = seed.audit_entries()
    assert len(entries) == len(DETAIL_PATHS)  # the list and stats are not views of it
    for entry, path in zip(entries, DETAIL_PATHS, strict=True):
        assert entry.incident_id == private.id
        assert (entry.actor_id, entry.source, entry.action) == ("UMEMBER", "viewer", "viewed")
        assert entry.details["path"] == path.format(n=private.id)
        assert entry.details["email"] == "m@example.com"
        assert entry.details["remote_addr"] == PROXY


@pytest.mark.parametrize("slack_id", ["UOUTSIDER", None, "not-a-slack-id"])
def test_anyone_else_does_not_learn_it_exists(make_app, seed, secret, slack_id) -> None:
    public, private = secret
    person = Person(make_app(auth=header_auth()).test_client(), slack_id)
    for path in DETAIL_PATHS:
        assert person.get(path.format(n=private.id)).status_code == 404, path
        assert person.get(path.format(n=public.id)).status_code == 200, path
    listing = person.get("/api/incidents").get_json()
    assert [item["title"] for item in listing["items"]] == ["Public outage"]
    assert "Secret breach" not in person.get("/").get_data(as_text=True)
    assert "Secret breach" not in person.get("/?q=breach").get_data(as_text=True)
    assert "1 incident over" in person.get("/stats").get_data(as_text=True)
    # A mention of the private channel in a public incident does not give its name away.
    assert "inc-secret" not in person.get(f"/incidents/{public.id}").get_data(as_text=True)
    assert seed.audit_entries() == []


def test_show_private_shows_everyone_signed_in_and_still_audits(make_app, seed, secret) -> None:
    _, private = secret
    person = Person(make_app(auth=header_auth(), show_private=True).test_client(), "UOUTSIDER")
    assert person.get(f"/incidents/{private.id}").status_code == 200
    (entry,) = seed.audit_entries()
    assert entry.actor_id == "UOUTSIDER"


def test_the_slack_user_id_comes_from_the_id_token(make_app, seed, secret, oidc) -> None:
    _, private = secret
    oidc.user["https://slack.com/user_id"] = "UMEMBER"
    client = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(client)
    assert client.get(f"/incidents/{private.id}").status_code == 200
    (entry,) = seed.audit_entries()
    assert (entry.actor_id, entry.details["subject"]) == ("UMEMBER", "alice-sub")

    oidc.user.pop("https://slack.com/user_id")
    stranger = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(stranger)
    assert stranger.get(f"/incidents/{private.id}").status_code == 404


def test_without_a_slack_id_the_verified_email_of_a_member_stands_for_them(
    make_app, seed, secret, oidc
) -> None:
    """Entra ID and most providers know nothing of Slack: the address the bot saw in
    users.info for a channel member is what recognises them."""
    _, private = secret
    seed.user("UMEMBER", "Member", email="member@example.com")
    seed.user("UOUTSIDER", "Outsider", email="outsider@example.com")

    oidc.user.pop("https://slack.com/user_id")
    oidc.user.update({"email": "Member@Example.com", "email_verified": True})
    member = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(member)
    assert member.get(f"/incidents/{private.id}").status_code == 200
    assert member.get("/api/incidents").get_json()["total"] == 2
    (entry,) = seed.audit_entries()
    assert (entry.actor_id, entry.details["email"]) == (None, "Member@Example.com")

    # Behind a proxy the signed-in address is the proxy's word.
    via_proxy = Person(make_app(auth=header_auth()).test_client(), None, "member@example.com")
    assert via_proxy.get(f"/incidents/{private.id}").status_code == 200

    outsider = Person(make_app(auth=header_auth()).test_client(), None, "outsider@example.com")
    assert outsider.get(f"/incidents/{private.id}").status_code == 404


def test_an_unverified_email_is_not_matched(make_app, seed, secret, oidc) -> None:
    _, private = secret
    seed.user("UMEMBER", "Member", email="member@example.com")
    oidc.user.pop("https://slack.com/user_id")
    oidc.user.update({"email": "member@example.com", "email_verified": False})
    client = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(client)
    assert client.get(f"/incidents/{private.id}").status_code == 404
    assert client.get("/api/incidents").get_json()["total"] == 1


def test_a_slack_id_wins_over_the_email(make_app, seed, secret, oidc) -> None:
    _, private = secret
    seed.user("UMEMBER", "Member", email="member@example.com")
    oidc.user.update({"email": "member@example.com", "https://slack.com/user_id": "UOUTSIDER"})
    client = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(client)
    assert client.get(f"/incidents/{private.id}").status_code == 404


def test_the_claim_name_is_configurable(make_app, seed, secret, oidc) -> None:
    _, private = secret
    oidc.user["slack_id"] = "UOTHER"
    client = make_app(auth=oidc_auth(oidc, slack_user_claim="slack_id")).test_client()
    sign_in(client)
    assert client.get(f"/incidents/{private.id}").status_code == 200


def test_a_members_views_take_the_same_queries_and_one_audit_insert(make_app, seed, secret) -> None:
    public, private = secret
    app = make_app(auth=header_auth())
    member = Person(app.test_client(), "UMEMBER")
    audit_database = app.extensions["viewer.audit_database"]
    counts = {}
    for label, path in (
        ("list", "/"),
        ("public", f"/incidents/{public.id}"),
        ("private", f"/incidents/{private.id}"),
        ("api", f"/api/incidents/{private.id}"),
    ):
        with counting(app) as reads:
            original = audit_database.execute_sql
            writes: list[str] = []

            def record(sql, params=None, *args, _writes=writes, _original=original, **kwargs):
                _writes.append(sql)
                return _original(sql, params, *args, **kwargs)

            audit_database.execute_sql = record
            try:
                assert member.get(path).status_code == 200, path
            finally:
                del audit_database.execute_sql
        assert all(sql.lstrip().upper().startswith("SELECT") for sql in reads), reads
        counts[label] = (len(reads), writes)
    # The same fixed counts as the query-count test: membership is a subquery.
    assert counts["list"] == (3, [])
    assert counts["public"] == (6, [])
    for label in ("private", "api"):
        reads, writes = counts[label]
        assert reads == 6
        (insert,) = writes
        assert insert.startswith('INSERT INTO "audit_entry"'), insert
        assert "RETURNING" not in insert
