"""Pure Block Kit renderers shared by several features: incident cards, topic, notices."""

from __future__ import annotations

from typing import Any

from models import Incident

Blocks = list[dict[str, Any]]

TOPIC_MAX = 250
SECTION_TEXT_MAX = 3000


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_not set_"


def channel_link(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "_no channel_"


def viewer_url(base_url: str | None, incident: Incident) -> str | None:
    return f"{base_url}/incidents/{incident.id}" if base_url else None


def escape(text: str) -> str:
    """Slack's three control characters; everything else in mrkdwn is meant by the writer."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline(incident: Incident) -> str:
    return f"Incident {incident.id}: {incident.title}"


def status_label(incident: Incident) -> str:
    return incident.status.capitalize()


def _fields(incident: Incident) -> list[dict[str, str]]:
    return [
        {"type": "mrkdwn", "text": f"*Severity*\n{incident.severity_label}"},
        {"type": "mrkdwn", "text": f"*Status*\n{status_label(incident)}"},
        {"type": "mrkdwn", "text": f"*Lead*\n{mention(incident.lead_id)}"},
        {"type": "mrkdwn", "text": f"*Reporter*\n{mention(incident.reporter_id)}"},
    ]


def incident_card(incident: Incident) -> Blocks:
    """Title, the four facts, summary and impact."""
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(headline(incident), 150)}},
        {"type": "section", "fields": _fields(incident)},
    ]
    for label, value in (("Summary", incident.summary), ("Impact", incident.impact)):
        if value:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _clip(f"*{label}*\n{escape(value)}")},
                }
            )
    return blocks


def opening_message(incident: Incident, viewer_link: str | None) -> tuple[str, Blocks]:
    """The first message in the incident channel: the incident, and how the channel works."""
    how = (
        "*How this channel works*\n"
        "• Pin a message to add it to the incident's timeline; unpin it to take it off.\n"
        "• Keep the conversation here so the timeline tells the whole story."
    )
    if viewer_link:
        how += f"\n• The incident's page: <{viewer_link}|timeline and details>."
    blocks = incident_card(incident) + [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": how}},
    ]
    return headline(incident), blocks


def announcement(incident: Incident, viewer_link: str | None) -> tuple[str, Blocks]:
    """The post in the incidents channel that points people at the incident channel."""
    where = f"Join {channel_link(incident.channel_id)} to help."
    if viewer_link:
        where += f"  <{viewer_link}|Incident page>"
    blocks: Blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":rotating_light: *New incident declared*  {where}",
            },
        },
        *incident_card(incident),
    ]
    return f"New incident declared: {headline(incident)} — {where}", blocks


def topic(incident: Incident, lead_name: str) -> str:
    """Plain text (Slack renders no formatting in topics), at most 250 characters."""
    text = (
        f"{incident.severity_label} | {status_label(incident)} | "
        f"Lead: {lead_name or 'not set'} | {incident.title}"
    )
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1] + "…"


def notice(text: str) -> Blocks:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}]
