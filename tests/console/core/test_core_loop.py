"""The core thread: work runs on its loop, and stop() leaves nothing running."""

from __future__ import annotations

import asyncio
import threading

import pytest

from console.core.core_loop import CoreLoop


def test_submit_runs_on_the_core_thread_and_returns_the_result() -> None:
    core = CoreLoop()
    core.start()
    try:
        async def where() -> str:
            return threading.current_thread().name

        assert core.call(where()) == "core"
        with pytest.raises(ZeroDivisionError):
            async def boom() -> None:
                1 / 0

            core.call(boom())
    finally:
        assert core.stop()


def test_stop_runs_closers_cancels_tasks_and_joins_the_thread() -> None:
    before = set(threading.enumerate())
    core = CoreLoop()
    core.start()
    closed: list[str] = []
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def closer() -> None:
        closed.append("closed")

    async def spawn() -> None:
        asyncio.create_task(forever())

    core.call(spawn())
    # A blocking call in the executor spins up a worker thread that stop() must also end.
    assert core.call(_run_in_executor()) == 6
    core.on_shutdown(closer)
    assert core.stop()
    assert closed == ["closed"]
    assert cancelled.is_set()
    assert not core.running
    leftover = [t for t in threading.enumerate() if t not in before]
    assert leftover == []


async def _run_in_executor() -> int:
    return await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2, 3])


def test_a_failing_closer_does_not_stop_the_others() -> None:
    core = CoreLoop()
    core.start()
    ran: list[str] = []

    async def bad() -> None:
        raise RuntimeError("closer failed")

    async def good() -> None:
        ran.append("good")

    core.on_shutdown(good)
    core.on_shutdown(bad)  # runs first (last registered first)
    core.stop()
    assert ran == ["good"]
    assert not core.running
