"""One active site server per site: the lease on a real Mosquitto (console/server/lease.py; docs/architecture.md,
"Site server"). Killed server processes are in tests/test_site_server_processes.py; here the election itself."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import aiomqtt

from console.core.server_contract import LEASE_S
from console.server.lease import Lease
from drones.site import parse_broker_url
from tests.conftest import MosquittoBroker

ROOT = "leasetest"
WAIT_S = 20.0
TAKEOVER_S = 10.0


class Server:
    """A Lease as a site server plays it, with what it was told."""

    def __init__(self, broker: MosquittoBroker, server_id: str) -> None:
        self.activated = asyncio.Event()
        self.lost: list[str] = []

        async def on_active() -> None:
            self.activated.set()

        self.lease = Lease(parse_broker_url(broker.url), ROOT, server_id, info={"site": "test"},
                           on_active=on_active, on_lost=self.lost.append)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.lease.run())

    async def stop(self, *, release: bool) -> None:
        if release:
            await self.lease.release()
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(predicate: Callable[[], object], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)   # polling interval of a condition wait


async def lease_renewals(broker: MosquittoBroker, n: int) -> list[dict[str, object]]:
    """The next `n` lease messages on the broker (the retained one first)."""
    cfg = parse_broker_url(broker.url)
    seen: list[dict[str, object]] = []
    async with aiomqtt.Client(cfg.host, cfg.port) as client:
        await client.subscribe(f"{ROOT}/server/v1/lease", qos=1)
        async for message in client.messages:
            if message.payload:
                seen.append(json.loads(bytes(message.payload)))  # type: ignore[arg-type]
            if len(seen) >= n:
                return seen
    return seen


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 90))  # type: ignore[arg-type]


def test_the_second_server_stays_standby_and_takes_over_when_the_first_gives_the_lease_back(
        mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        a, b = Server(mosquitto, "srv-a"), Server(mosquitto, "srv-b")
        a.start()
        await until(lambda: a.lease.role == "active", "server A active")
        b.start()
        await until(lambda: b.lease.role == "standby", "server B standby")
        # Renewals by A while B watches: B never acts.
        renewals = await lease_renewals(mosquitto, 2)
        assert {r["server_id"] for r in renewals} == {"srv-a"}
        assert b.lease.role == "standby" and not b.activated.is_set()
        t0 = time.monotonic()
        await a.stop(release=True)
        await asyncio.wait_for(b.activated.wait(), WAIT_S)
        assert time.monotonic() - t0 < LEASE_S      # released: no waiting for the lease to run out
        assert b.lease.holder() == "srv-b" and a.lost == [] and b.lost == []
        await b.stop(release=True)

    run(scenario())


def test_two_servers_starting_together_elect_exactly_one(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        servers = [Server(mosquitto, f"srv-{i}") for i in range(3)]
        for s in servers:
            s.start()
        await until(lambda: sorted(s.lease.role for s in servers) == ["active", "standby", "standby"],
                    "one active server and two standbys")
        active = next(s for s in servers if s.lease.role == "active")
        renewals = await lease_renewals(mosquitto, 3)
        assert {r["server_id"] for r in renewals} == {active.lease.server_id}
        assert [s.lease.role for s in servers].count("active") == 1 and not any(s.lost for s in servers)
        for s in servers:
            await s.stop(release=True)

    run(scenario())


def test_a_lease_that_is_not_renewed_runs_out_and_the_standby_takes_over(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        a, b = Server(mosquitto, "srv-a"), Server(mosquitto, "srv-b")
        a.start()
        await until(lambda: a.lease.role == "active", "server A active")
        b.start()
        await until(lambda: b.lease.role == "standby", "server B standby")
        # A stops renewing without giving the lease back (a hung server: its connection closed cleanly, so no
        # last will either): B waits for the lease to run out, then takes it.
        t0 = time.monotonic()
        await a.stop(release=False)
        await asyncio.wait_for(b.activated.wait(), LEASE_S + WAIT_S)
        waited = time.monotonic() - t0
        assert waited <= TAKEOVER_S, waited     # the site's requirement: a standby takes over within 10 s
        assert b.lease.holder() == "srv-b"
        await b.stop(release=True)

    run(scenario())
