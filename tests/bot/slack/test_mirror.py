"""Keeping Slack in step: the topic as Slack gives it back."""

from __future__ import annotations

import pytest

from bot.slack import mirror
from bot.slack.client import make_client
from fakeslack import FakeSlack
from testkit.harness import BOT_TOKEN, BOT_USER


@pytest.mark.refusals("channel_not_found")  # the second read asks about no channel
def test_the_topic_read_back_has_slacks_escaping_undone(slack: FakeSlack) -> None:
    """Slack escapes &, < and > in text it sends: a topic the bot set with "&" may come
    back as "&amp;", and must still read as the same topic (else it is set again, and the
    channel gets another "set the channel topic" line)."""
    client = make_client(BOT_TOKEN, slack.api_url)
    channel = slack.add_channel("inc-0001-disk", members=[BOT_USER])
    client.conversations_setTopic(channel=channel, topic="SEV2 Major | Disk &amp; network")
    assert mirror._topic_now(client, channel) == "SEV2 Major | Disk & network"
    assert mirror._topic_now(client, "C0NOWHERE00") is None
