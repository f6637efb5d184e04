"""Widget tests read the English source texts: whatever language an earlier test left, start in English."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch


@pytest.fixture(autouse=True)
def english(qapp: QApplication) -> None:
    LanguageSwitch(qapp).set_language("en")
