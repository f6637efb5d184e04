"""The video wall end to end, on a live simulated site.

The simulated site (three docks and their PX4-like drones, on a real Mosquitto, physics at ×20) runs
on its own loop thread with the simulator's video server beside it, fed, as `main.py sim` feeds it,
by the demo's camera registry and the simulated drones, and a site server runs the site
(tests/site_server.py). The console is built as the application builds it (console/client/session.py):
CoreLoop, RemoteServices, the CoreBridge, the SituationController
(its map and selection) and the VideoController. Alerts arrive as MQTT messages on
`qdcb/alerts/v1/{district}/{category}`, flights are real dispatches, and the tiles play the server's
streams through Qt Multimedia (FFmpeg) as on a workstation.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiomqtt
import numpy as np
import pytest
from PySide6.QtCore import QObject, QSettings, Qt, Slot

from console.client.bridge import CoreBridge
from console.client.situation_controller import SituationController
from console.client.video_controller import VideoController
from console.core.alert_events import AlertReceived
from console.core.core_loop import CoreLoop
from console.remote.site_client import RemoteServices
from console.core.workstation import Workstation
from console.resources import resource_path
from drones.cameras import CameraRegistry
from drones.geo import distances_m
from drones.sim.video import VideoServer
from drones.site import Site, parse_broker_url
from drones.tasks import TaskStateChanged
from tests.conftest import MosquittoBroker
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import TIME_SCALE, SiteThread
from tests.site_server import InProcessServer
from tests.ports import hold_tcp_port, port_of
from tests.widgets.mjpeg_server import write_mjpeg_file
from vocab import AlertState, DockStatus, TaskState
from widgets import video_tile
from widgets.map_cameras import STREET_WIDTH_M
from widgets.situation import Selection, SelectionKind
from widgets.texts import term_text
from widgets.video_source import TileSource, TileState
from widgets.video_wall import VideoWall

WAIT_MS = 30_000
FLIGHT_MS = 180_000          # a whole flight at ×20 physics, with room for a loaded 2-core machine
DOWN = (TileState.RECONNECTING, TileState.NO_SIGNAL)


# ----- the simulated site and its video server --------------------------------------------------------

class SiteVideo:
    """The simulator's video server as `main.py sim` runs it (drones/sim/runner.py `_start_video`): on the
    simulator's loop, at its time scale, pictures named from the site's camera registry and drawn from its
    simulated drones. It can die and come back on the same port, which the test holds meanwhile."""

    def __init__(self, sim: SiteThread, port: int) -> None:
        self.sim = sim
        self.port = port
        self.server: VideoServer | None = None

    def start(self) -> None:
        self.server = VideoServer("127.0.0.1", self.port, TIME_SCALE, camera_info=self.sim.sim.camera_info,
                                  drone_state=self.sim.sim.drone_view)
        self.sim.call(self.server.start())

    def kill(self) -> None:
        """The server goes away mid-play: it stops listening and every stream's connection is closed."""
        if self.server is not None:
            self.sim.call(self.server.close())
            self.server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def encoded(self) -> dict[str, int]:
        """Frames the server has encoded per source ("camera/ID", "drone/N"), read on its own loop."""
        assert self.server is not None
        return dict(self.sim.do(self.server.health)["encoded"])


@pytest.fixture
def sim(mosquitto: MosquittoBroker) -> Iterator[SiteThread]:
    # Three test docks, each with its drone's feed on the video server (`make_docks` gives none), and the
    # demo's camera registry, so alerts near the docks have working cameras around them.
    docks = [replace(d, video_url=f"/drone/{d.sysid}.mjpg") for d in make_docks(3)]
    site = Site("测试站点", None, parse_broker_url(mosquitto.url), tuple(docks),
                cameras_path=resource_path("sites", "demo_cameras.npz"))
    thread = SiteThread(site, mosquitto.url)
    yield thread
    thread.close()


@pytest.fixture
def video(sim: SiteThread) -> Iterator[SiteVideo]:
    # The test holds the server's port (bound, never listening: tests/ports.py) so the server can die and
    # come back on it with no other program taking it meanwhile; the server listens beside the hold.
    with hold_tcp_port() as hold:
        v = SiteVideo(sim, port_of(hold))
        v.start()
        yield v
        v.kill()


# ----- the console, as console/client/session.py builds it ------------------------------------------

class CoreEvents(QObject):
    """What reached the GUI thread from the core through the bridge, in order. Connected after the
    VideoController, so an event recorded here has already been handled by the controller.

    A QObject living as long as the console, never pytest-qt's `waitSignal`: the bridge's signals are
    queued from the core thread, and PySide 6.12 still delivers the calls queued for a plain object's
    method after it was disconnected and freed (a use after free that crashed this file about one run in
    eight). Queued calls to a QObject go away with it."""

    def __init__(self, bridge: CoreBridge) -> None:
        super().__init__()
        self.alerts: list[object] = []
        #: Called with each task event as it arrives (a test's look at the wall at that moment).
        self.on_task: Callable[[TaskStateChanged], None] | None = None
        bridge.alert_event.connect(self._alert)
        bridge.task_event.connect(self._task)

    @Slot(object)
    def _alert(self, event: object) -> None:
        self.alerts.append(event)

    @Slot(object)
    def _task(self, event: object) -> None:
        if isinstance(event, TaskStateChanged) and self.on_task is not None:
            self.on_task(event)

    def received(self, alert_id: str) -> bool:
        return any(isinstance(e, AlertReceived) and e.record.id == alert_id for e in self.alerts)


@dataclass
class Console:
    """The console's parts the tests look at and drive, and the site's video server and broker port."""

    services: RemoteServices
    server: InProcessServer
    situation: SituationController
    controller: VideoController
    bridge: CoreBridge
    events: CoreEvents
    video: SiteVideo
    broker_port: int

    @property
    def wall(self) -> VideoWall:
        return self.controller.wall

    @property
    def cameras(self) -> CameraRegistry:
        assert self.services.cameras is not None
        return self.services.cameras

    def live_camera_near(self, lat: float, lon: float) -> int:
        """The registry index of the working camera nearest to a point."""
        live = np.flatnonzero(self.cameras.live)
        return int(live[np.argmin(distances_m(lat, lon, self.cameras.lat[live], self.cameras.lon[live]))])

    def publish_alert(self, qtbot: Any, alert_id: str, level: int, lat: float, lon: float,
                      category: str = "waterlogging", district: str = "shinan") -> None:
        """An analysis platform publishes an alert (QoS 1 JSON, docs/architecture.md "Alerts"); returns once
        the GUI thread has handled its AlertReceived (the controller first, see CoreEvents)."""
        payload = {"id": alert_id, "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                   "category": category, "level": level, "lat": lat, "lon": lon, "title": f"积水 {alert_id}",
                   "source": {"kind": "camera", "id": "37020200001310000001"}, "status": "active"}

        async def publish() -> None:
            async with aiomqtt.Client("127.0.0.1", self.broker_port) as client:
                await client.publish(f"qdcb/alerts/v1/{district}/{category}",
                                     json.dumps(payload, ensure_ascii=False).encode(), qos=1)

        asyncio.run(publish())
        qtbot.waitUntil(lambda: self.events.received(alert_id), timeout=WAIT_MS)

    def dock_ready(self, dock_id: str) -> bool:
        """The fleet board shows the dock ready (its drone linked and healthy, the dock online)."""
        model = self.situation.board.model
        row = model.row_of(dock_id)
        return row is not None and model.fleet_row(row).status is DockStatus.READY


@pytest.fixture
def console(sim: SiteThread, video: SiteVideo, mosquitto: MosquittoBroker, tmp_path: Path,
            qtbot: Any) -> Iterator[Console]:
    site = sim.console_site.with_video_base(video.base_url)
    server = InProcessServer(site, tmp_path / "server")
    core = CoreLoop()
    core.start()
    try:
        services = RemoteServices(site, core, station=Workstation("console-T", tmp_path / "station"))
        bridge = CoreBridge(services.bus)
        situation = SituationController(services, language="en")
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        controller = VideoController(services, situation, bridge, settings, snapshots_dir=tmp_path / "snaps")
        events = CoreEvents(bridge)
        try:
            services.start()
            for w in (situation.map, situation.board, situation.panel, controller.wall):
                qtbot.addWidget(w)
            controller.wall.resize(1280, 720)
            controller.wall.show()
            situation.map.resize(900, 600)
            situation.map.show()
            qtbot.waitUntil(lambda: services.present, timeout=WAIT_MS)
            yield Console(services, server, situation, controller, bridge, events, video, mosquitto.port)
        finally:
            controller.stop()
            situation.stop()
            bridge.detach()
    finally:
        core.stop()
        server.close()


# ----- the default wall and health --------------------------------------------------------------------

def test_the_default_wall_shows_live_demo_streams_and_reports_health(console: Console, qtbot: Any) -> None:
    wall, reg = console.wall, console.cameras
    assert wall.layout_name == "3x3"
    first_live = [reg.id(int(i)) for i in np.flatnonzero(reg.live)[:9]]
    assert [s.camera_id if s else None for s in wall.sources()] == first_live
    qtbot.waitUntil(lambda: all(t.state is TileState.LIVE for t in wall.tiles[:9]), timeout=WAIT_MS)
    # Every tile plays its camera from the simulator's server (the sub-stream when the tile is small),
    # and the server really drew and encoded each of these cameras.
    for tile, cid in zip(wall.tiles[:9], first_live):
        assert tile.url in (f"{console.video.base_url}/camera/{cid}.mjpg",
                            f"{console.video.base_url}/camera/{cid}/sub.mjpg")
        assert tile.frames > 0
    encoded = console.video.encoded()
    assert all(encoded.get(f"camera/{cid}", 0) > 0 for cid in first_live)
    # A camera without a live stream says so instead of trying to play.
    dead = next(i for i in range(len(reg)) if not reg.live[i])
    assert wall.open_camera(reg.id(dead), 8)
    assert wall.tiles[8].state is TileState.NO_SIGNAL and wall.tiles[8].reason == "camera has no live stream"
    qtbot.waitUntil(lambda: wall.tiles_by_state()["live"] == 8, timeout=WAIT_MS)
    console.controller.report_health()
    health = console.services.health.snapshot()
    assert (health["wall_tiles_live"], health["wall_tiles_no_signal"]) == (8, 1)
    assert (health["wall_tiles_reconnecting"], health["wall_tiles_error"], health["wall_tiles_connecting"]) == (0, 0, 0)
    assert health["wall_layout"] == "3x3"


# ----- streams that fail, and a server that dies and comes back --------------------------------------

def test_unreachable_and_broken_streams_say_why_and_recover(console: Console, qtbot: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            refused_port: int) -> None:
    monkeypatch.setattr(video_tile, "BACKOFF_S", (0.5, 1.0))   # retries within the test's patience
    wall, services = console.wall, console.services
    dock = services.site.docks[2]
    # The drone's feed exists once its radio link is up (the simulator serves no picture without it).
    qtbot.waitUntil(lambda: services.fleet.snapshot(dock.sysid).healthy, timeout=WAIT_MS)
    wall.set_layout("2x2")
    camera = wall.tiles[0].source                                     # the default wall's first camera
    assert camera is not None and camera.url is not None and camera.url.startswith(console.video.base_url)
    wall.set_tile_source(1, TileSource(key="camera:x", title="x", url=f"http://127.0.0.1:{refused_port}/x.mjpg"))
    # A local recording, played in a loop: nothing to do with the video server.
    clip = write_mjpeg_file(tmp_path / "clip.mjpeg", frames=50)
    wall.set_tile_source(2, TileSource(key=f"file:{clip}", title="clip", url=str(clip), kind="file", loop=True))
    wall.set_tile_source(3, console.controller.resolve(f"drone:{dock.sysid}"))
    qtbot.waitUntil(lambda: wall.tiles[1].state is TileState.NO_SIGNAL and wall.tiles[1].restarts >= 2,
                    timeout=WAIT_MS)
    assert wall.tiles[1].reason                                       # the operator is told why
    qtbot.waitUntil(lambda: all(t.state is TileState.LIVE for t in (wall.tiles[0], wall.tiles[2], wall.tiles[3]))
                    and wall.tiles[2].frames > 60, timeout=WAIT_MS)   # 60 > 50: the clip has looped
    assert wall.tiles[3].url is not None and wall.tiles[3].url.startswith(f"{console.video.base_url}/drone/{dock.sysid}")

    # The video server dies mid-play: its two tiles lose their picture, the recording plays on untouched.
    clip_states: list[TileState] = []
    wall.tiles[2].state_changed.connect(clip_states.append)
    clip_frames = wall.tiles[2].frames
    console.video.kill()
    qtbot.waitUntil(lambda: wall.tiles[0].state in DOWN and wall.tiles[3].state in DOWN, timeout=WAIT_MS)
    assert wall.tiles[0].reason and wall.tiles[3].reason
    qtbot.waitUntil(lambda: wall.tiles[2].frames > clip_frames + 25, timeout=WAIT_MS)
    assert wall.tiles[2].state is TileState.LIVE and clip_states == []

    # It comes back on the same (held) port: both tiles reconnect by themselves and play again.
    frames = {i: wall.tiles[i].frames for i in (0, 3)}
    console.video.start()
    qtbot.waitUntil(lambda: all(wall.tiles[i].state is TileState.LIVE and wall.tiles[i].frames > frames[i]
                                for i in (0, 3)), timeout=WAIT_MS)
    assert wall.tiles[1].state is TileState.NO_SIGNAL                 # the server that is not there stays so
    assert clip_states == []


# ----- alerts on the wall --------------------------------------------------------------------------------

def test_alerts_fill_a_block_pinned_tiles_stay_and_snapshots_note_the_alert(console: Console, qtbot: Any) -> None:
    wall, reg, services = console.wall, console.cameras, console.services
    live = np.flatnonzero(reg.live)
    wall.tiles[1].set_pinned(True)
    pinned_source = wall.tiles[1].source
    # A level-3 alert arriving is on the desk, not on the wall ...
    before = wall.sources()
    at = int(live[0])
    console.publish_alert(qtbot, "ALR-1", 3, float(reg.lat[at]) + 0.0005, float(reg.lon[at]))
    assert wall.sources() == before
    # ... until the operator selects it: its cameras, working ones first, fill the block around the pinned tile.
    console.situation.selection.select(Selection(SelectionKind.ALERT, "ALR-1"))
    block = [t.source for t in wall.tiles[:9] if t.source is not None and t.source.alert_id == "ALR-1"]
    assert len(block) == 6 and all(s.alert_level == 3 for s in block)
    assert wall.tiles[1].source == pinned_source and wall.tiles[1].source.alert_id is None
    assert wall.tiles[0].source is not None and wall.tiles[0].source.camera_id == reg.id(at)   # nearest working
    qtbot.waitUntil(lambda: wall.tiles[0].state is TileState.LIVE, timeout=WAIT_MS)

    # A snapshot of the alert's tile is saved and noted on the alert by the core's alert service.
    wall.select(0)
    path = wall.snapshot_selected()
    assert path is not None and path.is_file() and "ALR-1" in path.name
    qtbot.waitUntil(lambda: bool(services.alerts.alert("ALR-1").notes), timeout=WAIT_MS)
    note = services.alerts.alert("ALR-1").notes[0]
    assert str(path) in note.text and note.by == console.situation.operator

    # A level-4 alert arriving leaves the wall alone; a level-1 alert takes the block, not the pinned tile.
    before = wall.sources()
    console.publish_alert(qtbot, "ALR-4", 4, float(reg.lat[at]), float(reg.lon[at]) + 0.0005)
    assert wall.sources() == before
    elsewhere = int(live[4])
    console.publish_alert(qtbot, "ALR-0", 1, float(reg.lat[elsewhere]) + 0.0005, float(reg.lon[elsewhere]))
    assert wall.tiles[0].source.alert_id == "ALR-0" and wall.tiles[0].source.alert_level == 1
    assert wall.tiles[0].source.camera_id == reg.id(console.live_camera_near(float(reg.lat[elsewhere]) + 0.0005,
                                                                             float(reg.lon[elsewhere])))
    assert wall.tiles[1].source == pinned_source

    # A double-click on a camera on the map (street zoom) opens it in the wall's selected tile.
    wall.select(2)
    target = int(live[-1])                                            # far from the docks and the alerts
    shown_elsewhere = [s for i, s in enumerate(wall.sources()) if i != 2]
    m = console.situation.map
    m.center_on(float(reg.lat[target]), float(reg.lon[target]))
    m.zoom(m.proj.width_m() / (STREET_WIDTH_M / 3))
    pos = m.to_screen(float(reg.lat[target]), float(reg.lon[target])).toPoint()
    hit = m.item_at(pos)
    assert hit is not None and (hit.kind, hit.key) == (SelectionKind.CAMERA, reg.id(target))
    qtbot.mouseDClick(m, Qt.MouseButton.LeftButton, pos=pos)
    assert wall.tiles[2].source is not None and wall.tiles[2].source.camera_id == reg.id(target)
    assert [s for i, s in enumerate(wall.sources()) if i != 2] == shown_elsewhere
    qtbot.waitUntil(lambda: wall.tiles[2].state is TileState.LIVE, timeout=WAIT_MS)


# ----- a flight on the wall ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seen:
    """The drone tile when the GUI thread handled one of the task's transitions (after the controller)."""

    state: TaskState
    key: str | None
    task_state: str | None
    alt_rel_m: float | None
    battery_pct: float | None


def test_the_drone_feed_follows_a_task_until_docked(console: Console, qtbot: Any) -> None:
    wall, reg, services = console.wall, console.cameras, console.services
    dock = services.site.docks[0]
    qtbot.waitUntil(lambda: console.dock_ready(dock.id), timeout=WAIT_MS)
    # A level-2 alert by the dock fills the block (tiles 0-5) as it arrives; the drone goes next to it.
    at = console.live_camera_near(dock.lat, dock.lon)
    console.publish_alert(qtbot, "ALR-7", 2, float(reg.lat[at]) + 0.0005, float(reg.lon[at]))
    assert [s.alert_id if s else None for s in wall.sources()[:7]] == ["ALR-7"] * 6 + [None]
    before = wall.tiles[6].source
    drone_key = f"drone:{dock.sysid}"

    seen: list[Seen] = []

    def look(event: TaskStateChanged) -> None:
        if event.sysid == dock.sysid:
            tile = wall.tiles[6]
            info = tile._drone   # the drone line the tile draws (the tile has no getter for it)
            seen.append(Seen(event.state, tile.source.key if tile.source else None, info and info.task_state,
                             info and info.alt_rel_m, info and info.battery_pct))

    console.events.on_task = look
    # The operator's dispatch of the alert from this dock (the desk's one click, minus the dialog): a real
    # flight task for the alert, so the wall knows whose cameras the drone belongs beside.
    record = services.core.call(services.alerts.dispatch_alert("ALR-7", by="op1", choice=dock.id),
                                timeout_s=WAIT_MS / 1000)
    assert record.state is AlertState.DISPATCHED and record.task_id is not None
    task = console.server.services.tasks.manager.tasks[record.task_id]   # the flight, as the server runs it
    assert task.dock.id == dock.id and task.alert_id == "ALR-7"
    # The drone's own feed, drawn by the simulator from the flying drone, plays while it flies.
    qtbot.waitUntil(lambda: wall.tiles[6].source is not None and wall.tiles[6].source.key == drone_key
                    and wall.tiles[6].state is TileState.LIVE, timeout=WAIT_MS)
    assert wall.tiles[6].url is not None and wall.tiles[6].url.startswith(f"{console.video.base_url}/drone/{dock.sysid}")
    assert console.video.encoded().get(f"drone/{dock.sysid}", 0) > 0
    qtbot.waitUntil(lambda: task.state is TaskState.COMPLETED, timeout=FLIGHT_MS)
    qtbot.waitUntil(lambda: any(s.state is TaskState.COMPLETED for s in seen), timeout=WAIT_MS)

    states = [s.state for s in seen]
    flown = [TaskState.EN_ROUTE, TaskState.ON_SCENE, TaskState.RETURNING, TaskState.LANDING, TaskState.DOCKED]
    assert [s for s in states if s in flown] == flown, states
    # Until docked the drone is on the wall beside its alert's block, with its real telemetry and
    # its task's state on the tile: the state of that moment, which may already be past the event's (the
    # tile reads the task, and the event reached the GUI thread through the bridge's queue).
    order = [TaskState.PLANNED, TaskState.PREFLIGHT, TaskState.LAUNCHING, *flown, TaskState.COMPLETED]
    flying = [s for s in seen if s.state.open and s.state is not TaskState.DOCKED]
    assert flying
    for s in flying:
        assert s.key == drone_key, s
        assert s.task_state in {term_text(t) for t in order[order.index(s.state):]}, s
    on_scene = next(s for s in seen if s.state is TaskState.ON_SCENE)
    assert on_scene.alt_rel_m is not None and on_scene.alt_rel_m > 20.0, on_scene             # up in the air
    assert on_scene.battery_pct is not None and 0.0 < on_scene.battery_pct < 100.0, on_scene   # it has flown
    # Docked: the tile gets back what it showed before the flight; the alert block was never touched.
    docked = next(s for s in seen if s.state is TaskState.DOCKED)
    assert docked.key == (before.key if before else None)
    assert wall.tiles[6].source == before
    assert [s.alert_id if s else None for s in wall.sources()[:6]] == ["ALR-7"] * 6
    # The alert followed its drone too: on scene once the drone got there.
    qtbot.waitUntil(lambda: services.alerts.alert("ALR-7").state is AlertState.ON_SCENE, timeout=WAIT_MS)
