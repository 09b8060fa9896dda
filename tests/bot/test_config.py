"""Settings: every missing or malformed variable stops the start with its name."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import Settings
from incident_common.environment import ConfigError

SOCKET_ENV = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-def"}
HTTP_ENV = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def test_defaults() -> None:
    settings = Settings.from_env(SOCKET_ENV)
    assert settings.mode == "socket"
    assert settings.database_url == "sqlite:///incidents.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.incidents_channel is None
    assert settings.viewer_base_url is None


def test_http_mode_needs_no_app_token_but_a_signing_secret() -> None:
    assert Settings.from_env(HTTP_ENV, mode="http").signing_secret == "s3cret"
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, mode="http")


@pytest.mark.parametrize(
    ("env", "mode", "name"),
    [
        ({}, "socket", "SLACK_BOT_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": "xapp-1"},
            "socket",
            "SLACK_BOT_TOKEN",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "socket", "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"}, "socket", "SLACK_APP_TOKEN"),
        ({**SOCKET_ENV, "DATABASE_URL": "mysql://x/y"}, "socket", "DATABASE_URL"),
        ({**SOCKET_ENV, "DATABASE_URL": "postgresql:///nohost"}, "socket", "DATABASE_URL"),
        ({**SOCKET_ENV, "DATABASE_URL": "sqlite://"}, "socket", "DATABASE_URL"),
        ({**SOCKET_ENV, "SLACK_API_URL": "slack.com/api"}, "socket", "SLACK_API_URL"),
        ({**SOCKET_ENV, "INCIDENTS_CHANNEL": "#incidents"}, "socket", "INCIDENTS_CHANNEL"),
        ({**SOCKET_ENV, "VIEWER_BASE_URL": "incidents.example.com"}, "socket", "VIEWER_BASE_URL"),
        ({**SOCKET_ENV, "LOG_FORMAT": "xml"}, "socket", "LOG_FORMAT"),
        # Digits str.isdigit takes and int() refuses, or reads as another number.
        ({**SOCKET_ENV, "ARCHIVE_AFTER_DAYS": "²"}, "socket", "ARCHIVE_AFTER_DAYS"),
        ({**SOCKET_ENV, "ARCHIVE_AFTER_DAYS": "٣"}, "socket", "ARCHIVE_AFTER_DAYS"),
        ({**SOCKET_ENV, "REMINDER_NO_LEAD_MINUTES": "²"}, "socket", "REMINDER_NO_LEAD_MINUTES"),
        ({**SOCKET_ENV, "REMINDER_UPDATE_MINUTES": "1=³"}, "socket", "REMINDER_UPDATE_MINUTES"),
    ],
)
def test_bad_variable_is_named(env: dict[str, str], mode: str, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env, mode=mode)


def test_api_url_gets_its_trailing_slash_and_viewer_url_loses_it() -> None:
    settings = Settings.from_env(
        {
            **SOCKET_ENV,
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "VIEWER_BASE_URL": "https://inc.example.com/",
        }
    )
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.viewer_base_url == "https://inc.example.com"


def test_repr_hides_secrets() -> None:
    settings = Settings.from_env(
        {**HTTP_ENV, "DATABASE_URL": "postgresql://bot:hunter2@db:5432/inc"}, mode="http"
    )
    shown = repr(settings)
    assert "xoxb" not in shown and "s3cret" not in shown and "hunter2" not in shown
    assert "postgresql://bot:***@db:5432/inc" in shown


def test_cli_stops_with_the_name_of_the_missing_variable(capsys) -> None:
    assert main(["run"], env={}) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    assert main(["run", "--mode", "http"], env={"SLACK_BOT_TOKEN": "xoxb-1"}) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
