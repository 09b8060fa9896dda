"""The buttons response put on its headline posts, answered as this bot's own. An incident
imported from response while open keeps its headline post as its announcement; until the
post is edited (at the bot's first start, or by the first change) its Close, Edit and
Create Comms Channel buttons are still there, and each carries the incident's number, which
the import kept. They do what they did in response: resolve, open the Update form, open the
incident in Slack. Pressing one also re-renders the post with this bot's buttons. Its
Page on-call button (a workflow this bot does not have) is answered with where to page."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.features import announcement, declare
from bot.features.deps import Deps, bind
from bot.slack import answers
from bot.slack.answers import Where

# response's action ids (response/slack/models/headline_post.py; the last from its
# PagerDuty workflow, where a team used it).
CLOSE, EDIT, CREATE_CHANNEL, PAGE = (
    "close-incident-button",
    "edit-incident-button",
    "create-comms-channel-button",
    "page-on-call-button",
)
PAGE_ELSEWHERE = (
    "Paging on-call was response's PagerDuty workflow, which this bot does not have: "
    "page from PagerDuty (or your paging tool) itself."
)


def page_elsewhere(body: dict[str, Any], client: WebClient) -> None:
    """After the ack: the person is told why nothing was paged, and where to page."""
    answers.tell(client, Where.of(body), PAGE_ELSEWHERE)


def register(app: App, deps: Deps) -> None:
    app.action(CLOSE)(
        ack=bind(announcement.resolve, deps), lazy=[bind(announcement.resolved_in_slack, deps)]
    )
    app.action(EDIT)(ack=bind(announcement.update, deps), lazy=[answers.tell_failure])
    app.action(CREATE_CHANNEL)(ack=declare.ack_only, lazy=[bind(declare.retry, deps)])
    app.action(PAGE)(ack=declare.ack_only, lazy=[page_elsewhere])
