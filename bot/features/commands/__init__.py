"""`/incident` and its in-channel subcommands: the slash listener and what each word does."""

from bot.features.commands.slash import register

__all__ = ["register"]
