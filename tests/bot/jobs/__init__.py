"""The scheduler, reminders, member sync and the archiver."""
