"""The site file: which broker, which docks and drones, which limits a command hall works with.

A site file is TOML. It is read once at start; every problem in it is reported as one
`SiteFileError` naming the file, the line, the field and what is wrong, so that IT staff
can fix it without reading a traceback.

Example::

    [site]
    name = "青岛市演示站点"
    topic_root = "qdcb"          # optional, default "qdcb"
    max_altitude_agl_m = 120     # optional, default 120
    basemap = "map/qingdao.geojson"       # optional; paths are relative to the site file
    cameras = "demo_cameras.npz"          # optional camera registry
    nofly = "demo_nofly.geojson"          # optional no-fly zones
    video_base_url = "http://127.0.0.1:18080"  # optional; relative stream URLs ("/camera/x.mjpg") join it

    [broker]
    url = "mqtt://127.0.0.1:1883"   # or mqtts://; optional when the demo site supplies one
    username = ""                   # optional
    password = ""                   # optional
    ca_file = "ca.crt"              # optional, mqtts://: the site CA to trust (default: the system's CAs)
    cert_file = "site-server.crt"   # optional, mqtts://: this program's client certificate (service accounts)
    key_file = "site-server.key"    # optional: its key; paths are relative to the site file (docs/security.md)

    [journal]                       # optional: a site server pair's shared journal database
    url = "postgresql:///qd?host=/run/postgresql&user=qd"   # libpq URL; default: SQLite files

    [security]                      # optional (docs/security.md)
    accounts_dir = "/etc/qd-console/site"   # the site server: the account book `main.py admin` keeps
    idle_lock_min = 15              # consoles: lock the screen after this long untouched (0: never)

    [[docks]]
    id = "SN01"
    name = "五四广场"
    district = "shinan"            # shinan | shibei | licang | laoshan
    lat = 36.0617
    lon = 120.3844
    ground_alt_m = 8.0
    dock_sn = "QDDOCK0001"
    sysid = 1                      # MAVLink system id of the dock's drone, unique
    port = 14540                   # optional, default 14539 + sysid (PX4 SITL numbering)
    mavlink = "udpout://10.1.2.21:14540"  # optional, default "udpin://0.0.0.0:{port}"
    video_url = "http://..."       # optional

    [[automation.rules]]           # optional: alerts dispatched without a click (default: none)
    categories = ["forest_fire_smoke"]
    max_level = 1                  # this level or more severe (1 is the most severe)
    districts = ["laoshan"]        # optional, default anywhere

`[autopilot.params]` (optional) sets PX4 parameters on every drone of the site, as the site's
ground crew sets them on a real drone: NAME = number, NAME a PX4 parameter name (capitals, digits
and `_`, at most 16 characters). The simulator applies them to every simulated drone at start and a
PX4 SITL launcher (`main.py sim --px4`) passes the same table; a parameter left out keeps
PX4's default (drones/sim/px4.py), e.g. `NAV_DLL_ACT` 0: no action on a lost link::

    [autopilot.params]
    NAV_DLL_ACT = 2        # data-link loss: return home
    MPC_XY_CRUISE = 10.0   # mission cruise speed, m/s

`[site]` may also set `min_ready_per_district` (default 2): automation never takes a district's
ready docks below this many; and `require_link_loss_action` (default false): refuse to launch a
drone whose data-link loss action (PX4 `NAV_DLL_ACT`) is "none" or not known, instead of warning.

A dock's `mavlink` is the full MAVSDK connection URL of its drone: `udpin://HOST:PORT` (the console
listens; the drone must send first), `udpout://HOST:PORT` (the console sends heartbeats to the drone
from the start and the autopilot answers it; PX4 keeps the first peer that talked to it, the simulator
the last; the console binds no fixed port), `tcpin://`, `tcpout://` or `serial://DEVICE[:BAUD]`. Without it the console listens
on `udpin://0.0.0.0:{port}`. `port` stays the dock's number in the site's port plan
(docs/architecture.md, "Demo site and port plan"): the simulator's `--console-host` mode sends there first.
Ports and links are unique: no two docks share a port, a listening port, a remote address or a
serial device.

`[journal] url` (optional) puts the task and alert journals in one PostgreSQL database that an active
site server and its standby share (docs/architecture.md, "Journals"): a `postgresql://` or `postgres://`
URL in libpq's form. Without it each server keeps SQLite files in its data directory.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from drones.journal_db import PG_SCHEMES
from drones.mavlink_url import mavlink_link_key, parse_mavlink_url
from drones.site_toml import TOML_SYNTAX_POS, TomlLocator, require_field

#: Districts the console knows; their display names live in the UI's translations.
DISTRICTS: tuple[str, ...] = ("shinan", "shibei", "licang", "laoshan")
#: PX4 SITL numbering: the drone with system id N talks to UDP port MAVLINK_PORT_BASE + N.
MAVLINK_PORT_BASE = 14539
DEFAULT_TOPIC_ROOT = "qdcb"
DEFAULT_MAX_ALTITUDE_AGL_M = 120.0
DEFAULT_MIN_READY_PER_DISTRICT = 2
#: A PX4 parameter name: PX4 stores at most 16 characters, upper case, digits and underscores.
PX4_PARAM_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,15}")


class SiteFileError(Exception):
    """A site file that cannot be used; `str()` is the one-line message shown to the user."""

    def __init__(self, path: Path | str, problem: str, *, line: int | None = None, field_name: str | None = None):
        self.path = Path(path)
        self.line = line
        self.field_name = field_name
        self.problem = problem
        where = f"{self.path}:{line}" if line else str(self.path)
        what = f"{field_name}: {problem}" if field_name else problem
        super().__init__(f"{where}: {what}")


#: A console untouched this long locks its screen, unless the site file says otherwise.
DEFAULT_IDLE_LOCK_S = 15 * 60.0

@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """How to reach the site's MQTT broker (and, for `mqtts://`, whom to trust and who we are: docs/security.md)."""

    url: str
    username: str | None = None
    password: str | None = None
    #: The site CA's certificate to verify the broker with; None: the system's trusted CAs.
    ca_file: Path | None = None
    #: A client certificate and its key (a service account on the services' listener); None: none sent.
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"


@dataclass(frozen=True, slots=True)
class Dock:
    """One automatic drone dock and the MAVLink identity of the drone that lives in it."""

    id: str
    name: str
    district: str
    lat: float
    lon: float
    ground_alt_m: float
    dock_sn: str
    sysid: int
    port: int
    video_url: str | None = None
    #: Full MAVSDK connection URL of the drone's link, when the site file (or the demo) gives one.
    mavlink: str | None = None

    @property
    def mavlink_url(self) -> str:
        """How the console's MAVSDK connects to this drone: `mavlink`, else one UDP port of its own to listen on
        (a port shared by several drones would send every command to all of them)."""
        return self.mavlink or f"udpin://0.0.0.0:{self.port}"


@dataclass(frozen=True, slots=True)
class AutomationRule:
    """Alerts of these categories, at `max_level` or more severe, in these districts (empty: any),
    are dispatched without an operator's click (docs/architecture.md, "Automation")."""

    categories: tuple[str, ...]
    max_level: int = 1
    districts: tuple[str, ...] = ()

    def matches(self, category: str, level: int, district: str | None) -> bool:
        return (category in self.categories and level <= self.max_level
                and (not self.districts or district in self.districts))


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the console needs to know about one command hall's equipment."""

    name: str
    path: Path | None
    broker: BrokerConfig | None
    docks: tuple[Dock, ...] = field(default_factory=tuple)
    topic_root: str = DEFAULT_TOPIC_ROOT
    max_altitude_agl_m: float = DEFAULT_MAX_ALTITUDE_AGL_M
    basemap_path: Path | None = None
    cameras_path: Path | None = None
    nofly_path: Path | None = None
    video_base_url: str | None = None
    automation: tuple[AutomationRule, ...] = ()
    min_ready_per_district: int = DEFAULT_MIN_READY_PER_DISTRICT
    require_link_loss_action: bool = False
    #: PX4 parameters every drone of the site carries (`[autopilot.params]`): name -> int or float as written.
    autopilot_params: Mapping[str, int | float] = field(default_factory=dict)
    #: `[journal] url`: the PostgreSQL database of the site server's journals; None: SQLite files.
    journal_url: str | None = None
    #: `[security] accounts_dir`: the site's account book (the server checks every request's role against it).
    accounts_dir: Path | None = None
    #: `[security] idle_lock_min`, in seconds: a console untouched this long locks its screen (0: never).
    idle_lock_s: float = DEFAULT_IDLE_LOCK_S

    def with_broker(self, broker: BrokerConfig) -> Site:
        """The same site, talking to another broker (`--broker`, or the demo's embedded one)."""
        return replace(self, broker=broker)

    def with_mavlink(self, urls: Mapping[int, str]) -> Site:
        """The same site, the drones of these system ids reached at these MAVSDK connection URLs (the demo
        simulator's `udpout://` ports); ValueError for a bad URL, an unknown system id or a shared link."""
        known = {d.sysid for d in self.docks}
        unknown = sorted(set(urls) - known)
        if unknown:
            raise ValueError(f"no dock with MAVLink system id {unknown[0]}")
        docks = tuple(replace(d, mavlink=parse_mavlink_url(urls[d.sysid])) if d.sysid in urls else d
                      for d in self.docks)
        links: dict[tuple[object, ...], str] = {}
        for d in docks:
            key = mavlink_link_key(d.mavlink_url)
            if key in links:
                raise ValueError(f"docks {links[key]!r} and {d.id!r} would share the MAVLink link {d.mavlink_url}")
            links[key] = d.id
        return replace(self, docks=docks)

    def with_video_base(self, url: str) -> Site:
        """The same site, its relative stream URLs served from `url` (the demo simulator's video server)."""
        return replace(self, video_base_url=url.rstrip("/"))

    def stream_url(self, url: str | None) -> str | None:
        """An absolute stream URL: relative ones ("/camera/x.mjpg") are joined to `video_base_url`."""
        if not url or "://" in url or self.video_base_url is None:
            return url
        return self.video_base_url + ("" if url.startswith("/") else "/") + url


def parse_broker_url(url: str) -> BrokerConfig:
    """Checks an `mqtt://` / `mqtts://` URL and returns it as a config; ValueError when unusable."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"broker URL has no host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"broker URL has a bad port: {url!r}") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"broker URL has a bad port: {url!r}")
    clean = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
    return BrokerConfig(clean, parts.username, parts.password)


def load_site(path: Path | str) -> Site:
    """Reads and checks a site file; raises SiteFileError with file, line and field on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteFileError(path, f"cannot read the file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        pos = TOML_SYNTAX_POS.search(msg)
        line = int(pos.group(1)) if pos else None
        raise SiteFileError(path, f"TOML syntax error: {TOML_SYNTAX_POS.sub('', msg).strip()}", line=line) from None
    return site_from_dict(data, path=path, locator=TomlLocator(text))


def site_from_dict(data: dict[str, Any], *, path: Path | str = "<site>", locator: TomlLocator | None = None) -> Site:
    """Builds a Site from parsed TOML data, checking every field."""
    path = Path(path)
    loc = locator or TomlLocator("")

    def fail(problem: str, field_name: str, table: str, key: str | None = None, index: int | None = None) -> SiteFileError:
        line = loc.key_line(table, key, index) if key else loc.table_line(table, index)
        return SiteFileError(path, problem, line=line, field_name=field_name)

    site_tab = data.get("site")
    if not isinstance(site_tab, dict):
        raise SiteFileError(path, "missing [site] table", field_name="site")
    name = require_field(site_tab, "name", str, lambda p, k: fail(p, f"site.{k}", "site", k))
    topic_root = site_tab.get("topic_root", DEFAULT_TOPIC_ROOT)
    if not isinstance(topic_root, str) or not re.fullmatch(r"[A-Za-z0-9_\-/]+", topic_root):
        raise fail("must be a plain MQTT topic prefix (letters, digits, _ - /)", "site.topic_root", "site", "topic_root")
    max_alt = site_tab.get("max_altitude_agl_m", DEFAULT_MAX_ALTITUDE_AGL_M)
    if isinstance(max_alt, bool) or not isinstance(max_alt, (int, float)) or not 0 < max_alt <= 500:
        raise fail("must be a number of metres between 0 and 500", "site.max_altitude_agl_m", "site", "max_altitude_agl_m")

    files: dict[str, Path | None] = {}
    for key in ("basemap", "cameras", "nofly"):
        value = site_tab.get(key)
        if value is None:
            files[key] = None
            continue
        if not isinstance(value, str) or not value.strip():
            raise fail("must be a file path", f"site.{key}", "site", key)
        file = (path.parent / value) if not Path(value).is_absolute() else Path(value)
        if not file.exists():
            raise fail(f"file not found: {file}", f"site.{key}", "site", key)
        files[key] = file
    video_base = site_tab.get("video_base_url")
    if video_base is not None and (not isinstance(video_base, str) or "://" not in video_base):
        raise fail("must be a URL such as http://host:port", "site.video_base_url", "site", "video_base_url")

    min_ready = site_tab.get("min_ready_per_district", DEFAULT_MIN_READY_PER_DISTRICT)
    if isinstance(min_ready, bool) or not isinstance(min_ready, int) or not 0 <= min_ready <= 254:
        raise fail("must be a whole number of docks, 0..254", "site.min_ready_per_district", "site",
                   "min_ready_per_district")

    require_dll = site_tab.get("require_link_loss_action", False)
    if not isinstance(require_dll, bool):
        raise fail("must be true or false", "site.require_link_loss_action", "site", "require_link_loss_action")

    broker: BrokerConfig | None = None
    broker_tab = data.get("broker")
    if broker_tab is not None:
        if not isinstance(broker_tab, dict):
            raise SiteFileError(path, "must be a table", field_name="broker")
        url = require_field(broker_tab, "url", str, lambda p, k: fail(p, f"broker.{k}", "broker", k))
        try:
            parsed = parse_broker_url(url)
        except ValueError as exc:
            raise fail(str(exc), "broker.url", "broker", "url") from None
        user = broker_tab.get("username") or parsed.username
        password = broker_tab.get("password") or parsed.password
        tls_files: dict[str, Path | None] = {}
        for key in ("ca_file", "cert_file", "key_file"):
            value = broker_tab.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise fail("must be a file path", f"broker.{key}", "broker", key)
            tls_files[key] = (path.parent / value) if value else None  # relative to the site file
        if (tls_files["cert_file"] is None) != (tls_files["key_file"] is None):
            raise fail("cert_file and key_file go together", "broker.cert_file", "broker", "cert_file")
        broker = BrokerConfig(parsed.url, user or None, password or None, **tls_files)

    journal_url = _journal_url(data.get("journal"), path, fail)
    accounts_dir, idle_lock_s = _security(data.get("security"), path, fail)

    raw_docks = data.get("docks", [])
    if not isinstance(raw_docks, list):
        raise SiteFileError(path, "must be an array of tables ([[docks]])", field_name="docks")
    docks: list[Dock] = []
    by_sysid: dict[int, int] = {}
    by_id: dict[str, int] = {}
    by_port: dict[int, int] = {}
    by_link: dict[tuple[object, ...], int] = {}
    for i, raw in enumerate(raw_docks):
        def dfail(problem: str, key: str | None = None, _i: int = i) -> SiteFileError:
            return fail(problem, f"docks[{_i}]" + (f".{key}" if key else ""), "docks", key, _i)

        def req(key: str, kind: type | tuple[type, ...], _raw: dict = raw) -> Any:
            return require_field(_raw, key, kind, lambda p, k: dfail(p, k))

        dock_id = req("id", str)
        lat = req("lat", (int, float))
        lon = req("lon", (int, float))
        if not -90.0 <= lat <= 90.0:
            raise dfail(f"latitude {lat} is outside -90..90", "lat")
        if not -180.0 <= lon <= 180.0:
            raise dfail(f"longitude {lon} is outside -180..180", "lon")
        district = req("district", str)
        if district not in DISTRICTS:
            raise dfail(f"unknown district {district!r} (one of {', '.join(DISTRICTS)})", "district")
        sysid = req("sysid", int)
        if not 1 <= sysid <= 254:
            raise dfail(f"MAVLink system id {sysid} is outside 1..254", "sysid")
        port = raw.get("port", MAVLINK_PORT_BASE + sysid)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise dfail("must be a UDP port number 1..65535", "port")
        if sysid in by_sysid:
            other = raw_docks[by_sysid[sysid]].get("id")
            raise dfail(f"duplicate MAVLink system id {sysid} (also used by docks[{by_sysid[sysid]}] {other!r}); "
                        "drones with the same id would merge into one", "sysid")
        if dock_id in by_id:
            raise dfail(f"duplicate dock id {dock_id!r} (also docks[{by_id[dock_id]}])", "id")
        if port in by_port:
            raise dfail(f"UDP port {port} already used by docks[{by_port[port]}]", "port")
        mavlink = raw.get("mavlink")
        try:
            if mavlink is not None:
                parse_mavlink_url(mavlink)
        except ValueError as exc:
            raise dfail(str(exc), "mavlink") from None
        link = mavlink_link_key(mavlink or f"udpin://0.0.0.0:{port}")
        if link in by_link:
            raise dfail(f"MAVLink link {mavlink or f'udpin port {port}'} already used by docks[{by_link[link]}]",
                        "mavlink" if mavlink else "port")
        by_sysid[sysid], by_id[dock_id], by_port[port], by_link[link] = i, i, i, i
        ground = raw.get("ground_alt_m", 0.0)
        if isinstance(ground, bool) or not isinstance(ground, (int, float)):
            raise dfail("must be a number of metres", "ground_alt_m")
        video = raw.get("video_url")
        if video is not None and not isinstance(video, str):
            raise dfail("must be a URL string", "video_url")
        docks.append(Dock(
            id=dock_id, name=req("name", str), district=district, lat=float(lat), lon=float(lon),
            ground_alt_m=float(ground), dock_sn=req("dock_sn", str), sysid=sysid, port=port,
            video_url=video, mavlink=mavlink,
        ))
    return Site(name=name, path=path, broker=broker, docks=tuple(docks), topic_root=topic_root.strip("/"),
                max_altitude_agl_m=float(max_alt), basemap_path=files["basemap"], cameras_path=files["cameras"],
                nofly_path=files["nofly"], video_base_url=video_base.rstrip("/") if video_base else None,
                automation=_automation(data.get("automation"), path, fail), min_ready_per_district=min_ready,
                require_link_loss_action=require_dll, autopilot_params=_autopilot(data.get("autopilot"), path, fail),
                journal_url=journal_url, accounts_dir=accounts_dir, idle_lock_s=idle_lock_s)


def _security(table: Any, path: Path, fail: Any) -> tuple[Path | None, float]:
    """The optional `[security]` table: `accounts_dir` (relative to the site file) and `idle_lock_min`."""
    if table is None:
        return None, DEFAULT_IDLE_LOCK_S
    if not isinstance(table, dict):
        raise SiteFileError(path, "must be a table", field_name="security")
    unknown = sorted(set(table) - {"accounts_dir", "idle_lock_min"})
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (only accounts_dir, idle_lock_min)", f"security.{unknown[0]}",
                   "security", unknown[0])
    accounts = table.get("accounts_dir")
    if accounts is not None and (not isinstance(accounts, str) or not accounts.strip()):
        raise fail("must be a directory path", "security.accounts_dir", "security", "accounts_dir")
    idle = table.get("idle_lock_min", DEFAULT_IDLE_LOCK_S / 60)
    if isinstance(idle, bool) or not isinstance(idle, int | float) or idle < 0:
        raise fail("must be a number of minutes, 0 or more", "security.idle_lock_min", "security", "idle_lock_min")
    return (path.parent / accounts if accounts else None), float(idle) * 60


def _journal_url(table: Any, path: Path, fail: Any) -> str | None:
    """The optional `[journal]` table: `url`, a PostgreSQL URL."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise SiteFileError(path, "must be a table", field_name="journal")
    unknown = sorted(set(table) - {"url"})
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (only url)", f"journal.{unknown[0]}", "journal", unknown[0])
    url = table.get("url")
    if url is None:
        raise fail("missing required field", "journal.url", "journal")
    if not isinstance(url, str) or not url.startswith(PG_SCHEMES):
        raise fail("must be a PostgreSQL URL starting with postgresql:// or postgres:// "
                   "(e.g. postgresql:///qd?host=/run/postgresql&user=qd)", "journal.url", "journal", "url")
    return url


def _autopilot(table: Any, path: Path, fail: Any) -> dict[str, int | float]:
    """The optional `[autopilot]` table: `[autopilot.params]` with PX4 parameter names and numbers."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise SiteFileError(path, "must be a table", field_name="autopilot")
    unknown = sorted(set(table) - {"params"})
    if unknown:
        key = unknown[0]
        if isinstance(table[key], dict):   # a [autopilot.KEY] table of its own
            raise fail(f"unknown key {key!r} (only [autopilot.params])", f"autopilot.{key}", f"autopilot.{key}")
        raise fail(f"unknown key {key!r} (only [autopilot.params])", f"autopilot.{key}", "autopilot", key)
    raw = table.get("params", {})
    if not isinstance(raw, dict):
        raise fail("must be a table of PX4 parameters ([autopilot.params])", "autopilot.params", "autopilot", "params")
    params: dict[str, int | float] = {}
    for name, value in raw.items():
        if not PX4_PARAM_NAME.fullmatch(name):
            raise fail("is not a PX4 parameter name (capitals, digits and _, at most 16 characters)",
                       f"autopilot.params.{name}", "autopilot.params", name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise fail(f"must be a number, got {value!r}", f"autopilot.params.{name}", "autopilot.params", name)
        params[name] = value
    return params


def _automation(table: Any, path: Path, fail: Any) -> tuple[AutomationRule, ...]:
    """The optional `[automation]` table: `[[automation.rules]]` with categories, max_level, districts."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise SiteFileError(path, "must be a table", field_name="automation")
    unknown = sorted(set(table) - {"rules"})
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (only [[automation.rules]])", f"automation.{unknown[0]}",
                   "automation", unknown[0])
    raw_rules = table.get("rules", [])
    if not isinstance(raw_rules, list):
        raise fail("must be an array of tables ([[automation.rules]])", "automation.rules", "automation", "rules")
    rules: list[AutomationRule] = []
    for i, raw in enumerate(raw_rules):
        def rfail(problem: str, key: str | None = None, _i: int = i) -> SiteFileError:
            return fail(problem, f"automation.rules[{_i}]" + (f".{key}" if key else ""), "automation.rules", key, _i)

        if not isinstance(raw, dict):
            raise rfail("must be a table")
        unknown = sorted(set(raw) - {"categories", "max_level", "districts"})
        if unknown:
            raise rfail(f"unknown key {unknown[0]!r} (categories, max_level, districts)", unknown[0])
        categories = raw.get("categories")
        if (not isinstance(categories, list) or not categories
                or not all(isinstance(c, str) and re.fullmatch(r"[a-z0-9_]+", c) for c in categories)):
            raise rfail("must be a non-empty list of category names such as \"forest_fire_smoke\"", "categories")
        max_level = raw.get("max_level", 1)
        if isinstance(max_level, bool) or not isinstance(max_level, int) or not 1 <= max_level <= 4:
            raise rfail("must be an alert level 1..4", "max_level")
        districts = raw.get("districts", [])
        if not isinstance(districts, list) or not all(isinstance(d, str) and d in DISTRICTS for d in districts):
            raise rfail(f"must be a list of districts ({', '.join(DISTRICTS)})", "districts")
        rules.append(AutomationRule(tuple(categories), max_level, tuple(districts)))
    return tuple(rules)
