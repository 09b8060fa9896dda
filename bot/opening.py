"""Opening a stored incident in Slack: channel, people, topic, bookmark, posts, confirmation.

After the channel exists every other step is independent, so they run side by side: the
reporter waits for two Slack round trips, not seven. A step that fails is reported to the
reporter with what to fix; the incident itself is already stored and stays so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.channels import create_incident_channel
from bot.config import Settings
from bot.domain import incidents, membership, timeline
from bot.messages import message_entry
from bot.people import learn, shown_name
from models import Incident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """A Slack step that failed: what, Slack's error code, and what a person should do."""

    step: str
    error: str
    fix: str

    def as_text(self) -> str:
        return f"• Could not {self.step}: `{self.error}`. {self.fix}"


_FIXES = {
    "channel_not_found": "Check that the channel exists and, if it is private, invite the bot.",
    "is_archived": "The channel is archived: unarchive it or choose another channel.",
    "not_in_channel": "Invite the bot to the channel.",
    "restricted_action": "The workspace does not let this app do that; ask a Slack admin.",
    "ratelimited": "Slack is rate limiting the app; it will work again in a minute.",
    "invalid_auth": "The bot token is not valid; reinstall the app, update SLACK_BOT_TOKEN.",
}


def problem_from(step: str, error: SlackApiError, *, setting: str | None = None) -> Problem:
    code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
    if code == "missing_scope":
        needed = error.response.get("needed") or "a missing"
        fix = f"Add the `{needed}` scope to the Slack app and reinstall it."
    else:
        fix = _FIXES.get(code, "See the bot's log for details.")
    if setting and code in ("channel_not_found", "is_archived", "not_in_channel"):
        fix += f" (It is set by {setting}.)"
    return Problem(step, code, fix)


def _attempt(
    step: str, action: Callable[[], object], *, setting: str | None = None, incident_id: int
) -> Problem | None:
    try:
        action()
    except SlackApiError as error:
        problem = problem_from(step, error, setting=setting)
        log.warning(
            "slack step failed",
            extra={"incident": incident_id, "step": step, "error": problem.error},
        )
        return problem
    return None


def open_in_slack(
    client: WebClient,
    incident: Incident,
    *,
    settings: Settings,
    executor: Executor,
    bot_user_id: str | None,
    origin_channel: str | None,
    source_message: dict[str, Any] | None = None,
) -> list[Problem]:
    """Do every Slack step for a newly stored incident; return what failed.

    `source_message` (declared from a message) starts the incident's timeline.
    """
    # The topic names the lead: ask Slack for the name while the channel is being created, so
    # everything after the creation is one round of calls in parallel.
    lead_name = executor.submit(shown_name, client, incident.lead_id)
    try:
        channel = create_incident_channel(
            client,
            incident.id,
            incident.title,
            is_private=incident.is_private,
            bot_user_id=bot_user_id,
            since=incident.reported_at.timestamp(),
        )
    except SlackApiError as error:
        problems = [problem_from("create the incident channel", error)]
        log.error(
            "channel not created", extra={"incident": incident.id, "error": problems[0].error}
        )
        confirm(client, incident, problems, origin_channel=origin_channel)
        return problems

    channel_id: str = channel["id"]
    incidents.attach_channel(incident.id, channel_id, channel["name"])
    incident.channel_id, incident.channel_name = channel_id, channel["name"]
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    posted: dict[str, str] = {}
    people = sorted(
        {p for p in (incident.reporter_id, incident.lead_id) if p and p != bot_user_id}
    )

    def invite() -> None:
        if people:
            try:
                client.conversations_invite(channel=channel_id, users=",".join(people))
            except SlackApiError as error:
                # Slack refuses the whole call when everyone is already in: nothing to do.
                if error.response.get("error") != "already_in_channel":
                    raise
        # A channel the bot has just made holds the bot and whoever it invited: record them
        # now (member events follow and find them there; bot.member_sync re-reads the list).
        membership.joined(channel_id, *people, *([bot_user_id] if bot_user_id else []))

    def set_topic() -> None:
        topic = blocks.topic(incident, lead_name.result())
        client.conversations_setTopic(channel=channel_id, topic=topic)

    def look_up_people() -> None:
        learn(client, people)

    def bookmark() -> None:
        client.bookmarks_add(channel_id=channel_id, title="Incident page", type="link", link=link)

    def post_opening() -> None:
        text, body = blocks.opening_message(incident, link)
        response = client.chat_postMessage(channel=channel_id, text=text, blocks=body)
        posted["opening"] = response["ts"]

    def announce() -> None:
        assert settings.incidents_channel  # the step is only scheduled when it is set
        text, body = blocks.announcement(incident, link)
        response = client.chat_postMessage(
            channel=settings.incidents_channel, text=text, blocks=body, unfurl_links=False
        )
        posted["announcement"] = response["ts"]
        posted["announcement_channel"] = response["channel"]

    def placeholder() -> None:
        assert settings.incidents_channel  # the step is only scheduled when it is set
        text, body = blocks.private_placeholder(settings.private_placeholder or "")
        client.chat_postMessage(channel=settings.incidents_channel, text=text, blocks=body)

    def first_entry() -> None:
        assert source_message is not None
        entry = message_entry(client, source_message["channel"], source_message,
                              incident.reporter_id)
        timeline.add_message(incident.id, entry, "shortcut")

    steps: list[tuple[str, Callable[[], object], str | None]] = [
        ("invite the reporter and the lead", invite, None),
        ("set the channel topic", set_topic, None),
        ("post the opening message", post_opening, None),
    ]
    if link:
        steps.append(("bookmark the incident page", bookmark, None))
    if incident.is_private:
        # Their addresses let people who sign in to the viewer by e-mail see it.
        steps.append(("look up the members", look_up_people, None))
    if source_message:
        steps.append(("add the message to the timeline", first_entry, None))
    if settings.incidents_channel and incident.is_private and settings.private_placeholder:
        steps.append(
            (
                f"post the placeholder in {blocks.channel_link(settings.incidents_channel)}",
                placeholder,
                "INCIDENTS_CHANNEL",
            )
        )
    if settings.incidents_channel and not incident.is_private:
        steps.append(
            (
                f"announce the incident in {blocks.channel_link(settings.incidents_channel)}",
                announce,
                "INCIDENTS_CHANNEL",
            )
        )
    results = executor.map(
        lambda step: _attempt(step[0], step[1], setting=step[2], incident_id=incident.id), steps
    )
    problems = [problem for problem in results if problem is not None]
    incidents.record_messages(
        incident.id,
        opening_message_ts=posted.get("opening"),
        announcement_channel_id=posted.get("announcement_channel"),
        announcement_ts=posted.get("announcement"),
    )
    confirm(client, incident, problems, origin_channel=origin_channel)
    log.info(
        "incident opened in slack",
        extra={"incident": incident.id, "channel": incident.channel_id, "problems": len(problems)},
    )
    return problems


# Errors that mean "the bot cannot post an ephemeral there"; a DM reaches the reporter instead.
_NO_EPHEMERAL_HERE = {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}


def confirm(
    client: WebClient, incident: Incident, problems: list[Problem], *, origin_channel: str | None
) -> None:
    """Tell the reporter where the incident lives, and plainly what did not work."""
    if incident.channel_id:
        text = f"Incident {incident.id} is declared: {blocks.channel_link(incident.channel_id)}"
    else:
        text = f"Incident {incident.id} is declared and saved, but it has no Slack channel yet."
    if problems:
        text += "\nSome steps did not work:\n" + "\n".join(p.as_text() for p in problems)
    body = blocks.notice(text)
    if origin_channel and not origin_channel.startswith("D"):
        try:
            client.chat_postEphemeral(
                channel=origin_channel, user=incident.reporter_id, text=text, blocks=body
            )
            return
        except SlackApiError as error:
            if error.response.get("error") not in _NO_EPHEMERAL_HERE:
                raise
    client.chat_postMessage(channel=incident.reporter_id, text=text, blocks=body)
