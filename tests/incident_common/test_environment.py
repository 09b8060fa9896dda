"""The one check of a database URL, for DATABASE_URL, the viewer's and import-response's
--from: each refusal names what was given and what is wrong, never the password."""

from __future__ import annotations

import pytest

from incident_common.environment import ConfigError, database_url


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///incidents.db",
        "sqlite:////var/lib/incidents/incidents.db",
        "postgresql://bot:s3cret@db:5432/incidents",
        "postgres://db/incidents?sslmode=verify-full",
    ],
)
def test_urls_either_program_can_open_are_taken_as_they_are(url: str) -> None:
    assert database_url("DATABASE_URL", url) == url


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://bot:s3cret@db/incidents", "must start with postgresql:// or sqlite:///"),
        ("incidents.db", "(got scheme 'none')"),
        ("sqlite://", "a sqlite URL needs a file path"),
        ("postgresql://bot:s3cret@db:5432/", "needs a host and a database name"),
        ("postgresql:///incidents", "needs a host and a database name"),
        ("postgresql://bot:s3cret@db:70000/incidents", "the port is not a number"),
        ("postgresql://bot:s3cret@db:port/incidents", "the port is not a number"),
    ],
)
def test_a_url_that_names_no_database_is_refused_by_name(url: str, said: str) -> None:
    with pytest.raises(ConfigError) as raised:
        database_url("VIEWER_AUDIT_DATABASE_URL", url)
    message = str(raised.value)
    assert message.startswith("VIEWER_AUDIT_DATABASE_URL")
    assert said in message
    assert "s3cret" not in message


def test_update_minutes_are_read_the_same_by_both_programs() -> None:
    from incident_common.environment import update_minutes

    assert update_minutes("REMINDER_UPDATE_MINUTES", "") == {1: 30, 2: 60}
    assert update_minutes("REMINDER_UPDATE_MINUTES", "sev1=15, 3=120, 4=0") == {1: 15, 3: 120}
    assert update_minutes("REMINDER_UPDATE_MINUTES", "none") == {}
    for bad in ("1=³", "5=10", "1=ten", "1=5,1=6"):
        with pytest.raises(ConfigError, match="REMINDER_UPDATE_MINUTES"):
            update_minutes("REMINDER_UPDATE_MINUTES", bad)
