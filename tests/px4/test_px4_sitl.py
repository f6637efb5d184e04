"""The PX4 launcher itself: a build found or refused with a reason, mended links, and instance numbers that clash."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from drones.sim.px4_sitl import ONBOARD_PORT_BASE, Px4Sitl, Px4Unavailable, find_px4, working_copy
from tests.px4.conftest import SPEED_FACTOR


def test_an_unset_or_wrong_build_directory_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(Px4Unavailable, match="PX4_SITL_DIR is not set"):
        find_px4({})
    with pytest.raises(Px4Unavailable, match="has no bin/px4"):
        find_px4({"PX4_SITL_DIR": str(tmp_path)})


def test_the_working_copy_has_module_links_px4_can_run(px4_build: Path, tmp_path: Path) -> None:
    root = working_copy(px4_build, cache=tmp_path)
    commander = root / "bin" / "px4-commander"
    assert commander.is_symlink() or commander.stat().st_size > 16
    assert commander.resolve() == (root / "bin" / "px4").resolve()
    assert working_copy(px4_build, cache=tmp_path) == root   # made once


def test_an_instance_whose_port_is_taken_is_replaced_by_the_next_number(px4_build: Path, tmp_path: Path) -> None:
    # Find two adjacent instance numbers whose onboard ports this test can hold, and hold the first one's.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for n in range(150, 199):
            try:
                probe.bind(("127.0.0.1", ONBOARD_PORT_BASE + n))
                break
            except OSError:
                continue
        else:
            pytest.fail("no onboard port of instances 150-198 could be held")
        sitl = Px4Sitl(px4_build, tmp_path / "run", speed_factor=SPEED_FACTOR, instance_numbers=range(n, 200), spread=False)
        try:
            inst = sitl.start(7, 36.07, 120.38, 10.0)
            assert inst.instance > n
            assert inst.alive()
            assert "bind failed" not in inst.log_text()
            assert "MAV_SYS_ID: curr" in inst.log_text() and "-> new: 7" in inst.log_text()
        finally:
            sitl.close()
