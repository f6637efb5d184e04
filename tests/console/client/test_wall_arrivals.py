"""The wall does not take itself over: on the demo site's real console (VideoController, VideoWall, the
core's alert service, the bridge), arriving alerts fill only tiles the wall chose itself, with working
cameras only; the operator's placed, pinned and maximised tiles and the alert being worked stay, and the
arrival is proposed on the banner instead, which shows it when accepted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from console.client.session import ConsoleSession
from tests.console.client.demo_session import demo_session, ingest_alert
from widgets.situation import Selection, SelectionKind
from widgets.video_wall import VideoWall

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def module_session(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSession]:
    yield from demo_session(qapp, tmp_path_factory.mktemp("wall"))


@pytest.fixture
def session(module_session: ConsoleSession) -> Iterator[ConsoleSession]:
    """Each test starts from the wall's own 2x2 of live cameras, nothing pinned, placed, maximised or selected."""
    s = module_session
    wall = s.video.wall
    s.situation.selection.select(None)
    wall.set_layout("2x2")
    for i, tile in enumerate(wall.tiles[:4]):
        tile.set_pinned(False)
        wall.set_tile_source(i, s.video.resolve("camera:" + s.video.cameras.id(int(s.video._live[i]))))
    wall.banner.clear()
    yield s


def near_live(s: ConsoleSession, n: int) -> tuple[float, float]:
    """A place 50 m from the n-th live camera of the demo registry."""
    reg = s.video.cameras
    i = int(s.video._live[n])
    return float(reg.lat[i]) + 0.00045, float(reg.lon[i])


def alert_tiles(wall: VideoWall, alert_id: str) -> list[int]:
    return [i for i, src in enumerate(wall.sources()) if src is not None and src.alert_id == alert_id]


def test_an_arrival_keeps_placed_pinned_and_maximised_tiles_and_proposes_when_it_cannot_show(
        session: ConsoleSession, qtbot: Any) -> None:
    s, wall = session, session.video.wall
    reg = s.video.cameras
    mine = reg.id(int(s.video._live[-1]))
    assert wall.open_camera(mine, 0)                      # the operator's own camera in tile 0
    wall.tiles[1].set_pinned(True)
    pinned = wall.tiles[1].source
    ingest_alert(s, "ARR-1", 1, *near_live(s, 10))
    qtbot.waitUntil(lambda: alert_tiles(wall, "ARR-1") == [2, 3], timeout=WAIT_MS)
    assert wall.sources()[0].camera_id == mine and wall.sources()[1] == pinned
    assert not wall.banner.isVisibleTo(wall)

    # The operator maximises a tile: a new arrival leaves every tile alone and is offered on the banner.
    wall.toggle_maximised(0)
    before = wall.sources()
    ingest_alert(s, "ARR-2", 1, *near_live(s, 20))
    qtbot.waitUntil(lambda: wall.banner.alert_id == "ARR-2", timeout=WAIT_MS)
    assert wall.banner.isVisibleTo(wall) and "ARR-2" in wall.banner.label.text()
    assert wall.sources() == before and wall.maximised == 0
    # Accepted, its cameras come on (not in the pinned tile, not in the maximised one) and the banner goes.
    wall.banner.show_button.click()
    assert alert_tiles(wall, "ARR-2") == [2, 3] and wall.sources()[1] == pinned
    assert wall.sources()[0].camera_id == mine and not wall.banner.isVisibleTo(wall)
    wall.toggle_maximised(0)


def test_an_arrival_waits_while_the_operator_works_an_alert_as_severe(session: ConsoleSession, qtbot: Any) -> None:
    s, wall = session, session.video.wall
    ingest_alert(s, "WORK-2", 3, *near_live(s, 25))
    qtbot.waitUntil(lambda: s.services.alerts.alert("WORK-2") is not None, timeout=WAIT_MS)
    s.situation.selection.select(Selection(SelectionKind.ALERT, "WORK-2"))
    worked = alert_tiles(wall, "WORK-2")
    assert worked
    # The operator works a level-3 alert: a level-2 arrival is more severe, so it shows ...
    ingest_alert(s, "NEXT-2", 2, *near_live(s, 30))
    qtbot.waitUntil(lambda: bool(alert_tiles(wall, "NEXT-2")), timeout=WAIT_MS)
    # ... and now the operator works the level-2 one: another level-2 arrival is proposed, not shown.
    s.situation.selection.select(Selection(SelectionKind.ALERT, "NEXT-2"))
    before = wall.sources()
    ingest_alert(s, "LATER-2", 2, *near_live(s, 35))
    qtbot.waitUntil(lambda: wall.banner.alert_id == "LATER-2", timeout=WAIT_MS)
    assert wall.sources() == before
    # A level-1 arrival is more severe than what is worked: it takes the wall's tiles.
    ingest_alert(s, "FIRE-1", 1, *near_live(s, 40))
    qtbot.waitUntil(lambda: bool(alert_tiles(wall, "FIRE-1")), timeout=WAIT_MS)


def test_an_arrival_shows_working_cameras_only(session: ConsoleSession, qtbot: Any) -> None:
    s, wall = session, session.video.wall
    reg = s.video.cameras
    lat, lon = near_live(s, 45)
    nearest, _d = reg.nearest(lat, lon, 8)
    assert not all(reg.live[nearest])                     # dead cameras are among the nearest ones
    wall.set_layout("3x3")
    ingest_alert(s, "LIVE-1", 1, lat, lon)
    qtbot.waitUntil(lambda: bool(alert_tiles(wall, "LIVE-1")), timeout=WAIT_MS)
    shown = [wall.sources()[i] for i in alert_tiles(wall, "LIVE-1")]
    assert all(reg.live[reg.find(src.camera_id)] for src in shown)
    assert all(src.url is not None for src in shown)      # nothing the tile would show as "no signal"
