"""Four small scrolling plots of the selected drone: altitude, ground speed, battery, link rate.

Data comes from a `SeriesSource` (the console's ring buffers); one 10 Hz timer redraws all four
plots with `setData` on long-lived items, and runs only while the plots are visible and a drone is
selected (pyqtgraph's scrollingPlots pattern).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.situation import SeriesSource

#: The plots' refresh period: 10 Hz (docs/architecture.md, "Threads").
REFRESH_MS = 100
#: Time windows offered, in minutes; the first entry that equals DEFAULT is selected.
WINDOWS_MIN = (1, 5, 10)
DEFAULT_WINDOW_MIN = 5
#: (series name of the SeriesSource, line colour).
SERIES: tuple[tuple[str, str], ...] = (
    ("alt_rel_m", "#58a6ff"),
    ("ground_speed_m_s", "#bc8cff"),
    ("battery_pct", "#3fb950"),
    ("message_rate_hz", "#d29922"),
)


class TelemetryPlots(QWidget):
    """The plots of one drone (`set_sysid`); `items[name]` is each series' one PlotDataItem."""

    def __init__(self, series: SeriesSource | None = None, parent: QWidget | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.series = series
        self.clock = clock  # the SeriesSource's clock: sample times are time.monotonic()
        self.sysid: int | None = None
        self.window_combo = QComboBox()
        for minutes in WINDOWS_MIN:
            self.window_combo.addItem("", minutes)
        self.window_combo.setCurrentIndex(WINDOWS_MIN.index(DEFAULT_WINDOW_MIN))
        self.window_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.window_label)
        top.addWidget(self.window_combo)
        top.addStretch(1)

        pal = self.palette()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(pal.color(QPalette.ColorRole.Base))
        self.graphics.setMinimumHeight(200)
        # The plots' menus are off; pyqtgraph's own "Export..." entry would be unreachable and untranslated.
        scene_menu = self.graphics.scene().contextMenu
        for action in scene_menu:
            action.deleteLater()
        scene_menu.clear()
        axis_pen = pg.mkPen(pal.color(QPalette.ColorRole.WindowText))
        self.plots: dict[str, pg.PlotItem] = {}
        self.items: dict[str, pg.PlotDataItem] = {}
        first: pg.PlotItem | None = None
        for row, (name, colour) in enumerate(SERIES):
            plot = self.graphics.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=True)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setClipToView(True)
            plot.setDownsampling(mode="peak")
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(axis_pen)
                plot.getAxis(axis).setTextPen(axis_pen)
            plot.getAxis("left").setWidth(48)  # aligned y axes across the stack
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if row < len(SERIES) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            # connect="finite": NaN samples (no data) are gaps, not lines to zero.
            self.items[name] = plot.plot(pen=pg.mkPen(colour, width=1.5), connect="finite")
            self.plots[name] = plot
        self._set_x_range()

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.graphics, 1)
        self.window_combo.currentIndexChanged.connect(self._on_window)
        self.retranslate()

    @property
    def window_s(self) -> float:
        return float(self.window_combo.currentData()) * 60.0

    def set_sysid(self, sysid: int | None) -> None:
        """Plots drone `sysid` (None: nothing); another drone starts from empty plots."""
        if sysid == self.sysid:
            return
        self.sysid = sysid
        for item in self.items.values():
            item.setData(np.empty(0), np.empty(0))
        self._update_timer()
        if self.timer.isActive():
            self.refresh()

    def refresh(self) -> None:
        """One frame: fetch every series of the window and hand it to its item (timer, GUI thread)."""
        if self.series is None or self.sysid is None:
            return
        now = self.clock()
        for name, item in self.items.items():
            t, values = self.series(self.sysid, name, self.window_s)
            t = np.asarray(t, dtype=float)
            x = t - now if t.size and t[-1] > 0 else t  # a source may already give times relative to now
            item.setData(x, np.asarray(values, dtype=float), connect="finite")

    def _on_window(self) -> None:
        self._set_x_range()
        self.refresh()

    def _set_x_range(self) -> None:
        for plot in self.plots.values():
            plot.setXRange(-self.window_s, 0, padding=0)

    def _update_timer(self) -> None:
        # Idle when nobody looks: no drone, no source, or the panel is hidden (another tab or dock).
        run = self.isVisible() and self.sysid is not None and self.series is not None
        if run and not self.timer.isActive():
            self.timer.start()
        elif not run:
            self.timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_timer()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._update_timer()

    def retranslate(self) -> None:
        self.window_label.setText(self.tr("Last"))
        for i, minutes in enumerate(WINDOWS_MIN):
            self.window_combo.setItemText(i, self.tr("%n min", "", minutes))
        titles = {"alt_rel_m": self.tr("Altitude (m)"), "ground_speed_m_s": self.tr("Ground speed (m/s)"),
                  "battery_pct": self.tr("Battery (%)"), "message_rate_hz": self.tr("Link rate (Hz)")}
        colour = self.palette().color(QPalette.ColorRole.WindowText).name()
        for name, plot in self.plots.items():
            plot.setTitle(titles[name], color=colour, size="9pt")
        self.plots[SERIES[-1][0]].setLabel("bottom", self.tr("seconds"), color=colour)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
