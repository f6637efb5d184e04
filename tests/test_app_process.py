"""The program as IT staff and operators start it: help, bad site files, smoke runs, shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from drones.site import parse_broker_url
from tests.conftest import ROOT, MosquittoBroker, run_main, wait_until
from tests.ports import port_of, silent_udp_port
from tests.site_server import server_process

SITE_WITH_DOCKS = """\
[site]
name = "两机场站点"
[broker]
url = "{url}"
[[docks]]
id = "A"
name = "甲"
district = "shibei"
lat = 36.08
lon = 120.37
dock_sn = "SN-A"
sysid = 1
port = {p1}
mavlink = "udpout://127.0.0.1:{p1}"
[[docks]]
id = "B"
name = "乙"
district = "licang"
lat = 36.16
lon = 120.42
dock_sn = "SN-B"
sysid = 2
port = {p2}
mavlink = "udpout://127.0.0.1:{p2}"
"""


def health_of(result: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == 1, result.stdout + result.stderr
    return json.loads(lines[0])


def test_help_documents_every_option() -> None:
    result = run_main("--help")
    assert result.returncode == 0
    for text in ("--site FILE", "--broker URL", "--lang {zh_CN,en}", "--time-scale X", "--smoke SECONDS PNG",
                 "demo site", "sim", "--verbose"):
        assert text in result.stdout, text
    sim = run_main("sim", "--help")
    assert sim.returncode == 0 and "--broker" in sim.stdout
    server = run_main("server", "--help")
    assert server.returncode == 0 and all(o in server.stdout for o in ("--site", "--broker", "--data-dir"))


def test_a_site_server_without_a_broker_says_so_in_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_main("server", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: the site server needs a broker: --broker URL, or a site file with " \
                                    "[broker] url"


@pytest.mark.parametrize(("text", "expect"), [
    ("[site\nname='x'\n", "site.toml:1: TOML syntax error"),
    ("[site]\nname='x'\n[broker]\nurl='mqtt://h'\n[[docks]]\nid='A'\n", "site.toml:5: docks[0].lat: missing required field"),
    (SITE_WITH_DOCKS.format(url="mqtt://h", p1=15001, p2=15002).replace("sysid = 2", "sysid = 1"),
     "docks[1].sysid: duplicate MAVLink system id 1"),
    (SITE_WITH_DOCKS.format(url="mqtt://h", p1=15001, p2=15002).replace("lat = 36.08", "lat = 96.08"),
     "site.toml:9: docks[0].lat: latitude 96.08 is outside -90..90"),
])
def test_a_broken_site_file_gives_one_clear_line_and_exit_2(tmp_path: Path, text: str, expect: str) -> None:
    site = tmp_path / "site.toml"
    site.write_text(text, encoding="utf-8")
    result = run_main("--site", str(site))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert expect in result.stderr


def test_smoke_on_the_demo_site_is_healthy_and_writes_a_screenshot(tmp_path: Path) -> None:
    png = tmp_path / "smoke.png"
    result = run_main("--smoke", "2", str(png), timeout_s=90)
    health = health_of(result)
    assert result.returncode == 0, result.stderr
    assert health["healthy"] is True
    assert health["demo"] is True
    assert health["broker_connected"] is True
    # The demo's broker is a real Mosquitto with the generated site kit: TLS only, and its demo dispatcher signed in.
    assert health["broker_url"].startswith("mqtts://127.0.0.1:")
    assert (health["user"], health["role"]) == ("demo-dispatcher", "dispatcher")
    assert health["language"] == "zh_CN"
    for key in ("alerts_received", "alerts_quarantined", "tasks_by_state", "errors_logged"):
        assert key in health
    # The demo site's simulator runs all 56 drones and docks, and the console sees every one.
    assert (health["drones_connected"], health["drones_total"]) == (56, 56)
    assert (health["docks_online"], health["docks_total"]) == (56, 56)
    assert png.stat().st_size > 10_000


def test_smoke_tells_the_truth_about_missing_drones(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    site = tmp_path / "site.toml"
    with silent_udp_port() as a, silent_udp_port() as b:      # where the drones would be: held, never answering
        site.write_text(SITE_WITH_DOCKS.format(url=mosquitto.url, p1=port_of(a), p2=port_of(b)), encoding="utf-8")
        with server_process(site, tmp_path / "server"):
            result = run_main("--site", str(site), "--lang", "en", "--smoke", "4", str(tmp_path / "s.png"),
                              timeout_s=90)
    health = health_of(result)
    assert result.returncode == 1
    assert health["broker_connected"] is True and health["server_present"] is True
    assert (health["drones_connected"], health["drones_total"]) == (0, 2)
    # The site server runs the fleet: its health line says what is wrong, and the console's carries it.
    never = "site server: 2 of 2 drones never linked: A (system id 1), B (system id 2)"
    assert health["problems"] == [never, "site server: 2 of 2 docks offline"]
    assert never in result.stderr


def test_smoke_without_a_site_server_is_unhealthy_and_says_so(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    site = tmp_path / "site.toml"
    site.write_text(SITE_WITH_DOCKS.format(url=mosquitto.url, p1=15001, p2=15002), encoding="utf-8")
    result = run_main("--site", str(site), "--lang", "en", "--smoke", "3", str(tmp_path / "s.png"), timeout_s=90)
    health = health_of(result)
    assert result.returncode == 1
    assert health["broker_connected"] is True and health["server_present"] is False
    assert health["problems"] == ["no site server has answered on this broker"]


def test_smoke_names_a_mavlink_port_the_server_cannot_open(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    site = tmp_path / "site.toml"
    with silent_udp_port() as taken, silent_udp_port() as b:   # another program holds dock A's listening port
        port = port_of(taken)
        text = SITE_WITH_DOCKS.format(url=mosquitto.url, p1=port, p2=port_of(b))
        site.write_text(text.replace(f'mavlink = "udpout://127.0.0.1:{port}"', f'mavlink = "udpin://0.0.0.0:{port}"'),
                        encoding="utf-8")
        with server_process(site, tmp_path / "server"):
            result = run_main("--site", str(site), "--lang", "en", "--smoke", "4", str(tmp_path / "s.png"),
                              timeout_s=90)
    health = health_of(result)
    assert result.returncode == 1
    assert f"site server: MAVLink udpin://0.0.0.0:{port} for dock A could not be opened (BIND_ERROR): is another " \
           "program using it?" in health["problems"]


def test_smoke_says_when_the_demo_simulator_dies(tmp_path: Path) -> None:
    png = tmp_path / "smoke.png"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--smoke", "20", str(png)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        console = psutil.Process(proc.pid)
        sims = wait_until(lambda: [c for c in console.children() if "sim" in c.cmdline()], 30, "the demo simulator")
        sim = sims[0]  # type: ignore[index]
        servers = wait_until(lambda: [c for c in console.children() if "server" in c.cmdline()], 60,
                             "the demo's site server")
        # The demo is up once the server has linked the simulator's drones (the screenshot comes later): kill it then.
        wait_until(lambda: len(servers[0].net_connections(kind="udp")) >= 56, 60,  # type: ignore[index]
                   "the site server linked to the drones")
        sim.kill()
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    health = json.loads(out.strip().splitlines()[-1])
    assert proc.returncode == 1 and health["healthy"] is False
    assert any(p.startswith("the demo site's simulator stopped (exit code -9)") for p in health["problems"]), \
        health["problems"]


def test_smoke_with_an_unreachable_broker_is_unhealthy_with_the_reason(tmp_path: Path, refused_port: int) -> None:
    site = tmp_path / "site.toml"
    site.write_text(f"[site]\nname='x'\n[broker]\nurl='mqtt://127.0.0.1:{refused_port}'\n", encoding="utf-8")
    result = run_main("--site", str(site), "--smoke", "2", str(tmp_path / "s.png"), timeout_s=60)
    health = health_of(result)
    assert result.returncode == 1
    assert health["broker_connected"] is False
    assert "MQTT broker mqtt://127.0.0.1:" in health["problems"][0]


def test_closing_the_console_stops_everything(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QD_CONSOLE_LOG_DIR": str(log_dir)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        console = psutil.Process(proc.pid)
        log_file = log_dir / "console.log"
        wait_until(lambda: log_file.exists() and "MQTT connected" in log_file.read_text(encoding="utf-8"), 60,
                   "the console to connect to the demo broker")
        children = console.children(recursive=True)
        # The demo site's simulator and its site server run as children.
        assert any("sim" in c.cmdline() for c in children) and any("server" in c.cmdline() for c in children)
        proc.send_signal(signal.SIGTERM)  # handled like the operator closing the window
        code = proc.wait(10)   # a hang guard; how fast it closes is measured by bench/bench_startup.py
        assert code == 0, proc.stderr.read().decode() if proc.stderr else ""
        gone, alive = psutil.wait_procs(children, timeout=0.5)
        assert alive == []
        text = log_file.read_text(encoding="utf-8")
        assert "console stopped in" in text
        assert "ERROR" not in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sim_alone_serves_an_embedded_broker_until_terminated() -> None:
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sim", "--video-port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        assert first["event"] == "ready" and first["drones"] == 56
        # It binds what it serves on ports the system picks, and says which.
        broker = parse_broker_url(first["broker"])
        assert broker.host == "127.0.0.1" and broker.port > 0
        with socket.create_connection((broker.host, broker.port), timeout=5):
            pass
        assert sorted(map(int, first["mavlink"])) == list(range(1, 57))
        assert len(set(first["mavlink"].values())) == 56 and all(p > 0 for p in first["mavlink"].values())
        proc.terminate()
        assert proc.wait(5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
