"""The incident bot. Its layers are folders, each importing only those below it (checked by
import-linter): transport, features | jobs, slack, then bot.config, domain, models,
incident_common. cli.py and demo.py wire them together."""
