"""VIEWER_AUTH=header: the auth proxy's header is believed from the proxy's addresses only."""

from __future__ import annotations

import logging

import pytest

from viewer.config import AuthSettings

PROXY = "10.1.2.3"


def header_auth(**overrides) -> AuthSettings:
    values = {
        "mode": "header",
        "trusted_proxies": ("10.1.0.0/16", "fd00::1"),
        "slack_user_header": "X-Forwarded-User",
    }
    return AuthSettings(**{**values, **overrides})


def get(client, path: str, address: str, **headers: str):
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("address", [PROXY, "fd00::1", "::ffff:10.1.9.9"])
def test_the_proxys_header_signs_the_person_in(make_app, seed, address) -> None:
    seed.incident(title="Payments failing")
    client = make_app(auth=header_auth()).test_client()
    page = get(client, "/", address, **{"X-Forwarded-Email": "alice@example.com"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Payments failing" in html and "Signed in as alice@example.com" in html
    assert "Sign out" not in html  # the proxy owns the session
    api = get(client, "/api/incidents", address, **{"X-Forwarded-Email": "alice@example.com"})
    assert api.get_json()["total"] == 1


def test_the_header_from_anywhere_else_is_ignored(make_app, seed, caplog) -> None:
    seed.incident(title="Payments failing")
    client = make_app(auth=header_auth()).test_client()
    with caplog.at_level(logging.WARNING, logger="viewer.auth.header"):
        page = get(client, "/", "192.168.0.7", **{"X-Forwarded-Email": "mallory@example.com"})
    assert page.status_code == 401
    assert "Payments failing" not in page.get_data(as_text=True)
    assert "untrusted address 192.168.0.7" in caplog.text
    api = get(client, "/api/incidents", "192.168.0.7", **{"X-Forwarded-Email": "m@example.com"})
    assert api.status_code == 401 and api.get_json()["error"]["status"] == 401


def test_no_header_from_the_proxy_is_no_one(make_app) -> None:
    client = make_app(auth=header_auth()).test_client()
    assert get(client, "/", PROXY).status_code == 401
    assert get(client, "/", PROXY, **{"X-Forwarded-Email": "  "}).status_code == 401
    assert get(client, "/healthz", "192.168.0.7").status_code == 200
    assert get(client, "/login", PROXY).status_code == 401  # no sign-in routes in this mode


def test_the_header_name_is_configurable(make_app) -> None:
    client = make_app(auth=header_auth(header="X-Auth-Request-Email")).test_client()
    assert get(client, "/", PROXY, **{"X-Forwarded-Email": "a@example.com"}).status_code == 401
    assert get(client, "/", PROXY, **{"X-Auth-Request-Email": "a@example.com"}).status_code == 200


def test_the_email_domain_rule_applies_behind_the_proxy(make_app) -> None:
    client = make_app(auth=header_auth(allowed_email_domain="example.com")).test_client()
    assert get(client, "/", PROXY, **{"X-Forwarded-Email": "a@example.com"}).status_code == 200
    refused = get(client, "/", PROXY, **{"X-Forwarded-Email": "a@example.org"})
    assert refused.status_code == 403
    assert "@example.com" in refused.get_data(as_text=True)
