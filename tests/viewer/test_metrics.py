"""GET /metrics on the internal port: Prometheus text with request counts, latency and
process metrics; the viewer's own port has no /metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.viewer.conftest import oidc_auth, sign_in
from viewer.metrics import metrics_app


def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = metrics_app().test_client().get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def requests(before, after, endpoint: str, status: str, method: str = "GET") -> float:
    key = (
        "incident_viewer_requests_total",
        (("endpoint", endpoint), ("method", method), ("status", status)),
    )
    return after.get(key, 0) - before.get(key, 0)


def test_requests_are_counted_by_endpoint_and_status(client, seed) -> None:
    incident = seed.incident()
    before = samples()
    client.get("/")
    client.get(f"/incidents/{incident.id}")
    client.get("/incidents/4242")
    client.post("/")
    after = samples()
    assert requests(before, after, "pages.index", "200") == 1
    assert requests(before, after, "pages.incident", "200") == 1
    assert requests(before, after, "pages.incident", "404") == 1
    # Refused before routing, so it has no endpoint.
    assert requests(before, after, "unmatched", "405", method="POST") == 1
    latency = ("incident_viewer_request_seconds_count", (("endpoint", "pages.index"),))
    assert after[latency] - before.get(latency, 0) == 1
    # prometheus-client's own process metrics come along.
    assert any(name == "process_cpu_seconds_total" for name, _ in after)


def test_metrics_need_no_sign_in_and_count_sign_ins(make_app, oidc) -> None:
    app = make_app(auth=oidc_auth(oidc))
    client = app.test_client()
    before = samples()
    sign_in(client)
    oidc.token_changes["aud"] = "someone-else"
    sign_in(app.test_client())
    after = samples()
    ok = ("incident_viewer_sign_ins_total", (("outcome", "ok"),))
    refused = ("incident_viewer_sign_ins_total", (("outcome", "id_token"),))
    assert after[ok] - before.get(ok, 0) == 1
    assert after[refused] - before.get(refused, 0) == 1


def test_the_viewers_own_port_has_no_metrics(client) -> None:
    assert client.get("/metrics").status_code == 404
    assert metrics_app().test_client().get("/").status_code == 404
