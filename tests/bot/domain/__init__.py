"""Slack-free rules, called directly on both databases."""
