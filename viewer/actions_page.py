"""/actions: the follow-ups of every incident the person may see — open or done, one
person's, only the overdue ones — and the same as JSON at /api/actions. Every choice is a
query parameter; anything not understood is the default view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from models.fields import utcnow
from viewer import followups, queries
from viewer.auth import audience
from viewer.templating import settings

bp = Blueprint("actions_page", __name__)
PER_PAGE = 50


@dataclass(frozen=True)
class Choice:
    state: str = "open"
    owner: str | None = None
    overdue: bool = False
    page: int = 1

    @classmethod
    def of(cls, args: Mapping[str, str]) -> Choice:
        state = args.get("state", "open")
        owner = args.get("owner", "").strip()
        page = args.get("page", "1")
        return cls(
            state if state in queries.ACTION_STATES else "open",
            owner[:32] if owner.isalnum() else None,
            args.get("overdue") == "1",
            int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1,
        )

    @staticmethod
    def problem(args: Mapping[str, str]) -> str | None:
        """What is wrong with the parameters, for the API (the page shows the default view)."""
        state, page, owner = args.get("state"), args.get("page"), args.get("owner")
        if state is not None and state not in queries.ACTION_STATES:
            return f"state: must be one of {', '.join(queries.ACTION_STATES)}"
        if page is not None and not (page.isdigit() and 0 < int(page) < 10**6):
            return "page: must be a whole number, 1 or more"
        if owner is not None and not (owner.strip().isalnum() and len(owner.strip()) <= 32):
            return "owner: must be a Slack user id"
        if args.get("overdue") not in (None, "1", "0", ""):
            return "overdue: must be 1 or 0"
        return None

    def query(self, **changed: object) -> dict[str, str]:
        values: dict[str, object] = {
            "state": self.state,
            "owner": self.owner,
            "overdue": "1" if self.overdue else None,
            "page": self.page,
            **changed,
        }
        if values["state"] == "open":
            values["state"] = None
        if values["page"] == 1:
            values["page"] = None
        return {k: str(v) for k, v in values.items() if v}


def _page(choice: Choice) -> queries.ActionPage:
    return queries.list_actions(
        state=choice.state,
        owner=choice.owner,
        overdue=choice.overdue,
        page=choice.page,
        per_page=PER_PAGE,
        now=utcnow(),
        audience=audience(),
    )


@bp.get("/actions")
def actions() -> str:
    choice = Choice.of(request.args)
    page = _page(choice)
    now, zone = utcnow(), settings().zone
    return render_template(
        "actions.html",
        choice=choice,
        page=page,
        items=[followups.shown(a, page.names, zone, now) for a in page.actions],
        # mypy cannot tell the str-valued query args never include url_for's `_external`.
        api_url=url_for("actions_page.api_actions", **choice.query()),  # type: ignore[arg-type]
    )


@bp.get("/api/actions")
def api_actions() -> Response:
    problem = Choice.problem(request.args)
    if problem:
        # A program should hear about a bad parameter, not get the default list.
        abort(400, problem)
    choice = Choice.of(request.args)
    page = _page(choice)
    now, zone = utcnow(), settings().zone
    return jsonify(
        {
            "items": [
                followups.as_json(followups.shown(a, page.names, zone, now)) for a in page.actions
            ],
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
        }
    )
