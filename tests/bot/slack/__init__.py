"""What the bot says to Slack and how it reads what Slack sends."""
