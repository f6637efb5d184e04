"""The whole console when its site server goes and another comes back: it says so at once, commands stop, the last
picture stays (greyed), and everything returns by itself (docs/architecture.md, "Site server")."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QGraphicsColorizeEffect

from console.core.alert_events import WorkflowRefused
from tests.console.client.live_console import WAIT_MS, Live, live  # noqa: F401 - the fixture
from tests.site_server import InProcessServer
from widgets.situation import DroneCommand, Selection, SelectionKind

#: The site's requirement: consoles show "server lost" within 3 s.
LOST_MS = 3000


@pytest.mark.parametrize("live", ["en"], indirect=True)
def test_the_console_says_the_server_is_lost_stops_commands_and_recovers_with_the_next_server(
        live: Live, qtbot, tmp_path: Path, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    s = live.session
    window, services = s.window, s.services
    dock = s.site.docks[0]
    qtbot.waitUntil(lambda: services.fleet.snapshot(dock.sysid).lat is not None, timeout=WAIT_MS)
    s.situation.selection.select(Selection(SelectionKind.DRONE, str(dock.sysid)))
    qtbot.waitUntil(lambda: s.situation.panel.buttons[DroneCommand.TAKE_AUTHORITY].isEnabled(), timeout=WAIT_MS)
    assert window.banner_bar.isHidden() and window.server_status.text().endswith(f"Server {services.server_id}")
    first = services.server_id
    lat_before = services.fleet.snapshot(dock.sysid).lat

    live.server.close()   # the active server stops (its presence goes offline)
    qtbot.waitUntil(lambda: not window.banner_bar.isHidden(), timeout=LOST_MS)
    assert f"Site server {first} lost at" in window.server_banner.text()
    assert "No site server" in window.server_status.text()
    # Commands are off, with the reason where the operator looks for it.
    panel = s.situation.panel
    assert not any(b.isEnabled() for b in panel.buttons.values())
    assert panel.disabled_reason().startswith(f"Site server {first} lost at")
    assert not s.alerts.panel.dispatch_button.isEnabled()
    # The last picture stays, greyed: the drone where it was last seen.
    assert isinstance(s.situation.map.graphicsEffect(), QGraphicsColorizeEffect)
    assert services.fleet.snapshot(dock.sysid).lat == lat_before
    # A request now is refused at once, never queued to run later.
    with pytest.raises(WorkflowRefused) as refused:
        services.core.call(services.request("drone.hold", {"sysid": dock.sysid}, by="op1"), timeout_s=5)
    assert refused.value.reason.code == "server.lost"
    health = s.health()
    assert health["healthy"] is False and any(p.startswith(f"site server {first} lost since") for p in
                                              health["problems"]), health["problems"]
    assert window.grab().save(str(artifacts / "server_lost.png"))

    # Another server takes over the site (the standby): the console follows it by itself.
    second = InProcessServer(s.site, tmp_path / "server-2")
    try:
        qtbot.waitUntil(lambda: window.banner_bar.isHidden(), timeout=WAIT_MS)
        assert services.server_id == second.server.server_id != first
        assert s.situation.map.graphicsEffect() is None
        qtbot.waitUntil(lambda: panel.buttons[DroneCommand.TAKE_AUTHORITY].isEnabled(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: s.alerts.panel.dispatch_button.toolTip() != "" and not s.health()["problems"],
                        timeout=WAIT_MS)
    finally:
        second.close()
