"""The site server: the console's Qt-free core behind a process boundary (docs/architecture.md, "Site server").

One per site is active (console/server/lease.py). Only the active one builds the core services (the
MAVSDK fleet, the dock client, flight tasks and their journal, command authority, the alert journal and
workflow, automation and integrator requests, the five automatics), so a standby never acts on a drone and
automation runs once however many consoles are open. Activation recovers the open tasks of the journal, as
a restarted console used to. The publisher tells consoles what the core knows; the request handler carries
out what they ask, for them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiomqtt

from console.core.core_loop import CoreLoop
from console.core.health import ErrorCounter
from console.core.server_contract import signout_topic
from console.core.services import CoreServices
from console.core.workstation import Workstation
from console.server.authorize import OPEN_SITE_ROLE, AccountLookup, Authorizer
from console.server.lease import Lease, Role
from console.server.publisher import Publisher
from console.server.requests import RequestHandler
from drones.site import Site

log = logging.getLogger(__name__)

#: Who the demo's sample flights are dispatched by (the journal's "by").
DEMO_BY = "demo"
#: How often the active server reads the account book for accounts that were disabled while signed in.
ACCOUNTS_CHECK_S = 2.0


def site_console_id(site: Site) -> str:
    """The console identity the active server's core acts under, whichever host it runs on: the broker session
    of the site's alerts and the holder of automation's authority belong to the site, not to one server."""
    return "site-server." + site.topic_root.replace("/", "_").replace("+", "_").replace("#", "_")


class SiteServer:
    """Lease, core services, publisher and request handler of one server process; `start()`, then `stop()`.

    `lost` is set (with the reason in `lost_reason`) when an active server loses its lease: the process must
    stop acting at once; it exits and its supervisor starts it again as a standby.
    """

    def __init__(self, site: Site, core: CoreLoop, *, data_dir: Path, server_id: str,
                 errors: ErrorCounter | None = None, demo_flights: int = 0, demo_only: Sequence[str] = (),
                 accounts: AccountLookup | None = None) -> None:
        if site.broker is None:
            raise ValueError("site has no broker")
        self.site = site
        self.core = core
        self.data_dir = data_dir
        self.server_id = server_id
        self.errors = errors
        self.demo_flights = demo_flights
        self.demo_only = tuple(demo_only)
        self.authorizer = Authorizer(accounts)
        self.services: CoreServices | None = None
        self.publisher: Publisher | None = None
        self.requests: RequestHandler | None = None
        self.role_known = threading.Event()
        self.lost = threading.Event()
        self.lost_reason: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.lease = Lease(site.broker, site.topic_root, server_id,
                           info={"site": site.name, "docks": len(site.docks), "video_base": site.video_base_url},
                           on_active=self._activate, on_lost=self._lose, on_role=self._on_role)

    @property
    def role(self) -> Role:
        return self.lease.role

    def start(self) -> None:
        """Starts playing for the lease on the core loop (call from any thread once the loop runs)."""
        self.core.submit(self._run_lease())
        self.core.on_shutdown(self._stop)

    async def _run_lease(self) -> None:
        task = asyncio.create_task(self.lease.run(), name="lease")
        self._tasks.append(task)
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - without the lease the server must not act: say so and stop
            log.exception("lease failed")
            self._lose("the lease failed")

    def _on_role(self, role: Role) -> None:
        if role in ("standby", "active"):
            self.role_known.set()

    def _lose(self, why: str) -> None:
        if self.lost.is_set():
            return
        self.lost_reason = why
        log.error("site server %s lost its lease: %s; stopping", self.server_id, why)
        self.lost.set()

    async def _activate(self) -> None:
        """Became active (core loop): build and start the core, then tell and serve the consoles."""
        station = Workstation(site_console_id(self.site), self.data_dir)
        services = CoreServices(self.site, self.core, errors=self.errors, station=station)
        self.services = services
        self.publisher = Publisher(services, self.server_id)
        self.requests = RequestHandler(services, self.authorizer)
        if self.authorizer.open_site:
            log.warning("site %r has no account book: an open site, every request is trusted as its claimed user "
                        "with the %s role (configure [security] for a real site)", self.site.name,
                        OPEN_SITE_ROLE.value)
        self.requests.answer_interrupted()
        services.health.add_provider(self._figures)
        await services.start_here()
        self._tasks += [asyncio.create_task(self.publisher.run(), name="frames"),
                        asyncio.create_task(self.publisher.run_alerts(), name="alert-records")]
        await self.publisher.publish_all_alerts()
        if not self.authorizer.open_site:
            self._tasks.append(asyncio.create_task(self._watch_accounts(services), name="accounts"))
        log.info("site server %s active for site %r with %d docks", self.server_id, self.site.name,
                 len(self.site.docks))
        if self.demo_flights > 0:
            from console.core.demo_flights import launch_demo_flights

            health = services.health
            health.set(demo_flights_requested=self.demo_flights)
            started = await launch_demo_flights(services.tasks, self.demo_flights, by=DEMO_BY, only=self.demo_only)
            health.set(demo_flights_started=len(started))

    async def _watch_accounts(self, services: CoreServices) -> None:
        """Signs out, on every console, an account that was disabled or removed while it was signed in: the broker
        keeps a connection it has already let in, so the server tells the consoles (and refuses its requests)."""
        assert self.requests is not None
        while True:
            for user in sorted(self.requests.users):
                found = self.authorizer.account(user)
                if found is not None and found[1]:
                    continue
                self.requests.users.discard(user)
                log.warning("account %s is %s: signing it out on every console", user,
                            "disabled" if found else "gone")
                services.tasks.journal.audit.session(user, found[0].value if found and found[0] else None, None,
                                                     "signed_out_disabled")
                try:
                    await services.mqtt.publish(signout_topic(self.site.topic_root, user),
                                                {"user": user, "why": "account_disabled", "ts": time.time()}, qos=1)
                except aiomqtt.MqttError as exc:
                    log.warning("sign-out of %s not sent (%s); tried again", user, exc)
                    self.requests.users.add(user)
            await asyncio.sleep(ACCOUNTS_CHECK_S)   # the account book is a file an admin edits offline

    def _figures(self) -> dict[str, Any]:
        p, r = self.publisher, self.requests
        return {"server_id": self.server_id, "server_role": self.role,
                "frames_sent": p.frames if p else 0, "frame_bytes_sent": p.bytes_sent if p else 0,
                "requests_handled": r.handled if r else 0, "requests_refused": r.refused if r else 0,
                "requests_replayed": r.replayed if r else 0,
                "automation_on": self.services.alerts.automation_on if self.services else None}

    def health(self) -> dict[str, Any]:
        """The server's health line (any thread)."""
        if self.services is None:
            return {"server_id": self.server_id, "server_role": self.role, "healthy": self.role == "standby",
                    "problems": [] if self.role == "standby" else [f"site server is {self.role}"]}
        return self.services.health.snapshot()

    async def _stop(self) -> None:
        """Orderly stop (core loop): stop serving, give the lease back, then stop the core."""
        if self.requests is not None:
            await self.requests.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.lease.release()
        if self.services is not None:
            await self.services.stop_here()
