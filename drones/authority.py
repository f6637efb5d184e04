"""Command authority per dock: which console and operator may command a dock and its drone.

Only the holder commands; every other console sees the dock read-only (DESIGN.md section 6).
The truth lives on the broker, retained, so every workstation and every late joiner sees the
same holder: `{root}/console/v1/authority/{dock_id}` carries
`{"dock_id", "console", "operator", "ts"}`, and an empty retained payload means released.

There is no lock server: when two consoles take the same free dock at the same moment, the
broker's last write wins on every console, and the loser learns it from AuthorityChanged.
Authority outlives a console restart (retained); a vanished console's authority is taken
over with `take(force=True)`, which the caller journals.

Runs on the loop of the MQTT connection (the core loop); `holder()` and `holds()` read plain
snapshots and may be called from any thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from drones.dock_events import AuthorityChanged, AuthorityHolder
from drones.model import CommandRefused, Reason
from drones.mqtt_port import LINK_ERRORS, MqttMessage, MqttPort, json_bytes, json_object, payload_bytes
from drones.site import Dock

log = logging.getLogger(__name__)

AUTHORITY_PATH = "console/v1/authority"
TAKE_COMMAND = "take_authority"
RELEASE_COMMAND = "release_authority"


class CommandAuthority:
    """This console's view of command authority over the site's docks, and its take/release."""

    def __init__(self, docks: Iterable[Dock], mqtt: MqttPort, console_id: str, topic_root: str, *,
                 on_event: Callable[[AuthorityChanged], None] | None = None) -> None:
        self.console_id = console_id
        self.topic_root = topic_root
        self._mqtt = mqtt
        self._on_event = on_event
        self._holders: dict[str, AuthorityHolder | None] = {d.id: None for d in docks}
        self._received: dict[str, int] = dict.fromkeys(self._holders, 0)  # messages seen per dock
        mqtt.subscribe(f"{topic_root}/{AUTHORITY_PATH}/+", self._on_message, qos=1)

    def topic(self, dock_id: str) -> str:
        return f"{self.topic_root}/{AUTHORITY_PATH}/{dock_id}"

    def holder(self, dock_id: str) -> AuthorityHolder | None:
        """Who holds authority on the dock now (None: nobody); KeyError for a dock not on the site."""
        return self._holders[dock_id]

    def holds(self, dock_id: str) -> bool:
        """Whether this console holds authority on the dock."""
        holder = self._holders[dock_id]
        return holder is not None and holder.console == self.console_id

    def require(self, dock_id: str, command: str) -> None:
        """Raises CommandRefused naming the holder unless this console holds authority on the dock."""
        if self.holds(dock_id):
            return
        holder = self._holders[dock_id]
        if holder is None:
            raise CommandRefused(Reason(f"未取得机场 {dock_id} 的指挥权，请先接管",
                                        f"take command authority on dock {dock_id} first"), command=command)
        raise CommandRefused(_held_by(dock_id, holder), command=command)

    async def take(self, dock_id: str, operator: str, *, force: bool = False) -> AuthorityHolder | None:
        """Takes authority on the dock for `operator` at this console.

        Refuses with CommandRefused when another console holds it, unless `force` (the caller
        journals a forced take). Returns the holder it displaced from another console (None when
        the dock was free or already this console's), so the caller can journal whom it overrode.
        """
        current = self._holders[dock_id]
        displaced = current if current is not None and current.console != self.console_id else None
        if displaced is not None and not force:
            raise CommandRefused(_held_by(dock_id, displaced), command=TAKE_COMMAND)
        now = datetime.now().astimezone()
        body = {"dock_id": dock_id, "console": self.console_id, "operator": operator,
                "ts": now.isoformat(timespec="milliseconds")}
        await self._publish(dock_id, json_bytes(body), TAKE_COMMAND,
                            AuthorityHolder(dock_id, self.console_id, operator, now.timestamp()))
        if displaced is not None:
            log.warning("authority on dock %s forced from %s/%s to %s/%s", dock_id, displaced.console,
                        displaced.operator, self.console_id, operator)
        return displaced

    async def release(self, dock_id: str) -> None:
        """Releases this console's authority on the dock (no-op when nobody holds it).

        Refuses when another console holds it: take it with `force` first, then release.
        """
        current = self._holders[dock_id]
        if current is None:
            return
        if current.console != self.console_id:
            raise CommandRefused(_held_by(dock_id, current), command=RELEASE_COMMAND)
        await self._publish(dock_id, b"", RELEASE_COMMAND, None)

    async def _publish(self, dock_id: str, payload: bytes, command: str, holder: AuthorityHolder | None) -> None:
        """Publishes retained; once the broker has it, shows `holder` unless messages came in meanwhile."""
        received = self._received[dock_id]
        try:
            await self._mqtt.publish(self.topic(dock_id), payload, qos=1, retain=True)
        except LINK_ERRORS as exc:
            raise CommandRefused(Reason("与消息服务器的连接中断，指挥权未变更",
                                        f"MQTT link down, authority unchanged ({exc})"), command=command) from exc
        # Messages that arrived during the publish already carry the broker's order (our own echo
        # or a later write by another console): they are the truth, not what we meant to write.
        if self._received[dock_id] == received:
            self._set(holder, dock_id)

    def _set(self, holder: AuthorityHolder | None, dock_id: str) -> None:
        previous = self._holders[dock_id]
        self._holders[dock_id] = holder
        if _same(previous, holder):
            return
        mine = holder is not None and holder.console == self.console_id
        log.info("authority on dock %s: %s", dock_id,
                 f"{holder.console}/{holder.operator}" if holder is not None else "released")
        if self._on_event is not None:
            try:
                self._on_event(AuthorityChanged(dock_id, holder, previous, mine))
            except Exception:  # noqa: BLE001 - a broken listener must not break the MQTT loop
                log.exception("authority listener failed")

    def _on_message(self, message: MqttMessage) -> None:
        """MQTT handler (connection's loop): one retained authority message; never raises."""
        dock_id = str(message.topic).rsplit("/", 1)[-1]
        if dock_id not in self._holders:
            return  # a dock of another site sharing the broker
        self._received[dock_id] += 1
        payload = payload_bytes(message)
        if payload == b"":
            self._set(None, dock_id)
            return
        holder, problem = parse_holder(dock_id, payload)
        if holder is None:
            log.warning("dock %s: unusable authority message (%s): %.200r", dock_id, problem, payload)
            return
        self._set(holder, dock_id)


def parse_holder(dock_id: str, payload: bytes | None) -> tuple[AuthorityHolder | None, str | None]:
    """Reads a non-empty authority message for `dock_id`; returns (holder, None) or (None, problem)."""
    body, problem = json_object(payload)
    if body is None:
        return None, problem
    if body.get("dock_id") != dock_id:
        return None, f"dock_id {body.get('dock_id')!r} does not match the topic"
    console, operator = body.get("console"), body.get("operator")
    if not isinstance(console, str) or not console:
        return None, "no console"
    if not isinstance(operator, str):
        return None, "operator is not a string"
    return AuthorityHolder(dock_id, console, operator, _epoch(body.get("ts"))), None


def _epoch(ts: object) -> float | None:
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return float(ts)
    if isinstance(ts, str):
        try:
            return datetime.fromisoformat(ts).timestamp()
        except (ValueError, OverflowError, OSError):
            return None
    return None


def _same(a: AuthorityHolder | None, b: AuthorityHolder | None) -> bool:
    """Same holder for the purpose of events: the time of the take does not count."""
    if a is None or b is None:
        return a is b
    return (a.console, a.operator) == (b.console, b.operator)


def _held_by(dock_id: str, holder: AuthorityHolder) -> Reason:
    who_zh = f"席位 {holder.console} 的 {holder.operator}" if holder.operator else f"席位 {holder.console}"
    who_en = f"{holder.operator} at console {holder.console}" if holder.operator else f"console {holder.console}"
    return Reason(f"机场 {dock_id} 的指挥权由{who_zh}持有，本席位只读",
                  f"command authority on dock {dock_id} is held by {who_en}; read-only here")
