"""A dock's `mavlink` connection URL: checked in the site file, unique per link, and set by the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from drones.mavlink_url import parse_mavlink_url
from drones.site import SiteFileError, load_site
from tests.drones.test_site import GOOD, error_of, line_of, write

OUT = 'mavlink = "udpout://127.0.0.1:40123"'


def with_link(dock_index: int, line: str, text: str = GOOD) -> str:
    """GOOD with `line` added to dock `dock_index` (after its sysid)."""
    sysid = f"sysid = {dock_index + 1}\n"
    return text.replace(sysid, sysid + line + "\n", 1)


def test_a_dock_may_name_its_full_connection_url(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, with_link(0, OUT)))
    assert site.docks[0].mavlink_url == "udpout://127.0.0.1:40123"
    assert site.docks[0].port == 14540           # still its number in the port plan
    assert site.docks[1].mavlink is None and site.docks[1].mavlink_url == "udpin://0.0.0.0:15000"


@pytest.mark.parametrize("url", ["udpin://0.0.0.0:14540", "udpout://10.1.2.21:14540", "tcpin://0.0.0.0:5760",
                                 "tcpout://192.168.1.5:5760", "serial:///dev/ttyUSB0:57600", "serial:///dev/ttyACM0",
                                 "serial://COM3:115200"])
def test_every_mavsdk_scheme_is_taken(url: str) -> None:
    assert parse_mavlink_url(url) == url


@pytest.mark.parametrize("line", ['mavlink = "udp://127.0.0.1:1"', 'mavlink = "http://h:1"', 'mavlink = "udpout://h"',
                                  'mavlink = "udpout://:14540"', 'mavlink = "udpin://0.0.0.0:70000"',
                                  'mavlink = "udpout://h:x"', 'mavlink = "serial://"', 'mavlink = "serial:///dev/x:fast"',
                                  "mavlink = 14540", 'mavlink = "127.0.0.1:14540"'])
def test_a_bad_connection_url_names_its_line_and_field(tmp_path: Path, line: str) -> None:
    text = with_link(1, line)
    err = error_of(tmp_path, text)
    assert err.field_name == "docks[1].mavlink"
    assert err.line == line_of(text, line)


@pytest.mark.parametrize(("first", "second"), [
    (None, 'mavlink = "udpin://127.0.0.1:14540"'),               # listens on dock 0's default port
    (OUT, OUT),                                                  # one remote address for two drones
    ('mavlink = "serial:///dev/ttyUSB0:57600"', 'mavlink = "serial:///dev/ttyUSB0:921600"'),
])
def test_two_docks_never_share_a_link(tmp_path: Path, first: str | None, second: str) -> None:
    text = with_link(1, second, with_link(0, first) if first else GOOD)
    err = error_of(tmp_path, text)
    assert err.field_name == "docks[1].mavlink" and "already used by docks[0]" in str(err)


def test_links_of_different_kinds_may_use_one_port_number(tmp_path: Path) -> None:
    text = with_link(1, 'mavlink = "tcpin://0.0.0.0:14540"')      # dock 0 listens on UDP 14540
    assert load_site(write(tmp_path, text)).docks[1].mavlink_url == "tcpin://0.0.0.0:14540"


def test_with_mavlink_points_the_drones_at_the_simulators_ports(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    demo = site.with_mavlink({2: "udpout://127.0.0.1:40999"})
    assert [d.mavlink_url for d in demo.docks] == ["udpin://0.0.0.0:14540", "udpout://127.0.0.1:40999"]
    assert site.docks[1].mavlink is None                         # a new site; the old one is unchanged
    with pytest.raises(ValueError, match="system id 7"):
        site.with_mavlink({7: "udpout://127.0.0.1:40999"})
    with pytest.raises(ValueError, match="MAVLink URL"):
        site.with_mavlink({1: "udp://127.0.0.1:40999"})
    with pytest.raises(ValueError, match="share"):
        site.with_mavlink({1: "udpout://127.0.0.1:40999", 2: "udpout://127.0.0.1:40999"})


def test_the_error_is_a_site_file_error_with_the_file_name(tmp_path: Path) -> None:
    err = error_of(tmp_path, with_link(0, 'mavlink = "udp://x:1"'))
    assert isinstance(err, SiteFileError) and str(err).startswith(str(tmp_path / "site.toml"))
