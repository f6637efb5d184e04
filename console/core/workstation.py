"""This workstation's console identity and data directory, kept across restarts.

A console's identity is what the broker and the other consoles know it by: its presence, its
MQTT session (QoS 1 messages wait for it by this name) and the command authority it holds.
It must survive a restart, or a restarted console could not command the tasks it recovers
and its queued alerts would go to a session nobody reads (docs/architecture.md, "Command
authority"). So it is made once, written to the data directory, and read back every start.

The data directory also holds the journals. Two consoles started on one machine with the same
directory would share a journal and an identity (and the broker would disconnect one for the
other, forever); a lock on the directory makes the second one take the next station slot,
`station-2/` inside it, and so on: each slot keeps its own identity and journals, and the same
order of starting gives every console the same slot again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

log = logging.getLogger(__name__)

DATA_DIR_ENV = "QD_CONSOLE_DATA_DIR"    # overrides the data directory (tests, several stations on one host)
ID_FILE = "console_id"
LOCK_FILE = "console.lock"
MAX_STATIONS = 16


class WorkstationError(RuntimeError):
    """No usable data directory (all station slots busy, or not writable); the message is for IT staff."""


def base_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or user_data_dir("qd-console", appauthor=False))


def new_console_id() -> str:
    """Host name plus a short random suffix: readable in the journal, unique across the hall."""
    host = socket.gethostname().split(".")[0] or "console"
    return f"{host}-{uuid.uuid4().hex[:6]}"


@dataclass
class Workstation:
    """A claimed station slot: its identity and directory, locked for as long as this process runs."""

    console_id: str
    data_dir: Path
    _lock_fd: int | None = None

    @property
    def journal_file(self) -> Path:
        return self.data_dir / "journal.sqlite"

    @classmethod
    def claim(cls, base: Path | None = None) -> Workstation:
        """The first free station slot under `base` (default: the user's data directory)."""
        base = base or base_data_dir()
        for slot in range(1, MAX_STATIONS + 1):
            directory = base if slot == 1 else base / f"station-{slot}"
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise WorkstationError(f"data directory {directory} is not usable: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue   # another console runs on this slot
            station = cls(_read_or_make_id(directory / ID_FILE), directory, fd)
            if slot > 1:
                log.info("data directory %s is in use by another console; this one is station %d (%s)", base,
                         slot, directory)
            return station
        raise WorkstationError(f"all {MAX_STATIONS} console stations under {base} are in use")

    def release(self) -> None:
        """Unlocks the slot (the process exiting does it too)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _read_or_make_id(path: Path) -> str:
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    console_id = new_console_id()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(console_id + "\n", encoding="utf-8")
    os.replace(tmp, path)   # never a half-written identity
    log.info("this workstation's console id is %s (kept in %s)", console_id, path)
    return console_id
