"""The signed-in person, and the rules on who may sign in at all (e-mail domain, group)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from viewer.config import AuthSettings

# Slack user ids: U… for users, W… for Enterprise Grid users. Anything else from a claim or
# a header is ignored rather than matched against channel members.
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@dataclass(frozen=True)
class User:
    subject: str  # the provider's `sub`, or the proxy's header value
    email: str | None = None
    name: str | None = None
    # Channel membership is by Slack user id. Without one, a verified e-mail address that the
    # bot saw on a Slack user stands for that user; with neither, no private incident shows.
    slack_user_id: str | None = None
    email_verified: bool = False

    @property
    def verified_email(self) -> str | None:
        return self.email.lower() if self.email and self.email_verified else None

    @property
    def label(self) -> str:
        return self.name or self.email or self.subject

    def to_session(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> User | None:
        if not isinstance(data, dict) or not isinstance(data.get("subject"), str):
            return None
        return cls(
            subject=data["subject"],
            email=_text(data.get("email")),
            name=_text(data.get("name")),
            slack_user_id=slack_user_id(data.get("slack_user_id")),
            # Sessions from before this was recorded do not vouch for their address.
            email_verified=data.get("email_verified") is True,
        )

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], slack_user_claim: str) -> User:
        return cls(
            subject=str(claims["sub"]),
            email=_text(claims.get("email")),
            name=_text(claims.get("name")),
            slack_user_id=slack_user_id(claims.get(slack_user_claim)),
            # Providers that never say (Entra ID) vouch for the address by issuing it; one that
            # says it is unverified is believed.
            email_verified=claims.get("email_verified", True) not in (False, "false"),
        )


def slack_user_id(value: object) -> str | None:
    return value if isinstance(value, str) and _SLACK_USER_ID.match(value) else None


def refusal(
    settings: AuthSettings, email: str | None, email_verified: object = True, groups: object = None
) -> str | None:
    """Why this person may not sign in, or None when they may."""
    domain = settings.allowed_email_domain
    if domain:
        if not email or email_verified is False:
            return "A verified e-mail address is needed to sign in here."
        if email.rpartition("@")[2].lower() != domain:
            return f"Only people with an @{domain} address may use this viewer."
    group = settings.allowed_group
    if group and (not isinstance(groups, list) or group not in groups):
        return "Your account is not in the group that may use this viewer."
    return None


def _text(value: object) -> str | None:
    return value[:320] if isinstance(value, str) and value else None
