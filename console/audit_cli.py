"""`main.py admin verify-audit` and `main.py admin export-audit`: check the audit trail's chain, export it as CSV.

Both read the site server's task journal (`drones/audit.py`), named by `--journal` (a SQLite file or a
`postgresql://` URL) or by `--site FILE` (its `[journal] url`, else `journal.sqlite` in the server's data
directory, `--data-dir` or the default one). They only read: a journal is opened without creating or
migrating anything, so checking a copy taken for an inquiry leaves it as it was.

Exit codes: 0 the chain is whole (or the export is written), 1 the chain is broken (the first broken entry is
named), 2 the journal cannot be opened or has no audit trail, or bad arguments.

    python main.py admin verify-audit --journal /var/lib/qd/server/journal.sqlite
    python main.py admin export-audit --site site.toml --user 张三 --since 2025-03-01 --out audit.csv
    python -m console.audit_cli verify-audit --journal postgresql:///qd?host=/run/postgresql&user=qd
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from drones.audit import AuditFilter, AuditKind, AuditLog, local_iso, to_csv
from drones.journal import PG_SCHEMA
from drones.journal_db import JournalDB, JournalDBError, PostgresDB, SQLiteDB, is_postgres_url, storage_errors

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_UNUSABLE = 2


class AuditOpenError(Exception):
    """The journal cannot be opened, or holds no audit trail; `str()` says which and why."""


def open_audit(target: str | Path) -> tuple[AuditLog, JournalDB]:
    """The audit trail of an existing journal, opened read-as-is (no schema is created or migrated); close
    the returned database when done. AuditOpenError when there is none to read."""
    db: JournalDB
    try:
        if is_postgres_url(target):
            db = PostgresDB(str(target), PG_SCHEMA)
            db.execute(f"SET search_path TO {PG_SCHEMA}")
        elif isinstance(target, str) and "://" in target:
            raise AuditOpenError(f"{target}: not a journal (a file path or a postgresql:// URL)")
        else:
            path = Path(target)
            if not path.is_file():
                raise AuditOpenError(f"{path}: no such journal file")
            db = SQLiteDB(path)
        if not db.columns("audit"):
            db.close()
            raise AuditOpenError(f"{db.target}: no audit trail in this journal")
    except JournalDBError as exc:
        raise AuditOpenError(str(exc)) from None
    except storage_errors() as exc:
        raise AuditOpenError(f"{target}: cannot read the journal: {exc}") from None
    return AuditLog(db), db


def site_journal(site_file: str | Path, data_dir: str | Path | None = None) -> str | Path:
    """Where a site's server keeps its task journal: `[journal] url`, else `journal.sqlite` in its data dir."""
    from drones.site import load_site   # only for --site

    site = load_site(site_file)
    if site.journal_url:
        return site.journal_url
    if data_dir is None:
        from platformdirs import user_data_dir

        # As `main.py server` chooses it (console/server/server_main.py: default_data_dir).
        data_dir = Path(os.environ.get("QD_CONSOLE_DATA_DIR") or user_data_dir("qd-console", appauthor=False)) / "server"
    return Path(data_dir) / "journal.sqlite"


def verify_audit(target: str | Path, out: TextIO | None = None, expect: dict[int, str] | None = None) -> int:
    """Checks the chain of the journal at `target` (and the hashes noted in `expect`, seq -> hash); prints what
    it found; returns the exit code."""
    out = out or sys.stdout
    try:
        audit, db = open_audit(target)
    except AuditOpenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        result = audit.verify(expect)
    except storage_errors() as exc:
        print(f"error: {db.target}: cannot read the audit trail: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        db.close()
    if result.ok:
        print(f"OK: {result.checked} entries checked in {db.target}; the chain is whole.", file=out)
        print(f"tip: {result.tip_seq}:{result.tip_hash} (note it down elsewhere and pass it as --expect later: "
              f"a cut-off tail, or every entry rewritten from one on, is only seen that way)", file=out)
        return EXIT_OK
    broken = result.broken
    print(f"BROKEN: {db.target}: the chain breaks at seq {result.broken_seq}: {result.why}", file=out)
    if broken is not None:
        print(f"entry: seq {broken.seq} at {local_iso(broken.ts)} ({broken.ts}) by {broken.user or '-'}: "
              f"{broken.kind} {broken.what}", file=out)
    print(f"entries before it are whole: {result.tip_seq} (last good hash {result.tip_hash})", file=out)
    return EXIT_BROKEN


def export_audit(target: str | Path, filters: AuditFilter, out_csv: str | Path) -> int:
    """Writes the entries of `target` matching `filters` (oldest first) to `out_csv` (UTF-8 with a BOM).
    Returns how many. AuditOpenError when the journal cannot be read."""
    audit, db = open_audit(target)
    try:
        records = list(reversed(audit.query(filters)))
    finally:
        db.close()
    with open(out_csv, "w", encoding="utf-8-sig", newline="") as file:
        return to_csv(records, file)


def _noted(text: str) -> tuple[int, str]:
    """SEQ:HASH, as `verify-audit` printed a tip."""
    seq, _, digest = text.partition(":")
    if not seq.strip().isdigit() or len(digest.strip()) != 64:
        raise argparse.ArgumentTypeError(f"not SEQ:HASH (a seq and a 64-digit hash): {text!r}")
    return int(seq), digest.strip().lower()


def _time_arg(text: str) -> float:
    """Epoch seconds, or a local ISO date/time (2025-03-01, 2025-03-01T08:00, with an offset or not)."""
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py admin", description="The audit trail of a site server's journal.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (("verify-audit", "check the audit trail's hash chain: exit 0 whole, 1 broken, 2 unusable"),
                       ("export-audit", "export audit entries as CSV (UTF-8 with BOM, local ISO times)")):
        c = sub.add_parser(name, help=text, description=text)
        where = c.add_mutually_exclusive_group(required=True)
        where.add_argument("--journal", metavar="PATH_OR_URL", help="the task journal: a SQLite file or a "
                                                                     "postgresql:// URL")
        where.add_argument("--site", metavar="FILE", help="a site file: its [journal] url, else the server's "
                                                          "journal.sqlite in --data-dir")
        c.add_argument("--data-dir", metavar="DIR", help="the server's data directory (with --site)")
        if name == "verify-audit":
            c.add_argument("--expect", metavar="SEQ:HASH", type=_noted, action="append", default=[],
                           help="a tip noted down earlier: that entry must still be there with that hash "
                                "(catches a tail cut off or every entry rewritten from some point on)")
        if name == "export-audit":
            c.add_argument("--out", required=True, metavar="CSV", help="the CSV file to write")
            c.add_argument("--user")
            c.add_argument("--role")
            c.add_argument("--console")
            c.add_argument("--kind", choices=[k.value for k in AuditKind])
            c.add_argument("--sysid", type=int)
            c.add_argument("--dock")
            c.add_argument("--alert")
            c.add_argument("--task")
            c.add_argument("--since", type=_time_arg, help="epoch seconds or local ISO time, inclusive")
            c.add_argument("--until", type=_time_arg, help="epoch seconds or local ISO time, exclusive")
            c.add_argument("--limit", type=int, default=None, help="at most this many, the newest (default: all)")
    return p


def main(argv: list[str]) -> int:
    """`verify-audit ...` or `export-audit ...` (the `main.py admin` dispatcher passes its arguments on)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:    # argparse's own exit: 0 for --help, 2 for bad arguments
        return int(exc.code or 0)
    try:
        target = args.journal or site_journal(args.site, args.data_dir)
    except Exception as exc:  # noqa: BLE001 - a site file that does not load: said, exit 2
        print(f"error: site file {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.command == "verify-audit":
        return verify_audit(target, expect=dict(args.expect))
    filters = AuditFilter(user=args.user, role=args.role, console=args.console, kind=args.kind, sysid=args.sysid,
                          dock_id=args.dock, alert_id=args.alert, task_id=args.task, since=args.since,
                          until=args.until, limit=args.limit)
    try:
        n = export_audit(target, filters, args.out)
    except AuditOpenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"{n} entries written to {args.out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
