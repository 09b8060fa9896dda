"""Slack's markup in people's words: shown, never acted on, and read as plain text."""

from __future__ import annotations

from bot.domain.mrkdwn import readable


def test_slacks_markup_reads_as_plain_text() -> None:
    assert readable("<!here> db &lt;down&gt; &amp; <@U1|bob> asked") == (
        "@here db <down> & @bob asked"
    )
    assert readable("see <#C1|ops> and <https://x.example/a|the runbook>") == (
        "see #ops and the runbook (https://x.example/a)"
    )
    assert readable("<@U1>", {"U1": "carol"}.get) == "@carol"
    assert readable("<@U2>") == "@U2"
    assert readable("<https://x.example>") == "https://x.example"
    assert readable("<!subteam^S1|@oncall> <!date^1|yesterday>") == "@oncall yesterday"
    # Words typed in a form, not Slack's markup, stay as they are.
    assert readable("<script>alert(1)</script> a <b> c") == "<script>alert(1)</script> a <b> c"
    assert readable("<mailto:ops@example.com|ops>") == "ops (mailto:ops@example.com)"
