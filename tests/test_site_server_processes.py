"""The site server as processes: `main.py server` (one, or an active and a standby), consoles as headless probe
processes (tests/console_probe.py, the console's own client core), a real Mosquitto, the simulated site (PX4-like
drones over real MAVLink/UDP, DJI-style docks) and, for failover, a real PostgreSQL. No mocks.

What a test waits for is a condition (a line a process printed); what it asserts are the outcomes: what every
console sees, what the server refused and why, and what the journal kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from console.core.server_contract import topic
from drones.geo import destination
from drones.journal import Journal
from drones.sim.site_sim import SiteSimOptions
from drones.site import Dock, Site, parse_broker_url
from tests.conftest import ROOT, MosquittoBroker, wait_until
from tests.drones.sim.conftest import TEST_AUTOPILOT_PARAMS, make_docks
from tests.drones.task_harness import SiteThread

ROOT_TOPIC = "qdcb"
#: The simulator's physics speed-up: flights last long enough to kill a server mid-way, and not longer.
TIME_SCALE = 20.0
FULL = ["planned", "preflight", "launching", "en_route", "on_scene", "returning", "landing", "docked", "completed"]
START_S = 60.0          # a process printing its first line (imports, MAVSDK) on a loaded 2-core machine
FLIGHT_S = 120.0


# ----------------------------------------------------------------------------- processes printing JSON lines


class JsonProcess:
    """A child process whose stdout is JSON lines; each line is kept with the time it was read."""

    def __init__(self, argv: list[str], log_path: Path, *, stdin: bool = False) -> None:
        self.log_path = log_path
        log_dir = log_path.with_suffix(".logs")   # the process's own log files (a server's server.log)
        self._log = open(log_path, "ab")   # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True, bufsize=1,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", "QD_CONSOLE_LOG_DIR": str(log_dir)})
        self.lines: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                line.setdefault("read_at", time.time())   # when the test read it (epoch s)
                with self._lock:
                    self.lines.append(line)

    def find(self, pred: Callable[[dict[str, Any]], object], start: int = 0) -> dict[str, Any] | None:
        with self._lock:
            lines = self.lines[start:]
        return next((line for line in lines if pred(line)), None)

    def wait_line(self, pred: Callable[[dict[str, Any]], object], timeout_s: float, what: str,
                  start: int = 0) -> dict[str, Any]:
        def seen() -> dict[str, Any] | None:
            if self.proc.poll() is not None and self.find(pred, start) is None:
                raise AssertionError(f"{what}: the process exited with {self.proc.returncode}; its log:\n"
                                     + self.log_tail())
            return self.find(pred, start)
        return wait_until(seen, timeout_s, what)  # type: ignore[return-value]

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def log_tail(self, n: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        self._log.close()


class Server(JsonProcess):
    """`main.py server`; `ready` is its ready line."""

    def __init__(self, site_file: Path, broker_url: str, data_dir: Path, mavlink_map: dict[int, str]) -> None:
        super().__init__([sys.executable, str(ROOT / "main.py"), "server", "--site", str(site_file), "--broker",
                          broker_url, "--data-dir", str(data_dir), "--mavlink-map", json.dumps(mavlink_map)],
                         data_dir.with_suffix(".log"))
        self.data_dir = data_dir
        self.ready = self.wait_line(lambda l: l.get("event") == "ready", START_S, f"server in {data_dir} ready")

    @property
    def server_id(self) -> str:
        return str(self.ready["server_id"])


class Probe(JsonProcess):
    """A console (tests/console_probe.py): its latest state, and commands with their reply."""

    def __init__(self, site_file: Path, broker_url: str, data_dir: Path, operator: str) -> None:
        super().__init__([sys.executable, "-m", "tests.console_probe", "--site", str(site_file), "--broker",
                          broker_url, "--data-dir", str(data_dir), "--operator", operator],
                         data_dir.with_suffix(".log"), stdin=True)
        self.operator = operator
        self.console_id = str(self.wait_line(lambda l: l.get("event") == "ready", START_S,
                                             f"probe {operator} ready")["console_id"])
        self._n = 0

    def state(self) -> dict[str, Any]:
        with self._lock:
            states = [line for line in self.lines if line.get("event") == "state"]
        return states[-1] if states else {}

    def wait_state(self, pred: Callable[[dict[str, Any]], object], timeout_s: float, what: str,
                   start: int = 0) -> dict[str, Any]:
        return self.wait_line(lambda l: l.get("event") == "state" and pred(l), timeout_s,
                              f"{self.operator}: {what}", start)

    def send(self, cmd: dict[str, Any], timeout_s: float = 30.0) -> dict[str, Any]:
        self._n += 1
        cid = f"{self.operator}-{self._n}"
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({**cmd, "id": cid}) + "\n")
        self.proc.stdin.flush()
        return self.wait_line(lambda l: l.get("event") == "reply" and l.get("id") == cid, timeout_s,
                              f"{self.operator}: reply to {cmd}")


def task_of(state: dict[str, Any], alert_id: str) -> dict[str, Any] | None:
    return next((t for t in state.get("tasks", ()) if t.get("alert_id") == alert_id), None)


# ----------------------------------------------------------------------------- the scene


def site_toml(site: Site, broker_url: str, *, journal_url: str | None = None) -> str:
    lines = ["[site]", f'name = "{site.name}"', f'topic_root = "{ROOT_TOPIC}"', "min_ready_per_district = 0", "",
             "[broker]", f'url = "{broker_url}"', ""]
    if journal_url:
        lines += ["[journal]", f'url = "{journal_url}"', ""]
    lines += ["[[automation.rules]]", 'categories = ["forest_fire_smoke"]', "max_level = 1",
              'districts = ["shinan"]', "", "[autopilot.params]"]
    lines += [f"{k} = {v}" for k, v in TEST_AUTOPILOT_PARAMS.items()]
    for d in site.docks:
        lines += ["", "[[docks]]", f'id = "{d.id}"', f'name = "{d.name}"', f'district = "{d.district}"',
                  f"lat = {d.lat}", f"lon = {d.lon}", f"ground_alt_m = {d.ground_alt_m}", f'dock_sn = "{d.dock_sn}"',
                  f"sysid = {d.sysid}", f"port = {d.port}"]
    return "\n".join(lines) + "\n"


@dataclass
class Scene:
    """The simulated site on a Mosquitto, its site file, and the processes a test started (closed at the end)."""

    broker: MosquittoBroker
    sim: SiteThread
    tmp: Path
    site_file: Path
    docks: list[Dock]
    procs: list[JsonProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.broker.url

    @property
    def mavlink_map(self) -> dict[int, str]:
        return {sysid: f"udpout://127.0.0.1:{port}" for sysid, port in self.sim.sim.mavlink_ports.items()}

    def server(self, name: str) -> Server:
        s = Server(self.site_file, self.url, self.tmp / name, self.mavlink_map)
        self.procs.append(s)
        return s

    def probe(self, name: str) -> Probe:
        p = Probe(self.site_file, self.url, self.tmp / f"console-{name}", name)
        self.procs.append(p)
        return p

    def probes(self, *names: str) -> list[Probe]:
        return [self.probe(n) for n in names]

    def publish_alert(self, alert_id: str, dock: Dock, distance_m: float, *, level: int = 2,
                      category: str = "waterlogging", bearing_deg: float = 90.0) -> None:
        """An alert from the city's platform, `distance_m` from `dock` (as tests/console/client/live_console.py)."""
        lat, lon = destination(dock.lat, dock.lon, bearing_deg, distance_m)
        payload = {"id": alert_id, "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                   "category": category, "level": level, "lat": lat, "lon": lon, "title": f"Alert {alert_id}",
                   "source": {"kind": "camera", "id": "37020200001310000001"}, "status": "active"}

        async def run() -> None:
            async with aiomqtt.Client("127.0.0.1", self.broker.port) as client:
                await client.publish(f"{ROOT_TOPIC}/alerts/v1/{dock.district}/{category}",
                                     json.dumps(payload).encode(), qos=1)

        asyncio.run(run())

    def close(self) -> None:
        for p in reversed(self.procs):
            p.close()
        self.sim.close()


def make_scene(broker: MosquittoBroker, tmp: Path, *, docks: int = 2, journal_url: str | None = None,
               time_scale: float = TIME_SCALE) -> Scene:
    site = Site("测试站点", None, parse_broker_url(broker.url), tuple(make_docks(docks)), topic_root=ROOT_TOPIC)
    sim = SiteThread(site, broker.url, SiteSimOptions(time_scale=time_scale, alerts_per_min=0.0))
    site_file = tmp / "site.toml"
    site_file.write_text(site_toml(site, broker.url, journal_url=journal_url), encoding="utf-8")
    return Scene(broker, sim, tmp, site_file, list(site.docks))


@pytest.fixture
def scene(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Scene]:
    s = make_scene(mosquitto, tmp_path, docks=3)
    try:
        yield s
    finally:
        s.close()


def all_linked(p: Probe, server_id: str, n: int) -> Callable[[dict[str, Any]], bool]:
    """Server present, and every drone linked, placed and healthy, every dock online: the site is ready to fly."""
    return lambda s: (s["present"] and s["server_id"] == server_id and s["linked"] == n and s["positioned"] == n
                      and s["healthy"] == n and s["docks_online"] == n)


def sqlite_tasks(journal_file: Path, alert_id: str) -> list[tuple[str, str]]:
    """(task_id, state) of an alert's tasks in a server's SQLite journal, read-only beside the running server."""
    with sqlite3.connect(f"file:{journal_file}?mode=ro", uri=True, timeout=10) as db:
        return db.execute("SELECT task_id, state FROM tasks WHERE alert_id = ?", (alert_id,)).fetchall()


def state_changes(journal: Journal, task_id: str) -> list[str]:
    """The states a task went through, as journaled: its first state, then every change of state (a row whose
    state stays, e.g. a reason update such as a link lost while a new server connects, is not a change)."""
    rows = journal.transitions(task_id)
    return [to for _, frm, to, _, _ in rows if frm != to]


def wait_task_closed(alert_id: str, *probes: Probe) -> None:
    """Waits until the alert's task, open in each probe's latest state, leaves their open tasks (it ended)."""
    marks = [p.mark() for p in probes]
    for p in probes:
        assert task_of(p.state(), alert_id) is not None, p.state()
    for p, mark in zip(probes, marks, strict=True):
        p.wait_state(lambda s: s["present"] and task_of(s, alert_id) is None, FLIGHT_S, f"{alert_id}'s task ended",
                     mark)


def dispatch_and_follow(probe: Probe, alert_id: str, dock: Dock) -> str:
    """Dispatches the alert from `dock` through the probe; returns the task id once the probe sees it en route."""
    probe.wait_state(lambda s: alert_id in s["alerts"], 15, f"alert {alert_id} received")
    reply = probe.send({"cmd": "dispatch", "alert_id": alert_id, "dock_id": dock.id})
    assert reply["ok"], (reply.get("code"), reply.get("reason"))
    task_id = reply["result"]["task_id"]
    assert task_id
    probe.wait_state(lambda s: (t := task_of(s, alert_id)) is not None and t["state"] == "en_route", 60,
                     f"task {task_id} en route")
    return str(task_id)


# ----------------------------------------------------------------------------- the tests


def test_three_consoles_share_one_server(scene: Scene) -> None:
    server = scene.server("server")
    assert server.ready["role"] == "active"
    a, b, c = probes = scene.probes("A", "B", "C")
    for p in probes:
        p.wait_state(all_linked(p, server.server_id, 3), 30, "server present, 3 drones linked with positions")
    assert len({p.console_id for p in probes}) == 3

    # An alert from the city reaches every console, in the same state.
    d1, _d2, d3 = scene.docks
    scene.publish_alert("ALR-P-1", d1, 400.0)
    for p in probes:
        p.wait_state(lambda s: s["alerts"].get("ALR-P-1") == "new", 10, "alert ALR-P-1 new")

    # A dispatches; B and C see it within a second of A's reply.
    reply = a.send({"cmd": "dispatch", "alert_id": "ALR-P-1", "dock_id": d1.id})
    assert reply["ok"] and reply["result"]["state"] == "dispatched", reply
    task_id = reply["result"]["task_id"]
    for p in (b, c):
        seen = p.wait_state(lambda s: s["alerts"].get("ALR-P-1") == "dispatched"
                            and (task_of(s, "ALR-P-1") or {}).get("task_id") == task_id, 5, "the dispatch")
        assert seen["t"] - reply["t"] < 1.0, (p.operator, seen["t"] - reply["t"])

    # B has no authority on A's dock: the server refuses its takeover, saying who holds it.
    refused = b.send({"cmd": "drone", "op": "drone.hold", "sysid": d1.sysid})
    assert not refused["ok"] and refused["refusal"] == "AuthorityHeld" and refused["code"] == "authority.held", refused
    assert f"held by A at console {a.console_id}" in (refused["reason"] or ""), refused

    # Level-1 smoke in the automation rule's district: dispatched once by the server, not once per console.
    scene.publish_alert("ALR-P-2", d3, 300.0, level=1, category="forest_fire_smoke")
    for p in probes:
        p.wait_state(lambda s: s["alerts"].get("ALR-P-2") == "dispatched" and task_of(s, "ALR-P-2"), 20,
                     "ALR-P-2 dispatched by automation")
    tasks = sqlite_tasks(server.data_dir / "journal.sqlite", "ALR-P-2")
    assert len(tasks) == 1, tasks
    assert {task_of(p.state(), "ALR-P-2")["task_id"] for p in probes} == {tasks[0][0]}   # type: ignore[index]
    # Every console sees the same alert states.
    wait_until(lambda: a.state()["alerts"] == b.state()["alerts"] == c.state()["alerts"], 5, "same alert states")
    assert set(a.state()["alerts"]) == {"ALR-P-1", "ALR-P-2"}


def test_failover_to_the_standby_carries_the_flight_on_and_a_killed_console_changes_nothing(
        mosquitto: MosquittoBroker, tmp_path: Path, postgres_cluster: Any) -> None:
    url = postgres_cluster.create_database()
    scene = make_scene(mosquitto, tmp_path, docks=2, journal_url=url)
    try:
        srv_a = scene.server("server-a")
        assert srv_a.ready["role"] == "active"
        srv_b = scene.server("server-b")
        assert srv_b.ready["role"] == "standby" and srv_b.server_id != srv_a.server_id
        probe, watcher = scene.probes("A", "B")
        for p in (probe, watcher):
            p.wait_state(all_linked(p, srv_a.server_id, 2), 30, "server A present")
        dock = scene.docks[0]
        scene.publish_alert("ALR-F-1", dock, 1500.0)
        task_id = dispatch_and_follow(probe, "ALR-F-1", dock)

        # The dispatching console is killed mid-flight: nothing changes for the flight, and started again (same
        # station, same identity) it shows the flight as the server has it.
        console_id = probe.console_id
        probe.kill9()
        probe = scene.probe("A")
        assert probe.console_id == console_id
        seen = probe.wait_state(lambda s: s["present"] and (task_of(s, "ALR-F-1") or {}).get("task_id") == task_id,
                                15, "the task on the restarted console")
        assert seen["alerts"]["ALR-F-1"] in ("dispatched", "on_scene")

        marks = {p: p.mark() for p in (probe, watcher)}
        killed_at = time.time()
        srv_a.kill9()
        for p in (probe, watcher):
            lost = p.wait_state(lambda s: not s["present"], 3, "server A lost", marks[p])
            assert lost["t"] - killed_at < 3.0
        for p in (probe, watcher):
            back = p.wait_state(lambda s: s["present"] and s["server_id"] == srv_b.server_id, 10,
                                "server B present", marks[p])
            assert back["t"] - killed_at < 10.0
        # The task goes on under B and completes (it leaves the open tasks, and the journal says completed).
        watcher.wait_state(lambda s: s["present"] and s["server_id"] == srv_b.server_id
                           and (task_of(s, "ALR-F-1") or {}).get("task_id") == task_id, 10, "task open under B",
                           marks[watcher])
        wait_task_closed("ALR-F-1", watcher, probe)
        journal = Journal(url)
        try:
            record = journal.task(task_id)
            assert record is not None and record.state == "completed", record
            # Every state once, in order, none missing: each transition journaled by one server only.
            rows = journal.transitions(task_id)
            assert [(frm, to) for _, frm, to, _, _ in rows if frm != to] == list(zip([None, *FULL], FULL, strict=False))
            # The rest are reason updates in place (the new server's link to the drone coming up).
            assert all(r.code == "task.link_lost" for _, frm, to, _, r in rows if frm == to and r is not None)
        finally:
            journal.close()
        assert srv_b.proc.poll() is None
    finally:
        scene.close()


def test_the_only_server_restarted_after_a_kill_recovers_the_flight(scene: Scene) -> None:
    server = scene.server("server")
    probe = scene.probe("A")
    probe.wait_state(all_linked(probe, server.server_id, 3), 30, "server present")
    dock = scene.docks[1]
    scene.publish_alert("ALR-R-1", dock, 1200.0)
    task_id = dispatch_and_follow(probe, "ALR-R-1", dock)
    probe.wait_state(lambda s: (task_of(s, "ALR-R-1") or {}).get("state") == "on_scene", 30, "on scene")
    mark = probe.mark()
    server.kill9()
    probe.wait_state(lambda s: not s["present"], 3, "server lost", mark)
    again = scene.server("server")   # the same data directory: the same identity and journal
    assert again.server_id == server.server_id and again.ready["role"] == "active"
    # The console takes the restarted server's frames at once, though they count from 1 again, and keeps it.
    back = probe.wait_state(lambda s: s["present"] and s["t"] > again.ready["read_at"], 10,
                            "the restarted server present", mark)
    assert back["t"] - again.ready["read_at"] < 3.0, back["t"] - again.ready["read_at"]
    after_back = probe.mark()
    probe.wait_state(lambda s: s["present"] and (task_of(s, "ALR-R-1") or {}).get("task_id") == task_id, 15,
                     "the task recovered", mark)
    wait_task_closed("ALR-R-1", probe)
    assert probe.find(lambda s: s.get("event") == "state" and not s["present"], after_back) is None
    journal = Journal(server.data_dir / "journal.sqlite")
    try:
        assert journal.task(task_id).state == "completed"   # type: ignore[union-attr]
        changes = state_changes(journal, task_id)
        # In order, each once, ending in the dock: what the restart missed of the flight's middle may be skipped.
        assert changes[:4] == FULL[:4] and changes[-2:] == FULL[-2:], changes
        assert changes == sorted(set(changes), key=FULL.index), changes
    finally:
        journal.close()


def test_a_request_retried_after_a_timeout_is_carried_out_once(scene: Scene) -> None:
    server = scene.server("server")
    probe = scene.probe("A")
    probe.wait_state(lambda s: s["present"] and s["server_id"] == server.server_id, 30, "server present")
    scene.publish_alert("ALR-I-1", scene.docks[0], 300.0)
    probe.wait_state(lambda s: "ALR-I-1" in s["alerts"], 10, "alert received")

    # Every reply the server sends this console for the request id under test, as it goes over the broker.
    replies: list[dict[str, Any]] = []
    listening = threading.Event()

    async def listen() -> None:
        async with aiomqtt.Client("127.0.0.1", scene.broker.port) as client:
            await client.subscribe(topic(ROOT_TOPIC, "replies", probe.console_id), qos=1)
            listening.set()
            async for message in client.messages:
                body = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                if body.get("request_id") == "REQ-FIXED-1":
                    replies.append(body)

    loop = asyncio.new_event_loop()
    listener = loop.create_task(listen())
    runner = threading.Thread(target=lambda: loop.run_until_complete(asyncio.gather(listener, return_exceptions=True)),
                              daemon=True)
    runner.start()
    try:
        wait_until(listening.is_set, 10, "reply listener subscribed")
        _retry_once(probe, replies)
    finally:
        loop.call_soon_threadsafe(listener.cancel)
        runner.join(10)
        loop.close()

    journal = Journal(server.data_dir / "journal.sqlite")
    try:
        rows = [r for r in journal.requests(probe.console_id) if r.request_id == "REQ-FIXED-1"]
        assert len(rows) == 1 and rows[0].reply == replies[0], rows
    finally:
        journal.close()
    assert probe.state()["notes"]["ALR-I-1"] == 1
    assert len(replies) == 2


def _retry_once(probe: Probe, replies: list[dict[str, Any]]) -> None:
    note = {"cmd": "request", "op": "alert.note", "args": {"alert_id": "ALR-I-1", "text": "积水 30 cm"},
            "request_id": "REQ-FIXED-1"}
    first = probe.send({**note, "timeout_s": 0.001})     # the console gives up at once ...
    assert not first["ok"] and first["code"] == "server.no_answer", first
    wait_until(lambda: len(replies) >= 1, 10, "the server's reply to the first attempt")
    second = probe.send(note)                             # ... and retries with the same request id
    assert second["ok"], second
    wait_until(lambda: len(replies) >= 2, 10, "the server's reply to the retry")
    assert replies[0] == replies[1], replies             # the same reply, from the journal
    assert replies[0]["request_id"] == "REQ-FIXED-1" and replies[0]["ok"]
    assert len(second["result"]["notes"]) == 1
    probe.wait_state(lambda s: s["notes"].get("ALR-I-1") == 1, 5, "one note")
