"""VIEWER_AUTH=header: the person named by an auth proxy in front (oauth2-proxy and the like),
believed only when the request comes straight from one of the proxy's addresses."""

from __future__ import annotations

import ipaddress
import logging
from functools import cached_property

from flask import Request

from viewer.auth.user import User, slack_user_id
from viewer.config import AuthSettings

log = logging.getLogger(__name__)


class HeaderAuth:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    @cached_property
    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.settings.trusted_proxies)

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        # An IPv4 peer may arrive as ::ffff:10.0.0.5 on a dual-stack socket.
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def user(self, request: Request) -> User | None:
        """Who the proxy says this is; None when it says nothing or is not the proxy.

        REMOTE_ADDR is the direct peer (waitress is not told to believe X-Forwarded-For),
        so a client that reaches the viewer around the proxy cannot claim to be anyone.
        """
        value = (request.headers.get(self.settings.header) or "").strip()
        if not self.trusted(request.remote_addr):
            if value:
                log.warning(
                    "ignored %s from untrusted address %s",
                    self.settings.header,
                    request.remote_addr,
                )
            return None
        if not value:
            return None
        slack_id = None
        if self.settings.slack_user_header:
            slack_id = slack_user_id(request.headers.get(self.settings.slack_user_header))
        email = value if "@" in value else None
        # The proxy has signed the person in: its word on the address is the sign-in itself.
        return User(subject=value[:320], email=email, slack_user_id=slack_id, email_verified=True)
