"""MAVSDK connection URLs of drone links, as a site file's `mavlink` key gives them: checked, and
reduced to what two docks must not share."""

from __future__ import annotations

from urllib.parse import urlsplit

#: Connection URL schemes MAVSDK takes for a drone's link.
MAVLINK_SCHEMES = ("udpin", "udpout", "tcpin", "tcpout", "serial")


def parse_mavlink_url(url: object) -> str:
    """Checks a MAVSDK connection URL (udpin/udpout/tcpin/tcpout/serial) and returns it; ValueError when unusable."""
    if not isinstance(url, str):
        raise ValueError(f"must be a MAVSDK connection URL such as \"udpout://10.1.2.21:14540\", got {url!r}")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in MAVLINK_SCHEMES:
        raise ValueError(f"MAVLink URL must start with {', '.join(s + '://' for s in MAVLINK_SCHEMES)}; got {url!r}")
    if scheme == "serial":
        device, colon, baud = rest.rpartition(":") if ":" in rest else (rest, "", "")
        if not device.strip() or (colon and not baud.isdigit()):
            raise ValueError(f"serial MAVLink URL must be serial://DEVICE or serial://DEVICE:BAUD, got {url!r}")
        return url
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"MAVLink URL has a bad port: {url!r}") from None
    if not parts.hostname or port is None or not 0 < port < 65536 or parts.path not in ("", "/"):
        raise ValueError(f"MAVLink URL must be {scheme}://HOST:PORT with a port 1..65535, got {url!r}")
    return url


def mavlink_link_key(url: str) -> tuple[object, ...]:
    """What two docks must not share: a listening port, a remote address or a serial device."""
    scheme, _, rest = url.partition("://")
    if scheme == "serial":
        return ("serial", rest.rpartition(":")[0] if ":" in rest else rest)
    parts = urlsplit(url)
    if scheme.endswith("in"):
        return (scheme, parts.port)           # any address: 0.0.0.0 and 127.0.0.1 on one port collide
    return (scheme, parts.hostname, parts.port)
