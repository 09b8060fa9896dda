"""The aiohttp server on 127.0.0.1 and the background thread running its event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
# Long enough for in-flight handlers (latency faults) to finish, short enough for tests.
SHUTDOWN_TIMEOUT = 1.0


class ServerThread:
    """Owns one event loop in a daemon thread; other threads submit coroutines to it."""

    def __init__(self, build_app: Callable[[], web.Application]) -> None:
        self._build_app = build_app
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> int:
        """Start listening on a free port and return it."""
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="fakeslack-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("fakeslack server failed to start") from self._error
        return self.port

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the server loop and wait for its result from this thread."""
        loop = self._loop
        if loop is None or not self.running:
            coro.close()
            raise RuntimeError("fakeslack server is not running; call start() first")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("blocking fakeslack call made from the server thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def stop(self) -> None:
        if not self.running or self._loop is None:
            return
        try:
            self.call(self._shutdown(), timeout=10 + SHUTDOWN_TIMEOUT)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # reported to start() in the calling thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._drain(loop)

    async def _startup(self) -> None:
        self._runner = web.AppRunner(
            self._build_app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        # cleanup() stops listening first, then fires the app's on_shutdown hooks (where
        # long-lived WebSockets get closed), then waits for handlers to finish.
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def _drain(loop: asyncio.AbstractEventLoop) -> None:
        # Leave nothing behind that would warn at interpreter exit or under -W error.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
