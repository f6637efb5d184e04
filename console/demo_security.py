"""The demo site's security, generated on the fly (docs/security.md, "The demo"): the same kit a real site gets from
`main.py admin init-site`, and the real Mosquitto running exactly its configuration.

The kit (CA, certificates, account book) is made once in the user's data directory and kept: making it costs key
generation, and a demo that keeps its accounts behaves like a site. The demo dispatcher's password is random,
made with the kit and kept beside it in a file only this user can read, so that a second console attached to the
demo on this machine (`main.py --broker mqtts://127.0.0.1:PORT`) signs it in too; it is the demo's own account,
on a broker that listens on loopback only, never a person's password. The simulator publishes as the site's
platform and the server as the site server, each with its own client certificate on the services' listener.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from console.core.roles import Role
from console.security import accounts as acc
from console.security.site_broker import SiteBroker
from console.security.site_kit import apply_account_change, init_site, service_cert_of

log = logging.getLogger(__name__)

#: The person the demo signs in, and the demo's own administrator (whose password nobody needs: it is random).
DEMO_USER = "demo-dispatcher"
DEMO_ADMIN = "demo-admin"
KIT_DIR = "demo-site-security"
SECRET_FILE = "demo-dispatcher.secret"


@dataclass(frozen=True, slots=True)
class DemoSecurity:
    """A running demo broker and what each part of the demo needs to reach it."""

    site_dir: Path
    broker: SiteBroker
    user: str
    password: str

    @property
    def ca_file(self) -> Path:
        return self.site_dir / "ca" / "ca.crt"

    def service_files(self, name: str) -> list[str]:
        """`--broker URL --broker-ca --broker-cert --broker-key` for a demo child signing in as service `name`."""
        issued = service_cert_of(self.site_dir, name)
        return ["--broker", self.broker.services_url, "--broker-ca", str(self.ca_file),
                "--broker-cert", str(issued.cert), "--broker-key", str(issued.key)]

    def stop(self) -> None:
        self.broker.stop()


def start_demo_security(base_dir: Path) -> DemoSecurity:
    """Makes (once) the demo's site kit under `base_dir` and starts the broker; RuntimeError with the reason when
    Mosquitto is missing or does not start."""
    site_dir = base_dir / KIT_DIR
    secret = site_dir / SECRET_FILE
    if not secret.exists():
        log.info("making the demo site's security kit in %s", site_dir)
        if not (site_dir / "accounts.json").exists():
            init_site(site_dir, admin_name=DEMO_ADMIN, admin_password=secrets.token_urlsafe(18))
        password = secrets.token_urlsafe(18)
        if acc.load_accounts(site_dir).person(DEMO_USER) is None:
            acc.add_person(site_dir, DEMO_USER, Role.DISPATCHER, password)
        else:
            acc.set_password(site_dir, DEMO_USER, password)
        apply_account_change(site_dir)
        acc.write_atomic(secret, password + "\n", 0o600)
    password = secret.read_text(encoding="utf-8").strip()
    broker = SiteBroker(site_dir).start()
    log.info("demo broker (Mosquitto, the generated configuration): people %s, services %s; another console: "
             "main.py --broker %s", broker.people_url, broker.services_url, broker.people_url)
    return DemoSecurity(site_dir, broker, DEMO_USER, password)


def demo_sign_in(base_dir: Path, broker_url: str) -> tuple[Path, str, str] | None:
    """(CA file, user, password) for a console attaching to this machine's demo at `broker_url` (`mqtts://` on
    loopback, the demo's kit present); None for any other broker."""
    parts = urlsplit(broker_url)
    secret = base_dir / KIT_DIR / SECRET_FILE
    if parts.scheme != "mqtts" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or not secret.exists():
        return None
    return base_dir / KIT_DIR / "ca" / "ca.crt", DEMO_USER, secret.read_text(encoding="utf-8").strip()
