"""Viewer fixtures: a seeder with its own read-write connection, clients of the viewer, and
a local OpenID Connect provider with helpers that walk a browser through signing in."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from peewee import Database

from tests.viewer.factories import Seeder
from tests.viewer.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_provider
from viewer import create_app
from viewer.config import AuthSettings, Settings
from viewer.database import close_all


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


@pytest.fixture
def make_app(database_url: str, database: Database) -> Iterator[Callable[..., Flask]]:
    """Build viewers on the test database (settings as keyword arguments); closed after."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(Settings(database_url=database_url, **overrides))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_all(app)


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(slack_workspace_url="https://acme.slack.com").test_client()


@pytest.fixture(scope="session")
def running_oidc() -> Iterator[FakeProvider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def oidc(running_oidc: FakeProvider) -> FakeProvider:
    """The local OpenID Connect provider, as good as new for each test."""
    running_oidc.reset()
    return running_oidc


def oidc_auth(provider: FakeProvider, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "mode": "oidc",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "public_url": "http://viewer.test",
        "session_secret": "a-test-session-key-of-at-least-32-characters",
    }
    return AuthSettings(**{**values, **overrides})


def redirect_target(response: Any) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.get_data())
    return response.headers["Location"]


def provider_redirect(url: str) -> str:
    """GET `url` on the provider without following the redirect; return where it points."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return response.getheader("Location") or ""
    finally:
        connection.close()


def local(url: str) -> str:
    """The path and query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def start_sign_in(client: FlaskClient, next_path: str = "/") -> str:
    """/login → the provider's consent → the callback URL it sends the browser back to."""
    to_provider = redirect_target(client.get(f"/login?next={quote(next_path, safe='')}"))
    return provider_redirect(to_provider)


def sign_in(client: FlaskClient, next_path: str = "/") -> Any:
    """The whole round trip; returns the viewer's answer to the callback."""
    return client.get(local(start_sign_in(client, next_path)))
