"""Links into monzo/response keep working: its incident pages, `/incident/<id>/` (the
Django UI) and `/incident/<id>` (the HMCTS frontend), move here for good."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

bp = Blueprint("old_links", __name__)


@bp.get("/incident/<int(max=9223372036854775807):number>/")
@bp.get("/incident/<int(max=9223372036854775807):number>")
def incident(number: int) -> Response:
    return redirect(url_for("pages.incident", number=number), code=301)
