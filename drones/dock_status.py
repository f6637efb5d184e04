"""Which of the site's docks are online, from their retained `sys/product/{dock_sn}/status` messages.

Docks follow DJI Cloud API conventions (DESIGN.md section 4.2): a dock publishes
`{"online": true}` retained when it connects, and its last will publishes `false`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

STATUS_TOPIC_FILTER = "sys/product/+/status"


class DockStatusTracker:
    """Keeps the online flag of each known dock; `on_change(online, total)` fires when the count changes."""

    def __init__(self, dock_sns: Iterable[str], on_change: Callable[[int, int], None]) -> None:
        self._online: dict[str, bool] = {sn: False for sn in dock_sns}
        self._on_change = on_change
        self._last: int | None = None

    @property
    def online_count(self) -> int:
        return sum(self._online.values())

    def handle(self, topic: str, payload: bytes) -> None:
        """Feeds one status message (any thread, but one at a time)."""
        parts = topic.split("/")
        if len(parts) != 4 or parts[0] != "sys" or parts[3] != "status":
            return
        sn = parts[2]
        if sn not in self._online:
            return  # a dock of another site sharing the broker
        try:
            data = json.loads(payload)
            online = data["online"]
            if not isinstance(online, bool):
                raise TypeError("online is not a boolean")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("dock %s: unusable status message (%s): %r", sn, exc, payload[:200])
            return
        self._online[sn] = online
        count = self.online_count
        if count != self._last:
            self._last = count
            self._on_change(count, len(self._online))
