"""The core thread: one asyncio event loop in a thread of its own (docs/architecture.md, "Threads").

MQTT, the fleet link and task state machines live on this loop so that a busy GUI never
stalls a keepalive or a heartbeat. The GUI hands work over with `submit()`; results and
events come back through the bridge. Qt-free: a headless gateway runs the same loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Worker threads for blocking library calls (MAVSDK's asyncio wrappers use the default
#: executor; 6 workers make 56 unacknowledged commands take 20 s, docs/architecture.md, "Threads").
EXECUTOR_WORKERS = 64
#: How long orderly shutdown may take before the loop is abandoned (the window must be gone in 3 s).
SHUTDOWN_TIMEOUT_S = 2.0


class CoreLoop:
    """Owns the core asyncio loop and its thread; start once, stop once."""

    def __init__(self, name: str = "core") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._closers: list[Callable[[], Awaitable[None]]] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("core loop not started")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Starts the loop thread and returns once the loop is running."""
        if self._thread is not None:
            raise RuntimeError("core loop already started")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(EXECUTOR_WORKERS, thread_name_prefix="core-io"))
        loop.set_exception_handler(_log_loop_exception)
        asyncio.set_event_loop(loop)
        self._loop = loop
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedules a coroutine on the core loop from any thread; its Future resolves there."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout_s: float = 5.0) -> T:
        """Runs a coroutine on the core loop and waits for its result (not for the GUI thread's hot paths)."""
        return self.submit(coro).result(timeout_s)

    def on_shutdown(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Registers an async clean-up to run on the loop at stop, last registered first."""
        self._closers.append(closer)

    def stop(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Runs the clean-ups, cancels every remaining task, stops the loop and joins the thread.

        Returns False when something did not finish in time (it is logged; the thread is a
        daemon, so the process still exits).
        """
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            return True
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(timeout_s * 0.8), self._loop)
        clean = True
        try:
            fut.result(timeout_s)
        except (concurrent.futures.TimeoutError, TimeoutError):
            log.error("core shutdown did not finish in %.1f s", timeout_s)
            clean = False
        except Exception:  # noqa: BLE001 - shutdown must go on whatever a closer raised
            log.exception("core shutdown failed")
            clean = False
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        return clean and not self._thread.is_alive()

    async def _shutdown(self, budget_s: float) -> None:
        for closer in reversed(self._closers):
            try:
                # Most of the budget: a closer cut short leaks what it had yet to close (MAVSDK, sqlite).
                await asyncio.wait_for(closer(), budget_s * 0.75)
            except Exception:  # noqa: BLE001 - one failing closer must not keep the others from running
                log.exception("error while shutting down %r", closer)
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=budget_s / 4)
        executor_shutdown = asyncio.get_running_loop().shutdown_default_executor(timeout=budget_s / 4)
        await executor_shutdown


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, asyncio.CancelledError):
        return
    log.error("core loop: %s", context.get("message", "unhandled error"), exc_info=exc)
