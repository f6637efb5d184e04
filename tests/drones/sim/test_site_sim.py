"""`main.py sim` as a process against a real Mosquitto: docks, alerts, drones and faults together."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from pymavlink.dialects.v20 import common as mavlink2

from console.core.core_loop import CoreLoop
from console.sim_main import mavlink_bind_host
from drones.fleet import Fleet
from drones.site import load_site, parse_broker_url
from tests.conftest import ROOT, MosquittoBroker, wait_until
from tests.ports import port_of, silent_udp_port

DOCKS = 4


class Collector:
    """Subscribes to everything on the broker from a thread of its own and keeps the messages."""

    def __init__(self, url: str) -> None:
        self.cfg = parse_broker_url(url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._run(),), daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    async def _run(self) -> None:
        try:
            async with aiomqtt.Client(self.cfg.host, self.cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
                await c.subscribe("#", qos=1)
                self.ready.set()
                async for m in c.messages:
                    self.messages.append((str(m.topic), bytes(m.payload), m.retain))  # type: ignore[arg-type]
        except asyncio.CancelledError:
            pass  # close() ends the collection

    def on(self, prefix: str) -> list[tuple[str, bytes, bool]]:
        return [m for m in list(self.messages) if m[0].startswith(prefix)]

    def close(self) -> None:
        for task in asyncio.all_tasks(self.loop):
            self.loop.call_soon_threadsafe(task.cancel)
        self.thread.join(5)


def publish(url: str, topic: str, payload: dict[str, Any]) -> None:
    cfg = parse_broker_url(url)

    async def go() -> None:
        async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
            await c.publish(topic, json.dumps(payload), qos=1)

    asyncio.run(go())


def test_sim_process_runs_docks_alerts_and_drones_and_takes_faults(mosquitto: MosquittoBroker) -> None:
    collector = Collector(mosquitto.url)
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sim", "--broker", mosquitto.url, "--docks",
                             str(DOCKS), "--alerts-per-min", "300", "--no-bursts", "--video-port", "0",
                             "--time-scale", "10", "--opening-alert", "1"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    links: list[tuple[int, int]] = []
    core = CoreLoop()
    core.start()
    try:
        ready = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        assert ready["event"] == "ready" and ready["broker"] == mosquitto.url and ready["drones"] == DOCKS
        site = load_site(ROOT / "resources" / "sites" / "demo.toml")
        docks = site.docks[:DOCKS]
        # Each drone bound a UDP port of its own and said which; the console's own MAVLink link code
        # connects out to them and sees every simulated drone.
        assert sorted(map(int, ready["mavlink"])) == [d.sysid for d in docks]
        fleet = Fleet(replace(site, docks=docks).with_mavlink(
            {int(sysid): f"udpout://127.0.0.1:{port}" for sysid, port in ready["mavlink"].items()}).docks)
        fleet.add_listener(lambda _e, f=fleet: links.append(f.link_counts()))
        core.on_shutdown(fleet.close)

        async def start() -> None:
            asyncio.create_task(fleet.run())

        core.call(start())
        wait_until(lambda: links and links[-1] == (DOCKS, DOCKS), 15, "all drones linked")
        wait_until(lambda: len({t for t, p, _ in collector.on("sys/product/") if json.loads(p)["online"]}) == DOCKS,
                   10, "every dock online")
        wait_until(lambda: len({t for t, _, _ in collector.on("thing/product/")}) >= DOCKS, 10, "dock osd")
        osd = json.loads(collector.on(f"thing/product/{docks[0].dock_sn}/osd")[-1][1])
        assert osd["data"]["cover_state"] == 0 and osd["data"]["drone_in_dock"] is True
        wait_until(lambda: collector.on("qdcb/alerts/v1/"), 15, "an alert")
        topic, payload, _ = collector.on("qdcb/alerts/v1/")[0]
        assert topic.split("/")[3] in ("shinan", "shibei", "licang", "laoshan")
        # The demo's opening scenario: a level-1 forest-fire smoke alert in Laoshan.
        wait_until(lambda: any(json.loads(p)["level"] == 1 for _, p, _ in
                               collector.on("qdcb/alerts/v1/laoshan/forest_fire_smoke")), 15, "the opening alert")
        # A fault requested over MQTT silences drone 2's radio; the link comes back by itself.
        publish(mosquitto.url, "qdcb/sim/v1/faults", {"kind": "link", "sysid": docks[1].sysid, "seconds": 4})
        wait_until(lambda: links[-1] == (DOCKS - 1, DOCKS), 10, "drone 2 lost")
        wait_until(lambda: links[-1] == (DOCKS, DOCKS), 15, "drone 2 back")
        proc.terminate()
        assert proc.wait(10) == 0
        statuses = {t: json.loads(p)["online"] for t, p, _ in collector.on("sys/product/")}
        assert set(statuses.values()) == {False}  # every dock said goodbye
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        core.stop(4.0)
        collector.close()


def test_a_broken_site_file_stops_the_simulator_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text("[site]\nname = 'x'\n[[docks]]\nid = 'A'\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "sim", "--site", str(bad)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert "docks[0]" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("bad", ["--fault wing:3", "--docks 300", "--malformed 2"])
def test_bad_sim_options_are_refused(bad: str) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "sim", *bad.split()], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2 and "error:" in result.stderr


def test_with_a_console_host_the_drones_send_first_to_the_site_files_ports(tmp_path: Path) -> None:
    """`--console-host` (consoles that listen with udpin): each drone sends from its reported port to its
    dock's `port` on that host without being talked to first."""
    with silent_udp_port() as console:
        site = tmp_path / "site.toml"
        site.write_text(f"[site]\nname = 'x'\n[[docks]]\nid = 'A'\nname = 'a'\ndistrict = 'shinan'\nlat = 36.06\n"
                        f"lon = 120.38\ndock_sn = 'SN-A'\nsysid = 1\nport = {port_of(console)}\n", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sim", "--site", str(site), "--console-host",
                                 "127.0.0.1", "--video-port", "0", "--alerts-per-min", "0"],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            ready = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            assert ready["event"] == "ready" and list(ready["mavlink"]) == ["1"]
            parser = mavlink2.MAVLink(None)
            console.settimeout(10)
            data, addr = console.recvfrom(4096)
            assert addr == ("127.0.0.1", ready["mavlink"]["1"])
            assert all(m.get_srcSystem() == 1 for m in parser.parse_buffer(data) or [])
            proc.terminate()
            assert proc.wait(10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize(("embedded", "console", "bind"), [
    ("127.0.0.1", None, "127.0.0.1"), ("127.0.0.1", "127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost", "127.0.0.1"),
    ("127.0.0.1", "10.1.2.3", "0.0.0.0"), ("127.0.0.1", "console-7.hall", "0.0.0.0"), ("0.0.0.0", "10.1.2.3", "0.0.0.0"),
    ("192.168.5.2", "10.1.2.3", "192.168.5.2"),
])
def test_the_drones_bind_beside_the_broker_unless_they_must_reach_another_machine(embedded: str, console: str | None,
                                                                                    bind: str) -> None:
    assert mavlink_bind_host(embedded, console) == bind
