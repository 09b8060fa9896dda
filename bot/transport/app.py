"""build_app: one Bolt App, the same for Socket Mode and HTTP mode."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.config import Mode, Settings
from bot.domain.metrics import observe_handling, register_collectors
from bot.features import register_all
from bot.features.deps import Deps
from bot.slack.client import ack_deadline

log = logging.getLogger(__name__)


class IncidentApp(App):
    """Bolt's App, with each delivery's answer on a clock: the listeners' ack part runs in
    the dispatching thread, and the quick Slack calls it makes share the time Slack gives
    for the answer (bot.slack.client.ack_deadline). The handling time for /metrics is taken
    here too, around the listeners (a middleware cannot do either: Bolt runs the listeners
    after every middleware has returned)."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        try:
            with ack_deadline():
                return super().dispatch(req)
        finally:
            observe_handling(req.body, time.perf_counter() - started)


def build_app(settings: Settings, client: WebClient, deps: Deps | None = None) -> App:
    """Build the App around `client` (made by bot.slack.client.make_client).

    Pass `deps` to own its thread pools (and close them at shutdown); otherwise the App
    makes its own.

    process_before_response is on in both modes: a listener finishes before Slack gets its
    answer, so an event that could not be stored is not acknowledged and Slack delivers it
    again. The slow parts (views.open, opening a channel) run as lazy listeners after the ack.
    """
    deps = deps or Deps.create(settings)
    app = IncidentApp(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=settings.mode == Mode.HTTP,
        process_before_response=True,
        listener_executor=deps.listeners,
        logger=logging.getLogger("slack_bolt"),
    )
    register_collectors()
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
