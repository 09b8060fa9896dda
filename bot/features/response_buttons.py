"""The buttons response put on its headline posts, answered as this bot's own. An incident
imported from response while open keeps its headline post as its announcement; until the
post is edited (at the bot's first start, or by the first change) its Close, Edit and
Create Comms Channel buttons are still there, and each carries the incident's number, which
the import kept. They do what they did in response: resolve, open the Update form, open the
incident in Slack. Pressing one also re-renders the post with this bot's buttons."""

from __future__ import annotations

from slack_bolt import App

from bot.features import announcement, declare
from bot.features.deps import Deps, bind
from bot.slack import answers

# response's action ids (response/slack/models/headline_post.py).
CLOSE, EDIT, CREATE_CHANNEL = (
    "close-incident-button",
    "edit-incident-button",
    "create-comms-channel-button",
)


def register(app: App, deps: Deps) -> None:
    app.action(CLOSE)(
        ack=bind(announcement.resolve, deps), lazy=[bind(announcement.resolved_in_slack, deps)]
    )
    app.action(EDIT)(ack=bind(announcement.update, deps), lazy=[answers.tell_failure])
    app.action(CREATE_CHANNEL)(ack=declare.ack_only, lazy=[bind(declare.retry, deps)])
