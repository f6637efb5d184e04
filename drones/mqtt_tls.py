"""The TLS context of every MQTT client of the project (console link, lease, site client, simulator, docks,
alert feed), from the site file's `[broker]` table: one place decides whom a client trusts and who it is
(docs/security.md, "Listeners")."""

from __future__ import annotations

import ssl

from drones.site import BrokerConfig


def tls_context_for(broker: BrokerConfig) -> ssl.SSLContext | None:
    """An SSL context for `broker` when its URL is `mqtts://`, else None (plain MQTT).

    The broker is verified (certificate and host name) against `ca_file` when the site gives one (the site CA),
    else against the system's trusted CAs; `cert_file`/`key_file`, when given, are presented as this client's
    identity (a service account on the services' listener). A missing or unreadable file raises OSError or
    ssl.SSLError at once, not at the first connection attempt.
    """
    if not broker.tls:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                     cafile=str(broker.ca_file) if broker.ca_file is not None else None)
    if broker.cert_file is not None:
        ctx.load_cert_chain(str(broker.cert_file), str(broker.key_file) if broker.key_file is not None else None)
    return ctx
