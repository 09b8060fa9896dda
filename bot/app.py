"""build_app: one Bolt App, the same for Socket Mode and HTTP mode."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.config import Settings
from bot.deps import Deps
from bot.features import register_all
from bot.metrics import register_collectors, timing_middleware

log = logging.getLogger(__name__)


def build_app(settings: Settings, client: WebClient, deps: Deps | None = None) -> App:
    """Build the App around `client` (made by bot.slack_client.make_client).

    Pass `deps` to own its thread pools (and close them at shutdown); otherwise the App
    makes its own.

    process_before_response is on in both modes: a listener finishes before Slack gets its
    answer, so an event that could not be stored is not acknowledged and Slack delivers it
    again. The slow parts (views.open, opening a channel) run as lazy listeners after the ack.
    """
    deps = deps or Deps.create(settings)
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=settings.mode == "http",
        process_before_response=True,
        listener_executor=deps.listeners,
        logger=logging.getLogger("slack_bolt"),
    )
    register_collectors()
    app.use(timing_middleware)
    register_all(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse) -> BoltResponse:
        log.error(
            "listener failed",
            exc_info=error,
            extra={
                "event_id": body.get("event_id"),
                "type": body.get("type") or body.get("command"),
            },
        )
        # A 500 tells Slack (HTTP) to retry; in Socket Mode no ack is sent, which does the same.
        response.status = 500
        return response

    return app
