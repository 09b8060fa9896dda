"""Prometheus metrics of the viewer: requests by endpoint and status, their latency,
sign-ins, audited views, and the process metrics prometheus-client adds itself.

GET /metrics is served by an app of its own (`metrics_app`), on an internal port that no
Ingress routes (`incident-viewer --metrics-port`); the viewer's own port answers 404 there.
It needs no sign-in and shows counts, never incident data.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "incident_viewer_requests_total",
    "HTTP requests answered, by endpoint (the route's name, so the label set stays small), "
    "method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "incident_viewer_request_seconds",
    "Time to answer one HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGN_INS = Counter(
    "incident_viewer_sign_ins_total",
    "OpenID Connect sign-ins by outcome (ok, or why one was refused).",
    ["outcome"],
)
PRIVATE_VIEWS = Counter(
    "incident_viewer_private_views_total",
    "Views of private incidents written to the audit log.",
)

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def metrics_app() -> Flask:
    """GET /metrics and nothing else, for the internal port."""
    app = Flask("viewer.metrics")
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.register_blueprint(bp)
    return app


def register(app: Flask) -> None:
    """Count and time every request of the viewer's own app."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        # HEAD is GET without the body; one label keeps the series count down.
        method = "GET" if request.method == "HEAD" else request.method
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            method = "other"  # the label set stays bounded whatever clients send
        REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
