"""Settings from the environment and the incident-viewer command."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from incident_common.environment import ConfigError
from models import init_database, migrate
from testkit.net import free_port, wait_for
from viewer import cli
from viewer.config import AuthSettings, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///incidents.db"
    assert settings.timezone == "Europe/London"
    assert settings.slack_workspace_url is None
    assert settings.show_private is False


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://viewer:secret@db/incidents",
            "VIEWER_TIMEZONE": "America/New_York",
            "SLACK_WORKSPACE_URL": "https://acme.slack.com/",
            "VIEWER_SHOW_PRIVATE": "TRUE",
        }
    )
    assert settings.slack_workspace_url == "https://acme.slack.com"
    assert settings.show_private is True
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"VIEWER_TIMEZONE": "Mars/Olympus"}, "VIEWER_TIMEZONE"),
        ({"SLACK_WORKSPACE_URL": "acme.slack.com"}, "SLACK_WORKSPACE_URL"),
        ({"VIEWER_SHOW_PRIVATE": "maybe"}, "VIEWER_SHOW_PRIVATE"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_cli_reports_bad_configuration_and_exits_2(capsys) -> None:
    assert cli.main(["--port", "0"], env={"VIEWER_TIMEZONE": "Nowhere/Special"}) == 2
    assert "VIEWER_TIMEZONE" in capsys.readouterr().err


def test_without_sign_in_it_listens_on_this_machine_only() -> None:
    assert cli.listen_address(None, Settings()) == "127.0.0.1"
    signed = Settings(auth=AuthSettings(mode="header", trusted_proxies=("10.0.0.0/8",)))
    assert cli.listen_address(None, signed) == "0.0.0.0"
    assert cli.listen_address("0.0.0.0", Settings()) == "0.0.0.0"  # when told otherwise


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_real_command_serves_metrics_apart_and_stops_on_sigterm(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    migrate(init_database(url))
    port, internal = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "incident-viewer"),
            *("--port", str(port), "--metrics-port", str(internal)),
        ],
        env={**os.environ, "DATABASE_URL": url, "VIEWER_AUTH": "none"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        assert _status(f"http://127.0.0.1:{port}/") == 200
        # /metrics on the internal port only: the port an Ingress routes has none.
        assert _status(f"http://127.0.0.1:{port}/metrics") == 404
        assert _status(f"http://127.0.0.1:{internal}/metrics") == 200
        assert _status(f"http://127.0.0.1:{internal}/") == 404
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        # Well inside the 30 s grace period: no SIGKILL at the end of a rollout.
        assert time.monotonic() - stopping < 5
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0]
    assert "stopping on SIGTERM" in output


OIDC_ENV = {
    "VIEWER_AUTH": "oidc",
    "OIDC_ISSUER": "https://slack.com/",
    "OIDC_CLIENT_ID": "123.456",
    "OIDC_CLIENT_SECRET": "client-secret-value",
    "VIEWER_PUBLIC_URL": "https://incidents.example.com/",
    "VIEWER_SESSION_SECRET": "k" * 40,
}


def test_sign_in_settings_are_read() -> None:
    auth = Settings.from_env({**OIDC_ENV, "VIEWER_ALLOWED_EMAIL_DOMAIN": "@Example.COM"}).auth
    assert (auth.mode, auth.issuer, auth.client_id) == ("oidc", "https://slack.com", "123.456")
    assert auth.redirect_uri == "https://incidents.example.com/auth/callback"
    assert auth.secure_cookie and auth.allowed_email_domain == "example.com"
    assert auth.slack_user_claim == "https://slack.com/user_id"
    shown = repr(Settings.from_env(OIDC_ENV))
    assert "client-secret-value" not in shown and "kkkk" not in shown
    header = Settings.from_env(
        {"VIEWER_AUTH": "header", "VIEWER_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.4"}
    ).auth
    assert header.trusted_proxies == ("10.0.0.0/8", "192.168.1.4")
    assert header.header == "X-Forwarded-Email"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VIEWER_AUTH": "ldap"}, "VIEWER_AUTH"),
        ({"VIEWER_AUTH": "header"}, "VIEWER_TRUSTED_PROXIES"),
        (
            {"VIEWER_AUTH": "header", "VIEWER_TRUSTED_PROXIES": "10.0.0.0/8,proxy"},
            "VIEWER_TRUSTED_PROXIES",
        ),
        (
            {
                "VIEWER_AUTH": "header",
                "VIEWER_TRUSTED_PROXIES": "10.0.0.1",
                "VIEWER_AUTH_HEADER": "X Email",
            },
            "VIEWER_AUTH_HEADER",
        ),
        (
            {
                "VIEWER_AUTH": "header",
                "VIEWER_TRUSTED_PROXIES": "10.0.0.1",
                "VIEWER_ALLOWED_GROUP": "sre",
            },
            "VIEWER_ALLOWED_GROUP",
        ),
        ({**OIDC_ENV, "OIDC_ISSUER": ""}, "OIDC_ISSUER"),
        ({**OIDC_ENV, "OIDC_ISSUER": "http://idp.example.com"}, "OIDC_ISSUER"),
        ({**OIDC_ENV, "OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID"),
        ({**OIDC_ENV, "VIEWER_PUBLIC_URL": ""}, "VIEWER_PUBLIC_URL"),
        ({**OIDC_ENV, "VIEWER_PUBLIC_URL": "incidents.example.com"}, "VIEWER_PUBLIC_URL"),
        ({**OIDC_ENV, "VIEWER_SESSION_SECRET": ""}, "VIEWER_SESSION_SECRET"),
        ({**OIDC_ENV, "VIEWER_SESSION_SECRET": "short"}, "VIEWER_SESSION_SECRET"),
        ({**OIDC_ENV, "VIEWER_SESSION_HOURS": "a day"}, "VIEWER_SESSION_HOURS"),
        ({**OIDC_ENV, "OIDC_SCOPES": "email"}, "OIDC_SCOPES"),
        (
            {**OIDC_ENV, "VIEWER_ALLOWED_EMAIL_DOMAIN": "not a domain"},
            "VIEWER_ALLOWED_EMAIL_DOMAIN",
        ),
        ({"VIEWER_AUDIT_DATABASE_URL": "mysql://x/y"}, "VIEWER_AUDIT_DATABASE_URL"),
    ],
)
def test_bad_sign_in_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_no_sign_in_is_a_warning_at_start(make_app, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="viewer.auth"):
        make_app()
    assert "VIEWER_AUTH=none: anyone who can reach the viewer can read it" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="viewer.auth"):
        make_app(auth=AuthSettings(mode="header", trusted_proxies=("10.0.0.1",)))
    assert "VIEWER_AUTH=none" not in caplog.text


def test_a_port_in_use_is_a_clear_error(tmp_path) -> None:
    # A real process: waitress leaves the socket of a failed bind open for the collector.
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "incident-viewer"),
                *("--port", str(free_port()), "--metrics-port", str(port)),
            ],
            env={**os.environ, "DATABASE_URL": url, "VIEWER_AUTH": "none"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert "incident-viewer: cannot listen on 127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr
