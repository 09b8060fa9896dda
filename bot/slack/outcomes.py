"""What Slack shows after a stored change: edits in place, a line in the channel, a newly
named lead invited to the channel, and for resolving and reopening the channel, the
announcement's thread, and the lead (or reporter) by DM with the link for the review."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.domain import incidents
from bot.domain.lifecycle import Outcome
from bot.slack import answers, blocks
from bot.slack.invites import invite
from bot.slack.mirror import describe, refresh, tell_channel
from models import Incident

log = logging.getLogger(__name__)


def resolved(
    client: WebClient, incident: Incident, settings: Settings, actor_id: str | None
) -> None:
    duration = blocks.duration_text(incident)
    tell_channel(
        client,
        incident,
        f":white_check_mark: Incident {incident.id} is *resolved* by "
        f"{blocks.mention(actor_id)}. {duration}.",
        key=f"resolved:{incident.id}:{incident.revision}",
        thread_under_announcement=True,
    )
    owner = incident.lead_id or incident.reporter_id
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    review = (
        f"Its page, for the review: {link}"
        if link
        else "Time to write up the review while it is fresh."
    )
    text = (
        f"Incident {incident.id} ({blocks.escape(incident.title)}) is resolved. {duration}. "
        f"{review}"
    )
    if not answers.dm(client, owner, text):
        log.warning("review DM not sent", extra={"incident": incident.id})


def reopened(client: WebClient, incident: Incident, actor_id: str | None) -> None:
    tell_channel(
        client,
        incident,
        f":rotating_light: Incident {incident.id} is *reopened* by "
        f"{blocks.mention(actor_id)}: back to investigating.",
        key=f"reopened:{incident.id}:{incident.revision}",
        thread_under_announcement=True,
    )


def after_change(
    client: WebClient,
    outcome: Outcome,
    settings: Settings,
    actor_id: str | None,
    *,
    where: answers.Where | None = None,
) -> None:
    """Bring Slack in step with a stored change. `where` is the person who made it, told
    if a newly named lead could not be invited."""
    if not outcome.changed:
        return
    incident = incidents.get(outcome.incident.id) or outcome.incident
    refresh(client, incident.id, settings, [c.field for c in outcome.changes])
    lead = outcome.change("lead")
    if lead and lead.new and incident.channel_id:
        _invite_lead(client, incident, str(lead.new), where)
    others = [c for c in outcome.changes if c.field != "status"]
    status = outcome.change("status")
    if status and "resolved" not in (status.old, status.new):
        others.insert(0, status)
    if others:
        tell_channel(
            client,
            incident,
            describe(others, actor_id),
            key=f"change:{incident.id}:{outcome.incident.revision}",
        )
    if status and status.new == "resolved":
        resolved(client, incident, settings, actor_id)
    elif status and status.old == "resolved":
        reopened(client, incident, actor_id)


def _invite_lead(
    client: WebClient, incident: Incident, lead: str, where: answers.Where | None
) -> None:
    assert incident.channel_id is not None
    try:
        refused = invite(client, incident.channel_id, [lead]).refused
    except SlackApiError as error:
        refused = {lead: str(error.response.get("error"))}
    except OSError as error:
        refused = {lead: type(error).__name__}
    if refused and where is not None:
        lines = "\n".join(f"• {blocks.mention(user)}: {why}" for user, why in refused.items())
        answers.tell(
            client,
            where,
            f"The new lead could not be invited to {blocks.channel_link(incident.channel_id)}:"
            f"\n{lines}",
        )
