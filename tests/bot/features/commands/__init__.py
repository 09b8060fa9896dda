"""/incident and its subcommands."""
