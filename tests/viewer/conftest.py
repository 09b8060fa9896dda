"""Viewer fixtures: a seeder with its own read-write connection, and clients of the viewer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from peewee import Database

from tests.viewer.factories import Seeder
from viewer import create_app
from viewer.config import Settings
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
