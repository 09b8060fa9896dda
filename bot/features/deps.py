"""What listeners need besides Bolt's own arguments, built once per app, closed at shutdown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.client import make_quick_client

# Bolt's own default is 5 threads; a declaration can wait out a rate limit in one of them,
# so leave room for the commands and events that keep arriving meanwhile.
LISTENER_THREADS = 32
FANOUT_THREADS = 16
NAME_THREADS = 4


@dataclass(frozen=True)
class Deps:
    settings: Settings
    # Bolt's pool for listeners and lazy listeners (the slow part after an ack).
    listeners: ThreadPoolExecutor
    # Runs independent Slack calls side by side; separate from the listener pool so a
    # listener waiting on its steps can never starve the steps of threads.
    fanout: ThreadPoolExecutor
    # For Slack calls made before an ack (views.open, a name looked up for a reply): it
    # never waits on a rate limit, so an ack is never late because Slack is busy. Work after
    # the ack uses Bolt's own client, which waits and retries.
    quick: WebClient
    # Naming authors Slack could not name before the ack: low priority, so a rate-limit
    # storm on users.info ties up these few threads, never the listeners' pool.
    names: ThreadPoolExecutor

    @classmethod
    def create(cls, settings: Settings) -> Deps:
        return cls(
            settings=settings,
            listeners=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
            fanout=ThreadPoolExecutor(FANOUT_THREADS, thread_name_prefix="slack-fanout"),
            quick=make_quick_client(settings.bot_token, settings.slack_api_url),
            names=ThreadPoolExecutor(NAME_THREADS, thread_name_prefix="names"),
        )

    def close(self, *, wait: bool = True) -> None:
        """Let work in flight finish (a declaration half-opened in Slack helps nobody)."""
        self.listeners.shutdown(wait=wait)
        self.fanout.shutdown(wait=wait)
        # A name still being looked up is not worth holding a shutdown for.
        self.names.shutdown(wait=False, cancel_futures=True)


def bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    """`listener`, a module-level function, with its dependencies: Bolt passes the arguments
    it knows by name (ack, body, context…), and the keyword-only `deps` comes from here."""
    return functools.update_wrapper(functools.partial(listener, deps=deps), listener)
