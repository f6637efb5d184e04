"""The deployment kit (`deploy/`): the site file IT staff start from loads, the systemd unit is one systemd
accepts and runs what it should, and the site broker's configuration keeps what a console misses while it
is away, where Mosquitto's defaults drop it. Real things only: the site loader, systemd's own checker,
a real Mosquitto run with the deploy file itself (only its host-specific lines moved into a temp dir).
"""

from __future__ import annotations

import configparser
import getpass
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from console.logging_setup import log_dir
from drones.site import load_site
from tests.brokers import MosquittoBroker

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "qd-console-server.service"
SITE_EXAMPLE = DEPLOY / "site.example.toml"
MOSQUITTO_CONF = DEPLOY / "mosquitto-site.conf"

#: Alerts published while a console is away: three times Mosquitto's default queue of 1,000 per client.
BACKLOG = 3000
#: Mosquitto's default `max_queued_messages`.
DEFAULT_QUEUE_LIMIT = 1000
WAIT_S = 20.0


# --- the site file ------------------------------------------------------------------------------

def _installed_site(tmp: Path, text: str | None = None) -> Path:
    """The example as installed: /etc/qd-console/site.toml with the map and the no-fly zones beside it
    (deploy/README.md). The demo's no-fly file stands in for the site's own."""
    site = tmp / "site.toml"
    site.write_text(text if text is not None else SITE_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(ROOT / "resources" / "map" / "qingdao.geojson", tmp / "qingdao.geojson")
    shutil.copy(ROOT / "resources" / "sites" / "demo_nofly.geojson", tmp / "nofly.geojson")
    return site


def test_example_site_file_loads_with_a_broker_and_docks_on_fixed_udpin_ports(tmp_path: Path) -> None:
    site = load_site(_installed_site(tmp_path))

    assert site.broker is not None and site.broker.url.startswith("mqtt://"), site.broker
    assert site.broker.port == 1883        # deploy/mosquitto-site.conf's listener
    assert len(site.docks) >= 3
    for dock in site.docks:
        # Drones send to a fixed server port (PX4 keeps its first UDP peer): an explicit udpin URL on the
        # dock's own port in the plan, never the udpout default of the demo.
        assert dock.mavlink is not None and dock.mavlink == f"udpin://0.0.0.0:{dock.port}", (dock.id, dock.mavlink)
    assert len({d.port for d in site.docks}) == len(site.docks)
    assert site.nofly_path is not None and site.basemap_path is not None
    assert site.automation, "the example shows automation rules"
    # A site that refuses drones without a lost-link action must give its drones one.
    assert site.require_link_loss_action and site.autopilot_params.get("NAV_DLL_ACT", 0) != 0


def test_example_site_file_names_the_postgresql_journal(tmp_path: Path) -> None:
    """The [journal] table is in the example; commented out while the loader does not read it (it would be
    ignored without a word), loaded and read once it does (`Site.journal_url`)."""
    text = SITE_EXAMPLE.read_text(encoding="utf-8")
    table = re.search(r"^(# )?\[journal\]\n(# )?url = \"(postgresql://[^\"]+)\"$", text, re.M)
    assert table is not None, "site.example.toml has no [journal] url = \"postgresql://...\""
    url = table.group(3)
    assert url == "postgresql://qdconsole@/qd_console?host=/run/postgresql"
    commented = table.group(1) is not None
    site_fields = load_site(_installed_site(tmp_path)).__dataclass_fields__
    if "journal_url" not in site_fields:
        assert commented, "the loader does not read [journal] yet: keep the table commented out"
        return
    uncommented = text.replace(table.group(0), f'[journal]\nurl = "{url}"')
    site = load_site(_installed_site(tmp_path, uncommented))
    assert site.journal_url == url   # type: ignore[attr-defined]


# --- the systemd unit -----------------------------------------------------------------------------

class _MultiValues(dict):  # type: ignore[type-arg]
    """configparser's option dict that keeps every value of a repeated key (systemd's Environment=, After=)."""

    def __setitem__(self, key: str, value: object) -> None:
        if isinstance(value, list) and isinstance(self.get(key), list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, dict_type=_MultiValues)
    parser.optionxform = str  # type: ignore[assignment,method-assign]   # systemd's keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_unit_runs_the_server_as_its_user_restarts_always_and_logs_where_the_console_looks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    unit = _unit()
    service = unit["Service"]
    exec_start = service["ExecStart"].split()
    assert exec_start[:3] == ["/opt/qd-console/.venv/bin/python", "/opt/qd-console/main.py", "server"], exec_start
    args = dict(zip(exec_start[3::2], exec_start[4::2]))
    assert args == {"--site": "/etc/qd-console/site.toml", "--data-dir": "/var/lib/qd-console"}
    assert service["Restart"] == "always"
    assert float(service["RestartSec"]) <= 5
    assert unit["Unit"]["StartLimitIntervalSec"] == "0", "a restart loop must never stop for good"
    assert service["User"] == "qdconsole"
    assert service["KillSignal"] == "SIGTERM" and 5 <= int(service["TimeoutStopSec"]) <= 90
    for want in ("network-online.target", "mosquitto.service"):
        assert want in unit["Unit"]["After"].split() and want in unit["Unit"]["Wants"].split()

    # Where the server writes is where systemd made it writable, and the log directory is the one
    # console/logging_setup.py reads from the environment the unit sets.
    state_dir = "/var/lib/" + service["StateDirectory"]
    logs_dir = "/var/log/" + service["LogsDirectory"]
    assert args["--data-dir"] == state_dir
    assert service["ProtectSystem"] == "strict"
    assert set(service["ReadWritePaths"].split()) == {state_dir, logs_dir}
    env = dict(line.split("=", 1) for line in service["Environment"].split())
    monkeypatch.setenv("QD_CONSOLE_LOG_DIR", env.get("QD_CONSOLE_LOG_DIR", ""))
    assert log_dir() == Path(logs_dir)
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert service[hardening] == "yes", hardening


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here: only the INI checks above ran")
    # The one line that names a file of the installed host: systemd checks that the interpreter exists.
    text = UNIT.read_text(encoding="utf-8").replace("/opt/qd-console/.venv/bin/python", sys.executable)
    unit = tmp_path / UNIT.name
    unit.write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    # verify exits 0 on unknown keys and unparsable values too, but says so: any word from it is a problem.
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and not said, said


# --- the site broker ------------------------------------------------------------------------------

class SiteMosquitto(MosquittoBroker):
    """Mosquitto run with deploy/mosquitto-site.conf. Only the lines naming this host move: the listener to
    the test's loopback port, the database, log and pid files into the temp dir, the user to ourselves (as
    root Mosquitto would switch to `mosquitto`, who cannot write there); the log also goes to stderr, where
    MosquittoBroker reads that it runs. Everything else is the file as shipped."""

    #: deploy-file key -> the test's line (format fields: port, tmp, user); each must be in the file once.
    MOVED = {
        "listener": "listener {port} 127.0.0.1",
        "persistence_location": "persistence_location {tmp}/db/",
        "log_dest": "log_dest file {tmp}/mosquitto.log\nlog_dest stderr",
        "pid_file": "pid_file {tmp}/mosquitto.pid",
        "user": "user {user}",
    }

    def __init__(self, tmp: Path) -> None:
        tmp.mkdir(exist_ok=True)
        (tmp / "db").mkdir()
        self.tmp = tmp
        self.log_file = tmp / "mosquitto.log"
        super().__init__(tmp, options="")

    def config(self, port: int) -> str:
        lines, moved = [], []
        for line in MOSQUITTO_CONF.read_text(encoding="utf-8").splitlines():
            key = line.split(maxsplit=1)[0] if line.strip() and not line.lstrip().startswith("#") else None
            if key in self.MOVED:
                moved.append(key)
                line = self.MOVED[key].format(port=port, tmp=self.tmp, user=getpass.getuser())
            lines.append(line)
        assert sorted(moved) == sorted(self.MOVED), f"{MOSQUITTO_CONF.name} should set each of {sorted(self.MOVED)} " \
                                                    f"once; found {moved}"
        return "\n".join(lines) + "\n"


@pytest.fixture
def site_broker(tmp_path: Path) -> Iterator[SiteMosquitto]:
    broker = SiteMosquitto(tmp_path / "site-broker")
    broker.start()
    yield broker
    broker.close()


def _client(client_id: str = "", *, clean: bool = True) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
                       protocol=mqtt.MQTTv311)


class Console:
    """An MQTT client as the console connects: MQTT 3.1.1, `clean_session=False` under a fixed client id
    (console/core/mqtt_link.py), QoS 1 on the alert topics. Each `connect()` is a new network connection."""

    def __init__(self, port: int, client_id: str) -> None:
        self.port = port
        self.client_id = client_id
        self.session_present: bool | None = None
        self.received: list[int] = []
        self._client: mqtt.Client | None = None
        self._ready = threading.Event()
        self._fence = threading.Event()

    def connect(self, *, subscribe: bool) -> None:
        client = _client(self.client_id, clean=False)
        self._ready.clear()

        def on_connect(c: mqtt.Client, _u: object, flags: mqtt.ConnectFlags, rc: object, _p: object) -> None:
            self.session_present = flags.session_present
            if subscribe:
                c.subscribe("qdcb/alerts/v1/#", qos=1)
            else:
                self._ready.set()

        client.on_connect = on_connect
        client.on_subscribe = lambda *_: self._ready.set()
        client.on_message = self._on_message
        client.connect("127.0.0.1", self.port, keepalive=30)
        client.loop_start()
        self._client = client
        if not self._ready.wait(WAIT_S):
            raise AssertionError(f"{self.client_id} did not connect/subscribe in {WAIT_S} s")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/fence"):
            self._fence.set()
        else:
            self.received.append(int(msg.payload))

    def receive_backlog(self) -> list[int]:
        """Everything the broker kept for this session: after the reconnect, this client publishes a fence to
        itself; the broker queues it behind the backlog (one ordered queue per client, and it is QoS 1), so
        once the fence arrives everything queued before it has arrived."""
        assert self._client is not None
        self._client.publish("qdcb/alerts/v1/test/fence", b"", qos=1)
        if not self._fence.wait(WAIT_S):
            raise AssertionError(f"the fence did not arrive in {WAIT_S} s ({len(self.received)} messages received)")
        return list(self.received)

    def disconnect(self) -> None:
        """A clean disconnect: with clean_session False the broker keeps the session and queues for it."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None


def _publish(port: int, count: int, *, payload: bytes | None = None, topic: str = "qdcb/alerts/v1/shinan/test"
             ) -> None:
    """Publishes `count` QoS-1 messages (payload: the sequence number) and returns once the broker took each."""
    client = _client()
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload if payload is not None else str(i).encode(), qos=1)
                 for i in range(count)]
        deadline = time.monotonic() + WAIT_S
        for info in infos:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            assert info.is_published(), f"the broker did not acknowledge every publish within {WAIT_S} s"
    finally:
        client.disconnect()
        client.loop_stop()


def _backlog_after_absence(broker: MosquittoBroker, client_id: str, *, restart: bool = False) -> Console:
    """A console subscribes, goes away, BACKLOG alerts are published (and the broker restarted, if asked),
    and it comes back: the console, holding what it received."""
    console = Console(broker.port or 0, client_id)
    console.connect(subscribe=True)
    console.disconnect()
    _publish(broker.port or 0, BACKLOG)
    if restart:
        broker.stop()
        broker.start()
    console.connect(subscribe=False)
    assert console.session_present, f"the broker kept no session for {client_id} (restart={restart})"
    console.receive_backlog()
    console.disconnect()
    return console


def test_site_broker_starts_with_the_deploy_config_and_logs_with_timestamps(site_broker: SiteMosquitto) -> None:
    log = site_broker.log_file.read_text(encoding="utf-8")
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: mosquitto version \S+ running$", log, re.M), log
    assert "Error" not in log and "deprecated" not in log.lower(), log


def test_site_broker_carries_a_full_state_frame(site_broker: SiteMosquitto) -> None:
    """A frame of a few hundred KB (the server's full state) passes max_packet_size."""
    frame = b"x" * (512 * 1024)
    got: list[bytes] = []
    arrived = threading.Event()
    sub = _client()
    sub.on_connect = lambda c, *_: c.subscribe("qdcb/server/v1/state", qos=1)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = lambda _c, _u, m: (got.append(m.payload), arrived.set())
    sub.connect("127.0.0.1", site_broker.port or 0)
    sub.loop_start()
    try:
        assert subscribed.wait(WAIT_S)
        _publish(site_broker.port or 0, 1, payload=frame, topic="qdcb/server/v1/state")
        assert arrived.wait(WAIT_S), "the 512 KB frame did not arrive"
        assert got == [frame]
    finally:
        sub.disconnect()
        sub.loop_stop()


def test_site_broker_keeps_every_alert_for_an_away_console_where_the_default_drops_past_1000(
        tmp_path: Path, site_broker: SiteMosquitto) -> None:
    default = MosquittoBroker(tmp_path)    # tests/brokers.py's default: Mosquitto's queue limits
    default.start()
    try:
        dropped = _backlog_after_absence(default, "console-default")
    finally:
        default.close()
    kept = _backlog_after_absence(site_broker, "console-site")

    # The default keeps the first 1,000 and drops the rest without a word to anyone.
    assert dropped.received == list(range(DEFAULT_QUEUE_LIMIT)), \
        f"default Mosquitto delivered {len(dropped.received)} of {BACKLOG}"
    # The site configuration delivers every one, once, in order.
    assert kept.received == list(range(BACKLOG)), f"the site broker delivered {len(kept.received)} of {BACKLOG}"


def test_site_broker_keeps_sessions_and_queued_alerts_across_its_restart(site_broker: SiteMosquitto) -> None:
    console = _backlog_after_absence(site_broker, "console-restart", restart=True)
    assert console.received == list(range(BACKLOG)), f"{len(console.received)} of {BACKLOG} after the restart"

