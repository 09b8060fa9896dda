"""VIEWER_AUTH=oidc against a real (local) OpenID Connect provider: the round trip, the checks
on the ID token, state and PKCE, who may sign in, the session cookie, and signing out.

The flow does not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from freezegun import freeze_time

from models import init_database, migrate
from tests.viewer.conftest import (
    local,
    oidc_auth,
    provider_redirect,
    redirect_target,
    sign_in,
    start_sign_in,
)
from tests.viewer.oidc_provider import CLIENT_ID
from viewer.auth.routes import local_path


@pytest.fixture
def database_url(tmp_path) -> str:
    """SQLite only here (overrides the both-databases fixture): sign-in reads no rows."""
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    migrate(init_database(url))
    return url


def next_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/login" and not parts.netloc, location
    return parse_qs(parts.query)["next"][0]


def test_a_person_signs_in_and_lands_where_they_were_going(make_app, seed, oidc) -> None:
    incident = seed.incident(title="Payments failing")
    client = make_app(auth=oidc_auth(oidc)).test_client()

    to_login = redirect_target(client.get(f"/incidents/{incident.id}?tab=1"))
    assert next_of(to_login) == f"/incidents/{incident.id}?tab=1"
    login = client.get(to_login)
    to_provider = redirect_target(login)
    query = {k: v[0] for k, v in parse_qs(urlsplit(to_provider).query).items()}
    assert to_provider.startswith(f"{oidc.issuer}/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://viewer.test/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and "openid" in query["scope"].split()
    assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    landed = client.get(local(provider_redirect(to_provider)))
    assert redirect_target(landed) == f"/incidents/{incident.id}?tab=1"
    page = client.get(f"/incidents/{incident.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Payments failing" in html and "Signed in as Alice Example" in html
    assert client.get("/api/incidents").status_code == 200

    (token_request,) = oidc.token_requests
    assert token_request["code_verifier"][0]  # PKCE: the verifier went to the provider
    assert "client_secret" not in token_request  # sent as HTTP Basic, not in the form


def test_the_cookie_is_secure_behind_https(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc, public_url="https://viewer.example")).test_client()
    assert "Secure" in client.get("/login").headers["Set-Cookie"]


def test_strangers_are_sent_to_sign_in_and_programs_get_401(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    assert next_of(redirect_target(client.get("/stats"))) == "/stats"
    assert next_of(redirect_target(client.get("/"))) == "/"
    for path in ("/api/incidents", "/api/incidents/1", "/api/openapi.json"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["status"] == 401
    # Probes and the stylesheet need no sign-in (Prometheus scrapes another port).
    assert client.get("/healthz").status_code == 200
    with client.get("/static/viewer.css") as stylesheet:
        assert stylesheet.status_code == 200
    # Still GET only, signed in or not.
    assert client.post("/login").status_code == 405
    assert client.post("/auth/callback").status_code == 405


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda p: p.token_changes.update(aud="someone-else"), "could not be verified"),
        (lambda p: p.token_changes.update(iss="https://evil.example"), "could not be verified"),
        (
            lambda p: p.token_changes.update(exp=_now() - 3600, iat=_now() - 7200),
            "could not be verified",
        ),
        (
            lambda p: p.token_changes.update(iat=_now() + 3600, exp=_now() + 7200),
            "could not be verified",
        ),
        (lambda p: p.token_changes.update(nonce="not-the-one-we-sent"), "does not belong"),
        (lambda p: p.token_changes.update(nonce=None), "does not belong"),
        (lambda p: setattr(p, "tamper_signature", True), "could not be verified"),
        (lambda p: setattr(p, "sign_with_stranger", True), "could not be verified"),
        (lambda p: p.header_changes.update(kid="unknown-key"), "could not be verified"),
        (lambda p: setattr(p, "sign_with_client_secret", True), "could not be verified"),
    ],
    ids=[
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "issued-in-the-future",
        "bad-nonce",
        "no-nonce",
        "tampered-signature",
        "unpublished-key",
        "unknown-kid",
        "hs256-confusion",
    ],
)
def test_a_bad_id_token_signs_nobody_in(make_app, oidc, spoil, message) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    spoil(oidc)
    response = sign_in(client)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert oidc.token_requests, "the code was exchanged before the token was refused"
    assert redirect_target(client.get("/")).startswith("/login")


def test_the_state_must_match_and_is_used_once(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    callback = start_sign_in(client)
    query = parse_qs(urlsplit(callback).query)
    forged = f"/auth/callback?{urlencode({'code': query['code'][0], 'state': 'forged'})}"
    response = client.get(forged)
    assert response.status_code == 400
    assert "does not match" in response.get_data(as_text=True)
    assert oidc.token_requests == []  # the code was never exchanged
    # The pending sign-in is spent: replaying the real callback now fails too.
    replay = client.get(local(callback))
    assert replay.status_code == 400 and "expired" in replay.get_data(as_text=True)


def test_a_callback_this_browser_did_not_start_is_refused(make_app, oidc) -> None:
    starter = make_app(auth=oidc_auth(oidc)).test_client()
    callback = start_sign_in(starter)
    victim = make_app(auth=oidc_auth(oidc)).test_client()
    response = victim.get(local(callback))
    assert response.status_code == 400
    assert redirect_target(victim.get("/")).startswith("/login")


def test_a_code_injected_into_another_sign_in_fails_pkce(make_app, oidc) -> None:
    app = make_app(auth=oidc_auth(oidc))
    attacker, victim = app.test_client(), app.test_client()
    stolen_code = parse_qs(urlsplit(start_sign_in(attacker)).query)["code"][0]
    victim_state = parse_qs(urlsplit(start_sign_in(victim)).query)["state"][0]
    # The state is right (it is the victim's own), but the code was issued for the
    # attacker's challenge, and the victim's verifier does not answer it.
    injected = urlencode({"code": stolen_code, "state": victim_state})
    response = victim.get(f"/auth/callback?{injected}")
    assert response.status_code == 400
    assert "refused this sign-in" in response.get_data(as_text=True)
    assert oidc.token_requests[-1]["code_verifier"][0]


def test_the_provider_refuses_a_code_without_the_verifier(oidc) -> None:
    oidc.require_secret = False
    oidc.authorize(
        {
            "client_id": [CLIENT_ID],
            "response_type": ["code"],
            "redirect_uri": ["http://viewer.test/auth/callback"],
            "code_challenge": ["x" * 43],
            "code_challenge_method": ["S256"],
        }
    )
    (code,) = oidc.grants
    status, body = oidc.token(
        {
            "grant_type": ["authorization_code"],
            "code": [code],
            "client_id": [CLIENT_ID],
            "redirect_uri": ["http://viewer.test/auth/callback"],
        },
        None,
    )
    assert (status, body["error"]) == (400, "invalid_grant")


def test_the_provider_saying_no_is_shown(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    state = parse_qs(urlsplit(redirect_target(client.get("/login"))).query)["state"][0]
    response = client.get(f"/auth/callback?error=access_denied&state={state}")
    assert response.status_code == 403
    assert "Sign in again" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "http:evil",
        "",
        "javascript:alert(1)",
        "/\t/evil.example",
        "incidents/1",
    ],
)
def test_only_local_paths_are_returned_to(target: str) -> None:
    assert local_path(target) == "/"


def test_local_paths_are_kept() -> None:
    assert local_path("/incidents/4?x=1") == "/incidents/4?x=1"


def test_an_absolute_next_is_not_followed_after_sign_in(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    redirect_target(client.get("/login?next=https%3A%2F%2Fevil.example%2F"))
    landed = sign_in(client, "https://evil.example/")
    assert redirect_target(landed) == "/"


@pytest.mark.parametrize(
    ("rules", "user", "allowed"),
    [
        ({"allowed_email_domain": "example.com"}, {}, True),
        ({"allowed_email_domain": "example.org"}, {}, False),
        ({"allowed_email_domain": "example.com"}, {"email_verified": False}, False),
        ({"allowed_email_domain": "example.com"}, {"email": "alice@evil.example.com"}, False),
        ({"allowed_group": "incident-readers"}, {}, False),
        ({"allowed_group": "incident-readers"}, {"groups": ["staff", "incident-readers"]}, True),
    ],
)
def test_who_may_sign_in(make_app, oidc, rules, user, allowed) -> None:
    oidc.user.update(user)
    client = make_app(auth=oidc_auth(oidc, **rules)).test_client()
    response = sign_in(client)
    if allowed:
        assert redirect_target(response) == "/"
        assert client.get("/").status_code == 200
    else:
        assert response.status_code == 403
        assert redirect_target(client.get("/")).startswith("/login")


def test_a_public_client_signs_in_with_pkce_alone(make_app, oidc) -> None:
    oidc.require_secret = False
    client = make_app(auth=oidc_auth(oidc, client_secret=None)).test_client()
    assert redirect_target(sign_in(client)) == "/"
    (token_request,) = oidc.token_requests
    assert token_request["client_id"] == [CLIENT_ID] and "client_secret" not in token_request


def test_signing_out_ends_the_session(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(client)
    assert client.get("/").status_code == 200
    response = client.get("/logout")
    assert response.status_code == 200
    assert "You are signed out" in response.get_data(as_text=True)
    assert redirect_target(client.get("/")).startswith("/login")


def test_any_replica_with_the_same_secret_reads_the_session(make_app, oidc) -> None:
    first = make_app(auth=oidc_auth(oidc)).test_client()
    sign_in(first)
    cookie = first.get_cookie("viewer_session")
    assert cookie is not None
    second = make_app(auth=oidc_auth(oidc)).test_client()
    second.set_cookie("viewer_session", cookie.value)
    assert second.get("/").status_code == 200
    other_key = oidc_auth(oidc, session_secret="another-key-that-is-also-32-characters-long")
    stranger = make_app(auth=other_key).test_client()
    stranger.set_cookie("viewer_session", cookie.value)
    assert redirect_target(stranger.get("/")).startswith("/login")


def test_a_session_ends_after_its_lifetime(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc, session_hours=1)).test_client()
    sign_in(client)
    assert client.get("/").status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=5)
    with freeze_time(later):
        assert redirect_target(client.get("/")).startswith("/login")


def test_a_provider_that_does_not_answer_is_a_503(make_app, oidc) -> None:
    client = make_app(auth=oidc_auth(oidc, issuer="http://127.0.0.1:9")).test_client()
    response = client.get("/login")
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)
