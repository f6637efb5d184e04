"""What a person may do on a secured site, end to end: real Mosquitto running the generated configuration, a real
site server checking the account book, a simulated dock and drone, and hand-made requests sent with the
`mosquitto_pub` command line, as someone trying to get around the console's buttons would
(docs/security.md, "Roles")."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import uuid
from typing import Any

import aiomqtt

from console.core.roles import Role
from console.core.server_contract import request_topic, signout_topic, topic
from console.security import accounts
from console.security.site_kit import apply_account_change
from drones.audit import AuditFilter
from drones.mqtt_tls import tls_context_for
from tests.conftest import wait_until
from tests.security_fixtures import SecuredScene, SecuredSite

ROOT = "qdcb"
REPLY_S = 20.0


def mosquitto_pub(site: SecuredSite, user: str, name: str, body: dict[str, Any]) -> str:
    """Publishes as `user` with the real command line, MQTT 5 (QoS 1: the broker answers the publish with a reason
    code, which mosquitto_pub prints when it is a refusal); its output."""
    r = subprocess.run(["mosquitto_pub", "-V", "mqttv5", "-h", "127.0.0.1", "-p", str(site.broker.people_port),
                        "--cafile", str(site.ca_file), "-u", user, "-P", site.passwords[user], "-q", "1",
                        "-i", f"pub-{user}-{uuid.uuid4().hex[:6]}", "-t", name, "-m", json.dumps(body)],
                       capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def request(user: str, console: str, op: str, args: dict[str, Any], saw: dict[str, Any] | None = None) -> dict:
    return {"request_id": uuid.uuid4().hex, "console": console, "operator": user, "op": op, "args": args,
            "saw": saw or {}, "ts": time.time()}


class Replies:
    """Every reply the server publishes, read by a person's own account (everyone may read the site)."""

    def __init__(self, site: SecuredSite, user: str) -> None:
        self.got: dict[str, dict[str, Any]] = {}
        self.signed_out: list[str] = []             # sign-out notices, by topic
        self.loop = asyncio.new_event_loop()
        self.cfg = site.person(user)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.reader = asyncio.run_coroutine_threadsafe(self._run(), self.loop)
        wait_until(lambda: self.ready.is_set() or self.reader.done(), 10, "the reply reader subscribed")
        assert self.ready.is_set(), self.reader.exception()

    def close(self) -> None:
        self.reader.cancel()
        wait_until(self.reader.done, 10, "the reply reader gone")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _run(self) -> None:
        async with aiomqtt.Client(self.cfg.host, self.cfg.port, username=self.cfg.username,
                                  password=self.cfg.password, tls_context=tls_context_for(self.cfg)) as client:
            await client.subscribe(topic(ROOT, "replies", "#"), qos=1)
            await client.subscribe(signout_topic(ROOT, "+"), qos=1)
            self.ready.set()
            async for m in client.messages:
                if m.topic.matches(signout_topic(ROOT, "+")):
                    self.signed_out.append(str(m.topic))
                    continue
                body = json.loads(bytes(m.payload))
                self.got[body["request_id"]] = body

    def wait(self, request_id: str) -> dict[str, Any]:
        wait_until(lambda: request_id in self.got, REPLY_S, f"the reply to {request_id}")
        return self.got[request_id]


def test_a_viewers_hand_made_dispatch_is_refused_by_the_broker_and_the_server_checks_every_claim(
        secured_scene: SecuredScene) -> None:
    site, dock, server = secured_scene.site, secured_scene.dock, secured_scene.server
    site.add_user("vera", Role.VIEWER)
    site.add_user("dina", Role.DISPATCHER)
    replies = Replies(site, "vera")
    try:
        services = server.services
        alert_id = "ALR-SEC-1"
        journal = services.tasks.journal

        def asked(user: str, console: str, op: str, args: dict[str, Any], power: str,
                  saw: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
            body = request(user, console, op, args, saw)
            said = mosquitto_pub(site, user, request_topic(ROOT, power, user, console), body)
            return body, said

        dispatch = {"alert_id": alert_id, "dock_id": dock.id}
        # 1. The viewer's dispatch on the dispatchers' topic: the broker refuses the publish itself.
        viewer_dispatch, said = asked("vera", "c-vera", "alert.dispatch", dispatch, "drones", {"dock_id": dock.id})
        assert "not authori" in said.lower(), said
        viewer_take, said = asked("vera", "c-vera", "authority.take", {"dock_id": dock.id}, "drones")
        assert "not authori" in said.lower(), said
        # 2. Smuggled in on the questions' topic (which a viewer may use): the server refuses it for its kind.
        smuggled, _ = asked("vera", "c-vera", "alert.dispatch", dispatch, "ask", {"dock_id": dock.id})
        assert replies.wait(smuggled["request_id"])["reason"]["code"] == "request.wrong_class"
        # The broker's refusal reached nobody: the server has no trace of the first request, though it has
        # answered the second, sent after it.
        seen = {r.request_id for r in journal.requests()}
        assert viewer_dispatch["request_id"] not in seen and viewer_take["request_id"] not in seen
        assert journal.open_tasks() == [] and services.tasks.authority.holder(dock.id) is None
        # 3. A dispatcher's request claiming to be someone else: refused, whatever the claimed user may do.
        claimed = request("sue", "c-dina", "authority.take", {"dock_id": dock.id})
        mosquitto_pub(site, "dina", request_topic(ROOT, "drones", "dina", "c-dina"), claimed)
        assert replies.wait(claimed["request_id"])["reason"]["code"] == "request.user_mismatch"
        # 4. The same takeover from the dispatcher as herself: carried out, and the authority is hers.
        take, said = asked("dina", "c-dina", "authority.take", {"dock_id": dock.id}, "drones")
        assert "not authori" not in said.lower(), said
        assert replies.wait(take["request_id"])["ok"] is True
        holder = services.tasks.authority.holder(dock.id)
        assert holder is not None and holder.operator == "dina" and holder.console == "c-dina"
        # 5. A supervisor's power (forcing authority) is not hers: the broker refuses the publish.
        _, said = asked("dina", "c-dina", "authority.force", {"dock_id": dock.id}, "supervise")
        assert "not authori" in said.lower(), said
        # Every request the server saw is in the audit trail with who, role and result; the chain holds.
        trail = journal.audit.query(AuditFilter(console="c-dina"))
        assert {(e.user, e.role, e.what, e.result) for e in trail} >= {
            ("dina", "dispatcher", "authority.take", "accepted"), ("dina", "dispatcher", "authority.take", "refused")}
        assert journal.audit.verify().ok

        # 6. An account disabled while signed in: the server tells its consoles to sign out, refuses its requests,
        # and the broker no longer lets it in.
        assert replies.signed_out == []
        accounts.set_enabled(site.site_dir, "dina", False)
        apply_account_change(site.site_dir)
        wait_until(lambda: replies.signed_out == [signout_topic(ROOT, "dina")], REPLY_S, "dina signed out")
        assert [e.what for e in journal.audit.query(AuditFilter(user="dina", kind="session"))] == [
            "signed_out_disabled"]
    finally:
        replies.close()
