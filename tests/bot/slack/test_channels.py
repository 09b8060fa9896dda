"""Incident channel names follow Slack's rules whatever the title."""

from __future__ import annotations

import re

import pytest

from bot.slack.channels import channel_name, rename_target, slugify

VALID = re.compile(r"^[a-z0-9-]{1,80}$")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Checkout latency above 2s", "inc-0042-checkout-latency-above-2s"),
        ("Ça coûte: l'API répond 503!!", "inc-0042-ca-coute-lapi-repond-503"),
        ("🔥🔥 DB down 🔥", "inc-0042-db-down"),
        ("--- spaced   out ---", "inc-0042-spaced-out"),
        ("🚨🚨🚨", "inc-0042"),
        ("Straße über Größe", "inc-0042-strae-uber-groe"),
    ],
)
def test_names(title: str, expected: str) -> None:
    assert channel_name(42, title) == expected


def test_long_title_with_emoji_and_accents_stays_within_80_and_never_ends_in_hyphen() -> None:
    title = (
        "🔥 Paiements refusés — la passerelle répond très lentement pour les clients "
        "européens 🇪🇺 depuis le déploiement de 13 h; naïve façade, état critique "
    )
    title = (title * 2)[:150]
    assert len(title) == 150
    for attempt in (1, 2, 17):
        name = channel_name(1234, title, attempt)
        assert VALID.match(name), name
        assert len(name) <= 80
        assert not name.endswith("-") and "--" not in name
        assert name.startswith("inc-1234-paiements-refuses-")
    assert channel_name(1234, title, 2).endswith("-2")


def test_slug_is_lowercase_ascii() -> None:
    assert slugify("ÉCHEC Total ✅") == "echec-total"


def test_rename_keeps_the_prefix() -> None:
    assert rename_target(7, "Payments: root cause found") == "inc-0007-payments-root-cause-found"
    assert rename_target(7, "inc-0007-already-prefixed") == "inc-0007-already-prefixed"
