"""What the bot and the viewer both need: configuration errors read from the environment,
and structured logging. Imports only the standard library."""
