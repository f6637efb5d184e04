"""The real program in a real X server (Xvfb): it starts, draws, and leaves a screenshot artifact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import run_main

pytestmark = pytest.mark.xvfb


@pytest.fixture
def xvfb() -> Iterator[str]:
    """Starts Xvfb on a free display (it reports the number on a pipe) and yields DISPLAY."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise RuntimeError("Xvfb is not installed; `make test` installs it (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()  # Xvfb writes it once the display accepts clients
    assert number, "Xvfb did not start"
    yield f":{number}"
    proc.terminate()
    proc.wait(5)


def test_console_under_xvfb_renders_a_real_window(xvfb: str, artifacts: Path, tmp_path: Path) -> None:
    """The demo site with drones in the air, as an operator sees it: the artifact is the screenshot to look at."""
    png = artifacts / "console_xvfb.png"
    png.unlink(missing_ok=True)
    result = run_main("--reset-layout", "--demo-flights", "4", "--time-scale", "5", "--smoke", "25", str(png),
                      timeout_s=120, env={"QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb,
                                          "QD_CONSOLE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout.strip().splitlines()[-1])
    # The map drew every drone of the site, and the sample flights are out (none failed or refused).
    assert health["map_drones_drawn"] == health["drones_total"] == 56
    flying = sum(n for state, n in health["tasks_by_state"].items()
                 if state in ("launching", "en_route", "on_scene", "returning", "landing"))
    # The 4 sample flights, plus the one the site's automation sends to the opening forest-fire alert.
    assert flying in (4, 5), health["tasks_by_state"]
    assert not {"failed", "aborted"} & set(health["tasks_by_state"]), health["tasks_by_state"]
    assert 0 < health["map_frame_p50_ms"] <= health["map_frame_p95_ms"]
    # The wall plays the demo's live cameras (3x3 by default; drone feeds take tiles as flights start).
    assert health["wall_layout"] == "3x3" and health["wall_tiles_live"] >= 4, health
    assert health["wall_tiles_error"] == 0
    image = QImage(str(png))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1920, 1080)   # a first start takes the whole screen
    # A real rendering has many colours (text antialiasing, dots, panels), not one flat fill.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
