"""The real program in a real X server (Xvfb): it starts, draws, and leaves a screenshot artifact."""

from __future__ import annotations

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


def test_console_under_xvfb_renders_a_real_window(xvfb: str, artifacts: Path) -> None:
    png = artifacts / "console_xvfb.png"
    png.unlink(missing_ok=True)
    result = run_main("--reset-layout", "--smoke", "3", str(png), timeout_s=90,
                      env={"QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb})
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1600, 960)
    # A real rendering has many colours (text antialiasing, dots, panels), not one flat fill.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
