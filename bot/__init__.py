"""The Slack side of the incident bot: a Bolt app, its features, and how it is run."""
