"""The embedded MQTT broker of the one-machine demo site (amqtt, pure Python, MQTT 3.1.1).

Good enough for one demo hall (about 1,900 QoS-1 messages/s, docs/architecture.md, "Demo site and port plan"); a real site uses
Mosquitto or EMQX.
"""

from __future__ import annotations

import asyncio
import logging

from amqtt.broker import Broker
from amqtt.session import Session

log = logging.getLogger(__name__)


class DemoBroker(Broker):
    """amqtt's broker, sending a connecting client the retained messages of its own subscriptions only.

    amqtt 0.12 replays, to every client that connects, the retained messages of every topic filter any client
    subscribed to, awaiting each while it walks the broker's live subscription table. A busy demo (a site server,
    consoles, hundreds of retained dock, authority and alert topics) made each connection slow, sent clients
    messages they never asked for, and, when another client subscribed meanwhile, killed the connecting client's
    session ("dictionary changed size during iteration"): that console then waited for a broker that never
    answered it. A subscription's own retained messages still go out when it is made.
    """

    async def _publish_retained_messages_for_subscription(self, subscription: tuple[str, int],
                                                          session: Session) -> None:
        holders = self._subscriptions.get(subscription[0], ())
        if any(s.client_id == session.client_id for s, _qos in holders):
            await super()._publish_retained_messages_for_subscription(subscription, session)


async def start_embedded_broker(host: str, port: int = 0) -> Broker:
    """Starts a broker listening on host:port and returns it (stop it with `stop_embedded_broker`).

    Port 0 (the default) lets the system pick a free port and keeps it: read it with `broker_port()`.
    """
    broker = DemoBroker({
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    log.info("embedded MQTT broker listening on %s:%d", host, broker_port(broker))
    return broker


def broker_port(broker: Broker) -> int:
    """The TCP port the broker's listener is bound to, read from its listening socket."""
    server = broker._servers["default"].instance  # noqa: SLF001 - amqtt keeps its asyncio servers here
    return int(server.sockets[0].getsockname()[1])


#: amqtt's shutdown can wait a long time on persistent sessions; the demo must stop promptly.
SHUTDOWN_TIMEOUT_S = 1.0


async def stop_embedded_broker(broker: Broker, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Shuts the broker down, giving up (and closing its listeners) after `timeout_s`."""
    try:
        await asyncio.wait_for(broker.shutdown(), timeout_s)
    except TimeoutError:
        log.info("embedded broker shutdown took over %.1f s; closing listeners", timeout_s)
        for server in broker._servers.values():  # noqa: SLF001 - amqtt has no public forced stop
            server.instance.close()
