"""Pure Block Kit renderers shared by several features: incident cards, topic, notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain import durations
from bot.domain.lifecycle import Markup
from bot.domain.mrkdwn import escape, readable
from models import Incident
from models.fields import utcnow

Blocks = list[dict[str, Any]]

TOPIC_MAX = 250
SECTION_TEXT_MAX = 3000


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object taken as written (verbatim): Slack would otherwise turn bare URLs
    into links, channel names into links and "certain mentions" into pings, in text people
    wrote. The bot's own <@U…>, <#C…> and <url|label> still work."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_not set_"


def link(url: str, label: str) -> str:
    """A mrkdwn link to `url` (checked as http(s) already) reading `label`: Slack's three
    control characters escaped in both, and a `|` in the address encoded, as it would
    otherwise end the address."""
    address = escape(url).replace("|", "%7C")
    return f"<{address}|{escape(label)}>"


def channel_link(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "_no channel_"


def viewer_url(base_url: str | None, incident: Incident) -> str | None:
    return f"{base_url}/incidents/{incident.id}" if base_url else None


def slack_len(text: str) -> int:
    """Characters as Slack's limits count them: UTF-16 code units, so an emoji beyond the
    Basic Multilingual Plane is two (the stricter reading of "characters")."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` (slack_len), never half an emoji."""
    if limit <= 0:
        return ""
    if slack_len(text) <= limit:
        return text
    cut = text[:limit]
    while cut and slack_len(cut) > limit:
        cut = cut[: -max(1, (slack_len(cut) - limit) // 2)]
    return cut


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where one is near, marked with "…"."""
    if slack_len(text) <= limit:
        return text
    cut = fit(text, limit - 1)
    space = cut.rfind(" ")
    if space >= len(cut) * 3 // 4:
        cut = cut[:space]
    return cut.rstrip() + "…"


def shown(text: str, limit: int) -> str:
    """People's text escaped for mrkdwn, in at most `limit` characters: clipped before it is
    escaped, so an entity (&amp;) is never cut in half."""
    room = limit
    escaped = escape(clip(text, room))
    while slack_len(escaped) > limit:
        if room <= 1:
            # Not even one character fits once escaped ("&" is "&amp;"): say it was cut.
            return "…"
        # Each entity escaping adds makes the clipped text longer: clip that much more.
        room = max(1, room - (slack_len(escaped) - limit))
        escaped = escape(clip(text, room))
    return escaped


def headline(incident: Incident) -> str:
    """Plain text (a header block, a topic): Slack does not parse it."""
    return f"Incident {incident.id}: {incident.title}"


def headline_mrkdwn(incident: Incident) -> str:
    """The same, for mrkdwn and for a message's notification text, which Slack parses."""
    return f"Incident {incident.id}: {escape(incident.title)}"


def status_label(incident: Incident) -> str:
    return incident.status.capitalize()


def duration_text(incident: Incident, now: dt.datetime | None = None) -> str:
    delta = durations.open_for(incident.reported_at, incident.resolved_at, now or utcnow())
    verb = "Lasted" if incident.resolved_at else "Open for"
    return f"{verb} {durations.human(delta)}"


def _fields(incident: Incident, now: dt.datetime | None = None) -> list[dict[str, str]]:
    return [
        mrkdwn(f"*Severity*\n{incident.severity_label}"),
        mrkdwn(f"*Status*\n{status_label(incident)}"),
        mrkdwn(f"*Lead*\n{mention(incident.lead_id)}"),
        mrkdwn(f"*Reporter*\n{mention(incident.reporter_id)}"),
        mrkdwn(_how_long(incident, now)),
    ]


def _how_long(incident: Incident, now: dt.datetime | None) -> str:
    """An open incident shows when it began, in each reader's own time zone (a number of
    minutes here would be stale by the next look); a resolved one, how long it lasted."""
    if incident.resolved_at is None:
        return f"*Open since*\n{slack_when(incident.reported_at)}"
    return f"*Duration*\n{duration_text(incident, now)}"


def incident_card(incident: Incident, now: dt.datetime | None = None) -> Blocks:
    """Title, the facts, summary and impact."""
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(headline(incident), 150)}},
        {"type": "section", "fields": _fields(incident, now)},
    ]
    for label, value in (("Summary", incident.summary), ("Impact", incident.impact)):
        if value:
            text = f"*{label}*\n" + shown(value, SECTION_TEXT_MAX - len(label) - 3)
            blocks.append({"type": "section", "text": mrkdwn(text)})
    return blocks


def opening_message(
    incident: Incident, viewer_link: str | None, reaction: str = "pushpin"
) -> tuple[str, Blocks]:
    """The first message in the incident channel: the incident, and how the channel works
    (`reaction`: the emoji that puts a message on the timeline, TIMELINE_REACTION). Kept in
    step with every change, like the announcement."""
    how = (
        "*How this channel works*\n"
        f"• Pin a message (or react with :{reaction}:) to add it to the timeline.\n"
        "• `/incident` here opens the Update form; `/incident help` lists every command.\n"
        "• Keep the conversation here so the timeline tells the whole story."
    )
    if viewer_link:
        how += f"\n• The incident's page: <{viewer_link}|timeline and details>."
    blocks = incident_card(incident) + [
        {"type": "divider"},
        {"type": "section", "text": mrkdwn(how)},
    ]
    return headline_mrkdwn(incident), blocks


def _button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _confirm(verb: str, text: str) -> dict[str, Any]:
    """The "are you sure" dialog of a button that changes the incident."""
    return {
        "title": {"type": "plain_text", "text": f"{verb} the incident?"},
        "text": {"type": "plain_text", "text": text},
        "confirm": {"type": "plain_text", "text": verb},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }


# Button action ids on the announcement, handled by bot.features.announcement.
JOIN, UPDATE, RESOLVE = "incident_join", "incident_update", "incident_resolve"
REOPEN = "incident_reopen"


def announcement(incident: Incident, viewer_link: str | None) -> tuple[str, Blocks]:
    """The post in the incidents channel, edited in place on every change."""
    if incident.is_open:
        lead_in = f":rotating_light: *Incident declared*  Join {channel_link(incident.channel_id)}"
    else:
        lead_in = f":white_check_mark: *Resolved*  {channel_link(incident.channel_id)}"
    if viewer_link:
        lead_in += f"  <{viewer_link}|Incident page>"
    blocks: Blocks = [
        {"type": "section", "text": mrkdwn(lead_in)},
        *incident_card(incident),
    ]
    value = str(incident.id)
    if incident.is_open:
        buttons = [
            _button("Join channel", JOIN, value, "primary"),
            _button("Update", UPDATE, value),
            _button(
                "Resolve",
                RESOLVE,
                value,
                "danger",
                _confirm("Resolve", f"Incident {incident.id} will be resolved."),
            ),
        ]
    elif incident.channel_id:
        again = f"Incident {incident.id} will be open again, back to Investigating."
        buttons = [_button("Reopen", REOPEN, value, None, _confirm("Reopen", again))]
    else:
        buttons = []
    if buttons:
        blocks.append({"type": "actions", "block_id": "incident_buttons", "elements": buttons})
    state = "declared" if incident.is_open else "resolved"
    return f"Incident {state}: {headline_mrkdwn(incident)} ({status_label(incident)})", blocks


def private_placeholder(text: str) -> tuple[str, Blocks]:
    return text, notice(text)


def topic(incident: Incident, lead_name: str) -> str:
    """Plain text (Slack renders no formatting in topics), at most 250 characters. Slack
    repeats it in the channel ("set the channel topic: …"), so no markup of the title's
    survives in it: a typed <!here> reads @here and pings nobody.

    What changes seldom and helps anyone arriving (how bad, who leads, what it is); not the
    status, which changes most often: each topic change is a line of Slack's in the channel
    beside the bot's own, and the status is in the opening message and the change lines."""
    title = readable(incident.title).replace("<", "‹").replace(">", "›")
    severity = incident.severity_label if incident.severity else "Severity not set"
    text = f"{severity} | Lead: {lead_name or 'not set'} | {title}"
    return clip(text, TOPIC_MAX)


MESSAGE_BLOCKS_MAX = 50


def notice(text: str) -> Blocks:
    """mrkdwn in as many sections as it needs, split between lines; a single line too long
    for a section is wrapped at a space (never inside a <…> token or an &entity;)."""
    sections: list[str] = []
    current = ""
    for whole in text.split("\n"):
        for line in _wrap(whole):
            if current and slack_len(current) + 1 + slack_len(line) > SECTION_TEXT_MAX:
                sections.append(current)
                current = line
            else:
                current = f"{current}\n{line}" if current else line
    sections.append(current or " ")
    if len(sections) > MESSAGE_BLOCKS_MAX:
        sections = sections[: MESSAGE_BLOCKS_MAX - 1] + ["…and more than a message can hold."]
    return [{"type": "section", "text": mrkdwn(s)} for s in sections]


def _wrap(line: str) -> list[str]:
    """A line in pieces of at most a section's length, each cut at a space where one is near,
    and never inside a <…> token or an &entity;."""
    pieces: list[str] = []
    while slack_len(line) > SECTION_TEXT_MAX:
        cut = fit(line, SECTION_TEXT_MAX)
        opened = cut.rfind("<")
        if opened > cut.rfind(">"):
            cut = cut[:opened]
        amp = cut.rfind("&")
        if amp > cut.rfind(";"):
            cut = cut[:amp]
        space = cut.rfind(" ")
        if space >= len(cut) // 2:
            cut = cut[: space + 1]
        if not cut:  # one token longer than a section: nothing else to do but cut it
            cut = fit(line, SECTION_TEXT_MAX)
        pieces.append(cut.rstrip())
        line = line[len(cut) :]
    pieces.append(line)
    return pieces


def _bold(text: str) -> str:
    return f"*{text}*"


def slack_when(moment: dt.datetime) -> str:
    """A date and time each reader sees in their own zone; the fallback in UTC."""
    fallback = f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# A change as Slack shows it: names in bold, people's words escaped, the lead mentioned.
MRKDWN = Markup(name=_bold, words=shown, person=mention, unset="_not set_", when=slack_when)
