"""One line in an incident's channel about what a person stored there (a note, a follow-up
added or done): posted once, however often Slack delivers the request or loses an answer,
and the person told when Slack would not take it. What was stored stays stored either way.

The one who did it is named, not mentioned: a mention notifies them of their own words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents
from bot.slack import answers, blocks, posting
from bot.slack.people import person

log = logging.getLogger(__name__)

# Where a listener keeps its line in Bolt's context for its lazy half.
LINE = "heard_line"
# Slack's display names have at most 80 characters.
NAME_MAX = 80

# What stops a post, in words for the person whose note or follow-up it was.
_WHY = {
    "not_in_channel": "the bot is not in the channel; invite it with `/invite`",
    "channel_not_found": "Slack cannot find the channel (deleted, or private without the bot)",
    "is_archived": "the channel is archived",
    "ratelimited": "Slack is rate limiting the app just now",
}


@dataclass(frozen=True)
class Line:
    """`lead` + the name of `by` + `rest`, in mrkdwn, people's words in it already escaped.
    Plain values: Bolt copies the context for a lazy listener and drops what it cannot."""

    incident_id: int
    # Names the post: a retried request or a lost answer never posts it twice.
    key: str
    lead: str
    by: str | None
    rest: str
    # What was stored, as the person is told if the channel could not hear it.
    stored: str

    def text(self, client: WebClient) -> str:
        return f"{self.lead}{named(client, self.by)}{self.rest}"


def named(client: WebClient, user_id: str | None) -> str:
    """Someone as the channel reads them without a notification: the name Slack shows for
    them (from the cache the bot keeps, else users.info), escaped."""
    if not user_id:
        return "someone"
    return blocks.shown(person(client, user_id).shown_name, NAME_MAX)


def say(client: WebClient, line: Line, where: answers.Where | None) -> bool:
    """Post `line` in the incident's channel; True once it is there. When Slack refuses,
    the person at `where` is told that it is stored all the same, and why it is not shown."""
    incident = incidents.get(line.incident_id)
    channel = incident.channel_id if incident is not None else None
    if channel is None:
        return False
    text = line.text(client)
    try:
        posting.post(
            client, channel=channel, key=f"heard:{line.key}", text=text, blocks=blocks.notice(text)
        )
        return True
    except SlackApiError as error:
        code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        if error.response.status_code == 429:
            code = "ratelimited"
    except OSError as error:  # Slack out of reach after the client's retries
        code = "unreachable"
        log.warning("channel line lost", extra={"key": line.key, "error": type(error).__name__})
    log.warning("channel line not posted", extra={"incident": line.incident_id, "error": code})
    if where is not None:
        answers.tell(client, where, _not_told(line.stored, channel, code))
    return False


def _not_told(stored: str, channel: str, code: str) -> str:
    where = blocks.channel_link(channel)
    if code == "unreachable":
        return f"{stored}, but Slack did not answer when it was posted in {where}: it may be there."
    why = _WHY.get(code, "see the bot's log")
    return f"{stored}, but {where} was not told: {why} (`{blocks.escape(code)}`)."
