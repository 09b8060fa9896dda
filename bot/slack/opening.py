"""Opening a stored incident in Slack: channel, people, topic, bookmark, posts, confirmation.

After the channel exists every other step is independent, so they run side by side: the
reporter waits for two Slack round trips, not seven. A step that fails is reported to the
reporter with what to fix; the incident itself is already stored and stays so. If the
channel itself cannot be made, the reporter is told why, with a Retry button; the incident
shows as not opened in Slack until a retry opens it, exactly once whoever clicks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, wait
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.domain import incidents, membership, timeline
from bot.slack import answers, blocks, posting
from bot.slack.answers import Where
from bot.slack.channels import create_incident_channel
from bot.slack.invites import invite
from bot.slack.messages import message_entry
from bot.slack.mirror import TOPIC_FIELDS, refresh
from bot.slack.people import learn, shown_name
from models import Incident, Kind, Source
from models.fields import utcnow

log = logging.getLogger(__name__)

RETRY = "incident_open_retry"


@dataclass(frozen=True)
class Problem:
    """A Slack step that failed: what, Slack's error code, and what a person should do."""

    step: str
    error: str
    fix: str

    def as_text(self) -> str:
        if self.error == "unreachable":
            return f"• Slack did not confirm that the bot could {self.step}. {self.fix}"
        return f"• Could not {self.step}: `{self.error}`. {self.fix}"


_FIXES = {
    "channel_not_found": "Check that the channel exists and, if it is private, invite the bot.",
    "is_archived": "The channel is archived: unarchive it or choose another channel.",
    "not_in_channel": "Invite the bot to the channel.",
    "restricted_action": "The workspace does not let this app do that; ask a Slack admin.",
    "ratelimited": "Slack is rate limiting the app; it will work again in a minute.",
    "invalid_auth": "The bot token is not valid; reinstall the app, update SLACK_BOT_TOKEN.",
    "no_free_name": "Every channel name for this incident is taken; rename or archive some.",
    "unreachable": "Its answer was lost, so it may have been done all the same: check, and "
    "do it by hand if not.",
}


def problem_from(step: str, error: SlackApiError, *, setting: str | None = None) -> Problem:
    code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
    return problem_for(step, code, setting=setting, needed=error.response.get("needed"))


def problem_for(
    step: str, code: str, *, setting: str | None = None, needed: str | None = None
) -> Problem:
    if code == "missing_scope":
        fix = f"Add the `{needed or 'missing'}` scope to the Slack app and reinstall it."
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
    except OSError as error:  # out of reach after the client's own retries
        problem = problem_for(step, "unreachable")
        log.warning(
            "slack step unreachable",
            extra={"incident": incident_id, "step": step, "error": type(error).__name__},
        )
    else:
        return None
    log.warning(
        "slack step failed",
        extra={"incident": incident_id, "step": step, "error": problem.error},
    )
    return problem


def open_in_slack(
    client: WebClient,
    number: int,
    *,
    settings: Settings,
    executor: Executor,
    bot_user_id: str | None,
    where: Where,
    source_message: dict[str, Any] | None = None,
    retry: bool = False,
) -> list[Problem]:
    """Do every Slack step for a stored incident that has no channel yet; return what
    failed. `where` is whoever should hear how it went (the reporter, or who clicked Retry).

    `source_message` (declared from a message) starts the incident's timeline.
    """
    if not incidents.claim_opening(number, utcnow()):
        current = incidents.get(number)
        if retry and current is not None:
            if current.channel_id:
                text = f"Incident {number} is open: {blocks.channel_link(current.channel_id)}"
            else:
                text = f"Incident {number} is being opened in Slack right now."
            answers.tell(client, where, text)
        return []
    incident = incidents.get(number)
    assert incident is not None  # just claimed
    # The topic names the lead: ask Slack for the name while the channel is being created, so
    # everything after the creation is one round of calls in parallel.
    lead_name = executor.submit(shown_name, client, incident.lead_id)
    creating = executor.submit(
        create_incident_channel,
        client,
        incident.id,
        incident.title,
        is_private=incident.is_private,
        bot_user_id=bot_user_id,
        since=incident.reported_at.timestamp(),
    )
    if not wait([creating], timeout=CONFIRM_WITHIN_SECONDS).done:
        # Slack is slow to make the channel (a rate limit): the reporter hears now, and again
        # when it is open.
        answers.tell(
            client,
            where,
            f"Incident {incident.id} is declared and saved. Slack is slowing the app down, so "
            "its channel is still being created; you will hear here when it is open.",
        )
    try:
        channel = creating.result()
    except SlackApiError as error:
        failed = problem_from("create the incident channel", error)
    except OSError:
        failed = problem_for("create the incident channel", "unreachable")
    except RuntimeError:
        failed = problem_for("create the incident channel", "no_free_name")
    else:
        return _open(
            client,
            incident,
            channel,
            settings=settings,
            executor=executor,
            bot_user_id=bot_user_id,
            where=where,
            source_message=source_message,
            lead_name=lambda: lead_name.result(),
        )
    log.error("channel not created", extra={"incident": incident.id, "error": failed.error})
    incidents.opening_failed(incident.id, f"{failed.error}: {failed.fix}")
    confirm(client, incident, [failed], where=where)
    return [failed]


Step = tuple[str, Callable[[], object], str | None]  # what, how, the setting it depends on


@dataclass
class _Steps:
    """The Slack steps that follow the channel's creation, each independent of the others."""

    client: WebClient
    incident: Incident
    channel_id: str
    settings: Settings
    bot_user_id: str | None
    source_message: dict[str, Any] | None
    lead_name: Callable[[], str]
    link: str | None = None
    posted: dict[str, str] = field(default_factory=dict)
    refused: list[Problem] = field(default_factory=list)

    @property
    def people(self) -> list[str]:
        wanted = {self.incident.reporter_id, self.incident.lead_id}
        return sorted({p for p in wanted if p and p != self.bot_user_id})

    def invite_people(self) -> None:
        refused = invite(
            self.client,
            self.channel_id,
            self.people,
            by=self.incident.reporter_id,
            source=Source.DECLARE,
        ).refused
        for user, why in refused.items():
            fix = why[:1].upper() + why[1:] + "."
            self.refused.append(Problem(f"invite {blocks.mention(user)}", "refused", fix))
        # The bot is in the channel it made (member events follow; member_sync re-reads).
        if self.bot_user_id:
            membership.joined(self.channel_id, self.bot_user_id)

    def set_topic(self) -> None:
        topic = blocks.topic(self.incident, self.lead_name())
        self.client.conversations_setTopic(channel=self.channel_id, topic=topic)

    def look_up_people(self) -> None:
        learn(self.client, self.people)

    def bookmark(self) -> None:
        # A private incident's page opens only for its channel's members, signed in.
        title = "Incident page (sign in)" if self.incident.is_private else "Incident page"
        self.client.bookmarks_add(
            channel_id=self.channel_id, title=title, type="link", link=self.link
        )

    def post_opening(self) -> None:
        text, body = blocks.opening_message(
            self.incident, self.link, self.settings.timeline_reaction
        )
        key = f"opening:{self.incident.id}"
        response = posting.post(
            self.client, channel=self.channel_id, key=key, text=text, blocks=body
        )
        self.posted["opening"] = response["ts"]

    def announce(self) -> None:
        assert self.settings.incidents_channel  # the step is only scheduled when it is set
        text, body = blocks.announcement(self.incident, self.link)
        response = posting.post(
            self.client,
            channel=self.settings.incidents_channel,
            key=f"announcement:{self.incident.id}",
            text=text,
            blocks=body,
            unfurl_links=False,
        )
        self.posted["announcement"] = response["ts"]
        self.posted["announcement_channel"] = response["channel"]

    def placeholder(self) -> None:
        assert self.settings.incidents_channel  # the step is only scheduled when it is set
        text, body = blocks.private_placeholder(self.settings.private_placeholder or "")
        posting.post(
            self.client,
            channel=self.settings.incidents_channel,
            key=f"placeholder:{self.incident.id}",
            text=text,
            blocks=body,
        )

    def first_entry(self) -> None:
        source = self.source_message
        assert source is not None  # the step is only scheduled with one
        entry = message_entry(self.client, source["channel"], source, self.incident.reporter_id)
        timeline.add_message(self.incident.id, entry, Kind.SHORTCUT)

    def _in_incidents_channel(self) -> list[Step]:
        channel, private = self.settings.incidents_channel, self.incident.is_private
        if not channel:
            return []
        where = blocks.channel_link(channel)
        if not private:
            return [(f"announce the incident in {where}", self.announce, "INCIDENTS_CHANNEL")]
        if self.settings.private_placeholder:
            return [(f"post the placeholder in {where}", self.placeholder, "INCIDENTS_CHANNEL")]
        return []

    def all(self) -> list[Step]:
        steps: list[Step] = [
            ("invite the reporter and the lead", self.invite_people, None),
            ("set the channel topic", self.set_topic, None),
            ("post the opening message", self.post_opening, None),
        ]
        if self.link:
            steps.append(("bookmark the incident page", self.bookmark, None))
        if self.incident.is_private:
            # Their addresses let people who sign in to the viewer by e-mail see it.
            steps.append(("look up the members", self.look_up_people, None))
        if self.source_message:
            steps.append(("add the message to the timeline", self.first_entry, None))
        return steps + self._in_incidents_channel()


def _open(
    client: WebClient,
    incident: Incident,
    channel: dict[str, Any],
    *,
    settings: Settings,
    executor: Executor,
    bot_user_id: str | None,
    where: Where,
    source_message: dict[str, Any] | None,
    lead_name: Callable[[], str],
) -> list[Problem]:
    incidents.attach_channel(incident.id, channel["id"], channel["name"])
    # As stored now (its revision included): what the posts show, and what is compared
    # with the incident once they are up.
    incident = incidents.get(incident.id) or incident
    steps = _Steps(
        client,
        incident,
        channel["id"],
        settings,
        bot_user_id,
        source_message,
        lead_name,
        link=blocks.viewer_url(settings.viewer_base_url, incident),
    )
    problems = _run(steps, executor, where)
    if incidents.revision_of(incident.id) != incident.revision:
        # Changed while the posts were on their way (a rate limit held them): they show the
        # incident as it was; bring them, and the topic, in step.
        refresh(client, incident.id, settings, TOPIC_FIELDS)
    log.info(
        "incident opened in slack",
        extra={"incident": incident.id, "channel": incident.channel_id, "problems": len(problems)},
    )
    return problems


def _run(steps: _Steps, executor: Executor, where: Where) -> list[Problem]:
    """Every step side by side; the reporter hears within seconds. A step still waiting on
    Slack (a rate limit) is named, and finishes after: what then fails is told in a second
    message."""
    incident = steps.incident
    running = {
        executor.submit(_attempt, name, action, setting=setting, incident_id=incident.id): name
        for name, action, setting in steps.all()
    }
    done, pending = wait(running, timeout=CONFIRM_WITHIN_SECONDS)
    problems = [p for f in done if (p := f.result()) is not None]
    _record_posts(incident, steps.posted)
    refused = len(steps.refused)
    shown = steps.refused[:refused] + problems
    confirm(steps.client, incident, shown, where=where, pending=[running[f] for f in pending])
    if not pending:
        return shown
    late = [p for f in pending if (p := f.result()) is not None]
    late += steps.refused[refused:]  # an invitation refused after the confirmation is news too
    _record_posts(incident, steps.posted)
    if late:
        answers.tell(
            steps.client,
            where,
            f"Incident {incident.id}: some steps did not work:\n"
            + "\n".join(p.as_text() for p in late),
        )
    return shown + late


# How long the reporter waits at most to hear the incident is declared.
CONFIRM_WITHIN_SECONDS = 5.0


def _record_posts(incident: Incident, posted: dict[str, str]) -> None:
    incidents.record_messages(
        incident.id,
        opening_message_ts=posted.get("opening"),
        announcement_channel_id=posted.get("announcement_channel"),
        announcement_ts=posted.get("announcement"),
    )


def confirm(
    client: WebClient,
    incident: Incident,
    problems: list[Problem],
    *,
    where: Where,
    pending: Sequence[str] = (),
) -> None:
    """Tell the reporter where the incident lives, and plainly what did not work (and what
    is still being done); when it has no channel, with a Retry button."""
    if incident.channel_id:
        text = f"Incident {incident.id} is declared: {blocks.channel_link(incident.channel_id)}"
    else:
        text = (
            f"Incident {incident.id} is declared and saved, but it is *not opened in Slack*: "
            "it has no channel yet."
        )
    if problems:
        text += "\nSome steps did not work:\n" + "\n".join(p.as_text() for p in problems)
    if pending:
        text += (
            "\nStill being done (Slack is slowing the app down; they follow by themselves, "
            "and you will hear if one fails):\n" + "\n".join(f"• {step}" for step in pending)
        )
    body = blocks.notice(text)
    if not incident.channel_id:
        body.append(
            {
                "type": "actions",
                "block_id": "incident_open",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Retry"},
                        "value": str(incident.id),
                    }
                ],
            }
        )
    if not answers.tell(client, where, text, body):
        log.error("reporter could not be told", extra={"incident": incident.id})
