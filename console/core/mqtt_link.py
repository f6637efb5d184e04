"""The console's one MQTT connection (aiomqtt), kept alive with reconnect and backoff.

Runs on the core loop. Other core services register topic handlers with `subscribe()`; the
link (re)subscribes on every connection, so a broker restart is invisible to them except
for the gap. Presence is announced retained on `{root}/console/v1/consoles/{console_id}`
with a last will that marks the console offline if it vanishes (docs/architecture.md, "Console-to-console topics").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from contextlib import AbstractContextManager, ExitStack
from collections.abc import Callable
from dataclasses import dataclass, replace

import aiomqtt

from console.core.events import BrokerStateChanged, EventBus, SignedIn
from drones.mqtt_tls import tls_context_for
from drones.site import BrokerConfig

log = logging.getLogger(__name__)

#: Reconnect backoff: first retry after BACKOFF_MIN_S, doubling up to BACKOFF_MAX_S.
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
KEEPALIVE_S = 10
CONNECT_TIMEOUT_S = 5.0
PRESENCE_TIMEOUT_S = 0.5   # the offline presence at close; the last will covers us if the broker is slow
#: Messages handled together, inside one batch scope (one journal commit), before they are acknowledged.
MAX_BATCH = 500

#: A message handler: a plain function (never a coroutine), so a whole batch is handled without yielding
#: to the loop and no other coroutine sees half of it. It raises only when it could not keep the message
#: (the journal failed): the batch is then not acknowledged and the broker delivers it again.
Handler = Callable[[aiomqtt.Message], None]


@dataclass(frozen=True, slots=True)
class _Subscription:
    topic_filter: str
    qos: int
    handler: Handler


def _refused(exc: aiomqtt.MqttError) -> bool:
    """Whether the broker refused the connection for its credentials (CONNACK 4 or 5 in MQTT 3.1.1)."""
    return isinstance(exc, aiomqtt.MqttCodeError) and getattr(exc, "rc", None) in (4, 5, 134, 135)


class SignInRefused(Exception):
    """The broker did not take the account's user name and password (wrong, or the account is disabled)."""


class MqttLink:
    """Connects, announces presence, routes incoming messages to handlers, reconnects forever."""

    def __init__(self, broker: BrokerConfig, *, console_id: str, topic_root: str, bus: EventBus,
                 persistent: bool = True, sign_in_required: bool = False) -> None:
        """`persistent`: keep a broker session, so QoS 1 messages wait while this link is away (the site server's
        alerts); a console attached to a server needs none (it reads the retained picture when it comes back).
        `sign_in_required`: the link connects only with a person's credentials (`switch_credentials`)."""
        self.persistent = persistent
        self.sign_in_required = sign_in_required
        self._kick = asyncio.Event()     # set: credentials changed (or closing): drop the connection, connect again
        self._generation = 0             # counts credential changes: a refusal of older ones signs nobody out
        self.broker = broker
        self.console_id = console_id
        self.topic_root = topic_root
        self._bus = bus
        self._subs: list[_Subscription] = []
        self._batch_scopes: list[Callable[[], AbstractContextManager[object]]] = []
        self._receiving = True
        self._client: aiomqtt.Client | None = None
        self._state: str | None = None
        self._closing = False
        self._connected = asyncio.Event()

    @property
    def presence_topic(self) -> str:
        return f"{self.topic_root}/console/v1/consoles/{self.console_id}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Routes messages matching `topic_filter` to `handler` (called on the core loop)."""
        self._subs.append(_Subscription(topic_filter, qos, handler))
        if self._client is not None and self.connected:
            asyncio.get_running_loop().create_task(self._client.subscribe(topic_filter, qos=qos))

    def add_batch_scope(self, scope: Callable[[], AbstractContextManager[object]]) -> None:
        """Wraps the handling of each batch of incoming messages in `scope()` (e.g. one journal transaction).

        Messages are acknowledged to the broker only after the scope has exited without error:
        what a handler journaled inside it is committed before the broker forgets the message.
        """
        self._batch_scopes.append(scope)

    def stop_receiving(self) -> None:
        """Leaves incoming messages unhandled and unacknowledged from now on (shutdown: the journals
        close before the link); the broker delivers them again to the next run (persistent session)."""
        self._receiving = False

    async def wait_connected(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def publish(self, topic: str, payload: dict | str | bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publishes now; raises aiomqtt.MqttError when the broker is not reachable."""
        if self._client is None or not self.connected:
            raise aiomqtt.MqttError(f"not connected to {self.broker.url}")
        data = json.dumps(payload, ensure_ascii=False) if isinstance(payload, dict) else payload
        await self._client.publish(topic, data, qos=qos, retain=retain)

    def _presence(self, online: bool) -> str:
        return json.dumps({"console_id": self.console_id, "online": online, "ts": time.time()})

    def _set_state(self, state: str, reason: str | None = None, retry_in_s: float | None = None) -> None:
        if state == self._state and state != "disconnected":
            return
        self._state = state
        self._bus.publish(BrokerStateChanged(state, self.broker.url, reason, retry_in_s))  # type: ignore[arg-type]

    async def run(self) -> None:
        """Keeps the connection up until cancelled or `close()` is called."""
        backoff = BACKOFF_MIN_S
        while not self._closing:
            if self.sign_in_required and self.broker.username is None:
                self._set_state("disconnected", "nobody signed in")
                self._kick.clear()
                await self._kick.wait()   # until someone signs in (or close())
                continue
            self._kick.clear()
            generation = self._generation   # the credentials this connection is made with
            self._set_state("connecting")
            try:
                async with self._make_client() as client:
                    self._client = client
                    # Messages are read (and acknowledged) while we subscribe: retained ones arrive
                    # between SUBSCRIBEs, and a broker that sends QoS 1 messages one at a time (amqtt)
                    # would wait for their PUBACK before it answers our next SUBSCRIBE.
                    reader = asyncio.create_task(self._read(client), name="mqtt-read")
                    try:
                        await client.publish(self.presence_topic, self._presence(True), qos=1, retain=True)
                        for sub in self._subs:
                            await client.subscribe(sub.topic_filter, qos=sub.qos)
                        self._connected.set()
                        backoff = BACKOFF_MIN_S
                        log.info("MQTT connected to %s as %s", self.broker.url, self.console_id)
                        self._set_state("connected")
                        kicked = asyncio.create_task(self._switched(generation), name="mqtt-kick")
                        try:
                            await asyncio.wait({reader, kicked}, return_when=asyncio.FIRST_COMPLETED)
                        finally:
                            kicked.cancel()
                        if reader.done():
                            reader.result()   # the broker went: its error, and a reconnect after the backoff
                        else:
                            log.info("MQTT reconnecting as %s", self.broker.username or "nobody")
                            backoff = 0.0
                    finally:
                        reader.cancel()
            except aiomqtt.MqttError as exc:
                if self._closing:
                    break
                reason = str(exc) or type(exc).__name__
                if self.sign_in_required and _refused(exc) and generation == self._generation:
                    # The broker no longer takes this account (disabled, password changed): signed out here too.
                    log.warning("MQTT %s refused %s: %s; signed out", self.broker.url, self.broker.username, reason)
                    self.broker = replace(self.broker, username=None, password=None)
                    self._bus.publish(SignedIn(None, None, "refused"))
                    continue
                log.warning("MQTT %s: %s; retrying in %.0f s", self.broker.url, reason, backoff)
                self._set_state("disconnected", reason, backoff)
            finally:
                self._client = None
                self._connected.clear()
            if self._closing:
                break
            if backoff:
                await asyncio.sleep(backoff)  # reconnect backoff, not synchronisation
            backoff = min(max(backoff * 2, BACKOFF_MIN_S), BACKOFF_MAX_S)
        self._set_state("disconnected", "closed")

    async def _switched(self, generation: int) -> None:
        """Returns once other credentials than those of `generation` were given (or the link closes)."""
        while generation == self._generation and not self._closing:
            self._kick.clear()
            await self._kick.wait()

    async def _read(self, client: aiomqtt.Client) -> None:
        messages = client.messages
        async for message in messages:
            # Whatever else is already queued is handled in the same batch (one journal commit).
            batch = [message] + [await anext(messages) for _ in range(min(len(messages), MAX_BATCH - 1))]
            await self._handle_batch(client, batch)

    async def _handle_batch(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        """Handles messages inside the batch scopes, then acknowledges them (QoS 1) in arrival order."""
        if not self._receiving:
            return
        try:
            with ExitStack() as scopes:
                for scope in self._batch_scopes:
                    scopes.enter_context(scope())
                for message in batch:
                    self._dispatch(message)
        except Exception as exc:  # noqa: BLE001 - e.g. the journal's disk is full
            # Nothing of the batch is acknowledged: reconnecting makes the broker deliver it again.
            log.exception("%d incoming messages could not be kept; reconnecting so they come again", len(batch))
            raise aiomqtt.MqttError(f"incoming messages not kept: {exc}") from exc
        for message in batch:
            if message.qos > 0:
                # aiomqtt 2.5 has no public manual acknowledgement; paho's is reached through its client.
                client._client.ack(message.mid, message.qos)  # noqa: SLF001

    def _dispatch(self, message: aiomqtt.Message) -> None:
        for sub in self._subs:
            if message.topic.matches(sub.topic_filter):
                try:
                    sub.handler(message)
                except Exception:
                    if message.qos > 0:
                        raise   # not kept: the batch must not be acknowledged (the broker redelivers it)
                    # A QoS 0 message (dock telemetry) is never delivered again; the next one replaces it.
                    log.exception("handler for %s failed on %s", sub.topic_filter, message.topic)

    def _make_client(self) -> aiomqtt.Client:
        tls = tls_context_for(self.broker)
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=f"console-{self.console_id}",
            protocol=aiomqtt.ProtocolVersion.V311,  # the embedded demo broker speaks 3.1.1 only
            clean_session=not self.persistent,  # a persistent session: QoS 1 messages wait while we are away
            will=aiomqtt.Will(self.presence_topic, self._presence(False), qos=1, retain=True),
            keepalive=KEEPALIVE_S,
            timeout=CONNECT_TIMEOUT_S,
            tls_context=tls,
            # Unbounded here: nothing is acknowledged before it is handled, so the broker's in-flight
            # window bounds this queue, and a message dropped from it would never be delivered again.
            max_queued_incoming_messages=0,
            # A request and its reply are single small packets: without this, Nagle's algorithm holds a reply
            # back until the broker acknowledges the last packet (about 40 ms more per round trip, measured).
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
        )
        # PUBACK only once the message is handled (`_handle_batch`): by default paho acknowledges a QoS 1
        # message as soon as aiomqtt has queued it, and a console killed then would lose it.
        client._client.manual_ack_set(True)  # noqa: SLF001
        return client

    async def check_credentials(self, username: str, password: str) -> None:
        """Whether the broker takes `username`/`password` (a connection of its own, closed at once); raises
        SignInRefused with the broker's answer when not, aiomqtt.MqttError when the broker cannot be reached."""
        probe = replace(self.broker, username=username, password=password)
        try:
            async with aiomqtt.Client(probe.host, probe.port, username=username, password=password,
                                      identifier=f"console-{self.console_id}-sign-in", timeout=CONNECT_TIMEOUT_S,
                                      tls_context=tls_context_for(probe), protocol=aiomqtt.ProtocolVersion.V311):
                pass
        except aiomqtt.MqttCodeError as exc:
            # CONNACK 4/5 (MQTT 3.1.1): bad user name or password / not authorised (a disabled account).
            raise SignInRefused(str(exc)) from exc

    async def switch_credentials(self, username: str | None, password: str | None) -> None:
        """Connects as another account from now on (None: nobody, the link stays down); the password is kept in
        memory only, for reconnecting. With a user, the broker must take the password first (SignInRefused)."""
        if username is not None:
            await self.check_credentials(username, password or "")
        self.broker = replace(self.broker, username=username, password=password)
        self._generation += 1
        if self._client is not None and self.connected and username is None:
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):   # gone already: the will says it
                await asyncio.wait_for(self._client.publish(self.presence_topic, self._presence(False), qos=1,
                                                            retain=True), PRESENCE_TIMEOUT_S)
        self._kick.set()

    async def close(self) -> None:
        """Marks the console offline (retained) and disconnects cleanly."""
        self._closing = True
        self._kick.set()
        client = self._client
        if client is not None and self.connected:
            try:
                await asyncio.wait_for(client.publish(self.presence_topic, self._presence(False), qos=1, retain=True),
                                       PRESENCE_TIMEOUT_S)
            except (aiomqtt.MqttError, TimeoutError) as exc:
                log.info("could not publish offline presence: %s", exc)
