"""A small aiomqtt connection that satisfies `drones.mqtt_port.MqttPort`, for tests of the drone core.

Unlike the console's MqttLink it does not reconnect: `drop()` takes the link down for good,
which is what a test of "link down" needs. Everything runs on the test's asyncio loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiomqtt

from drones.mqtt_port import MessageHandler
from drones.site import parse_broker_url


async def eventually(predicate: Callable[[], Any], timeout_s: float = 5.0, what: str = "condition") -> Any:
    """Polls `predicate` on the loop until it returns something truthy; fails after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.02)  # polling interval of a condition wait
    return value


class AiomqttPort:
    """One aiomqtt client: `subscribe()` before or after `start()`, `publish()`, `drop()`/`close()`."""

    def __init__(self, url: str, client_id: str | None = None) -> None:
        cfg = parse_broker_url(url)
        self._client = aiomqtt.Client(cfg.host, cfg.port, identifier=client_id,
                                      protocol=aiomqtt.ProtocolVersion.V311)
        self._subs: list[tuple[str, int, MessageHandler]] = []
        self._reader: asyncio.Task[None] | None = None
        self.connected = False
        #: Exceptions the handlers raised (they must not; tests assert this stays empty).
        self.handler_errors: list[Exception] = []

    def subscribe(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> None:
        self._subs.append((topic_filter, qos, handler))
        if self.connected:
            asyncio.get_running_loop().create_task(self._client.subscribe(topic_filter, qos=qos))

    async def publish(self, topic: str, payload: dict | str | bytes, *, qos: int = 1, retain: bool = False) -> None:
        if not self.connected:
            raise aiomqtt.MqttError("test link is down")
        data = json.dumps(payload, ensure_ascii=False) if isinstance(payload, dict) else payload
        await self._client.publish(topic, data, qos=qos, retain=retain)

    async def start(self) -> AiomqttPort:
        await self._client.__aenter__()
        for topic_filter, qos, _ in self._subs:
            await self._client.subscribe(topic_filter, qos=qos)
        self.connected = True
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for message in self._client.messages:
            for topic_filter, _, handler in list(self._subs):
                if message.topic.matches(topic_filter):
                    try:
                        result = handler(message)
                        if asyncio.iscoroutine(result):
                            await result
                    except Exception as exc:  # noqa: BLE001 - recorded: a handler must never raise
                        self.handler_errors.append(exc)

    async def drop(self) -> None:
        """Disconnects; later publishes raise aiomqtt.MqttError, as MqttLink's do while it is down."""
        if not self.connected:
            return
        self.connected = False
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._client.__aexit__(None, None, None)

    async def close(self) -> None:
        await self.drop()

    async def __aenter__(self) -> AiomqttPort:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
