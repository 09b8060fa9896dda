"""What listeners need besides Bolt's own arguments, built once per app, closed at shutdown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.config import Settings

# Bolt's own default is 5 threads; a declaration can wait out a rate limit in one of them,
# so leave room for the commands and events that keep arriving meanwhile.
LISTENER_THREADS = 16
FANOUT_THREADS = 16


@dataclass(frozen=True)
class Deps:
    settings: Settings
    # Bolt's pool for listeners and lazy listeners (the slow part after an ack).
    listeners: ThreadPoolExecutor
    # Runs independent Slack calls side by side; separate from the listener pool so a
    # listener waiting on its steps can never starve the steps of threads.
    fanout: ThreadPoolExecutor

    @classmethod
    def create(cls, settings: Settings) -> Deps:
        return cls(
            settings=settings,
            listeners=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
            fanout=ThreadPoolExecutor(FANOUT_THREADS, thread_name_prefix="slack-fanout"),
        )

    def close(self, *, wait: bool = True) -> None:
        """Let work in flight finish (a declaration half-opened in Slack helps nobody)."""
        self.listeners.shutdown(wait=wait)
        self.fanout.shutdown(wait=wait)
