"""The whole console process, headless, on the demo site with real PX4 autopilots at its first docks (the demo's
simulator and site server run as its children)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_main


def test_the_console_flies_a_real_autopilot_from_the_demo_site(px4_build: Path, tmp_path: Path) -> None:
    png = tmp_path / "px4.png"
    result = run_main("--px4", "2", "--demo-flights", "1", "--time-scale", "2", "--lang", "en",
                      "--smoke", "30", str(png), timeout_s=240,
                      # its own journal and settings: the flight it leaves in the air is no other test's business
                      env={"PX4_SITL_DIR": str(px4_build), "XDG_DATA_HOME": str(tmp_path / "data"),
                           "XDG_CONFIG_HOME": str(tmp_path / "config"), "QD_CONSOLE_LOG_DIR": str(tmp_path / "logs")})
    health = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, (health, result.stderr[-3000:])
    assert health["healthy"] is True, health
    # All 56 drones heard, two of them real autopilots, and the sample flight started from one of those
    # (with --px4 the demo's sample flights fly only the real autopilots).
    assert (health["drones_connected"], health["drones_total"]) == (56, 56)
    assert (health["docks_online"], health["docks_total"]) == (56, 56)
    # The site server runs the fleet and the sample flight; the console's health line repeats its figures.
    assert health["server_present"] is True and health["server_role"] == "active"
    server = health["server"]
    assert server["demo_flights_started"] == 1, health
    assert server["tasks_failed"] == [] and server["mavlink_open_failures"] == []
    assert png.stat().st_size > 10_000
