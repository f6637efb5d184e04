"""One active site server per site: a lease on the broker, and a standby that waits for it
(docs/architecture.md, "Site server").

Every server keeps a connection of its own for this (a clean session, so nothing queues for a server that is
gone), announces itself retained on `{root}/server/v1/presence/{server_id}` with a last will that says
offline, and watches the retained lease `{root}/server/v1/lease` (`{"server_id", "until", "ts"}`).

The lease is free when there is none, when it is past `until`, or when its holder's presence says offline
(the broker publishes the will the moment a killed server's connection drops). A standby that finds it free
writes its own, waits LEASE_SETTLE_S, and becomes active only if the lease it then reads is still its own:
when two standbys write at once, the broker's order decides, and both read the same last write. The active
server renews the lease every LEASE_RENEW_S; if it ever reads another server's lease it has lost it, and
says so (`on_lost`): it must stop acting on drones at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aiomqtt

from console.core.server_contract import LEASE_RENEW_S, LEASE_S, topic
from drones.mqtt_tls import tls_context_for
from drones.site import BrokerConfig

log = logging.getLogger(__name__)

Role = Literal["starting", "standby", "active", "stopped"]
#: How long a server that wrote the lease waits before it believes it holds it (a rival's write reaches it in
#: milliseconds on a site's network), and how long it waits for the retained lease after subscribing.
LEASE_SETTLE_S = 0.5
#: How often a standby looks at the lease.
CHECK_PERIOD_S = 0.25
RECONNECT_S = 1.0
KEEPALIVE_S = 5


class Lease:
    """Elects this server active or standby; `run()` until cancelled, `release()` on an orderly stop."""

    def __init__(self, broker: BrokerConfig, root: str, server_id: str, *, info: dict[str, Any],
                 on_active: Callable[[], Awaitable[None]], on_lost: Callable[[str], None],
                 on_role: Callable[[Role], None] | None = None) -> None:
        self.broker = broker
        self.root = root
        self.server_id = server_id
        self.info = dict(info, host=socket.gethostname(), pid=os.getpid())
        self.role: Role = "starting"
        self._on_active = on_active
        self._on_lost = on_lost
        self._on_role = on_role
        self._lease: dict[str, Any] | None = None      # the retained lease as last read
        self._echo = asyncio.Event()     # our own presence came back: what was retained has arrived before it
        self._offline: set[str] = set()                # servers whose presence says offline
        self._client: aiomqtt.Client | None = None
        self.lease_topic = topic(root, "lease")
        self.presence_topic = topic(root, "presence", server_id)

    # ----- what the lease says

    def holder(self) -> str | None:
        """The server holding a valid lease now, if any."""
        lease = self._lease
        if not lease:
            return None
        holder = lease.get("server_id")
        until = lease.get("until")
        if not isinstance(holder, str) or not isinstance(until, (int, float)):
            return None
        if until < time.time() or holder in self._offline:
            return None
        return holder

    def _presence(self, online: bool) -> str:
        return json.dumps({"server_id": self.server_id, "online": online, "role": self.role if online else "stopped",
                           "ts": time.time(), **self.info}, ensure_ascii=False)

    def _set_role(self, role: Role) -> None:
        self.role = role
        log.info("site server %s is %s", self.server_id, role)
        if self._on_role is not None:
            self._on_role(role)

    # ----- the connection

    async def run(self) -> None:
        """Keeps the lease connection up and plays the role the lease gives, until cancelled."""
        while True:
            try:
                async with self._make_client() as client:
                    self._client = client
                    self._echo.clear()
                    reader = asyncio.create_task(self._read(client), name="lease-read")
                    try:
                        await client.subscribe(topic(self.root, "presence", "+"), qos=1)
                        await client.subscribe(self.lease_topic, qos=1)
                        await client.publish(self.presence_topic, self._presence(True), qos=1, retain=True)
                        await self._play(client)
                    finally:
                        reader.cancel()
            except aiomqtt.MqttError as exc:
                log.warning("lease connection to %s: %s", self.broker.url, exc)
                if self.role == "active":
                    # Without the broker the lease cannot be renewed: a standby may take over meanwhile.
                    self._on_lost("broker connection lost while active")
                    return
            finally:
                self._client = None
            await asyncio.sleep(RECONNECT_S)   # reconnect backoff, not synchronisation

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            t = str(message.topic)
            payload = message.payload if isinstance(message.payload, bytes) else b""
            body: Any = None
            if payload:
                try:
                    body = json.loads(payload)
                except ValueError:
                    log.warning("unusable message on %s: %.100r", t, payload)
                    continue
            if t == self.lease_topic:
                self._lease = body if isinstance(body, dict) else None
                if self.role == "active" and self._lease is not None and self._lease.get("server_id") != self.server_id:
                    self._on_lost(f"the lease went to {self._lease.get('server_id')}")
            elif isinstance(body, dict) and isinstance(body.get("server_id"), str):
                (self._offline.discard if body.get("online") else self._offline.add)(body["server_id"])
                if body["server_id"] == self.server_id and body.get("online"):
                    self._echo.set()

    async def _play(self, client: aiomqtt.Client) -> None:
        # The broker sends a subscription's retained messages before it forwards what we publish after it, so
        # once our own presence is back, the retained lease (if any) is here; an empty topic sends nothing.
        try:
            await asyncio.wait_for(self._echo.wait(), LEASE_SETTLE_S)
        except TimeoutError:
            pass
        while True:
            holder = self.holder()
            if holder is None or holder == self.server_id:
                await self._write_lease(client)
                await asyncio.sleep(LEASE_SETTLE_S)   # let a rival's write reach us too (see the module's docstring)
                if self.holder() == self.server_id:
                    break
            if self.role != "standby":
                self._set_role("standby")
                await client.publish(self.presence_topic, self._presence(True), qos=1, retain=True)
            await asyncio.sleep(CHECK_PERIOD_S)   # polling the retained lease, which the reader keeps current
        self._set_role("active")
        await client.publish(self.presence_topic, self._presence(True), qos=1, retain=True)
        renewer = asyncio.create_task(self._renew(client), name="lease-renew")
        try:
            await self._on_active()
            await renewer
        finally:
            renewer.cancel()

    async def _renew(self, client: aiomqtt.Client) -> None:
        while True:
            await self._write_lease(client)
            await asyncio.sleep(LEASE_RENEW_S)   # the renewal period

    async def _write_lease(self, client: aiomqtt.Client) -> None:
        now = time.time()
        await client.publish(self.lease_topic, json.dumps({"server_id": self.server_id, "until": now + LEASE_S,
                                                           "ts": now}), qos=1, retain=True)

    async def release(self) -> None:
        """Gives the lease back (when held) and says offline: a standby takes over at once."""
        client, was_active = self._client, self.role == "active"
        self.role = "stopped"
        if client is None:
            return
        try:
            if was_active and self.holder() == self.server_id:
                await asyncio.wait_for(client.publish(self.lease_topic, b"", qos=1, retain=True), 1.0)
            await asyncio.wait_for(client.publish(self.presence_topic, self._presence(False), qos=1, retain=True), 1.0)
        except (aiomqtt.MqttError, TimeoutError) as exc:
            log.info("could not release the lease cleanly: %s", exc)

    def _make_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.broker.host, self.broker.port, username=self.broker.username, password=self.broker.password,
            identifier=f"lease-{self.server_id}", protocol=aiomqtt.ProtocolVersion.V311, clean_session=True,
            will=aiomqtt.Will(self.presence_topic, self._presence(False), qos=1, retain=True),
            keepalive=KEEPALIVE_S, timeout=5.0,
            tls_context=tls_context_for(self.broker))
