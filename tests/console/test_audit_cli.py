"""`main.py admin verify-audit` / `export-audit` (console/audit_cli.py), run as a separate process the way an
administrator runs them: exit 0 for a whole chain, 1 naming the first broken entry, 2 for no usable journal."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from drones.audit import AuditEntry, AuditKind
from drones.journal import Journal
from tests.drones.test_audit import every_kind, tamper

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.audit_cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_verify_says_ok_then_names_the_altered_entry(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    n = every_kind(j)
    j.close()
    ok = cli("verify-audit", "--journal", str(journal_target))
    assert ok.returncode == 0, ok.stderr
    assert f"OK: {n} entries checked" in ok.stdout

    tamper(journal_target, "UPDATE {audit} SET what = 'drone.land' WHERE seq = 9")
    broken = cli("verify-audit", "--journal", str(journal_target))
    assert broken.returncode == 1, broken.stderr
    assert "the chain breaks at seq 9: hash mismatch" in broken.stdout
    assert "entry: seq 9 at " in broken.stdout and "request drone.land" in broken.stdout


def test_verify_names_a_deleted_entry(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    for i in range(20):
        j.audit.append(AuditEntry(AuditKind.COMMAND, f"c{i}", user="op"))
    j.close()
    tamper(path, "DELETE FROM {audit} WHERE seq = 12")
    result = cli("verify-audit", "--journal", str(path))
    assert result.returncode == 1
    assert "the chain breaks at seq 12: gap in seq: 12 missing (next is 13)" in result.stdout


def test_a_journal_that_cannot_be_opened_exits_2(tmp_path: Path) -> None:
    missing = cli("verify-audit", "--journal", str(tmp_path / "nothing.sqlite"))
    assert missing.returncode == 2 and "no such journal file" in missing.stderr
    assert not (tmp_path / "nothing.sqlite").exists()   # verifying never creates a journal
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    assert cli("verify-audit", "--journal", str(garbage)).returncode == 2
    assert cli("verify-audit", "--journal", "mysql://host/qd").returncode == 2
    assert cli("verify-audit").returncode == 2   # neither --journal nor --site


def test_a_site_file_names_the_journal(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    j = Journal(data_dir / "journal.sqlite")
    every_kind(j)
    j.close()
    site = (ROOT / "resources" / "sites" / "demo.toml")
    result = cli("verify-audit", "--site", str(site), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "OK: 14 entries checked" in result.stdout


def test_export_writes_the_filtered_entries_as_csv(journal_target: Path | str, tmp_path: Path) -> None:
    j = Journal(journal_target)
    every_kind(j)
    j.close()
    out = tmp_path / "张三.csv"
    result = cli("export-audit", "--journal", str(journal_target), "--user", "张三", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with open(out, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows and {r["user"] for r in rows} == {"张三"}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)   # oldest first
    assert f"{len(rows)} entries written" in result.stdout
    sessions = cli("export-audit", "--journal", str(journal_target), "--kind", "session", "--out", str(out))
    assert sessions.returncode == 0
    with open(out, encoding="utf-8-sig", newline="") as file:
        assert [r["what"] for r in csv.DictReader(file)] == ["sign_in", "sign_in", "sign_out", "signed_out_disabled"]


def test_verify_checks_a_noted_tip(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    every_kind(j)
    j.close()
    first = cli("verify-audit", "--journal", str(path))
    tip = next(line for line in first.stdout.splitlines() if line.startswith("tip: ")).split()[1]
    assert tip.startswith("14:")
    assert cli("verify-audit", "--journal", str(path), "--expect", tip).returncode == 0
    tamper(path, "DELETE FROM {audit} WHERE seq = 14")
    cut = cli("verify-audit", "--journal", str(path), "--expect", tip)
    assert cut.returncode == 1 and "entries cut off: seq 14 was noted, the trail ends at 13" in cut.stdout
    assert cli("verify-audit", "--journal", str(path), "--expect", "14:xyz").returncode == 2
