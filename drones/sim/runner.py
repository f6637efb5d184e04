"""`python main.py sim`: runs the site simulator (and, for the demo, its embedded broker).

The console's demo site starts this as a child process and reads one JSON line from its
stdout: `{"event": "ready", "broker": "mqtt://127.0.0.1:PORT"}`. It stops on SIGTERM/SIGINT,
when its stdin closes (the parent went away), or when the parent dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SimOptions:
    """What `main.py sim` was asked to run."""

    broker_url: str | None = None       # external broker; None starts the embedded one
    embedded_host: str = "127.0.0.1"
    embedded_port: int = 1883
    time_scale: float = 1.0
    watch_stdin: bool = False           # stop when stdin reaches EOF (child of the console)


async def run_sim(opts: SimOptions) -> int:
    """Runs until stopped; returns the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if opts.watch_stdin:
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(4096) else None)

    broker = None
    url = opts.broker_url
    if url is None:
        from drones.sim.broker import start_embedded_broker, stop_embedded_broker

        try:
            broker = await start_embedded_broker(opts.embedded_host, opts.embedded_port)
        except OSError as exc:
            _announce({"event": "error", "reason": f"embedded broker on port {opts.embedded_port}: {exc}"})
            return 1
        url = f"mqtt://{opts.embedded_host}:{opts.embedded_port}"
    log.info("simulator running against %s (time scale x%g)", url, opts.time_scale)
    _announce({"event": "ready", "broker": url})
    try:
        await stop.wait()
    finally:
        if broker is not None:
            await stop_embedded_broker(broker)
    log.info("simulator stopped")
    return 0


def _announce(message: dict[str, object]) -> None:
    """Writes one protocol line for the parent process (stdout carries only these lines)."""
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def set_parent_death_signal() -> None:
    """Asks Linux to SIGTERM this process when its parent dies, so no orphan outlives the console."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        log.debug("prctl(PR_SET_PDEATHSIG) unavailable")
