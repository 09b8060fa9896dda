"""What a response tells browsers and proxies: compressed where the client accepts it
(Flask-Compress: gzip, brotli, zstd, chosen by Accept-Encoding), a validator (ETag) so a
page or API answer asked for again unchanged costs a 304, and a caching policy. Pages that
may hold what not everyone may read (a private incident, anything once sign-in is on) are
never stored: `private, no-store`. Everything else may be kept but is asked for again each
time (`no-cache`): an incident changes while people read it."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from flask_compress import Compress

from viewer.templating import settings

NEVER_STORED = "private, no-store"
REVALIDATED = "no-cache"


def shown_private() -> None:
    """The response being built shows a private incident."""
    g.shown_private = True


class WithoutRefusedCodings:
    """Drops the codings a client refuses (`gzip;q=0`) from Accept-Encoding before
    Flask-Compress reads it: it takes any coding it finds named, whatever its weight."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        header = environ.get("HTTP_ACCEPT_ENCODING")
        if header and "q=0" in header.replace(" ", ""):
            environ["HTTP_ACCEPT_ENCODING"] = ", ".join(
                part for part in header.split(",") if not _refused(part)
            )
        return self.wsgi_app(environ, start_response)


def _refused(coding: str) -> bool:
    for parameter in coding.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value) == 0
            except ValueError:
                return False
    return False


def register(app: Flask) -> None:
    app.config.update(
        COMPRESS_MIMETYPES=[
            "text/html",
            "application/json",
            "text/markdown",
            "text/css",
            "image/svg+xml",
        ],
        COMPRESS_MIN_SIZE=500,
        # Compress (and its ETag suffix) also answers a conditional request for a
        # compressed body.
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=True,
    )
    Compress(app)
    app.wsgi_app = WithoutRefusedCodings(app.wsgi_app)  # type: ignore[method-assign]

    # Registered after Compress, so it runs before it (Flask runs these last-first).
    @app.after_request
    def policy(response: Response) -> Response:
        if request.path.startswith("/static/"):
            return response  # Flask's own validators and max-age
        config = settings()
        # With private incidents shown to all, any page may hold one (a list, a search).
        if config.auth.mode != "none" or config.show_private or g.get("shown_private"):
            response.headers["Cache-Control"] = NEVER_STORED
            return response
        response.headers.setdefault("Cache-Control", REVALIDATED)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.add_etag()
            response.make_conditional(request)
        return response
