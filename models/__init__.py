"""The Peewee models shared by the bot and the viewer, and the database they live in."""

from models.audit import AuditEntry, Delivery
from models.db import BaseModel, db, init_database, migrate, pending_migrations
from models.draft import DraftSource
from models.imports import ImportedRow
from models.incident import (
    SEVERITIES,
    STATUSES,
    FollowUpAction,
    Incident,
    Source,
    Status,
    StatusChange,
)
from models.membership import ChannelMember
from models.people import SlackUser
from models.reminder import Reminder, ReminderKind
from models.timeline import Kind, TimelineEvent

__all__ = [
    "SEVERITIES",
    "STATUSES",
    "AuditEntry",
    "ChannelMember",
    "BaseModel",
    "Delivery",
    "DraftSource",
    "FollowUpAction",
    "ImportedRow",
    "Incident",
    "Kind",
    "Reminder",
    "ReminderKind",
    "Status",
    "StatusChange",
    "SlackUser",
    "Source",
    "TimelineEvent",
    "db",
    "init_database",
    "migrate",
    "pending_migrations",
]
