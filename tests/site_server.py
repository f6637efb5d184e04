"""A site server for tests that watch a console attached to it: the real `SiteServer` (lease, core services,
publisher, request handler) on its own core loop inside the test process, on a real broker.

Tests of the server as a process (failover, several consoles) start `main.py server` instead
(tests/test_site_server_processes.py); this one lets a test reach into the server's core (its journal, its
task service) to set up a scene or check what the server did.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from console.core.core_loop import CoreLoop
from console.core.services import CoreServices
from console.server.authorize import AccountLookup
from console.server.site_server import SiteServer
from console.demo_site import json_lines
from drones.site import Site
from tests.conftest import ROOT, wait_until

ACTIVE_WAIT_S = 30.0


class InProcessServer:
    """Starts a site server for `site` and waits until it is active; `close()` stops it."""

    def __init__(self, site: Site, data_dir: Path, *, server_id: str | None = None,
                 accounts: AccountLookup | None = None) -> None:
        self.core = CoreLoop("test-server-core")
        self.core.start()
        self.server = SiteServer(site, self.core, data_dir=data_dir, server_id=server_id or f"test-{uuid.uuid4().hex[:6]}",
                                 accounts=accounts)
        self.server.start()
        try:
            wait_until(lambda: self.server.role == "active" and self.server.publisher is not None
                       and self.server.publisher.frames > 0, ACTIVE_WAIT_S, "the site server active and publishing")
        except BaseException:
            self.close()
            raise

    @property
    def services(self) -> CoreServices:
        """The server's core (its fleet, tasks, journal, alerts)."""
        assert self.server.services is not None
        return self.server.services

    def call(self, coro, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
        """Runs a coroutine on the server's core loop and returns its result."""
        return self.core.call(coro, timeout_s)

    def close(self) -> None:
        self.core.stop(timeout_s=5.0)


@contextmanager
def server_process(site_file: Path, data_dir: Path, *extra: str, timeout_s: float = 60.0) -> Iterator[dict[str, Any]]:
    """`main.py server --site FILE --data-dir DIR` as a process; yields its ready line once it said it, and stops
    it (SIGTERM, then SIGKILL) at the end."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "server", "--site", str(site_file),
                             "--data-dir", str(data_dir), *extra], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = next((line for line in json_lines(proc.stdout.fileno(), timeout_s) if line.get("event") == "ready"),
                     None)
        if ready is None:
            proc.kill()
            raise AssertionError(f"site server not ready: {proc.stderr.read().decode() if proc.stderr else ''}")
        ready["pid"] = proc.pid
        yield ready
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
