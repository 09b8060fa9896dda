"""What the bot and the viewer share."""
