"""A throwaway PostgreSQL cluster for the test session (Debian's `postgresql` package, no mocks).

`initdb` into a temporary directory, then `postgres` listening on a unix socket in that directory only
(`listen_addresses=''`): no TCP port is ever taken. PostgreSQL refuses to run as root, so under root the
cluster runs as the `postgres` system user, which owns the directory. Readiness is read from the server's
log. The server is stopped at the end of the session, and killed if it does not stop.

Fixtures:
- `postgres_cluster` (session): the running cluster, or a skip naming what is missing;
- `journal_target` (per test, parametrised `sqlite` / `postgresql`): where a journal lives, a SQLite file
  path or the URL of a fresh database of its own.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

READY = "database system is ready to accept connections"
START_TIMEOUT_S = 60.0


def postgres_bindir() -> Path | None:
    """The directory of initdb and postgres: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                             check=True).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for directory in candidates:
        if (Path(directory) / "initdb").is_file() and (Path(directory) / "postgres").is_file():
            return Path(directory)
    return None


class PostgresCluster:
    """One initdb'd cluster serving a unix socket in its own temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            pwd.getpwnam(self._user)   # KeyError when the package did not create its user
        # Short path: a unix socket path is limited to ~107 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="qd-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.superuser = self._user or pwd.getpwuid(os.geteuid()).pw_name
        self._proc: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.dir, 0o755)

    def _run(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], user=self._user, capture_output=True, text=True, timeout=120,
                              cwd=self.dir)

    def start(self) -> None:
        init = self._run(self.bindir / "initdb", "-D", self.data, "-U", self.superuser, "--auth=trust",
                         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        with open(self.log, "wb") as log:
            self._proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-c", "listen_addresses=",
                 "-c", f"unix_socket_directories={self.dir}", "-c", "fsync=off", "-c", "full_page_writes=off",
                 "-c", "synchronous_commit=off", "-c", "max_connections=200", "-c", "shared_buffers=16MB"],
                user=self._user, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT_S
        while READY not in self.log.read_text(errors="replace"):
            if self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self._proc.returncode}:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres not ready after {START_TIMEOUT_S} s:\n{self.log.read_text()}")
            time.sleep(0.02)  # polling interval of the log

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql:///{dbname}?host={self.dir}&user={self.superuser}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)   # fast shutdown: ends the sessions, no waiting for clients
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin): "
                    "install Debian's postgresql package (scripts/install_system_deps.sh test)")
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"psycopg is not installed ({exc})")
    try:
        cluster = PostgresCluster(bindir)
    except KeyError:
        pytest.skip("tests run as root and there is no 'postgres' system user to run PostgreSQL as")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's journal lives: a SQLite file, or a fresh PostgreSQL database of its own."""
    if request.param == "sqlite":
        return tmp_path / "journal.sqlite"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database()
