"""The video wall end to end: the simulator's real video server, the demo site's camera registry and
docks, the controller driven by core events through a real CoreBridge (no broker, no drones flying)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QObject, QSettings, Signal

from console.core.alert_contract import Alert
from console.core.alert_events import AlertReceived
from console.core.alert_store import AlertRecord
from console.client.bridge import CoreBridge
from console.core.events import EventBus
from console.resources import resource_path
from widgets.texts import term_text
from console.client.video_controller import VideoController
from drones.cameras import CameraRegistry
from drones.model import DroneState
from vocab import TaskState
from drones.site import load_site
from drones.sim.video import VideoServer
from drones.sim.video_render import DroneView
from drones.tasks import TaskStateChanged
from tests.ports import hold_tcp_port, port_of
from tests.widgets.mjpeg_server import write_mjpeg_file
from widgets import video_tile
from widgets.situation import Selection, SelectionKind, SelectionModel
from widgets.video_source import TileSource, TileState

FLYING = DroneView(lat_deg=36.0671, lon_deg=120.3826, relative_alt_m=85.0, heading_deg=35.0, ground_speed_m_s=12.0,
                   battery_pct=76.0, armed=True, mode="MISSION")


@pytest.fixture(scope="module")
def registry() -> CameraRegistry:
    return CameraRegistry.load(resource_path("sites", "demo_cameras.npz"))


class Video:
    """The simulator's VideoServer on its own loop thread (as the simulator process runs it)."""

    def __init__(self, registry: CameraRegistry, port: int = 0) -> None:
        def camera_info(cid: str) -> tuple[str, str] | None:
            i = registry.find(cid)
            return None if i is None else (registry.name(i), registry.district_names_zh[registry.district[i]])

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="video")
        self.thread.start()
        self.server = VideoServer("127.0.0.1", port, camera_info=camera_info, drone_state=lambda s: FLYING)
        self.call(self.server.start())

    def call(self, coro: Any) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(10)

    def close(self) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class FakeMap(QObject):
    camera_open_requested = Signal(str)


@pytest.fixture
def video(registry: CameraRegistry) -> Iterator[Video]:
    # The test holds the server's port (bound, never listening) so the server can stop and come back on
    # it with no other program taking it meanwhile; the server listens beside the hold (SO_REUSEADDR).
    with hold_tcp_port() as hold:
        v = Video(registry, port_of(hold))
        yield v
        if not v.loop.is_closed():
            v.close()


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path, registry: CameraRegistry, video: Video) -> Iterator[SimpleNamespace]:
    site = load_site(resource_path("sites", "demo.toml")).with_video_base(video.server.url(""))
    alerts: dict[str, AlertRecord] = {}
    notes: list[tuple[str, str]] = []
    open_tasks: list[Any] = []

    async def add_note(alert_id: str, text: str, *, by: str) -> None:
        notes.append((alert_id, text))

    loop = video.loop
    health: dict[str, Any] = {}
    services = SimpleNamespace(
        site=site, cameras=registry, basemap=None, health=SimpleNamespace(set=lambda **kw: health.update(kw)),
        alerts=SimpleNamespace(alert=alerts.get, add_note=add_note),
        fleet=SimpleNamespace(snapshot=lambda sysid: DroneState(sysid=sysid, alt_rel_m=85.0, battery_pct=76.0)),
        tasks=SimpleNamespace(open_tasks=open_tasks),
        core=SimpleNamespace(submit=lambda coro: asyncio.run_coroutine_threadsafe(coro, loop)))
    bus = EventBus()
    bridge = CoreBridge(bus)
    situation = SimpleNamespace(selection=SelectionModel(), map=FakeMap(), operator="tester",
                                feed=SimpleNamespace(language="zh_CN"))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    controller = VideoController(services, situation, bridge, settings, snapshots_dir=tmp_path / "snaps")
    qtbot.addWidget(controller.wall)
    controller.wall.resize(1280, 720)
    controller.wall.show()
    yield SimpleNamespace(c=controller, wall=controller.wall, bus=bus, alerts=alerts, notes=notes, health=health,
                          selection=situation.selection, map=situation.map, registry=registry, site=site,
                          open_tasks=open_tasks)
    controller.stop()
    bridge.detach()


def test_the_default_wall_shows_live_demo_streams_and_reports_health(rig: SimpleNamespace, qtbot: Any) -> None:
    assert rig.wall.layout_name == "3x3"
    qtbot.waitUntil(lambda: rig.wall.tiles_by_state()["live"] >= 4, timeout=30_000)
    assert all(t.frames > 0 for t in rig.wall.tiles[:9] if t.state is TileState.LIVE)
    rig.c.report_health()
    assert rig.health["wall_tiles_live"] >= 4
    assert {"wall_tiles_reconnecting", "wall_tiles_no_signal", "wall_tiles_error"} <= set(rig.health)


def test_unreachable_and_broken_streams_say_why_and_recover(rig: SimpleNamespace, video: Video, qtbot: Any,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            refused_port: int) -> None:
    monkeypatch.setattr(video_tile, "BACKOFF_S", (0.5, 1.0))
    wall = rig.wall
    wall.set_layout("2x2")
    wall.set_tile_source(1, TileSource(key="camera:x", title="x", url=f"http://127.0.0.1:{refused_port}/x.mjpg"))
    clip = write_mjpeg_file(tmp_path / "clip.mjpeg", frames=10)
    wall.set_tile_source(2, TileSource(key=f"file:{clip}", title="clip", url=str(clip), kind="file", loop=True))
    wall.set_tile_source(3, rig.c.resolve("drone:3"))
    qtbot.waitUntil(lambda: wall.tiles[1].state is TileState.NO_SIGNAL and wall.tiles[1].restarts >= 2,
                    timeout=15_000)
    assert wall.tiles[1].reason
    qtbot.waitUntil(lambda: wall.tiles[2].frames > 15 and wall.tiles[3].state is TileState.LIVE, timeout=20_000)
    port = video.server.port
    video.close()                                                    # the stream dies mid-play
    qtbot.waitUntil(lambda: wall.tiles[3].state in (TileState.RECONNECTING, TileState.NO_SIGNAL), timeout=15_000)
    assert wall.tiles[0].state is not TileState.LIVE or wall.tiles[0].frames    # other tiles unaffected
    back = Video(rig.registry, port)                                 # and comes back on the same (held) port
    try:
        frames = wall.tiles[3].frames
        qtbot.waitUntil(lambda: wall.tiles[3].state is TileState.LIVE and wall.tiles[3].frames > frames,
                        timeout=20_000)
    finally:
        back.close()


def _alert(rig: SimpleNamespace, alert_id: str, level: int) -> AlertRecord:
    reg = rig.registry
    i = int(reg.live.nonzero()[0][0])
    record = AlertRecord(Alert(alert_id, 0.0, "waterlogging", level, float(reg.lat[i]) + 0.0005, float(reg.lon[i])),
                         received_ts=0.0)
    rig.alerts[alert_id] = record
    return record


def test_alerts_fill_a_block_pinned_tiles_stay_and_snapshots_note_the_alert(rig: SimpleNamespace,
                                                                            qtbot: Any) -> None:
    wall = rig.wall
    wall.tiles[1].set_pinned(True)
    pinned_source = wall.tiles[1].source
    _alert(rig, "ALR-1", 3)
    rig.selection.select(Selection(SelectionKind.ALERT, "ALR-1"))
    block = [t.source for t in wall.tiles[:9] if t.source is not None and t.source.alert_id == "ALR-1"]
    assert len(block) == 6 and all(s.alert_level == 3 for s in block)
    assert wall.tiles[1].source == pinned_source
    assert block[0].url is not None                                  # a working camera comes first
    qtbot.waitUntil(lambda: wall.tiles[0].state is TileState.LIVE, timeout=20_000)
    wall.select(0)
    path = wall.snapshot_selected()
    assert path is not None and "ALR-1" in path.name
    qtbot.waitUntil(lambda: bool(rig.notes), timeout=5_000)
    assert rig.notes[0][0] == "ALR-1" and str(path) in rig.notes[0][1]
    # A level-4 alert arriving leaves the wall alone; a level-1 alert takes the block.
    rig.bus.publish(AlertReceived(_alert(rig, "ALR-4", 4)))
    assert not any(t.source and t.source.alert_id == "ALR-4" for t in wall.tiles)
    rig.bus.publish(AlertReceived(_alert(rig, "ALR-0", 1)))
    assert wall.tiles[0].source.alert_id == "ALR-0" and wall.tiles[0].source.alert_level == 1
    assert wall.tiles[1].source == pinned_source
    rig.map.camera_open_requested.emit(rig.registry.id(5))
    assert wall.tiles[0].source.camera_id == rig.registry.id(5)     # the map opens into the selected tile


def test_the_drone_feed_follows_a_task_until_docked(rig: SimpleNamespace, qtbot: Any) -> None:
    wall = rig.wall
    _alert(rig, "ALR-7", 2)
    rig.selection.select(Selection(SelectionKind.ALERT, "ALR-7"))
    sysid = rig.site.docks[0].sysid

    def task(state: TaskState) -> None:
        rig.open_tasks[:] = [SimpleNamespace(sysid=sysid, state=state)] if state.open else []
        rig.bus.publish(TaskStateChanged("T-1", sysid, rig.site.docks[0].id, "ALR-7", state, None, "tester"))

    before = wall.tiles[6].source
    task(TaskState.LAUNCHING)
    assert wall.tiles[6].source is not None and wall.tiles[6].source.key == f"drone:{sysid}"
    qtbot.waitUntil(lambda: wall.tiles[6].state is TileState.LIVE, timeout=20_000)
    for state in (TaskState.EN_ROUTE, TaskState.ON_SCENE, TaskState.RETURNING, TaskState.LANDING):
        task(state)
        assert wall.tiles[6].source.key == f"drone:{sysid}"
    qtbot.waitUntil(lambda: wall.tiles[6]._drone is not None and wall.tiles[6]._drone.task_state == term_text(TaskState.LANDING),
                    timeout=5_000)
    assert wall.tiles[6]._drone.alt_rel_m == 85.0 and wall.tiles[6]._drone.battery_pct == 76.0
    task(TaskState.DOCKED)
    assert wall.tiles[6].source == before
