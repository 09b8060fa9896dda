"""/login, /auth/callback and /logout for VIEWER_AUTH=oidc.

All three are GET, like the rest of the viewer. Logout as a GET can be triggered by another
site (a link, a redirect); the worst it does is sign someone out, and with SameSite=Lax a
cross-site image or frame does not carry the cookie at all. A POST would need the first form
and the first CSRF token in an app that otherwise has neither.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

from viewer import metrics
from viewer.auth import current_user, provider
from viewer.auth.oidc import Pending, ProviderUnavailable, SignInError
from viewer.auth.user import User, refusal
from viewer.templating import settings

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@bp.get("/login")
def login() -> BaseResponse:
    next_path = local_path(request.args.get("next"))
    if current_user() is not None:
        return redirect(next_path)
    pending = Pending.start(next_path)
    try:
        url = provider().authorization_url(pending)
    except ProviderUnavailable as error:
        log.error("sign-in service unavailable: %s", error)
        metrics.SIGN_INS.labels(outcome="provider_unavailable").inc()
        return _failed(503, "The sign-in service is not answering. Try again in a few minutes.")
    session["pending"] = pending.to_session()
    return redirect(url)


@bp.get("/auth/callback")
def callback() -> BaseResponse:
    # One use only: whatever happens next, this pending sign-in is spent.
    pending = Pending.from_session(session.pop("pending", None))
    try:
        user = _complete(pending)
    except SignInError as error:
        log.warning("sign-in refused: %s", error.reason)
        metrics.SIGN_INS.labels(outcome=error.reason.partition(":")[0]).inc()
        return _failed(error.status, str(error))
    except ProviderUnavailable as error:
        log.error("sign-in service unavailable: %s", error)
        metrics.SIGN_INS.labels(outcome="provider_unavailable").inc()
        return _failed(503, "The sign-in service is not answering. Try again in a few minutes.")
    assert pending is not None
    # A fresh session on sign-in: nothing from before (a planted cookie) carries over.
    session.clear()
    session["user"] = user.to_session()
    session.permanent = True
    metrics.SIGN_INS.labels(outcome="ok").inc()
    log.info("signed in", extra={"subject": user.subject, "slack_user": user.slack_user_id})
    return redirect(pending.next_path)


def _complete(pending: Pending | None) -> User:
    if request.args.get("error"):
        # The provider said no (the person declined, or the app is not allowed for them).
        raise SignInError("provider_error", "The sign-in service did not sign you in.", 403)
    if pending is None:
        raise SignInError(
            "no_pending",
            "This sign-in has expired or was started in another browser. Sign in again.",
        )
    if not pending.state_matches(request.args.get("state", "")):
        raise SignInError(
            "bad_state", "This sign-in does not match the one you started. Sign in again."
        )
    code = request.args.get("code", "")
    if not code:
        raise SignInError("no_code", "The sign-in service sent no code. Sign in again.")
    claims = provider().sign_in(code, pending)
    auth = settings().auth
    reason = refusal(
        auth,
        claims.get("email") if isinstance(claims.get("email"), str) else None,
        claims.get("email_verified", True),
        claims.get("groups"),
    )
    if reason:
        raise SignInError("denied", reason, 403)
    return User.from_claims(claims, auth.slack_user_claim)


@bp.get("/logout")
def logout() -> Response:
    session.clear()
    return make_response(render_template("signed_out.html"))


def _failed(status: int, detail: str) -> Response:
    page = render_template(
        "error.html",
        code=status,
        title="You are not signed in",
        detail=detail,
        sign_in_url="/login",
    )
    return make_response(page, status)
