"""schemathesis against the viewer's own OpenAPI document, through its WSGI app, on a small
populated database: every documented operation answers as documented (all default checks).

Each operation's cases are drawn with hypothesis directly (schemathesis's pytest fixture
integration does not run under this pytest), which is what its pytest plugin does too.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.viewer.test_hostile_viewer import XSS


def test_api_conforms_to_its_openapi_document(make_app, seed) -> None:
    for index, payload in enumerate(XSS[:5]):
        incident = seed.incident(
            title=f"Incident {index} {payload}"[:200],
            summary=payload,
            channel_id=f"CAPI{index:04d}",
            severity=1 + index % 4,
        )
        seed.event(incident, text=payload, author_name=payload)
    app = make_app(slack_workspace_url="https://acme.slack.com")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document lists no operation"
    checked = []
    for operation in operations:

        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(case=operation.as_strategy())
        def conforms(case: schemathesis.Case) -> None:
            # "from" after "to" is refused (400), a rule between two parameters that OpenAPI
            # cannot state; every other check (no 5xx, status, content type, headers and
            # body as documented…) runs. Over WSGI nothing decodes a compressed body, so
            # the body is asked for as it is (compression has tests of its own).
            case.call_and_validate(
                headers={"Accept-Encoding": "identity"},
                excluded_checks=[positive_data_acceptance],
            )

        conforms()
        checked.append(operation.label)
    assert len(checked) == len(operations)
