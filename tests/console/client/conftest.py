"""Client tests read the English source texts: whatever language an earlier test left, start in English."""

from __future__ import annotations

from tests.widgets.conftest import english

__all__ = ["english"]
