"""Reminder settings from the environment: when each reminder is due, working hours, snooze."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.numbers import whole_number
from incident_common.environment import DEFAULT_UPDATE_MINUTES, ConfigError, update_minutes

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class ReminderSettings:
    """What the scheduler reminds about and when. A length of 0 turns that reminder off."""

    enabled: bool = True
    no_lead_minutes: int = 5
    no_severity_minutes: int = 5
    # Severity → minutes between updates; a severity not listed gets no update reminder.
    update_minutes: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_UPDATE_MINUTES))
    open_hours: int = 24
    working_start: dt.time = dt.time(9, 0)
    working_end: dt.time = dt.time(17, 0)
    timezone: str = "Europe/London"
    working_days: frozenset[int] = frozenset(range(5))  # Monday = 0, as date.weekday()
    snooze_minutes: int = 30
    interval_seconds: float = 30.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def update_interval(self, severity: int | None) -> dt.timedelta | None:
        minutes = self.update_minutes.get(severity) if severity is not None else None
        return dt.timedelta(minutes=minutes) if minutes else None

    def day_start(self, moment: dt.datetime) -> dt.datetime:
        """When working hours start on `moment`'s day (in the zone), in UTC: what names that
        day's open-for-long reminder."""
        local = moment.astimezone(self.zone)
        start = dt.datetime.combine(local.date(), self.working_start, self.zone)
        return start.astimezone(dt.UTC)

    def is_working_time(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return (
            local.weekday() in self.working_days
            and self.working_start <= local.time().replace(tzinfo=None) < self.working_end
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReminderSettings:
        """Build the settings; raise ConfigError naming the first bad variable."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        defaults = cls()
        start, end = (
            _hours("WORKING_HOURS", get("WORKING_HOURS"))
            if get("WORKING_HOURS")
            else (defaults.working_start, defaults.working_end)
        )
        return cls(
            enabled=_flag("REMINDERS_ENABLED", get("REMINDERS_ENABLED"), defaults.enabled),
            no_lead_minutes=_whole(
                "REMINDER_NO_LEAD_MINUTES",
                get("REMINDER_NO_LEAD_MINUTES"),
                defaults.no_lead_minutes,
            ),
            no_severity_minutes=_whole(
                "REMINDER_NO_SEVERITY_MINUTES",
                get("REMINDER_NO_SEVERITY_MINUTES"),
                defaults.no_severity_minutes,
            ),
            update_minutes=update_minutes(
                "REMINDER_UPDATE_MINUTES", get("REMINDER_UPDATE_MINUTES"), defaults.update_minutes
            ),
            open_hours=_whole(
                "REMINDER_OPEN_HOURS", get("REMINDER_OPEN_HOURS"), defaults.open_hours
            ),
            working_start=start,
            working_end=end,
            timezone=_timezone("WORKING_TIMEZONE", get("WORKING_TIMEZONE") or defaults.timezone),
            working_days=_days("WORKING_DAYS", get("WORKING_DAYS"), defaults.working_days),
            snooze_minutes=_whole(
                "REMINDER_SNOOZE_MINUTES",
                get("REMINDER_SNOOZE_MINUTES"),
                defaults.snooze_minutes,
                minimum=1,
            ),
            interval_seconds=_seconds(
                "SCHEDULER_INTERVAL_SECONDS",
                get("SCHEDULER_INTERVAL_SECONDS"),
                defaults.interval_seconds,
            ),
        )


def _config_error(message: str) -> ConfigError:
    return ConfigError(message)


def _flag(name: str, value: str, default: bool) -> bool:
    if not value:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _config_error(f"{name} must be true or false, not {value!r}")


def _whole(name: str, value: str, default: int, *, minimum: int = 0) -> int:
    if not value:
        return default
    number = whole_number(value, digits=9)
    if number is None or number < minimum:
        least = "0 (off)" if minimum == 0 else str(minimum)
        raise _config_error(f"{name} must be a whole number from {least} up, not {value!r}")
    return number


def _seconds(name: str, value: str, default: float) -> float:
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds >= 1:  # also refuses nan
        raise _config_error(f"{name} must be a number of seconds, 1 or more, not {value!r}")
    return seconds


def _hours(name: str, value: str) -> tuple[dt.time, dt.time]:
    match = _HOURS.match(value)
    try:
        if match is None:
            raise ValueError
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError:
        raise _config_error(f"{name} must look like 09:00-17:00, not {value!r}") from None
    if start >= end:
        raise _config_error(f"{name}: the start must come before the end ({value!r})")
    return start, end


def _timezone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _config_error(
            f"{name} must be an IANA time zone such as Europe/London, not {value!r}"
        ) from None
    return value


def _days(name: str, value: str, default: frozenset[int]) -> frozenset[int]:
    """'Mon-Fri', 'Sun-Thu' (ranges wrap round the week) or 'Mon,Wed,Fri'."""
    if not value:
        return default
    days: set[int] = set()
    for part in value.split(","):
        first, _, last = part.strip().lower().partition("-")
        try:
            start = DAY_NAMES.index(first.strip()[:3]) if len(first.strip()) >= 3 else -1
            stop = DAY_NAMES.index(last.strip()[:3]) if last else start
        except ValueError:
            start = stop = -1
        if start < 0:
            raise _config_error(
                f"{name} must list days such as Mon-Fri or Mon,Tue,Thu, not {value!r}"
            )
        day = start
        days.add(day)
        while day != stop:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)
