"""Consoles' requests to the active site server, and its one reply to each (docs/architecture.md, "Site server").

A console publishes a request (console_server contract: `Request`) on `{root}/server/v1/requests/{console_id}`
and waits for the reply with the same id on `{root}/server/v1/replies/{console_id}`. Here each request is

1. checked: well formed, sent by the console its topic names, not older than REPLY_TIMEOUT_S (nobody waits
   for an older one: a command carried out late would surprise everyone), an operation this server knows;
2. for a command (COMMAND_OPS), journaled before it runs (`Journal.begin_request`): the same request id seen
   again is answered with the journaled reply, or not at all while the first is still running, and never
   carried out twice;
3. carried out by the core's own services, for the console that asked (ACTING_CONSOLE: authority is
   taken for and checked against that console) and its operator;
4. answered: accepted with a result, or refused with the core's reason (`refusal_reply`); the reply is
   journaled with the request, then published.

Questions (QUERY_OPS: the five automatics of an alert) are answered fresh every time and not journaled: a
console asks once a second for the alert it shows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiomqtt

from console.core.alert_events import WorkflowRefused
from console.core.server_contract import (COMMAND_OPS, QUERY_OPS, REPLY_TIMEOUT_S, Request, ok_reply,
                                          refusal_reply, request_topic_parts, topic)
from console.core.wire import from_wire, to_wire
from console.server.authorize import Authorizer, Caller
from drones.audit import AuditFilter, AuditResult
from drones.authority import ACTING_CONSOLE
from drones.model import CommandRefused
from drones.mqtt_port import MqttMessage, json_object, payload_bytes
from vocab import Reason

if TYPE_CHECKING:
    from console.core.services import CoreServices

log = logging.getLogger(__name__)

NO_OPEN_TASK = Reason.of("command.drone_no_task")


class RequestHandler:
    """Subscribes to every console's requests on the site link and answers them; counts what it did."""

    def __init__(self, services: CoreServices, authorizer: Authorizer) -> None:
        self.services = services
        self.authorizer = authorizer
        self.root = services.site.topic_root
        self.handled = 0
        #: Accounts that have made a request since this server became active (watched for being disabled).
        self.users: set[str] = set()
        self.replayed = 0
        self.refused = 0
        self._running: set[asyncio.Task[None]] = set()
        self._ops: dict[str, Callable[[Request], Awaitable[Any]]] = self._table()
        services.mqtt.subscribe(topic(self.root, "requests", "+", "+", "+"), self._on_message, qos=1)

    def answer_interrupted(self) -> int:
        """Answers the commands a server that died left half done (journaled, never answered): a standby that
        takes over does not know how far they got, so it says so rather than run them again. Returns how many."""
        journal = self.services.tasks.journal
        open_requests = [r for r in journal.requests() if r.reply is None]
        for r in open_requests:
            exc = WorkflowRefused(Reason.of("request.interrupted"))
            journal.finish_request(r.request_id, refusal_reply(r.request_id, exc), time.time())
            log.warning("request %s (%s from %s@%s) was interrupted by a server stop; answered so", r.request_id,
                        r.op, r.operator, r.console)
        return len(open_requests)

    def _on_message(self, message: MqttMessage) -> None:
        """MQTT handler (core loop): reads the request and starts it; never raises."""
        where = request_topic_parts(self.root, str(message.topic))
        if where is None:
            log.warning("request on an unexpected topic %s; ignored", message.topic)
            return
        power, user, console = where
        body, problem = json_object(payload_bytes(message))
        try:
            if body is None:
                raise ValueError(problem)
            request = Request.from_json(body)
        except ValueError as exc:
            log.warning("unusable request from %s at console %s: %s", user, console, exc)
            return
        if request.console != console:
            log.warning("request %s names console %s but came on %s's topic; ignored", request.request_id,
                        request.console, console)
            return
        task = asyncio.get_running_loop().create_task(self._handle(request, power, user), name=f"request-{request.op}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _handle(self, request: Request, power: str, user: str) -> None:
        journal = self.services.tasks.journal
        command = request.op in COMMAND_OPS
        try:
            caller: Caller | None = self.authorizer.check(request, power=power, user=user)
        except WorkflowRefused as exc:
            caller, refusal = None, exc
            log.warning("request %s (%s) from account %s at console %s refused: %s", request.request_id,
                        request.op, user, request.console, exc)
        if caller is None:
            # Journaled under the account that sent it, whatever it claimed; a request id already known is not
            # answered from the journal (it may be someone else's).
            self.refused += 1
            reply = refusal_reply(request.request_id, refusal)
            found = self.authorizer.account(user)
            role = found[0].value if found and found[0] else None
            if journal.begin_request(request.request_id, console=request.console, operator=user, op=request.op,
                                     args=request.args, saw=request.saw, ts=time.time(), role=role) is None:
                journal.finish_request(request.request_id, reply, time.time())
            if request.op == "session.sign_in":
                journal.audit.session(user, role, request.console, "sign_in", AuditResult.REFUSED,
                                      refusal.reason.code)
            await self._send(request, reply)
            return
        self.users.add(caller.user)
        if command:
            known = journal.begin_request(request.request_id, console=request.console, operator=request.operator,
                                          op=request.op, args=request.args, saw=request.saw, ts=time.time(),
                                          role=caller.role.value)
            if known == "pending":
                log.info("request %s is already being carried out; its reply will come", request.request_id)
                return
            if known is not None:
                self.replayed += 1
                log.info("request %s came again: answered as before, not carried out again", request.request_id)
                await self._send(request, known)
                return
        reply = await self._execute(request)
        if command:
            journal.finish_request(request.request_id, reply, time.time())
        await self._send(request, reply)

    async def _execute(self, request: Request) -> dict[str, Any]:
        age = time.time() - request.ts
        op = self._ops.get(request.op)
        try:
            if op is None or request.op not in COMMAND_OPS | QUERY_OPS:
                raise WorkflowRefused(Reason.of("request.unknown_op", op=request.op))
            if age > REPLY_TIMEOUT_S:
                raise WorkflowRefused(Reason.of("request.expired", seconds=round(age, 1)))
            token = ACTING_CONSOLE.set(request.console)
            try:
                result = await op(request)
            finally:
                ACTING_CONSOLE.reset(token)
        except Exception as exc:  # noqa: BLE001 - every refusal and failure is the console's answer
            self.refused += 1
            if not hasattr(exc, "reason"):
                log.exception("request %s (%s) failed", request.request_id, request.op)
            else:
                log.info("request %s (%s from %s@%s) refused: %s", request.request_id, request.op, request.operator,
                         request.console, exc)
            return refusal_reply(request.request_id, exc)
        self.handled += 1
        return ok_reply(request.request_id, result)

    async def _send(self, request: Request, reply: dict[str, Any]) -> None:
        try:
            await self.services.mqtt.publish(topic(self.root, "replies", request.console), reply, qos=1)
        except aiomqtt.MqttError as exc:
            # The console retries with the same id after its timeout and gets the journaled reply.
            log.warning("reply to %s for %s not sent: %s", request.console, request.request_id, exc)

    async def close(self) -> None:
        for t in self._running:
            t.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    # ----- the operations ---------------------------------------------------------------------------------

    def _table(self) -> dict[str, Callable[[Request], Awaitable[Any]]]:
        s = self.services
        alerts, tasks = s.alerts, s.tasks
        m = tasks.manager

        def record(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Any]]:
            async def run(r: Request) -> Any:
                return to_wire(await fn(r))
            return run

        async def automatics(r: Request) -> Any:
            five, rec = await s.automatics_for(str(r.args["alert_id"]))
            return {"five": to_wire(five), "record": to_wire(rec)}

        async def dispatch(r: Request) -> Any:
            dock_id = r.args.get("dock_id")
            if r.saw.get("dock_id") != dock_id:
                raise WorkflowRefused(Reason.of("request.saw_other_dock", dock=str(dock_id),
                                                saw=str(r.saw.get("dock_id"))))
            return to_wire(await alerts.dispatch_alert(str(r.args["alert_id"]), by=r.operator,
                                                       choice=str(dock_id) if dock_id else None))

        async def abort(r: Request) -> None:
            task = m.open_task_for(int(r.args["sysid"]))
            if task is None:
                raise CommandRefused(NO_OPEN_TASK, command="abort")
            await m.abort(task.task_id, by=r.operator)

        async def reactivate(r: Request) -> None:
            m.reactivate(int(r.args["sysid"]), by=r.operator)

        async def emergency_stop(r: Request) -> Any:
            return to_wire(await m.emergency_stop(int(r.args["sysid"]), by=r.operator))

        def alert_id(r: Request) -> str:
            return str(r.args["alert_id"])

        def sysid(r: Request) -> int:
            return int(r.args["sysid"])

        async def health(r: Request) -> Any:
            return s.health.snapshot()

        async def signed(r: Request) -> Any:
            # The console learns its role from the server, the one that checks it.
            found = self.authorizer.account(r.operator)
            role = found[0].value if found and found[0] else None
            what = r.op.removeprefix("session.")
            log.info("%s (%s) %s at console %s", r.operator, role, what, r.console)
            tasks.journal.audit.session(r.operator, role, r.console, what, AuditResult.ACCEPTED)
            return {"user": r.operator, "role": role, "open_site": self.authorizer.open_site}

        async def audit(r: Request) -> Any:
            try:
                wanted = AuditFilter.from_json(r.args)
            except ValueError as exc:
                raise WorkflowRefused(Reason.said(f"audit filter: {exc}")) from exc
            # On the core loop like every other use of the journal's connection (a query of at most `limit` rows).
            return to_wire(tasks.journal.audit.query(wanted))

        async def automation(r: Request) -> Any:
            alerts.automation_on = bool(r.args["on"])
            log.warning("automation %s by %s", "on" if alerts.automation_on else "off", r.operator)
            return {"on": alerts.automation_on}

        return {
            "server.health": health,
            "alert.automatics": automatics,
            "alert.dispatch": dispatch,
            "alert.acknowledge": record(lambda r: alerts.acknowledge(alert_id(r), by=r.operator)),
            "alert.assign": record(lambda r: alerts.assign(alert_id(r), r.args.get("operator"), by=r.operator)),
            "alert.note": record(lambda r: alerts.add_note(alert_id(r), str(r.args.get("text", "")), by=r.operator)),
            "alert.dismiss": record(lambda r: alerts.dismiss(alert_id(r), from_wire(Reason, r.args["reason"]),
                                                             by=r.operator)),
            "alert.resolve": record(lambda r: alerts.resolve(alert_id(r), by=r.operator)),
            "alert.reopen": record(lambda r: alerts.reopen(alert_id(r), by=r.operator)),
            "alert.split": record(lambda r: alerts.split(alert_id(r), by=r.operator)),
            "drone.hold": lambda r: m.hold(sysid(r), by=r.operator),
            "drone.resume": lambda r: m.resume(sysid(r), by=r.operator),
            "drone.goto": lambda r: m.goto(sysid(r), float(r.args["lat"]), float(r.args["lon"]),
                                           float(r.args["alt_amsl_m"]), by=r.operator),
            "drone.altitude": lambda r: m.change_altitude(sysid(r), float(r.args["alt_rel_m"]), by=r.operator),
            "drone.return": lambda r: m.return_home(sysid(r), by=r.operator),
            "drone.land": lambda r: m.land_here(sysid(r), by=r.operator),
            "drone.abort": abort,
            "drone.emergency_stop": emergency_stop,
            "drone.reactivate": reactivate,
            "audit.query": audit,
            "session.sign_in": signed,
            "session.sign_out": signed,
            "automation.set": automation,
            "authority.take": lambda r: tasks.take_authority(str(r.args["dock_id"]), r.operator, force=False),
            "authority.force": lambda r: tasks.take_authority(str(r.args["dock_id"]), r.operator, force=True),
            "authority.release": lambda r: tasks.release_authority(str(r.args["dock_id"]), r.operator),
        }
