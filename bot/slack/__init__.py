"""Everything said to Slack: the Web API clients, Block Kit rendering, opening an incident in
Slack, answers to people, and the mirror that brings Slack in step after a stored change.
May import bot.config, domain, models; never features, jobs or transport."""
