"""What listeners need besides Bolt's own arguments, built once per app."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    # Runs independent Slack calls side by side; separate from Bolt's listener pool so a
    # listener waiting on its steps can never starve the steps of threads.
    fanout: Executor
