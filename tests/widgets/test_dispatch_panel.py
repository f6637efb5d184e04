"""The dispatch panel built from plain values: the five automatics, excluded docks with their
reasons, cameras for the video wall, and a dispatch that needs the operator's confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from widgets.alert_views import AutomaticsView, DockChoice, NearbyAlertRow, NearbyCameraRow, ProposalView
from widgets.dispatch_panel import DispatchPanel
from widgets.icons import symbol_icon


def view(**kw: Any) -> AutomaticsView:
    values: dict[str, Any] = dict(
        alert_id="ALR-1", title="林区烟火 崂山", state="new", alert_level=2, response_level=1,
        response_rule="forest fire smoke in Laoshan: raised by 1", radius_m=500.0,
        area_rule="Forest fire smoke: radius 500 m",
        docks=(DockChoice("D1", "Dock one", "Laoshan", 1800.0, 95.0),
               DockChoice("D2", "Dock two", "Laoshan", 2500.0, None, "battery 18% below the 30% needed", "battery"),
               DockChoice("D3", "Dock three", "Shinan", 21000.0, None, "21.0 km is beyond the drone's reach",
                          "out of range")),
        cameras=(NearbyCameraRow("37020200001310000001", "Camera A", 120.0),
                 NearbyCameraRow("37020200001310000002", "Camera B", 340.0)),
        nearby_alerts=(NearbyAlertRow("ALR-2", 2, "Forest fire smoke", "new", 250.0),),
        proposal=ProposalView("P1", "D1", "Dock one", 1850.0, 95.0, "Wide orbit: radius 150 m, 2 turns, at 100 m",
                              ("dock online, cover working", "route clear of no-fly zones")))
    values.update(kw)
    return AutomaticsView(**values)


class AnsweringPanel(DispatchPanel):
    answer = False

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def panel(qtbot) -> AnsweringPanel:  # type: ignore[no-untyped-def]
    p = AnsweringPanel()
    p.asked = []
    qtbot.addWidget(p)
    p.resize(500, 900)
    p.show()
    return p


def test_shows_the_five_automatics(panel: AnsweringPanel) -> None:
    assert panel.stack.currentIndex() == 0 and not panel.dispatch_button.isEnabled()   # the hint
    panel.set_view(view())
    assert panel.stack.currentIndex() == 1
    assert "Response level 1" in panel.level_label.text() and "raised by 1" in panel.level_rule.text()
    assert "500 m" in panel.area_label.text()
    assert panel.docks.rowCount() == 3
    assert panel.docks.item(0, 1).text() == "1:35" and panel.docks.item(0, 3).text() == "can go"
    # Excluded docks say why.
    assert panel.docks.item(1, 3).text() == "battery: battery 18% below the 30% needed"
    assert panel.docks.item(2, 3).text().startswith("out of range: 21.0 km")
    assert panel.docks.item(1, 1).text() == "--"
    assert panel.cameras.count() == 2 and panel.nearby.count() == 1
    # Each camera has the drawn camera mark (the 📹 character was a box in the console's font).
    camera = panel.cameras.item(0)
    assert camera.text().startswith("Camera A") and camera.icon().cacheKey() == symbol_icon("camera").cacheKey()
    assert "Dock one" in panel.proposal_label.text() and "Wide orbit" in panel.proposal_label.text()
    assert "route clear of no-fly zones" in panel.checks_label.text()
    assert panel.dispatch_button.isEnabled()


def test_dispatch_needs_confirmation(panel: AnsweringPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_view(view())
    panel.answer = False
    with qtbot.assertNotEmitted(panel.dispatch_requested):
        panel.dispatch_button.click()
    text = panel.asked[-1]
    for part in ("ALR-1", "Dock one (D1)", "1.9 km", "1:35", "Wide orbit", "dock online, cover working"):
        assert part in text
    panel.answer = True
    with qtbot.waitSignal(panel.dispatch_requested) as sent:
        panel.dispatch_button.click()
    assert sent.args == ["ALR-1", "P1"]   # the plan the confirmation showed, by id
    panel.show_result(False, "no dock can go (nearest: busy)")
    assert "busy" in panel.result_label.text()


def test_no_dispatch_when_refused_or_already_dispatched(panel: AnsweringPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    refused = ProposalView(None, None, "", None, None, "", (), "no dock can go (nearest: battery 18% below the 30% needed)")
    panel.set_view(view(proposal=refused))
    assert not panel.dispatch_button.isEnabled() and panel.refused_label.text().startswith("no dock can go")
    with qtbot.assertNotEmitted(panel.dispatch_requested):
        assert panel.request_dispatch() is False
    assert panel.asked == [] and "no dock can go" in panel.result_label.text()
    panel.set_view(view(state="dispatched"))
    assert not panel.dispatch_button.isEnabled()
    assert panel.request_dispatch() is False and panel.asked == []


def test_cameras_open_on_the_video_wall_and_nearby_alerts_select(panel: AnsweringPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_view(view())
    with qtbot.waitSignal(panel.camera_open_requested) as opened:
        panel.open_camera.click()
    assert opened.args == ["37020200001310000001"]
    with qtbot.waitSignal(panel.camera_open_requested) as opened:
        panel.cameras.itemDoubleClicked.emit(panel.cameras.item(1))
    assert opened.args == ["37020200001310000002"]
    with qtbot.waitSignal(panel.alert_select_requested) as picked:
        panel.nearby.itemDoubleClicked.emit(panel.nearby.item(0))
    assert picked.args == ["ALR-2"]
