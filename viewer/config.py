"""The viewer's settings, read once from the environment and validated at start: what it
shows (database, zone, private incidents) and who may see it (sign-in, audit)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incident_common.environment import (
    DEFAULT_UPDATE_MINUTES,
    ConfigError,
    database_url,
    update_minutes,
    without_password,
)

DEFAULT_DATABASE_URL = "sqlite:///incidents.db"
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")

AUTH_MODES = ("none", "header", "oidc")
DEFAULT_AUTH_HEADER = "X-Forwarded-Email"
DEFAULT_SLACK_USER_CLAIM = "https://slack.com/user_id"
DEFAULT_OIDC_SCOPES = "openid email profile"
DEFAULT_SESSION_HOURS = 12
# Flask signs the session cookie with HMAC-SHA1 over a derived key; 32 characters from a
# generator (`openssl rand -base64 32`) leave nothing to guess.
MIN_SESSION_SECRET_LENGTH = 32
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class AuthSettings:
    """Who may read the viewer.

    none: anyone who reaches it (a warning is logged at start). header: the person an auth
    proxy in front names in a header, believed only from the proxy's addresses. oidc: the
    viewer signs people in itself with any OpenID Connect provider.
    """

    mode: str = "none"
    # header mode
    header: str = DEFAULT_AUTH_HEADER
    slack_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    # oidc mode
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    public_url: str | None = None
    session_secret: str | None = None
    scopes: str = DEFAULT_OIDC_SCOPES
    slack_user_claim: str = DEFAULT_SLACK_USER_CLAIM
    session_hours: int = DEFAULT_SESSION_HOURS
    # both modes
    allowed_email_domain: str | None = None
    allowed_group: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise ConfigError(
                f"VIEWER_AUTH must be one of {', '.join(AUTH_MODES)}, not {self.mode!r}"
            )
        if self.mode == "header":
            _check_header_name("VIEWER_AUTH_HEADER", self.header)
            if self.slack_user_header is not None:
                _check_header_name("VIEWER_AUTH_SLACK_USER_HEADER", self.slack_user_header)
            if not self.trusted_proxies:
                raise ConfigError(
                    "VIEWER_TRUSTED_PROXIES is required with VIEWER_AUTH=header: "
                    "the addresses of the auth proxy, e.g. 10.0.0.0/8"
                )
            for proxy in self.trusted_proxies:
                _check_network("VIEWER_TRUSTED_PROXIES", proxy)
            if self.allowed_group:
                # The proxy sees the groups; the viewer would only be trusting another header.
                raise ConfigError(
                    "VIEWER_ALLOWED_GROUP works only with VIEWER_AUTH=oidc; "
                    "with header, restrict groups in the auth proxy"
                )
        if self.mode == "oidc":
            for name, value in (
                ("OIDC_ISSUER", self.issuer),
                ("OIDC_CLIENT_ID", self.client_id),
                ("VIEWER_PUBLIC_URL", self.public_url),
                ("VIEWER_SESSION_SECRET", self.session_secret),
            ):
                if not value:
                    raise ConfigError(f"{name} is required with VIEWER_AUTH=oidc")
            _check_issuer("OIDC_ISSUER", self.issuer or "")
            _check_http_url("VIEWER_PUBLIC_URL", self.public_url or "")
            if len(self.session_secret or "") < MIN_SESSION_SECRET_LENGTH:
                raise ConfigError(
                    f"VIEWER_SESSION_SECRET must be at least "
                    f"{MIN_SESSION_SECRET_LENGTH} characters (a random value "
                    "kept in a Secret, the same on every replica)"
                )
            if "openid" not in self.scopes.split():
                raise ConfigError("OIDC_SCOPES must include openid")
            if not 1 <= self.session_hours <= 24 * 31:
                raise ConfigError("VIEWER_SESSION_HOURS must be between 1 and 744")
        if self.allowed_email_domain is not None and not _DOMAIN.match(self.allowed_email_domain):
            raise ConfigError("VIEWER_ALLOWED_EMAIL_DOMAIN must be a domain such as example.com")

    def __repr__(self) -> str:
        # The client secret and the session key stay out of logs and tracebacks.
        return (
            f"AuthSettings(mode={self.mode!r}, issuer={self.issuer!r}, "
            f"client_id={self.client_id!r}, public_url={self.public_url!r}, "
            f"trusted_proxies={self.trusted_proxies!r}, "
            f"allowed_email_domain={self.allowed_email_domain!r}, "
            f"allowed_group={self.allowed_group!r})"
        )

    __str__ = __repr__

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    @property
    def redirect_uri(self) -> str:
        return f"{(self.public_url or '').rstrip('/')}/auth/callback"

    @property
    def secure_cookie(self) -> bool:
        return urlparse(self.public_url or "").scheme == "https"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        def get(name: str) -> str:
            return env.get(name, "").strip()

        hours = get("VIEWER_SESSION_HOURS") or str(DEFAULT_SESSION_HOURS)
        if not hours.isdigit():
            raise ConfigError(f"VIEWER_SESSION_HOURS must be a whole number, not {hours!r}")
        return cls(
            mode=get("VIEWER_AUTH").lower() or "none",
            header=get("VIEWER_AUTH_HEADER") or DEFAULT_AUTH_HEADER,
            slack_user_header=get("VIEWER_AUTH_SLACK_USER_HEADER") or None,
            trusted_proxies=tuple(
                p.strip() for p in get("VIEWER_TRUSTED_PROXIES").split(",") if p.strip()
            ),
            issuer=get("OIDC_ISSUER").rstrip("/") or None,
            client_id=get("OIDC_CLIENT_ID") or None,
            # Not stripped: a secret is used exactly as given.
            client_secret=env.get("OIDC_CLIENT_SECRET") or None,
            public_url=get("VIEWER_PUBLIC_URL").rstrip("/") or None,
            session_secret=env.get("VIEWER_SESSION_SECRET") or None,
            scopes=get("OIDC_SCOPES") or DEFAULT_OIDC_SCOPES,
            slack_user_claim=get("OIDC_SLACK_USER_CLAIM") or DEFAULT_SLACK_USER_CLAIM,
            session_hours=int(hours),
            allowed_email_domain=get("VIEWER_ALLOWED_EMAIL_DOMAIN").lower().lstrip("@") or None,
            allowed_group=get("VIEWER_ALLOWED_GROUP") or None,
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = DEFAULT_TIMEZONE
    slack_workspace_url: str | None = None
    show_private: bool = False
    page_size: int = DEFAULT_PAGE_SIZE
    auth: AuthSettings = field(default_factory=AuthSettings)
    # Where views of private incidents are recorded (INSERT on audit_entry is all it needs);
    # DATABASE_URL when not given.
    audit_database_url: str | None = None
    # REMINDER_UPDATE_MINUTES, read as the bot reads it: when an open incident's next
    # update is due.
    update_minutes: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_UPDATE_MINUTES))

    def __post_init__(self) -> None:
        # Validate here as well as in from_env, so settings built in code (tests, embedding)
        # fail as early and as clearly as settings read from the environment.
        database_url("DATABASE_URL", self.database_url)
        _check_timezone("VIEWER_TIMEZONE", self.timezone)
        if self.slack_workspace_url is not None:
            _check_http_url("SLACK_WORKSPACE_URL", self.slack_workspace_url)
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if self.audit_database_url is not None:
            database_url("VIEWER_AUDIT_DATABASE_URL", self.audit_database_url)

    def __repr__(self) -> str:
        # The database URL may carry a password; keep it out of logs and tracebacks.
        return (
            f"Settings(database_url={without_password(self.database_url)!r}, "
            f"timezone={self.timezone!r}, "
            f"slack_workspace_url={self.slack_workspace_url!r}, "
            f"show_private={self.show_private!r}, auth={self.auth!r})"
        )

    __str__ = __repr__

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def audit_url(self) -> str:
        return self.audit_database_url or self.database_url

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from `env`; raise ConfigError naming the first bad variable."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        workspace = get("SLACK_WORKSPACE_URL").rstrip("/") or None
        return cls(
            database_url=database_url("DATABASE_URL", get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            timezone=_check_timezone("VIEWER_TIMEZONE", get("VIEWER_TIMEZONE") or DEFAULT_TIMEZONE),
            slack_workspace_url=(
                _check_http_url("SLACK_WORKSPACE_URL", workspace) if workspace else None
            ),
            show_private=_flag("VIEWER_SHOW_PRIVATE", get("VIEWER_SHOW_PRIVATE")),
            auth=AuthSettings.from_env(env),
            audit_database_url=get("VIEWER_AUDIT_DATABASE_URL") or None,
            update_minutes=update_minutes(
                "REMINDER_UPDATE_MINUTES", get("REMINDER_UPDATE_MINUTES")
            ),
        )


def _check_timezone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"{name} is not a known time zone: {value!r}") from error
    return value


def _check_http_url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://acme.slack.com")
    return value


def _flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _check_header_name(name: str, value: str) -> str:
    if not _HEADER_NAME.match(value):
        raise ConfigError(f"{name} must be an HTTP header name such as X-Forwarded-Email")
    return value


def _check_network(name: str, value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as error:
        raise ConfigError(f"{name}: {value!r} is not an IP address or CIDR range") from error
    return value


def _check_issuer(name: str, value: str) -> str:
    parsed = urlparse(value)
    # OpenID Connect requires https; plain http only to a provider on this machine (tests,
    # a local development provider), where nothing travels over a network.
    loopback = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if not parsed.netloc or not (
        parsed.scheme == "https" or (parsed.scheme == "http" and loopback)
    ):
        raise ConfigError(f"{name} must be an https URL such as https://slack.com")
    if parsed.query or parsed.fragment:
        raise ConfigError(f"{name} must have no query or fragment")
    return value
