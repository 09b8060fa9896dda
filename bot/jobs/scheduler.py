"""The reminder scheduler: a daemon thread in the bot process that sends what is due.

Any number of replicas may run one: each reminder is claimed by a unique row before it is
posted (see bot.domain.reminders), so exactly one replica posts it and a restarted one
finds it already claimed. A claim whose post never happened (the process died in between)
stays claimed: that reminder is lost rather than ever sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import reminders
from bot.domain.metrics import REMINDER_LAG, REMINDERS_SENT
from bot.domain.reminder_settings import ReminderSettings
from bot.domain.reminders import DueReminder
from bot.slack.reminder_messages import reminder_message
from models.fields import utcnow

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        client: WebClient,
        settings: ReminderSettings,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        name: str | None = None,
        jobs: tuple[Callable[[dt.datetime], int], ...] = (),
    ) -> None:
        """`jobs`: more periodic work (e.g. archiving channels), run after the reminders."""
        self.client = client
        self.settings = settings
        self.clock = clock
        # Who claimed a reminder, for anyone reading the table: host and process.
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._run_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.jobs = jobs

    def run_once(self, now: dt.datetime | None = None) -> int:
        """Send every reminder due at `now` (default: the clock); return how many were sent."""
        now = now or self.clock()
        if not self.settings.enabled:
            return 0
        with self._run_lock:
            sent = 0
            for item in reminders.due(now, self.settings):
                claimed = reminders.claim(item, now, by=self.name)
                if claimed is not None and self._post(item, claimed.id, now):
                    sent += 1
            return sent

    def _post(self, item: DueReminder, reminder_id: int, now: dt.datetime) -> bool:
        extra = {"incident": item.number, "reminder": reminder_id, "kind": item.kind}
        text, blocks = reminder_message(item, reminder_id, self.settings.snooze_minutes)
        try:
            response = self.client.chat_postMessage(
                channel=item.channel_id, text=text, blocks=blocks, thread_ts=item.thread_ts
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or "slack_error")
            log.warning("reminder not sent", extra={**extra, "error": code})
            reminders.mark_failed(reminder_id, code)
            return False
        except Exception as error:  # connection trouble after the client's own retries
            log.warning("reminder not sent", exc_info=True, extra=extra)
            reminders.mark_failed(reminder_id, type(error).__name__)
            return False
        reminders.mark_sent(reminder_id, str(response.get("ts") or ""), now)
        REMINDERS_SENT.labels(kind=item.kind).inc()
        REMINDER_LAG.observe(max(0.0, (now - item.due_at).total_seconds()))
        log.info("reminder sent", extra=extra)
        return True

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        """Run now and then every interval, in a daemon thread (no-op when there is nothing to
        do: reminders disabled and no other jobs)."""
        if not self.settings.enabled and not self.jobs:
            log.info("reminders disabled")
            return
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="reminders", daemon=True)
        self._thread.start()
        log.info("scheduler started", extra={"interval": self.settings.interval_seconds})

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop waking up; wait for a run in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for job in (self.run_once, *self.jobs):
                try:
                    job(self.clock())
                except Exception:
                    # The database or Slack may be down for a while; try again next time.
                    log.exception("scheduled run failed", extra={"job": job.__name__})
            self._stop.wait(self.settings.interval_seconds)
