"""build_app: one Bolt App, the same for Socket Mode and HTTP mode."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.config import Settings
from bot.deps import Deps
from bot.features import register_all

log = logging.getLogger(__name__)

# Bolt's own default is 5 threads; a declaration can wait out a rate limit in one of them,
# so leave room for the commands and events that keep arriving meanwhile.
LISTENER_THREADS = 16
FANOUT_THREADS = 16


def build_app(settings: Settings, client: WebClient) -> App:
    """Build the App around `client` (made by bot.slack_client.make_client).

    process_before_response is on in both modes: a listener finishes before Slack gets its
    answer, so an event that could not be stored is not acknowledged and Slack delivers it
    again. The slow parts (views.open, opening a channel) run as lazy listeners after the ack.
    """
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=settings.mode == "http",
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
        logger=logging.getLogger("slack_bolt"),
    )
    deps = Deps(
        settings=settings,
        fanout=ThreadPoolExecutor(FANOUT_THREADS, thread_name_prefix="slack-fanout"),
    )
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
