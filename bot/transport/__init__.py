"""Serving Slack's deliveries: the Bolt app and its middleware, HTTP and Socket Mode, the
request guard, health and metrics endpoints. May import features, slack, domain, models."""
