"""Work the bot does on its own clock: the scheduler loop, reminders' sending, member sync,
archiving. May import slack, domain, models; never features or transport."""
