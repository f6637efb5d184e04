"""Command authority per dock: which console and operator may command a dock and its drone.

Only the holder commands; every other console sees the dock read-only (docs/architecture.md,
"Command authority").
The truth lives on the broker, retained, so every workstation and every late joiner sees the
same holder: `{root}/console/v1/authority/{dock_id}` carries
`{"dock_id", "console", "operator", "ts"}`, and an empty retained payload means released.

There is no lock server: when two consoles take the same free dock at the same moment, the
broker's last write wins on every console, and the loser learns it from AuthorityChanged.
Authority outlives a console restart (retained; a console keeps its identity across restarts).
Every console's presence is retained on `{root}/console/v1/consoles/{console_id}` with a last will:
authority held by a console whose presence says offline is refused with a warning that says so
(`AuthorityHeld.holder_offline`), and taken over with `take(force=True)`, as a supervisor may also
force it from a console that is online; the caller journals both.

Runs on the loop of the MQTT connection (the core loop); `holder()` and `holds()` read plain
snapshots and may be called from any thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime

from drones.dock_events import AuthorityChanged, AuthorityHolder
from drones.model import CommandRefused
from vocab import Reason
from drones.mqtt_port import LINK_ERRORS, MqttMessage, MqttPort, json_bytes, json_object, payload_bytes
from drones.site import Dock

log = logging.getLogger(__name__)

AUTHORITY_PATH = "console/v1/authority"
PRESENCE_PATH = "console/v1/consoles"
TAKE_COMMAND = "take_authority"
RELEASE_COMMAND = "release_authority"

#: The console a command is carried out for. The site server acts for many consoles: its request handler sets
#: this around each request, so authority is taken for, and checked against, the console that asked
#: (docs/architecture.md, "Site server"). Unset: the console that owns this CommandAuthority acts itself
#: (automation on the server, or a console running its own core).
ACTING_CONSOLE: ContextVar[str | None] = ContextVar("acting_console", default=None)


class AuthorityHeld(CommandRefused):
    """Another console holds the dock's authority; `holder_offline` when its presence says it is gone."""

    def __init__(self, reason: Reason, *, command: str, holder: AuthorityHolder, holder_offline: bool) -> None:
        super().__init__(reason, command=command)
        self.holder = holder
        self.holder_offline = holder_offline


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
        # Consoles whose presence says offline, with when this console learned it (epoch s).
        self._offline: dict[str, float] = {}
        mqtt.subscribe(f"{topic_root}/{AUTHORITY_PATH}/+", self._on_message, qos=1)
        mqtt.subscribe(f"{topic_root}/{PRESENCE_PATH}/+", self._on_presence, qos=1)

    def topic(self, dock_id: str) -> str:
        return f"{self.topic_root}/{AUTHORITY_PATH}/{dock_id}"

    def holder(self, dock_id: str) -> AuthorityHolder | None:
        """Who holds authority on the dock now (None: nobody); KeyError for a dock not on the site."""
        return self._holders[dock_id]

    def acting(self) -> str:
        """The console commands are carried out for now (ACTING_CONSOLE, else this one)."""
        return ACTING_CONSOLE.get() or self.console_id

    def holds(self, dock_id: str) -> bool:
        """Whether the acting console holds authority on the dock."""
        holder = self._holders[dock_id]
        return holder is not None and holder.console == self.acting()

    def require(self, dock_id: str, command: str) -> None:
        """Raises CommandRefused naming the holder unless this console holds authority on the dock."""
        if self.holds(dock_id):
            return
        holder = self._holders[dock_id]
        if holder is None:
            raise CommandRefused(Reason.of("authority.take_first", dock=dock_id), command=command)
        raise self._held(holder, command)

    def holder_offline_since(self, dock_id: str) -> float | None:
        """When the holder's console was seen going offline (epoch s), None while it is online or nobody holds."""
        holder = self._holders[dock_id]
        return self._offline.get(holder.console) if holder is not None else None

    def _held(self, holder: AuthorityHolder, command: str) -> AuthorityHeld:
        since = self._offline.get(holder.console)
        if since is None:
            return AuthorityHeld(_held_by(holder.dock_id, holder), command=command, holder=holder,
                                 holder_offline=False)
        reason = Reason.of("authority.holder_offline", dock=holder.dock_id, operator=holder.operator or "?",
                           console=holder.console, since=datetime.fromtimestamp(since).strftime("%H:%M:%S"))
        return AuthorityHeld(reason, command=command, holder=holder, holder_offline=True)

    async def take(self, dock_id: str, operator: str, *, force: bool = False) -> AuthorityHolder | None:
        """Takes authority on the dock for `operator` at the acting console.

        Refuses with AuthorityHeld when another console holds it (saying whether that console is
        offline), unless `force` (the caller journals a forced take). Authority this CommandAuthority's
        own console holds for another (the site server's automation) is handed over to any console that
        asks. Returns the holder it displaced from another console (None when the dock was free or
        already the acting console's).
        """
        acting = self.acting()
        current = self._holders[dock_id]
        displaced = current if current is not None and current.console != acting else None
        if displaced is not None and not force and displaced.console != self.console_id:
            raise self._held(displaced, TAKE_COMMAND)
        now = datetime.now().astimezone()
        body = {"dock_id": dock_id, "console": acting, "operator": operator,
                "ts": now.isoformat(timespec="milliseconds")}
        await self._publish(dock_id, json_bytes(body), TAKE_COMMAND,
                            AuthorityHolder(dock_id, acting, operator, now.timestamp()))
        if displaced is not None:
            log.warning("authority on dock %s %s from %s/%s to %s/%s", dock_id, "forced" if force else "handed over",
                        displaced.console, displaced.operator, acting, operator)
        return displaced

    async def release(self, dock_id: str) -> None:
        """Releases the acting console's authority on the dock (no-op when nobody holds it).

        Refuses when another console holds it: take it with `force` first, then release.
        """
        current = self._holders[dock_id]
        if current is None:
            return
        if current.console != self.acting():
            raise self._held(current, RELEASE_COMMAND)
        await self._publish(dock_id, b"", RELEASE_COMMAND, None)

    async def _publish(self, dock_id: str, payload: bytes, command: str, holder: AuthorityHolder | None) -> None:
        """Publishes retained; once the broker has it, shows `holder` unless messages came in meanwhile."""
        received = self._received[dock_id]
        try:
            await self._mqtt.publish(self.topic(dock_id), payload, qos=1, retain=True)
        except LINK_ERRORS as exc:
            raise CommandRefused(Reason.of("authority.mqtt_down"), command=command) from exc
        # Messages that arrived during the publish already carry the broker's order (our own echo
        # or a later write by another console): they are the truth, not what we meant to write.
        if self._received[dock_id] == received:
            self._set(holder, dock_id)

    def _set(self, holder: AuthorityHolder | None, dock_id: str) -> None:
        previous = self._holders[dock_id]
        self._holders[dock_id] = holder
        if _same(previous, holder):
            return
        mine = holder is not None and holder.console == self.acting()
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

    def _on_presence(self, message: MqttMessage) -> None:
        """MQTT handler: a console's retained presence (its last will says offline); never raises."""
        console = str(message.topic).rsplit("/", 1)[-1]
        body, _problem = json_object(payload_bytes(message))
        online = body.get("online") if body is not None else None
        if online is False:
            self._offline.setdefault(console, time.time())
        elif online is True:
            self._offline.pop(console, None)


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
    return Reason.of("authority.held", dock=dock_id, operator=holder.operator or "?", console=holder.console)
