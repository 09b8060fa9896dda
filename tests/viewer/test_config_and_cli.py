"""Settings from the environment and the incident-viewer command."""

from __future__ import annotations

import pytest

from viewer import cli
from viewer.config import ConfigError, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///incidents.db"
    assert settings.timezone == "Europe/London"
    assert settings.slack_workspace_url is None
    assert settings.show_private is False


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://viewer:secret@db/incidents",
        "VIEWER_TIMEZONE": "America/New_York",
        "SLACK_WORKSPACE_URL": "https://acme.slack.com/",
        "VIEWER_SHOW_PRIVATE": "TRUE",
    })
    assert settings.slack_workspace_url == "https://acme.slack.com"
    assert settings.show_private is True
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(("env", "named"), [
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
    ({"VIEWER_TIMEZONE": "Mars/Olympus"}, "VIEWER_TIMEZONE"),
    ({"SLACK_WORKSPACE_URL": "acme.slack.com"}, "SLACK_WORKSPACE_URL"),
    ({"VIEWER_SHOW_PRIVATE": "maybe"}, "VIEWER_SHOW_PRIVATE"),
])
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_cli_reports_bad_configuration_and_exits_2(capsys) -> None:
    assert cli.main(["--port", "0"], env={"VIEWER_TIMEZONE": "Nowhere/Special"}) == 2
    assert "VIEWER_TIMEZONE" in capsys.readouterr().err


def test_cli_serves_with_waitress(monkeypatch, tmp_path) -> None:
    served = {}

    def fake_serve(app, **options):
        served.update(options, app=app)

    monkeypatch.setattr("waitress.serve", fake_serve)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert cli.main(["--port", "8123", "--host", "127.0.0.1"], env={"DATABASE_URL": url}) == 0
    assert served["port"] == 8123 and served["host"] == "127.0.0.1"
    assert served["app"].name == "viewer"
