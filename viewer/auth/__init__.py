"""Sign-in: who is looking (`current_user`), what they may see (`audience`), and the gate that
sends everyone else to sign in. The mode comes from VIEWER_AUTH (see viewer.config)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from viewer.auth.header import HeaderAuth
from viewer.auth.oidc import Provider
from viewer.auth.user import User, refusal
from viewer.queries import Audience

log = logging.getLogger(__name__)

PROVIDER_KEY = "viewer.oidc"
HEADER_KEY = "viewer.header_auth"
# Open without sign-in: probes and Prometheus (both reached only inside the cluster), the
# sign-in routes themselves, and the stylesheet the sign-in pages use.
PUBLIC_ENDPOINTS = frozenset(
    {"pages.healthz", "auth.login", "auth.callback", "auth.logout", "static"}
)


def register(app: Flask) -> None:
    from viewer.auth import routes
    from viewer.templating import settings_of

    auth = settings_of(app).auth
    if auth.mode == "none":
        log.warning(
            "VIEWER_AUTH=none: anyone who can reach the viewer can read it (private "
            "incidents stay hidden unless VIEWER_SHOW_PRIVATE=true); set VIEWER_AUTH=header "
            "or oidc to require sign-in"
        )
    elif auth.mode == "header":
        app.extensions[HEADER_KEY] = HeaderAuth(auth)
    else:
        app.config.update(
            # The same secret on every replica, so any of them reads a cookie another signed.
            SECRET_KEY=auth.session_secret,
            SESSION_COOKIE_NAME="viewer_session",
            SESSION_COOKIE_SECURE=auth.secure_cookie,
            SESSION_COOKIE_HTTPONLY=True,
            # Lax, not Strict: the provider's redirect back to /auth/callback is a top-level
            # navigation from another site, and must carry the cookie holding the state.
            SESSION_COOKIE_SAMESITE="Lax",
            PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=auth.session_hours),
            # The lifetime counts from sign-in: re-signing on each request would extend it.
            SESSION_REFRESH_EACH_REQUEST=False,
        )
        app.extensions[PROVIDER_KEY] = Provider(auth)
        app.register_blueprint(routes.bp)

    @app.before_request
    def require_sign_in() -> Response | None:
        if not auth.enabled or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        user = current_user()
        if user is None:
            if request.path.startswith("/api/") or auth.mode == "header":
                abort(401, "Sign in to see incidents.")
            return redirect(url_for("auth.login", next=_here()))
        # Header mode: the proxy let them through; the domain rule still applies here.
        # (OIDC checked it at sign-in.)
        reason = refusal(auth, user.email) if auth.mode == "header" else None
        if reason:
            abort(403, reason)
        return None

    @app.context_processor
    def signed_in() -> dict[str, Any]:
        return {"signed_in_user": current_user(), "auth_mode": auth.mode}


def current_user() -> User | None:
    """The signed-in person for this request, or None (always None with VIEWER_AUTH=none)."""
    if "viewer_user" not in g:
        g.viewer_user = _identify()
    return g.viewer_user


def _identify() -> User | None:
    header_auth = current_app.extensions.get(HEADER_KEY)
    if header_auth is not None:
        return header_auth.user(request)
    if PROVIDER_KEY in current_app.extensions:
        return User.from_session(session.get("user"))
    return None


def provider() -> Provider:
    return current_app.extensions[PROVIDER_KEY]


def audience() -> Audience:
    from viewer.templating import settings

    user = current_user()
    if user is None:
        return Audience(show_private=settings().show_private)
    return Audience(
        show_private=settings().show_private,
        user_id=user.slack_user_id,
        email=None if user.slack_user_id else user.verified_email,
    )


def _here() -> str:
    # full_path ends in "?" when there is no query string.
    return request.full_path.rstrip("?") if request.query_string else request.path
