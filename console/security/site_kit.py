"""`init_site`: everything a site's broker, server and consoles need to talk securely, made in one directory
(docs/security.md, "Files init-site writes"), and the regeneration of the broker's password and ACL files after an
account changes, with a reload of a running Mosquitto.

The Mosquitto configuration keeps every setting of deploy/mosquitto-site.conf (persistence, lifted queue limits,
TCP_NODELAY, packet size, logging) and replaces its one anonymous plaintext listener by two TLS listeners: one for
people (user name and password) and one for services (a client certificate signed by the site CA, whose CN is the
user name). There is no plaintext listener at all.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from console.core.roles import Role
from console.security import accounts as acc
from console.security.acl import acl_text, passwd_text
from console.security.pki import Issued, create_ca, issue_broker_cert, issue_client_cert

KIT_FILE = "kit.json"
CONF_FILE = "mosquitto.conf"
PASSWD_FILE = "passwd"
ACL_FILE = "acl"
#: The service accounts every site starts with: its server(s) and the city platform's publisher.
DEFAULT_SERVICES: tuple[tuple[str, str], ...] = (("site-server", "server"), ("site-platform", "platform"))
#: Where a Debian Mosquitto keeps its pid file (deploy/mosquitto-site.conf): `reload_broker` signals that process.
SYSTEM_PID_FILE = Path("/run/mosquitto/mosquitto.pid")
#: Where SiteBroker runs keep their per-run copies (and pid files), so `reload_broker` finds them too.
RUNS_DIR = "run"


class KitError(ValueError):
    """A site directory that cannot be made or used; `str()` is the one line shown to the user."""


@dataclass(frozen=True, slots=True)
class KitSettings:
    """What init-site was asked for, kept in `kit.json` so later commands regenerate the same files."""

    topic_root: str
    hosts: tuple[str, ...]
    port_people: int
    port_services: int


def kit_settings(site_dir: Path) -> KitSettings:
    """The settings of an init-site directory; KitError when `site_dir` is not one."""
    path = Path(site_dir) / KIT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return KitSettings(str(data["topic_root"]), tuple(data["hosts"]), int(data["port_people"]),
                           int(data["port_services"]))
    except FileNotFoundError:
        raise KitError(f"{site_dir} is not a site security directory (no {KIT_FILE}; run `main.py admin "
                       "init-site` first) / 不是站点安全目录") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise KitError(f"{path}: unreadable ({exc!r})") from None


def ca_of(site_dir: Path) -> Issued:
    return Issued(Path(site_dir) / "ca" / "ca.crt", Path(site_dir) / "ca" / "ca.key")


def broker_cert_of(site_dir: Path) -> Issued:
    return Issued(Path(site_dir) / "broker.crt", Path(site_dir) / "broker.key")


def service_cert_of(site_dir: Path, name: str) -> Issued:
    return Issued(Path(site_dir) / "services" / f"{name}.crt", Path(site_dir) / "services" / f"{name}.key")


def mosquitto_conf(site_dir: Path, settings: KitSettings) -> str:
    """The broker's configuration for the files in `site_dir` (absolute paths: Mosquitto reads it from anywhere)."""
    d = Path(site_dir).resolve()
    tls = (f"cafile {d / 'ca' / 'ca.crt'}\n"
           f"certfile {d / 'broker.crt'}\n"
           f"keyfile {d / 'broker.key'}\n")
    return f"""\
# Mosquitto configuration of a secured Qingdao command console site (Mosquitto 2.0), written by
# `main.py admin init-site`; see docs/security.md. Every setting of deploy/mosquitto-site.conf is kept
# (persistence, no queue limits, TCP_NODELAY, 8 MB packets, the log); its anonymous plaintext listener is
# replaced by the two TLS listeners below. There is NO plaintext listener.
#
# Mosquitto refuses a setting given twice, so keep every setting in this one file (no include_dir).

pid_file {SYSTEM_PID_FILE}
user mosquitto

# Each listener has its own authentication (people: passwords; services: certificates).
per_listener_settings true

# --- Listener A: people (consoles) --------------------------------------------------------------
# TLS; a user name and password from `passwd` (made from accounts.json: enabled people only).
listener {settings.port_people}
{tls}require_certificate false
password_file {d / PASSWD_FILE}
acl_file {d / ACL_FILE}
allow_anonymous false

# --- Listener B: services (site server, city platform) -------------------------------------------
# TLS with a client certificate signed by the site CA; its CN is the user name the ACL knows.
listener {settings.port_services}
{tls}require_certificate true
use_identity_as_username true
acl_file {d / ACL_FILE}
allow_anonymous false

# --- Persistence --------------------------------------------------------------------------------
# Sessions, subscriptions, retained messages and queued QoS-1 messages survive a broker restart
# (deploy/mosquitto-site.conf explains each figure).
persistence true
persistence_location /var/lib/mosquitto/
autosave_interval 60
persistent_client_expiration 14d

# --- Queues -------------------------------------------------------------------------------------
# No limit on the messages queued for a client: the default (1,000) silently drops QoS-1 alerts.
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 500
max_inflight_bytes 0

# Requests and replies are small single packets: no Nagle delay (about 40 ms per round trip).
set_tcp_nodelay true

# --- Message size -------------------------------------------------------------------------------
max_packet_size 8388608

# --- Logging ------------------------------------------------------------------------------------
# Connections (and refused sign-ins: "not authorised") are logged with their address.
log_dest file /var/log/mosquitto/mosquitto.log
log_timestamp true
log_timestamp_format %Y-%m-%dT%H:%M:%S
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
"""


def console_snippet(settings: KitSettings, host: str) -> str:
    """The `[broker]` table of a console's site file: the people's listener, trusting the site CA."""
    return f"""\
# [broker] table for the site file of every CONSOLE workstation (written by `main.py admin init-site`).
# Copy ca.crt beside the site file. The user name and password are the person's, given when they sign in.
[broker]
url = "mqtts://{host}:{settings.port_people}"
ca_file = "ca.crt"
"""


def server_snippet(settings: KitSettings, host: str) -> str:
    """The `[broker]` table of the site server's site file: the services' listener with its certificate."""
    return f"""\
# [broker] table for the SITE SERVER's site file (written by `main.py admin init-site`).
# Copy ca.crt, site-server.crt and site-server.key (0600, owned by qdconsole) beside the site file.
[broker]
url = "mqtts://{host}:{settings.port_services}"
ca_file = "ca.crt"
cert_file = "site-server.crt"
key_file = "site-server.key"
"""


def init_site(out_dir: Path | str, *, topic_root: str = "qdcb", hosts: list[str] | tuple[str, ...] = (),
              admin_name: str, admin_password: str, port_people: int = 8883, port_services: int = 8884) -> Path:
    """Makes a new site security directory `out_dir` (which must be empty or absent) and returns it.

    Writes the CA (ca/ca.crt, ca/ca.key), the broker's certificate for localhost, 127.0.0.1 and `hosts`, the
    service accounts `site-server` and `site-platform` with their client certificates (services/), the first
    admin `admin_name`, accounts.json, hashes, passwd, acl, mosquitto.conf and the site-file snippets
    site-console.toml and site-server.toml. KitError/AccountError for bad input (nothing is written then).
    """
    out = Path(out_dir).resolve()
    # Mosquitto's configuration has no quoting: a path with white space would be cut at the space.
    if any(c.isspace() for c in str(out)):
        raise KitError(f"the directory path cannot contain spaces (Mosquitto cannot read it): {out} / 路径不能含空格")
    if out.exists() and any(out.iterdir()):
        raise KitError(f"{out} is not empty; init-site makes a new site directory / 目录非空")
    root = topic_root.strip("/")
    if not root or any(c in root for c in "+#") or any(c.isspace() for c in root):
        raise KitError(f"bad topic root {topic_root!r} / 主题根无效")
    for port in (port_people, port_services):
        if not 0 < port < 65536:
            raise KitError(f"bad port {port} / 端口无效")
    if port_people == port_services:
        raise KitError("the people's and the services' listeners need two different ports / 两个端口必须不同")
    for h in hosts:
        if not h or any(c.isspace() or c in "/,[]" for c in h):
            raise KitError(f"bad host name {h!r} / 主机名无效")
    acc.check_name(admin_name)
    acc.check_password(admin_password)

    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o750)
    settings = KitSettings(root, tuple(hosts), port_people, port_services)
    acc.write_atomic(out / KIT_FILE, json.dumps({"topic_root": root, "hosts": list(hosts), "port_people": port_people,
                                                 "port_services": port_services}, indent=2) + "\n", 0o644)
    ca = create_ca(out / "ca")
    issue_broker_cert(ca, broker_cert_of(out), list(hosts))
    acc.add_person(out, admin_name, Role.ADMIN, admin_password)
    for name, role in DEFAULT_SERVICES:
        acc.add_service(out, name, role)
        issue_client_cert(ca, service_cert_of(out, name), name)
    acc.write_atomic(out / CONF_FILE, mosquitto_conf(out, settings), 0o644)
    host = hosts[0] if hosts else "localhost"
    acc.write_atomic(out / "site-console.toml", console_snippet(settings, host), 0o644)
    acc.write_atomic(out / "site-server.toml", server_snippet(settings, host), 0o644)
    write_broker_files(out)
    return out


def add_service(site_dir: Path | str, name: str, role: str) -> Issued:
    """Adds a service account and issues its client certificate (services/NAME.crt and .key)."""
    site_dir = Path(site_dir)
    kit_settings(site_dir)
    acc.add_service(site_dir, name, role)
    issued = issue_client_cert(ca_of(site_dir), service_cert_of(site_dir, name), name)
    write_broker_files(site_dir)
    return issued


def _write_like(path: Path, text: str) -> None:
    """Writes a broker file atomically, keeping the owner and group of the file it replaces.

    The broker may run as `mosquitto` and reread these files on SIGHUP; a root-owned 0600 replacement would lock
    it out of its own password file. So the new file gets the old one's owner and group, and mode 0640.
    """
    try:
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    acc.write_atomic(path, text, 0o600)
    if st is not None:
        try:
            os.chown(path, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # not root: the file stays ours, as the old one was
    os.chmod(path, 0o640)


def write_broker_files(site_dir: Path | str) -> None:
    """(Re)writes `passwd` and `acl` from accounts.json and the hashes (after any account change)."""
    site_dir = Path(site_dir)
    settings = kit_settings(site_dir)
    accounts = acc.load_accounts(site_dir)
    _write_like(site_dir / PASSWD_FILE, passwd_text(accounts, acc.read_hashes(site_dir)))
    _write_like(site_dir / ACL_FILE, acl_text(accounts, settings.topic_root))


def _is_mosquitto(pid: int) -> bool:
    # A stale pid file may name a pid the system has given to another program since: never signal that one.
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() == "mosquitto"
    except OSError:
        return False


def broker_pid_files(site_dir: Path | str) -> list[Path]:
    """The pid files of brokers that may be serving `site_dir`: the system's and SiteBroker runs'."""
    runs = sorted((Path(site_dir) / RUNS_DIR).glob("*/mosquitto.pid"))
    return [SYSTEM_PID_FILE, *runs]


def reload_broker(site_dir: Path | str) -> list[int]:
    """Asks every running Mosquitto of `site_dir` to reread its password and ACL files (SIGHUP); the pids signalled
    (empty when none runs: the files are read at its next start)."""
    signalled: list[int] = []
    for pid_file in broker_pid_files(site_dir):
        try:
            pid = int(pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if pid in signalled or not _is_mosquitto(pid):
            continue
        try:
            os.kill(pid, signal.SIGHUP)
        except (ProcessLookupError, PermissionError):
            continue
        signalled.append(pid)
    return signalled


def apply_account_change(site_dir: Path | str) -> list[int]:
    """After an account change: rewrites passwd and acl, then reloads a running broker (the pids signalled)."""
    write_broker_files(site_dir)
    return reload_broker(site_dir)
