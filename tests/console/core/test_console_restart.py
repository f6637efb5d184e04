"""A console killed mid-flight (SIGKILL) and started again, and a console that takes over from a dead one:
the real core in processes of its own (tests/console/core/core_process.py), the simulated site over real
UDP and a real Mosquitto, physics at ×20."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drones.site import Site, parse_broker_url
from tests.conftest import ROOT, MosquittoBroker, wait_until
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread

READY_S = 60.0
FLIGHT_S = 120.0


def write_site(path: Path, site: Site, broker_url: str) -> Path:
    """The site file a real console would read: the broker and each dock's drone link."""
    lines = ["[site]", 'name = "restart test"', "", "[broker]", f'url = "{broker_url}"']
    for d in site.docks:
        lines += ["", "[[docks]]", f'id = "{d.id}"', f'name = "{d.name}"', f'district = "{d.district}"',
                  f"lat = {d.lat}", f"lon = {d.lon}", f"ground_alt_m = {d.ground_alt_m}", f'dock_sn = "{d.dock_sn}"',
                  f"sysid = {d.sysid}", f"port = {d.port}", f'mavlink = "{d.mavlink_url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class CoreProcess:
    """One console core process: its JSON lines read on a thread, its requests answered in order."""

    def __init__(self, site_file: Path, data_dir: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.console.core.core_process", str(site_file),
                                      str(data_dir)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.console_id = self.wait_for(lambda m: m.get("event") == "ready", READY_S, "core ready")["console_id"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                message = json.loads(line)
                if message.get("event") == "task":
                    self.events.append(message)
                self.lines.put(message)

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout_s: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                message = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out after {timeout_s} s waiting for {what}") from None
            if match(message):
                return message

    def request(self, do: str, **fields: Any) -> dict[str, Any]:
        self._next_id += 1
        request_id = self._next_id
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"id": request_id, "do": do, **fields}) + "\n")
        self.proc.stdin.flush()
        return self.wait_for(lambda m: m.get("id") == request_id, 90, f"the answer to {do}")

    def task_reached(self, task_id: str, state: str) -> bool:
        return any(e["task_id"] == task_id and e["state"] == state for e in self.events)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no offline presence (the broker's last will says it)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def site_file(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[Path, SiteThread]]:
    sim = SiteThread(Site("重启测试", None, parse_broker_url(mosquitto.url), make_docks(2)), mosquitto.url)
    try:
        yield write_site(tmp_path / "site.toml", sim.console_site, mosquitto.url), sim
    finally:
        sim.close()


def test_a_console_killed_mid_flight_comes_back_commands_its_task_and_flies_again(
        site_file: tuple[Path, SiteThread], tmp_path: Path) -> None:
    path, sim = site_file
    data = tmp_path / "console-a"
    first = CoreProcess(path, data)
    second: CoreProcess | None = None
    try:
        dispatched = first.request("dispatch", dock="T01", distance_m=500.0)
        assert dispatched["ok"], dispatched
        task_id = dispatched["task_id"]
        wait_until(lambda: first.task_reached(task_id, "en_route"), FLIGHT_S, "the drone on its way")
        first.kill()

        second = CoreProcess(path, data)
        assert second.console_id == first.console_id           # the identity outlived the process
        # Recovered from the journal once the broker and the drone answer (the core waits for them, up to 10 s).
        state = wait_until(lambda: (s := second.request("state", dock="T01"))["open_tasks"] and s, FLIGHT_S,
                           "the task recovered")
        assert [t["task_id"] for t in state["open_tasks"]] == [task_id]  # type: ignore[index]
        assert state["holder"] == second.console_id           # and its authority with it
        held = second.request("command", name="hold", sysid=1)
        assert held["ok"], held                               # the recovered task can be taken over
        home = second.request("command", name="return_home", sysid=1)
        assert home["ok"], home
        wait_until(lambda: second.task_reached(task_id, "completed") or second.task_reached(task_id, "aborted"),
                   FLIGHT_S, "the recovered task ended")
        wait_until(lambda: second.request("state", dock="T01")["holder"] is None, 10, "authority released")
        again = second.request("dispatch", dock="T01", distance_m=300.0)
        assert again["ok"], again                             # the same dock flies again
        assert again["task_id"] != task_id
    finally:
        first.close()
        if second is not None:
            second.close()


def test_another_console_takes_over_from_a_dead_one_after_a_warning(site_file: tuple[Path, SiteThread],
                                                                    tmp_path: Path) -> None:
    path, sim = site_file
    first = CoreProcess(path, tmp_path / "console-a")
    other: CoreProcess | None = None
    try:
        dispatched = first.request("dispatch", dock="T02", distance_m=500.0)
        assert dispatched["ok"], dispatched
        wait_until(lambda: first.task_reached(dispatched["task_id"], "en_route"), FLIGHT_S, "the drone on its way")
        first.kill()

        other = CoreProcess(path, tmp_path / "console-b")
        assert other.console_id != first.console_id
        refused = other.request("take_authority", dock="T02")
        assert not refused["ok"] and refused["code"] == "authority.holder_offline" and refused["holder_offline"]
        assert first.console_id in refused["text"]            # the warning names the console that is gone
        taken = other.request("take_authority", dock="T02", force=True)
        assert taken["ok"], taken
        home = other.request("command", name="return_home", sysid=2)
        assert home["ok"], home
        wait_until(lambda: sim.do(sim.sim.fleet.in_dock, 2), FLIGHT_S, "the drone back in its dock")
    finally:
        first.close()
        if other is not None:
            other.close()
