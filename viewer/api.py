"""The JSON API: the incident list (same filters as the page) and one incident in full."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, url_for

from models.fields import utcnow
from viewer import openapi, queries, search, serialize
from viewer.auth import audience
from viewer.filters import ListFilters
from viewer.pages import load_or_404, names_for, read_filters
from viewer.templating import settings

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/incidents")
def list_incidents() -> Response:
    config = settings()
    filters = read_filters()
    if filters.errors:
        # A program should hear about a bad parameter, not get a silently wider list.
        name, message = next(iter(filters.errors.items()))
        abort(400, f"{name}: {message}")
    page = queries.list_incidents(filters, config.zone, audience=audience())

    def link(number: int) -> str:
        return url_for(
            "api.list_incidents",
            _external=True,
            **filters.query_args(page=number),
            **_per_page(filters),
        )

    links = {
        "self": link(filters.page),
        "next": link(filters.page + 1) if page.has_next else None,
        "prev": link(min(filters.page - 1, page.pages)) if page.has_prev else None,
        "html": url_for("pages.index", _external=True, **filters.query_args()),
    }
    matched = search.reasons(filters.text, page.incidents) if filters.text else None
    return jsonify(serialize.list_page(page, utcnow(), links, matched))


def _per_page(filters: ListFilters) -> dict[str, str]:
    # Links keep a non-default page size so following `next` walks the same pages.
    per_page = filters.per_page
    return {} if per_page == settings().page_size else {"per_page": str(per_page)}


# max: a larger number names no row (404), not a value the database refuses (500)
@bp.get("/incidents/<int(max=9223372036854775807):number>")
def get_incident(number: int) -> Response:
    detail = load_or_404(number)
    return jsonify(serialize.detail(detail, names_for(detail), utcnow()))


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document() -> Response:
    return jsonify(openapi.document(url_for("pages.index", _external=True).rstrip("/")))
