"""Error responses: an HTML page for people, JSON under /api/, and 503 when the database is down."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

log = logging.getLogger(__name__)

TITLES = {
    401: "Sign in to continue",
    403: "You cannot use this viewer",
    404: "Page not found",
    405: "Method not allowed",
    503: "Sorry, the service is unavailable",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _respond(error: HTTPException) -> Response:
    code = error.code or 500
    title = TITLES.get(code, error.name)
    if _wants_json():
        response = jsonify({"error": {"status": code, "title": title, "detail": error.description}})
    else:
        response = Response(
            render_template("error.html", code=code, title=title, detail=error.description),
            mimetype="text/html",
        )
    response.status_code = code
    # Keep Allow on a 405 so clients learn what they may do instead.
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers[name] = value
    return response


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _respond(error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(error: Exception) -> Response:
        log.warning("database unavailable: %s", error)
        return _respond(
            ServiceUnavailable(
                "The incident database is not answering. Try again in a few minutes."
            )
        )
