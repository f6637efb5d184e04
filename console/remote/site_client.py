"""A console attached to its site server over the broker (docs/architecture.md, "Site server").

`RemoteServices` is what the console's controllers talk to. It has the read side of the core services
they used in one process (fleet, docks, tasks, alerts, health, the site's static data), kept current from
the server's frames and records by replicas (console/remote/replicas.py), and the write side as requests
to the server: every command names this console and its operator, waits for the server's one reply, and
raises the very refusal the core raised there.

It never touches MAVLink or a journal. It runs on a core loop of its own (the MQTT connection), so the GUI
thread never waits on the network.

The server is *present* while its frames come (at most SERVER_SILENT_S apart) and its presence says active.
When it goes, commands are refused at once with "no site server" (nothing is queued to run later), the
views keep the last state, and `ServerStateChanged` tells the window; when a server (the standby) is back,
the next full frame restores everything.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiomqtt

from console.core.alert_events import AlertQuarantined, AlertReceived, AlertUpdated, WorkflowRefused
from console.core.alert_store import AlertRecord, QuarantineRecord
from console.core.core_loop import CoreLoop
from console.core.events import EventBus, FleetLinksChanged, SignedIn
from console.core.five_automatics import DispatchPlan, FiveAutomatics, load_alert_rules
from console.core.health import ErrorCounter, HealthModel
from console.core.mqtt_link import MqttLink
from console.core.roles import Role, power_of, role_of
from console.core.server_contract import (REPLY_TIMEOUT_S, SERVER_SILENT_S, Request, decode_frame, new_request_id,
                                          refusal_error, request_topic, signout_topic, topic)
from console.core.wire import from_wire, to_wire
from console.core.workstation import Workstation
from console.remote.replicas import AlertReplica, DockReplica, FleetReplica, TaskReplica
from drones.authority import CommandAuthority
from drones.basemap import Basemap, load_basemap
from drones.cameras import CameraRegistry
from drones.mqtt_port import MqttMessage, json_object, payload_bytes
from drones.mqtt_tls import tls_context_for
from drones.nofly import NoFlyZone, load_nofly
from drones.patterns import PatternBook, load_patterns
from drones.safety import Limits
from drones.site import Site
from drones.tasks import TaskStateChanged
from vocab import Reason, TaskState

log = logging.getLogger(__name__)

#: The site server's own health figures a console's health line repeats (under "server").
SERVER_FIGURES = ("drones_connected", "docks_online", "demo_flights_requested", "demo_flights_started", "tasks_failed",
                  "mavlink_open_failures", "drones_never_linked", "drones_link_lost", "errors_logged", "frames_sent",
                  "frame_bytes_sent", "requests_handled", "requests_refused", "requests_replayed", "automation_on")
#: How long a console starting with `--broker` looks for the active server's presence.
DISCOVER_TIMEOUT_S = 3.0
#: How many times a request is sent, at most, before the console says the server did not answer.
REQUEST_SENDS = 3
#: How often the console asks the server for its health (also its round-trip latency).
HEALTH_PERIOD_S = 2.0
WATCH_PERIOD_S = 0.25


@dataclass(frozen=True, slots=True)
class ServerStateChanged:
    """The site server came or went (bus event): `present`, its id and role, and since when (epoch s)."""

    present: bool
    server_id: str | None
    role: str | None
    since: float


class RemoteTasks(TaskReplica):
    """Open tasks, locks and authority as the server has them, plus the task commands as requests."""

    def __init__(self, client: RemoteServices) -> None:
        super().__init__()
        site = client.site
        self._client = client
        self.zones: tuple[NoFlyZone, ...] = load_nofly(site.nofly_path) if site.nofly_path else ()
        self.patterns: PatternBook = load_patterns()
        self.limits = Limits(require_link_loss_action=site.require_link_loss_action)
        # The retained holders on the broker, read-only here: `holds()` asks for this console.
        self.authority = CommandAuthority(site.docks, client.mqtt, client.console_id, site.topic_root)

    async def take_authority(self, dock_id: str, by: str, *, force: bool = False) -> None:
        await self._client.request("authority.force" if force else "authority.take", {"dock_id": dock_id}, by=by)

    async def release_authority(self, dock_id: str, by: str) -> None:
        await self._client.request("authority.release", {"dock_id": dock_id}, by=by)


class RemoteAlerts(AlertReplica):
    """The server's alerts, plus the workflow actions as requests (each returns the record as the server left it)."""

    def __init__(self, client: RemoteServices) -> None:
        super().__init__()
        self._client = client

    async def _record(self, op: str, args: dict[str, Any], by: str, saw: dict[str, Any] | None = None) -> AlertRecord:
        result = await self._client.request(op, args, by=by, saw=saw)
        return from_wire(AlertRecord, result)

    async def acknowledge(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._record("alert.acknowledge", {"alert_id": alert_id}, by)

    async def assign(self, alert_id: str, operator: str | None, *, by: str) -> AlertRecord:
        return await self._record("alert.assign", {"alert_id": alert_id, "operator": operator}, by)

    async def add_note(self, alert_id: str, text: str, *, by: str) -> AlertRecord:
        return await self._record("alert.note", {"alert_id": alert_id, "text": text}, by)

    async def dismiss(self, alert_id: str, reason: Reason, *, by: str) -> AlertRecord:
        return await self._record("alert.dismiss", {"alert_id": alert_id, "reason": to_wire(reason)}, by)

    async def resolve(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._record("alert.resolve", {"alert_id": alert_id}, by)

    async def reopen(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._record("alert.reopen", {"alert_id": alert_id}, by)

    async def split(self, alert_id: str, *, by: str) -> str:
        return str(await self._client.request("alert.split", {"alert_id": alert_id}, by=by))

    async def dispatch_alert(self, alert_id: str, *, by: str, choice: DispatchPlan | str | None = None
                             ) -> AlertRecord:
        """Dispatches with the dock of the plan the operator confirmed (the server plans that dock's flight
        with the states of this moment and refuses rather than send another dock)."""
        dock_id = choice.dock.id if isinstance(choice, DispatchPlan) else choice
        saw: dict[str, Any] = {"dock_id": dock_id}
        if isinstance(choice, DispatchPlan):
            saw.update(plan_id=choice.plan_id, eta_s=round(choice.eta_s, 1))
        return await self._record("alert.dispatch", {"alert_id": alert_id, "dock_id": dock_id}, by, saw)


class RemoteServices:
    """The console's side of the site: replicas, requests and the server's presence; `start()`, then stop with the
    core loop (it registers its clean-up there)."""

    def __init__(self, site: Site, core: CoreLoop, *, errors: ErrorCounter | None = None,
                 station: Workstation | None = None, sign_in_required: bool = False) -> None:
        if site.broker is None:
            raise ValueError("site has no broker")
        self.station = station or Workstation.claim()
        self.console_id = self.station.console_id
        self.site = site
        self.core = core
        self.root = site.topic_root
        self.bus = EventBus()
        self.health = HealthModel(errors)
        self.bus.subscribe(self.health.on_event)
        self.health.set(broker_url=site.broker.url, docks_total=len(site.docks), drones_total=len(site.docks))
        self.health.add_provider(self._server_health)
        self.mqtt = MqttLink(site.broker, console_id=self.console_id, topic_root=self.root, bus=self.bus,
                             persistent=False, sign_in_required=sign_in_required)
        self.basemap: Basemap | None = load_basemap(site.basemap_path) if site.basemap_path else None
        self.cameras: CameraRegistry | None = CameraRegistry.load(site.cameras_path) if site.cameras_path else None
        self.alert_rules = load_alert_rules()
        self.fleet = FleetReplica(site.docks)
        self.docks = DockReplica(site.docks)
        self.tasks = RemoteTasks(self)
        self.alerts = RemoteAlerts(self)
        # The server as last seen.
        self.server_id: str | None = None
        self.server_online: dict[str, bool] = {}        # by server id: online and active, as its presence says
        self.server_roles: dict[str, str] = {}          # the site's servers that are online, and their roles
        self.last_frame_at: float | None = None        # time.monotonic()
        self.last_seq = -1
        self.last_sent: float | None = None            # the server's epoch time in the last frame applied
        self.present = False
        self._role: tuple[str | None, Role | None] = (None, None)   # (account, its role) as the server said
        self.open_site = False                  # the server trusts every console (no accounts on this site)
        self.present_since = time.time()
        self.latency_ms: float | None = None
        self._server_health_snap: dict[str, Any] | None = None
        self.frames = 0
        self.frame_bytes = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._watch: list[asyncio.Task[None]] = []
        m = self.mqtt
        m.subscribe(topic(self.root, "telemetry"), self._on_frame, qos=0)
        m.subscribe(topic(self.root, "state"), self._on_frame, qos=1)
        m.subscribe(topic(self.root, "presence", "+"), self._on_presence, qos=1)
        m.subscribe(topic(self.root, "alerts", "+"), self._on_alert, qos=1)
        m.subscribe(topic(self.root, "alert_desk"), self._on_desk, qos=1)
        m.subscribe(topic(self.root, "replies", self.console_id), self._on_reply, qos=1)
        m.subscribe(signout_topic(self.root, "+"), self._on_signout, qos=1)
        m.subscribe(f"{self.root}/console/v1/tasks/+", self._on_task, qos=1)

    @property
    def server_role(self) -> str | None:
        """The role of the server this console follows ("active"; None while none is present)."""
        return self.server_roles.get(self.server_id or "") if self.present else None

    # ----- lifecycle

    def start(self) -> None:
        """Connects (call from any thread once the core loop runs)."""
        self.core.call(self._start())
        self.core.on_shutdown(self._stop)

    # ----- who is signed in

    @property
    def role(self) -> Role | None:
        """The signed-in account's role as the server said it; None until it has (or with nobody signed in)."""
        user, role = self._role
        return role if user is not None and user == self.user else None

    @property
    def user(self) -> str | None:
        """The signed-in account (the broker's user name); None on an open site."""
        return self.mqtt.broker.username

    async def sign_in(self, user: str, password: str) -> Role | None:
        """Signs `user` in on this console (core loop): the link reconnects with the account's credentials (the
        broker checks the password: a wrong one raises SignInRefused), then the server says the account's role
        (None when no server answers yet: the role follows with the next sign-in request)."""
        await self.mqtt.switch_credentials(user, password)
        return await self.ask_role("session.sign_in")

    async def ask_role(self, op: str = "session.sign_in") -> Role | None:
        """The signed-in account's role as the server says it now (and journals the sign-in)."""
        try:
            result = await self.request(op, {}, by=self.user or "")
        except WorkflowRefused as exc:
            log.warning("the site server did not confirm the sign-in: %s", exc)
            return None
        self._role = (self.user, role_of(result.get("role")) if isinstance(result, dict) else None)
        self.open_site = bool(result.get("open_site")) if isinstance(result, dict) else False
        self.bus.publish(SignedIn(self.user, self.role.value if self.role else None))
        return self.role

    async def sign_out(self, why: str = "sign_out") -> None:
        """Signs the account out: the sign-out is journaled when the server can still be told, then the link
        drops the credentials and disconnects (nothing more is seen until the next sign-in)."""
        log.info("signing %s out at this console (%s)", self.user, why)
        if self.user is not None and self.present and why == "sign_out":
            try:
                await self.request("session.sign_out", {}, by=self.user, timeout_s=3.0)
            except WorkflowRefused as exc:
                log.info("sign-out not journaled by the server: %s", exc)
        await self.mqtt.switch_credentials(None, None)
        self.bus.publish(SignedIn(None, None, why))

    def _on_signout(self, message: MqttMessage) -> None:
        """The server says this console's account was disabled: sign out at once."""
        user = str(message.topic).rsplit("/", 1)[-1]
        if user and user == self.user and payload_bytes(message):
            log.warning("the account %s was disabled; signing out", user)
            asyncio.get_running_loop().create_task(self.sign_out("account_disabled"))

    async def _start(self) -> None:
        self._watch = [asyncio.create_task(self.mqtt.run(), name="mqtt"),
                       asyncio.create_task(self._watch_server(), name="server-watch")]

    async def _stop(self) -> None:
        self.mqtt.stop_receiving()
        for fut in self._pending.values():
            fut.cancel()
        try:
            await self.mqtt.close()
        except Exception:  # noqa: BLE001 - stopping goes on
            log.exception("closing the MQTT link failed")
        for t in self._watch:
            t.cancel()
        await asyncio.gather(*self._watch, return_exceptions=True)

    # ----- what the server sends (console core loop)

    def _on_frame(self, message: MqttMessage) -> None:
        data = payload_bytes(message) or b""
        if not data:
            return
        try:
            header, numbers = decode_frame(data)
        except ValueError as exc:
            log.warning("unusable frame on %s: %s", message.topic, exc)
            return
        seq, server = header.get("seq"), header.get("server")
        sent = header.get("ts")
        # A server restarted with its identity (same data directory) counts from 1 again, with a later time.
        later = isinstance(sent, (int, float)) and (self.last_sent is None or sent > self.last_sent)
        if server == self.server_id and isinstance(seq, int) and seq <= self.last_seq and not later:
            return   # the retained full frame, older than the ticks already applied
        if server != self.server_id:
            self.server_id, self.last_seq = server, -1
        self.last_seq = seq if isinstance(seq, int) else self.last_seq
        self.last_sent = float(sent) if isinstance(sent, (int, float)) else self.last_sent
        if not isinstance(sent, (int, float)) or time.time() - sent <= SERVER_SILENT_S:
            self.last_frame_at = time.monotonic()
        # else: the retained frame of a server that is gone: the last known picture, not a sign of life
        self.frames += 1
        self.frame_bytes += len(data)
        links = self.fleet.link_counts()
        self.fleet.apply(header, numbers)
        if self.fleet.link_counts() != links or self.frames == 1:
            self.bus.publish(FleetLinksChanged(*self.fleet.link_counts()))
        if "docks" in header:
            self.docks.apply(header["docks"])
        if "tasks" in header:
            self.tasks.apply_tasks(header["tasks"], float(sent) if isinstance(sent, (int, float)) else None)
        if "locked" in header:
            self.tasks.locked = frozenset(int(s) for s in header["locked"])
        if "task_counts" in header:
            self.tasks.counts = dict(header["task_counts"])
        self._update_presence()

    def _on_task(self, message: MqttMessage) -> None:
        """A task transition as the server's task service publishes it (docs/architecture.md, "Console-to-console
        topics"): announced to the views that follow flights. A retained copy is an old state, not news."""
        if getattr(message, "retain", False):
            return
        body, _ = json_object(payload_bytes(message))
        try:
            if body is None:
                raise ValueError("not a JSON object")
            code = body.get("reason_code")
            event = TaskStateChanged(str(body["task_id"]), int(body["sysid"]), str(body["dock_id"]),
                                     body.get("alert_id"), TaskState(body["state"]),
                                     Reason.from_json(code) if code else None, str(body.get("by") or "server"))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("unusable task state on %s: %s", message.topic, exc)
            return
        # The open-task list follows at once, so a view reading it on the event never shows an older state.
        ts = body.get("ts")
        self.tasks.transition(event, float(ts) if isinstance(ts, (int, float)) else None)
        self.bus.publish(event)

    def _on_presence(self, message: MqttMessage) -> None:
        body, _ = json_object(payload_bytes(message))
        if body is None or not isinstance(body.get("server_id"), str):
            return
        sid, role = body["server_id"], body.get("role")
        online = bool(body.get("online"))
        self.server_online[sid] = online and role == "active"
        if online and isinstance(role, str):
            self.server_roles[sid] = role
        else:
            self.server_roles.pop(sid, None)
        self._update_presence()

    def _on_alert(self, message: MqttMessage) -> None:
        alert_id = str(message.topic).rsplit("/", 1)[-1]
        data = payload_bytes(message)
        if not data:
            self.alerts.drop(alert_id)
            return
        try:
            record = from_wire(AlertRecord, json.loads(data))
        except ValueError as exc:
            log.warning("unusable alert record %s from the server: %s", alert_id, exc)
            return
        old = self.alerts.put(record)
        if old is None:
            self.health.add("alerts_received")
            self.bus.publish(AlertReceived(record))
        elif old != record:
            self.bus.publish(AlertUpdated(record, "state"))

    def _on_desk(self, message: MqttMessage) -> None:
        body, _ = json_object(payload_bytes(message))
        if body is None:
            return
        try:
            quarantine = from_wire(tuple[QuarantineRecord, ...], body["quarantine"])
        except (KeyError, ValueError) as exc:
            log.warning("unusable alert desk figures from the server: %s", exc)
            return
        if self.alerts.set_quarantine(quarantine, int(body.get("quarantined") or 0)) and quarantine:
            self.bus.publish(AlertQuarantined(quarantine[-1]))
        self.health.set(alerts_quarantined=self.alerts.quarantined)

    def _on_reply(self, message: MqttMessage) -> None:
        body, _ = json_object(payload_bytes(message))
        if body is None:
            return
        fut = self._pending.get(str(body.get("request_id")))
        if fut is not None and not fut.done():
            fut.set_result(body)

    # ----- the server's presence

    def _update_presence(self) -> None:
        fresh = self.last_frame_at is not None and time.monotonic() - self.last_frame_at <= SERVER_SILENT_S
        present = fresh and self.server_online.get(self.server_id or "", True) and self.mqtt.connected
        if present != self.present:
            self.present, self.present_since = present, time.time()
            log.log(logging.INFO if present else logging.WARNING, "site server %s %s", self.server_id,
                    "present" if present else "lost")
            self.bus.publish(ServerStateChanged(present, self.server_id, self.server_roles.get(self.server_id or ""),
                                                self.present_since))

    async def _watch_server(self) -> None:
        next_health = 0.0
        asking: asyncio.Task[None] | None = None   # one question at a time, held so it is not collected
        confirming: asyncio.Task[Role | None] | None = None
        while True:
            self._update_presence()
            if self.present and self.user is not None and self.role is None and (confirming is None or
                                                                                  confirming.done()):
                # Signed in before the server was there (or while it was away): its word on the role now.
                confirming = asyncio.create_task(self.ask_role())
            if self.present and time.monotonic() >= next_health and (asking is None or asking.done()):
                next_health = time.monotonic() + HEALTH_PERIOD_S
                asking = asyncio.create_task(self._ask_health())
            await asyncio.sleep(WATCH_PERIOD_S)   # how often silence is noticed

    async def refresh_server_health(self, timeout_s: float = 5.0) -> None:
        """Asks the server for its health now (the smoke check's last look: its figures must be of this moment)."""
        if self.present:
            await asyncio.wait_for(self._ask_health(), timeout_s)

    async def _ask_health(self) -> None:
        t0 = time.monotonic()
        try:
            snap = await self.request("server.health", {}, by="health")
        except Exception as exc:  # noqa: BLE001 - a missing answer is itself the news
            log.info("site server health not read: %s", exc)
            return
        self.latency_ms = round((time.monotonic() - t0) * 1000, 1)
        self._server_health_snap = snap if isinstance(snap, dict) else None

    def server_figures(self) -> dict[str, Any]:
        """The server's own figures as it last answered (any thread: the answer is replaced whole)."""
        snap = self._server_health_snap
        return {k: snap[k] for k in SERVER_FIGURES if k in snap} if snap is not None else {}

    def _server_health(self) -> dict[str, Any]:
        drones = self.fleet.link_counts()
        snap: dict[str, Any] = {
            "server_present": self.present, "server_id": self.server_id,
            "server_role": self.server_role,
            "servers": dict(self.server_roles),
            "server_latency_ms": self.latency_ms, "server_frames": self.frames,
            "drones_connected": drones[0], "docks_online": self.docks.online_count,
            "tasks_by_state": dict(self.tasks.counts),
        }
        snap.update(user=self.user, role=self.role.value if self.role else None)
        if self.mqtt.sign_in_required and self.user is None:
            snap["server_problem"] = "nobody is signed in at this console"
            return snap
        if self.frames == 0:
            snap["drones_connected"] = 0
        if not self.present:
            snap["server_problem"] = ("no site server has answered on this broker" if self.server_id is None
                                      else f"site server {self.server_id} lost since "
                                           f"{time.strftime('%H:%M:%S', time.localtime(self.present_since))}")
        server = self._server_health_snap
        if server is not None:
            snap["server_problems"] = list(server.get("problems", ()))
            snap["server"] = self.server_figures()
        return snap

    # ----- requests

    async def request(self, op: str, args: dict[str, Any], *, by: str, saw: dict[str, Any] | None = None,
                      request_id: str | None = None, timeout_s: float = REPLY_TIMEOUT_S) -> Any:
        """Asks the server (console core loop) and returns its result, or raises its refusal; refused at once
        while no server is present, and with "did not answer" after `timeout_s`.

        A request not answered within a third of `timeout_s` is sent again with the same id (a reply lost with a
        server that died, a standby that took over meanwhile): the server carries out a command once whatever
        number of times it arrives, and answers each copy with the same reply.
        """
        if not self.present:
            raise WorkflowRefused(Reason.of("server.lost"))
        power = power_of(op)
        if power is None:
            raise WorkflowRefused(Reason.of("request.unknown_op", op=op))
        # Signed in, every request is the account's (the broker lets it publish under its own name only); on an
        # open site (no accounts) it is whoever the controller names.
        user = self.user or by
        request = Request(request_id or new_request_id(), self.console_id, user, op, args, saw or {}, time.time())
        where = request_topic(self.root, power.value, user, self.console_id)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[request.request_id] = fut
        deadline = loop.time() + timeout_s
        try:
            while True:
                try:
                    await self.mqtt.publish(where, request.to_json(), qos=1)
                except aiomqtt.MqttError as exc:
                    if not self.present:
                        raise WorkflowRefused(Reason.of("server.lost")) from exc
                left = deadline - loop.time()
                try:
                    reply = await asyncio.wait_for(asyncio.shield(fut), min(left, timeout_s / REQUEST_SENDS))
                    break
                except TimeoutError:
                    if loop.time() >= deadline - 0.01:
                        log.warning("request %s (%s) not answered in %.0f s", request.request_id, op, timeout_s)
                        raise WorkflowRefused(Reason.of("server.no_answer", seconds=round(timeout_s))) from None
                    log.info("request %s (%s) not answered yet; sending it again", request.request_id, op)
        finally:
            self._pending.pop(request.request_id, None)
        if reply.get("ok"):
            return reply.get("result")
        raise refusal_error(reply)

    async def automatics_for(self, alert_id: str) -> tuple[FiveAutomatics, AlertRecord]:
        """The five automatics of an alert, worked out by the server with the states of this moment."""
        result = await self.request("alert.automatics", {"alert_id": alert_id}, by="automatics")
        return from_wire(FiveAutomatics, result["five"]), from_wire(AlertRecord, result["record"])

    async def drone_command(self, op: str, sysid: int, by: str, **args: Any) -> Any:
        """A takeover command (`drone.hold`, ...) for one drone; the emergency stop returns what happened."""
        result = await self.request(op, {"sysid": sysid, **args}, by=by)
        return from_wire(Reason, result) if op == "drone.emergency_stop" and result else result


def discover_server(site: Site, timeout_s: float = DISCOVER_TIMEOUT_S) -> dict[str, Any] | None:
    """The active site server's retained presence on the site's broker (None when none answers in `timeout_s` or
    the broker cannot be reached): how a console attached with `--broker` finds its server and the site's video.
    Blocking; call before the console's loops start."""
    assert site.broker is not None
    broker = site.broker

    async def look() -> dict[str, Any] | None:
        async with aiomqtt.Client(broker.host, broker.port, username=broker.username, password=broker.password,
                                  protocol=aiomqtt.ProtocolVersion.V311, timeout=timeout_s,
                                  tls_context=tls_context_for(broker)) as client:
            await client.subscribe(topic(site.topic_root, "presence", "+"), qos=1)
            async for message in client.messages:
                body, _ = json_object(payload_bytes(message))
                if body is not None and body.get("online") and body.get("role") == "active":
                    return body
        return None

    try:
        return asyncio.run(asyncio.wait_for(look(), timeout_s))
    except (TimeoutError, aiomqtt.MqttError, OSError) as exc:
        log.info("no active site server found on %s: %s", broker.url, exc or "timed out")
        return None
