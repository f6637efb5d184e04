"""A headless console process for tests of the site server as processes (tests/test_site_server_processes.py).

    python -m tests.console_probe --site FILE --broker URL --data-dir DIR [--operator NAME]

It is the console's Qt-free client core (`RemoteServices`, console/remote/site_client.py) on a `CoreLoop`, as the
Qt console runs it, with JSON lines instead of a window:

- stdout, one JSON object a line. `{"event": "state", "t", ...}` whenever what the console sees changes (checked
  every POLL_S): the server's presence and id, drones linked, drones with a position, drones reporting
  themselves healthy, docks online, alert states (and note counts) by id, open tasks. `{"event": "reply", "id",
  "t", "ok", ...}` for each command read on stdin; a refusal carries `refusal` (the exception's class), `code`
  (its reason code) and `reason` (its English words). `{"event": "ready", "console_id"}` first. `t` is the
  epoch time the line was written.
- stdin, one JSON command a line, each with an `id` of the caller's choosing:
  `{"id", "cmd": "request", "op", "args", "saw"?, "request_id"?, "by"?, "timeout_s"?}`: `RemoteServices.request()`;
  `{"id", "cmd": "dispatch", "alert_id", "dock_id"?}`: `alerts.dispatch_alert()` as the alert desk does;
  `{"id", "cmd": "drone", "op", "sysid"}`: `drone_command()`, a takeover command.

The process stops at EOF on stdin (or any signal).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

from console.cli import load_requested_site
from console.core.core_loop import CoreLoop
from console.core.workstation import Workstation
from console.remote.site_client import RemoteServices

POLL_S = 0.1
#: A state line goes out at least this often even when nothing changed (a heartbeat of the probe itself).
HEARTBEAT_S = 1.0


class Probe:
    def __init__(self, services: RemoteServices, operator: str) -> None:
        self.services = services
        self.operator = operator
        self._out = threading.Lock()

    def say(self, line: dict[str, Any]) -> None:
        with self._out:
            sys.stdout.write(json.dumps({**line, "t": time.time()}, ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()

    def state(self) -> dict[str, Any]:
        s = self.services
        snaps = s.fleet.snapshots()
        positioned = sum(1 for d in snaps if d.lat is not None and d.lon is not None
                         and not math.isnan(d.lat) and not math.isnan(d.lon))
        return {
            "event": "state", "present": s.present, "server_id": s.server_id, "role": s.server_role,
            "linked": s.fleet.link_counts()[0], "positioned": positioned,
            "healthy": sum(1 for d in snaps if d.healthy), "docks_online": s.docks.online_count,
            "alerts": {r.id: r.state.value for r in sorted(s.alerts.alerts(), key=lambda r: r.id)},
            "notes": {r.id: len(r.notes) for r in s.alerts.alerts()},
            "tasks": sorted(({"task_id": t.task_id, "state": t.state.value, "sysid": t.sysid,
                              "alert_id": t.alert_id} for t in s.tasks.open_tasks), key=lambda t: t["task_id"]),
        }

    def watch(self) -> None:
        last: dict[str, Any] | None = None
        last_at = 0.0
        while True:
            now = self.state()
            if now != last or time.monotonic() - last_at >= HEARTBEAT_S:
                self.say(now)
                last, last_at = now, time.monotonic()
            time.sleep(POLL_S)   # the probe's sampling period, not a synchronisation

    async def run_command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        s = self.services
        by = str(cmd.get("by") or self.operator)
        kind = cmd.get("cmd")
        if kind == "request":
            result = await s.request(str(cmd["op"]), dict(cmd.get("args") or {}), by=by, saw=cmd.get("saw"),
                                     request_id=cmd.get("request_id"), timeout_s=float(cmd.get("timeout_s", 15.0)))
        elif kind == "dispatch":
            record = await s.alerts.dispatch_alert(str(cmd["alert_id"]), by=by, choice=cmd.get("dock_id"))
            result = {"alert_id": record.id, "state": record.state.value, "task_id": record.task_id}
        elif kind == "drone":
            result = await s.drone_command(str(cmd["op"]), int(cmd["sysid"]), by)
        else:
            raise ValueError(f"unknown cmd {kind!r}")
        return {"ok": True, "result": result}

    def handle(self, core: CoreLoop, line: str) -> None:
        try:
            cmd = json.loads(line)
        except ValueError as exc:
            self.say({"event": "reply", "id": None, "ok": False, "refusal": "bad_json", "code": str(exc)})
            return
        fut = core.submit(self.run_command(cmd))

        def done(f: Any) -> None:
            reply: dict[str, Any] = {"event": "reply", "id": cmd.get("id")}
            exc = f.exception()
            if exc is None:
                reply.update(f.result())
            else:
                reason = getattr(exc, "reason", None)
                reply.update(ok=False, refusal=type(exc).__name__,
                             code=getattr(reason, "code", None) or str(exc),
                             reason=getattr(reason, "en", None))
            self.say(reply)

        fut.add_done_callback(done)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.console_probe")
    p.add_argument("--site", required=True, help="TOML site file")
    p.add_argument("--broker", required=True, help="MQTT broker URL")
    p.add_argument("--data-dir", required=True, help="the console's station directory (its identity)")
    p.add_argument("--operator", default="op")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    site, _demo = load_requested_site(args.site, args.broker)
    station = Workstation.claim(Path(args.data_dir))
    core = CoreLoop("probe-core")
    core.start()
    services = RemoteServices(site, core, station=station)
    services.start()
    probe = Probe(services, args.operator)
    probe.say({"event": "ready", "console_id": services.console_id})
    threading.Thread(target=probe.watch, name="probe-watch", daemon=True).start()
    for line in sys.stdin:
        if line.strip():
            probe.handle(core, line)
    core.stop(timeout_s=3.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
