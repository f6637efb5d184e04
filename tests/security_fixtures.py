"""A secured site broker for tests: `secured_broker` runs a real Mosquitto with exactly the configuration
`init_site` writes (console/security/site_broker.py) and lets a test add accounts with known passwords.

Use it from any test (the fixture is imported by tests/conftest.py)::

    def test_x(secured_broker: SecuredSite) -> None:
        secured_broker.add_user("viewer1", Role.VIEWER)
        assert connect_error(secured_broker.person("viewer1")) is None
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import aiomqtt
import pytest

from console.core.roles import Role
from console.security import accounts
from console.security.site_broker import SiteBroker
from console.security.site_kit import apply_account_change, init_site, service_cert_of
from drones.mqtt_tls import tls_context_for
from console.server.authorize import book_lookup
from drones.site import BrokerConfig, Dock, Site, parse_broker_url

if TYPE_CHECKING:   # imported where used: they import tests.conftest, which imports this module
    from tests.drones.task_harness import SiteThread
    from tests.site_server import InProcessServer

ADMIN = "admin"
ADMIN_PASSWORD = "admin-secret-0001"
ROOT = "qdcb"


def connect_error(broker: BrokerConfig, timeout_s: float = 5.0) -> str | None:
    """None when a client can connect to `broker` (then it disconnects), else why not."""
    async def attempt() -> None:
        async with aiomqtt.Client(broker.host, broker.port, username=broker.username, password=broker.password,
                                  tls_context=tls_context_for(broker), timeout=timeout_s,
                                  protocol=aiomqtt.ProtocolVersion.V311):
            pass

    try:
        asyncio.run(attempt())
    except aiomqtt.MqttError as exc:
        return str(exc) or type(exc).__name__
    except OSError as exc:  # TLS refused at the handshake (ssl.SSLError is an OSError)
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class SecuredSite:
    """A running secured broker, its site directory and the passwords of the accounts a test made."""

    broker: SiteBroker
    site_dir: Path
    root: str = ROOT
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.site_dir / "ca" / "ca.crt"

    def person(self, name: str, password: str | None = None, *, url: str | None = None) -> BrokerConfig:
        """How person `name` connects: the people's listener, TLS with the site CA, their password."""
        cfg = parse_broker_url(url or self.broker.people_url)
        return BrokerConfig(cfg.url, name, self.passwords.get(name, "") if password is None else password,
                            ca_file=self.ca_file)

    def service(self, name: str = "site-server", *, with_cert: bool = True) -> BrokerConfig:
        """How service `name` connects: the services' listener, TLS, its client certificate."""
        issued = service_cert_of(self.site_dir, name)
        return BrokerConfig(self.broker.services_url, ca_file=self.ca_file,
                            cert_file=issued.cert if with_cert else None, key_file=issued.key if with_cert else None)

    def add_user(self, name: str, role: Role, password: str | None = None, *, wait_s: float = 10.0) -> str:
        """Adds an enabled person, reloads the broker and returns once they can sign in; their password."""
        password = password or f"{name}-password-42"
        accounts.add_person(self.site_dir, name, role, password)
        self.passwords[name] = password
        apply_account_change(self.site_dir)
        wait_for_connect(self.person(name), True, wait_s)
        return password


def wait_for_connect(broker: BrokerConfig, accepted: bool, timeout_s: float = 10.0) -> str | None:
    """Waits until connecting to `broker` is accepted (or refused, per `accepted`), e.g. after a reload."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        error = connect_error(broker)
        if (error is None) == accepted:
            return error
        if time.monotonic() > deadline:
            raise AssertionError(f"{broker.username or 'client'} still {'refused' if accepted else 'accepted'} "
                                 f"after {timeout_s} s ({error})")
        time.sleep(0.05)  # polling interval of a condition wait


@pytest.fixture
def secured_broker(tmp_path: Path) -> Iterator[SecuredSite]:
    """A real Mosquitto running a fresh init-site directory (admin `admin`), on two loopback ports of its own."""
    if shutil.which("mosquitto_pub") is None:
        raise RuntimeError("mosquitto_pub is not installed; `make sysdeps-test` installs it (mosquitto-clients)")
    site_dir = init_site(tmp_path / "site", topic_root=ROOT, admin_name=ADMIN, admin_password=ADMIN_PASSWORD)
    broker = SiteBroker(site_dir).start()
    try:
        yield SecuredSite(broker, site_dir, passwords={ADMIN: ADMIN_PASSWORD})
    finally:
        broker.stop()



@dataclass
class SecuredScene:
    """One simulated dock and drone publishing as the site's platform, and a site server signed in with its
    certificate that checks the site's account book: the secured site a console or a hand-made client faces."""

    site: SecuredSite
    dock: Dock
    sim: SiteThread
    server: InProcessServer


@pytest.fixture
def secured_scene(secured_broker: SecuredSite, tmp_path: Path) -> Iterator[SecuredScene]:
    from tests.drones.sim.conftest import make_docks
    from tests.drones.task_harness import SiteThread
    from tests.site_server import InProcessServer

    site = secured_broker
    dock = make_docks(1)[0]
    platform = site.service("site-platform")
    sim = SiteThread(Site("安全测试", None, platform, (dock,)), platform.url, broker=platform)
    try:
        server = InProcessServer(replace(sim.console_site, broker=site.service("site-server"),
                                         accounts_dir=site.site_dir), tmp_path / "server",
                                 accounts=book_lookup(site.site_dir))
    except BaseException:
        sim.close()
        raise
    try:
        yield SecuredScene(site, dock, sim, server)
    finally:
        server.close()
        sim.close()
