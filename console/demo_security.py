"""The demo site's security, generated on the fly (docs/security.md, "The demo"): the same kit a real site gets from
`main.py admin init-site`, and the real Mosquitto running exactly its configuration.

The kit (CA, certificates, account book) is made once per console data directory and kept: making it costs
key generation, and a demo that keeps its accounts behaves like a site. The demo dispatcher's password is new on
every start and never written down except as the broker's hash: the console that starts the demo signs it in by
itself. The simulator publishes as the site's platform and the server as the site server, each with its own
client certificate on the services' listener.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from console.core.roles import Role
from console.security import accounts as acc
from console.security.site_broker import SiteBroker
from console.security.site_kit import apply_account_change, init_site, service_cert_of

log = logging.getLogger(__name__)

#: The person the demo signs in, and the demo's own administrator (whose password nobody needs: it is random).
DEMO_USER = "demo-dispatcher"
DEMO_ADMIN = "demo-admin"
KIT_DIR = "demo-site-security"


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


def start_demo_security(data_dir: Path) -> DemoSecurity:
    """Makes (once) the demo's site kit under `data_dir`, gives the demo dispatcher a new password and starts the
    broker; RuntimeError with the reason when Mosquitto is missing or does not start."""
    site_dir = data_dir / KIT_DIR
    if not (site_dir / "accounts.json").exists():
        log.info("making the demo site's security kit in %s", site_dir)
        init_site(site_dir, admin_name=DEMO_ADMIN, admin_password=secrets.token_urlsafe(18))
    password = secrets.token_urlsafe(18)
    if acc.load_accounts(site_dir).person(DEMO_USER) is None:
        acc.add_person(site_dir, DEMO_USER, Role.DISPATCHER, password)
    else:
        acc.set_password(site_dir, DEMO_USER, password)
    apply_account_change(site_dir)
    broker = SiteBroker(site_dir).start()
    log.info("demo broker (Mosquitto, the generated configuration): people %s, services %s", broker.people_url,
             broker.services_url)
    return DemoSecurity(site_dir, broker, DEMO_USER, password)
