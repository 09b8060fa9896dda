"""Who may change an incident: people of this organisation. Not bots (this one or any
other: a workflow or an integration cannot lead, resolve or declare), not deactivated
accounts, and not people from another organisation in a Slack Connect channel, who can read
and talk in the channel but not run the incident. The same rule for every command, button
and form."""

from __future__ import annotations

from bot.domain.people import Person

BOTS = "Bots and apps cannot change an incident; a person must do it."
OUTSIDERS = (
    "Only people of this workspace's organisation can change an incident; people from "
    "other organisations (Slack Connect) can follow it and talk in its channel."
)
DEACTIVATED = "A deactivated account cannot change an incident."


def refusal(person: Person | None, organisation: str | None) -> str | None:
    """Why `person` may not change an incident, or None if they may. A person Slack could
    not tell the bot about just now is taken to be one of this workspace's."""
    if person is None:
        return None
    if person.is_bot:
        return BOTS
    if person.is_deleted:
        return DEACTIVATED
    if organisation and person.team_id and person.team_id != organisation:
        return OUTSIDERS
    return None


def cannot_lead(
    person: Person | None, bot_user_id: str | None, user_id: str, organisation: str | None
) -> str | None:
    """Why `user_id` cannot be made a lead or an action's owner, or None. A person Slack
    could not tell the bot about just now is taken to be able to."""
    if user_id == bot_user_id or user_id == "USLACKBOT" or (person is not None and person.is_bot):
        return "A bot cannot lead an incident or own an action; name a person."
    if person is None:
        return None
    if not person.exists:
        return "Slack knows nobody by that name; type @ and pick the person from Slack's list."
    if person.is_deleted:
        return "That account is deactivated; name someone else."
    if organisation and person.team_id and person.team_id != organisation:
        return (
            "Someone from another organisation cannot lead an incident or own an action here; "
            "name a person of this workspace."
        )
    return None
