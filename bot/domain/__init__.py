"""Slack-free incident logic: plain values in, models or dataclasses out. May import models
and incident_common only (and no Slack or Flask package: a lint rule)."""
