"""What every response promises: GET only, and headers that keep pages inert and private."""

from __future__ import annotations

from flask import Flask, Response, abort, request

ALLOWED_METHODS = ("GET", "HEAD")

# No scripts at all; styles and images only from this site (charts are inline SVG, which
# needs no source). Nothing may frame the pages or send forms elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    @app.before_request
    def only_get() -> None:
        # Runs before routing errors are raised, so any other method on any path is a 405.
        if request.method not in ALLOWED_METHODS:
            abort(405, valid_methods=list(ALLOWED_METHODS))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
