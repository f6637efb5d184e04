"""What the drone-control core needs from an MQTT connection: subscribe with a handler, publish.

The console's `console.core.mqtt_link.MqttLink` satisfies `MqttPort` structurally, since the layer rules
keep drones/ from importing the console; tests use a small aiomqtt client (`tests/mqtt_port.py`).
Handlers run on the loop that owns the connection (the core loop in the console).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import aiomqtt

#: What `MqttPort.publish` raises when the message cannot be handed to the broker (link down).
LINK_ERRORS: tuple[type[Exception], ...] = (aiomqtt.MqttError, OSError)


class MqttMessage(Protocol):
    """One received message: `str(topic)` is the topic name; `payload` is normally bytes."""

    @property
    def topic(self) -> object: ...

    @property
    def payload(self) -> object: ...


MessageHandler = Callable[[MqttMessage], Awaitable[None] | None]


@runtime_checkable
class MqttPort(Protocol):
    """An MQTT connection that keeps its subscriptions across reconnects."""

    def subscribe(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> None:
        """Routes messages matching `topic_filter` to `handler`, on the connection's loop."""
        ...

    async def publish(self, topic: str, payload: dict | str | bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publishes now (dicts as UTF-8 JSON); raises one of LINK_ERRORS when the link is down."""
        ...


def payload_bytes(message: MqttMessage) -> bytes | None:
    """The message's payload as bytes (None when it is not text or bytes at all)."""
    payload = message.payload
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if payload is None:
        return b""
    return None


def json_bytes(obj: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, Chinese left readable."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_object(payload: bytes | None) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object from a payload: (body, None), or (None, what is wrong)."""
    if payload is None:
        return None, "payload is not bytes"
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return None, f"not UTF-8 JSON: {exc}"
    if not isinstance(body, dict):
        return None, f"a JSON {type(body).__name__}, not an object"
    return body, None
