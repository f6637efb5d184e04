"""The audit trail's cost (drones/audit.py): an append, and a verify of the whole chain.

- append: one entry in a transaction of its own (`AuditLog.append`), and a drone command journaled with its
  entry in one transaction (`Journal.command`, what the server does for every command), each timed alone;
  p50/p99/max on SQLite (WAL, synchronous=NORMAL, the server's settings) and on PostgreSQL (a throwaway
  cluster over a unix socket, tests/postgres.py; fsync off there, so this is the CPU and round-trip cost,
  not the disk's). Goal: append p99 <= 2 ms on SQLite.
- verify: `AuditLog.verify` over a trail of 100,000 entries (filled in one transaction), entries per second.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from drones.audit import AuditEntry, AuditKind
from drones.journal import Journal

APPENDS = 3_000
VERIFY_N = 100_000
GOAL_P99_MS = 2.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": _ms(statistics.median(ordered)), "p99_ms": _ms(ordered[int(len(ordered) * 0.99) - 1]),
            "max_ms": _ms(ordered[-1]), "n": len(ordered)}


def _entry(i: int) -> AuditEntry:
    return AuditEntry(AuditKind.REQUEST, "drone.hold", user=f"调度员{i % 9}", role="dispatcher", console="c1",
                      sysid=i % 56 + 1, result="accepted", detail={"request_id": f"R{i}"})


def _measure(target: Path | str) -> dict[str, Any]:
    j = Journal(target)
    append_s, command_s = [], []
    for i in range(APPENDS):
        t0 = time.perf_counter()
        j.audit.append(_entry(i))
        append_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        j.command(f"drone:{i % 56 + 1}", "hold", by="调度员", result="accepted")
        command_s.append(time.perf_counter() - t0)
    with j._db.transaction():   # the fill is not what is measured: one transaction, the same append path
        for i in range(VERIFY_N - j.audit.count()):
            j.audit.append(_entry(i))
    t0 = time.perf_counter()
    result = j.audit.verify()
    verify_s = time.perf_counter() - t0
    assert result.ok and result.checked == VERIFY_N, result
    j.close()
    return {"append": _stats(append_s), "command_with_entry": _stats(command_s),
            "verify": {"entries": result.checked, "seconds": round(verify_s, 2),
                       "per_s": round(result.checked / verify_s)}}


def run() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qd-bench-audit-") as tmp:
        out["sqlite"] = _measure(Path(tmp) / "journal.sqlite")
    from tests.postgres import PostgresCluster, postgres_bindir

    bindir = postgres_bindir()
    if bindir is None:
        out["postgresql"] = "skipped: no PostgreSQL server binaries"
    else:
        cluster = PostgresCluster(bindir)
        cluster.start()
        try:
            out["postgresql"] = _measure(cluster.create_database())
        finally:
            cluster.stop()
    p99 = out["sqlite"]["append"]["p99_ms"]
    out["goal"] = f"append p99 <= {GOAL_P99_MS:g} ms on SQLite"
    out["goal_met"] = p99 <= GOAL_P99_MS
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
