"""Logging for the console: a rotating file in the user's data directory, and stderr."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from platformdirs import user_log_dir

from console.core.health import ErrorCounter

LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def log_dir() -> Path:
    """Where log files go; QD_CONSOLE_LOG_DIR overrides (tests, kiosks with read-only homes)."""
    return Path(os.environ.get("QD_CONSOLE_LOG_DIR") or user_log_dir("qd-console", appauthor=False))


def setup_logging(*, verbose: bool = False, name: str = "console") -> tuple[Path | None, ErrorCounter]:
    """Installs the handlers on the root logger; returns the log file path and the error counter."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = logging.Formatter(FORMAT)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(fmt)
    root.addHandler(stderr)
    path: Path | None = log_dir() / f"{name}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_COUNT,
                                                  encoding="utf-8")
        fh.setFormatter(fmt)
        root.addHandler(fh)
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file (%s); logging to stderr only", exc)
        path = None
    errors = ErrorCounter()
    root.addHandler(errors)
    # Third-party chatter stays out of the operator's log unless --verbose.
    for noisy in ("asyncio", "mavsdk"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # The embedded demo broker warns about undelivered messages at every shutdown.
    logging.getLogger("amqtt").setLevel(logging.DEBUG if verbose else logging.ERROR)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # amqtt's state machine: noise even in debug
    return path, errors
