"""A console's Qt-free core as a process of its own, for tests that kill it and start it again.

    python -m tests.console.core.core_process SITE_FILE DATA_DIR

Runs the real CoreServices (MQTT link, fleet over MAVSDK, docks, tasks and their journal, command
authority, alerts) on a CoreLoop, with the workstation identity of DATA_DIR, exactly as the
console does minus its window. It prints JSON lines on stdout: {"event": "ready", "console_id"}
once every drone is linked and every dock online, {"event": "task", ...} on every task
transition, and one {"id", "ok", ...} answer per command read from stdin (one JSON object a line):

    {"id": 1, "do": "dispatch", "dock": "T01", "bearing_deg": 45, "distance_m": 300}
    {"id": 2, "do": "command", "name": "hold" | "resume" | "return_home" | "land_here", "sysid": 1}
    {"id": 3, "do": "take_authority", "dock": "T01", "force": false}
    {"id": 4, "do": "state", "dock": "T01"}

A refusal answers {"id", "ok": false, "code", "text", "holder_offline"?}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path
from typing import Any

from console.core.core_loop import CoreLoop
from console.core.services import CoreServices
from console.core.workstation import Workstation
from drones.authority import AuthorityHeld
from drones.geo import destination
from drones.model import CommandRefused, DispatchRefused
from drones.site import load_site
from drones.tasks import TaskStateChanged


_out = threading.Lock()


def say(message: dict[str, Any]) -> None:
    with _out:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


async def handle(services: CoreServices, request: dict[str, Any]) -> dict[str, Any]:
    tasks, do = services.tasks, request["do"]
    by = request.get("by", "op-test")
    if do == "dispatch":
        dock = next(d for d in services.site.docks if d.id == request["dock"])
        lat, lon = destination(dock.lat, dock.lon, request.get("bearing_deg", 45.0), request.get("distance_m", 300.0))
        task = await tasks.dispatch(dock, tasks.plan_to(dock, lat, lon, "waterlogging"), by=by)
        return {"task_id": task.task_id}
    if do == "command":
        manager, sysid = tasks.manager, int(request["sysid"])
        method = {"hold": manager.hold, "resume": manager.resume, "return_home": manager.return_home,
                  "land_here": manager.land_here}[request["name"]]
        await method(sysid, by=by)
        return {}
    if do == "take_authority":
        await tasks.take_authority(request["dock"], by, force=bool(request.get("force")))
        return {}
    if do == "state":
        holder = tasks.authority.holder(request["dock"])
        return {"open_tasks": [{"task_id": t.task_id, "dock_id": t.dock_id, "state": t.state.value}
                               for t in tasks.open_tasks],
                "holder": None if holder is None else holder.console, "console_id": services.station.console_id}
    raise ValueError(f"unknown request {do!r}")


def answer(services: CoreServices, request: dict[str, Any]) -> None:
    try:
        result = services.core.call(handle(services, request), timeout_s=60)
    except (CommandRefused, DispatchRefused) as exc:
        say({"id": request.get("id"), "ok": False, "code": exc.reason.code, "text": exc.reason.en,
             "holder_offline": getattr(exc, "holder_offline", None) if isinstance(exc, AuthorityHeld) else None})
        return
    except Exception as exc:  # noqa: BLE001 - the test reads the failure
        say({"id": request.get("id"), "ok": False, "code": "error", "text": repr(exc)})
        return
    say({"id": request.get("id"), "ok": True, **result})


def main(site_file: str, data_dir: str) -> int:
    site = load_site(Path(site_file))
    core = CoreLoop()
    core.start()
    services = CoreServices(site, core, station=Workstation.claim(Path(data_dir)))
    services.bus.subscribe(lambda e: say({"event": "task", "task_id": e.task_id, "dock_id": e.dock_id,
                                          "state": e.state.value,
                                          "reason": e.reason.code if e.reason else None})
                           if isinstance(e, TaskStateChanged) else None)
    services.start()

    async def ready() -> None:
        while not all(services.fleet.snapshot(d.sysid).healthy and services.docks.state(d.id).online
                      for d in site.docks):
            await asyncio.sleep(0.1)  # polling the fleet and docks until the site is up

    core.call(ready(), timeout_s=60)
    say({"event": "ready", "console_id": services.station.console_id})
    for line in sys.stdin:
        if line.strip():
            answer(services, json.loads(line))
    core.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
