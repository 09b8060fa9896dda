"""Numbered schema migrations, applied in order by `incident-bot migrate`."""
