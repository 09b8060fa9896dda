"""Bolt listeners, driven through the fake Slack into the real app."""
