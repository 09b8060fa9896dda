"""Slack-free incident logic: plain values in, models or dataclasses out."""
