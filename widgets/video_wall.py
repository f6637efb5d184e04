"""The video wall: 16 video tiles in switchable layouts, with presets, search, snapshots and detaching.

The wall is the model of what is on screen (one `TileSource` or None per tile, which tiles are
pinned, and which the operator placed: map, search, drop, preset); the console decides what to put
there (`set_tile_source`) and reads it back (`sources()`, `pinned()`, `placed()`, `maximised`). An
alert the console will not put on the wall by itself is offered on a banner (`propose`). Tiles beyond the current layout are hidden, and hidden tiles do not decode.
Camera ids dropped or chosen in the search box become sources through the `resolve` callable
("camera:<id>" -> TileSource). All methods run on the GUI thread.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDateTime, QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QPushButton, QToolBar,
                               QVBoxLayout, QWidget)

from widgets.camera_search import CameraSearchBox, CameraSearchFn
from widgets.video_source import CAMERA_PREFIX, TileSource, TileState
from widgets.video_proposal import ProposalBanner
from widgets.video_tile import VideoTile

log = logging.getLogger(__name__)

Cell = tuple[int, int, int, int]          # row, column, row span, column span


def _grid(n: int) -> tuple[Cell, ...]:
    return tuple((r, c, 1, 1) for r in range(n) for c in range(n))


#: Layout name -> cells of its tiles in a grid of at most 4×4; the first cell is the big one.
LAYOUTS: dict[str, tuple[Cell, ...]] = {
    "1": ((0, 0, 1, 1),),
    "2x2": _grid(2),
    "3x3": _grid(3),
    "4x4": _grid(4),
    "1+5": ((0, 0, 2, 2), (0, 2, 1, 1), (1, 2, 1, 1), (2, 0, 1, 1), (2, 1, 1, 1), (2, 2, 1, 1)),
    "1+7": ((0, 0, 3, 3), (0, 3, 1, 1), (1, 3, 1, 1), (2, 3, 1, 1), (3, 0, 1, 1), (3, 1, 1, 1), (3, 2, 1, 1),
            (3, 3, 1, 1)),
}
SHORTCUTS = {"1": "Alt+1", "2x2": "Alt+2", "3x3": "Alt+3", "4x4": "Alt+4", "1+5": "Alt+5", "1+7": "Alt+7"}
MAX_TILES = 16
DETACH_SHORTCUT = "Ctrl+Shift+D"
PRESET_GROUP = "video_wall/presets"
Resolver = Callable[[str], TileSource | None]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "none"


class _WallWindow(QWidget):
    """The wall's own top-level window when detached; closing it (or Esc) brings the wall back."""

    closing = Signal()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.closing.emit()
        super().closeEvent(event)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)


class VideoWall(QWidget):
    """Tiles, toolbar and camera search; see the module docstring."""

    layout_changed = Signal(str)
    tile_selected = Signal(int)
    pin_changed = Signal(int, bool)
    snapshot_saved = Signal(str, str, str)     # path, source key, alert id ("" when none)
    proposal_accepted = Signal(str)            # alert id: the operator wants its cameras on the wall

    def __init__(self, *, resolve: Resolver, search: CameraSearchFn | None = None, settings: QSettings | None = None,
                 snapshots_dir: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._resolve = resolve
        self._settings = settings
        self._snapshots_dir = snapshots_dir
        self._layout_name = "3x3"
        self._maximised: int | None = None
        self._selected = 0
        self._window: _WallWindow | None = None
        self.body = QWidget(self)
        self.tiles = [VideoTile(i, self.body) for i in range(MAX_TILES)]
        self._placed = [False] * MAX_TILES      # the operator put this tile's source there
        self.banner = ProposalBanner(self.body)
        self.banner.accepted.connect(self.proposal_accepted)
        for tile in self.tiles:
            tile.clicked.connect(lambda t=tile: self.select(t.index))
            tile.double_clicked.connect(lambda t=tile: self.toggle_maximised(t.index))
            tile.dropped.connect(lambda kind, payload, t=tile: self._on_drop(t.index, kind, payload))
            tile.pin_toggled.connect(lambda on, t=tile: self.pin_changed.emit(t.index, on))
            tile.hide()
        self.toolbar = QToolBar(self.body)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._layout_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name in LAYOUTS:
            act = QAction(name.replace("x", "×"), self.body, checkable=True)
            act.setShortcut(QKeySequence(SHORTCUTS[name]))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _c=False, n=name: self.set_layout(n))
            group.addAction(act)
            self.toolbar.addAction(act)
            self.body.addAction(act)
            self._layout_actions[name] = act
        self.toolbar.addSeparator()
        self.presets = QComboBox(self.body)
        self.presets.setMinimumContentsLength(10)
        self.presets.activated.connect(lambda i: self.load_preset(self.presets.itemText(i)) if i > 0 else None)
        self.toolbar.addWidget(self.presets)
        self.save_preset_action = self.toolbar.addAction("", self._ask_preset_name)
        self.toolbar.addSeparator()
        self.snapshot_action = self.toolbar.addAction("", lambda: self.snapshot_selected())
        self.snapshot_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.detach_action = self.toolbar.addAction("", self.toggle_detached)
        # Not F11: that is the main window's full screen, and one key for two actions triggers neither.
        self.detach_action.setShortcut(QKeySequence(DETACH_SHORTCUT))
        for act in (self.snapshot_action, self.detach_action):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.body.addAction(act)
        self.search = CameraSearchBox(search or (lambda _t, _n: []), self.body)
        self.search.setMinimumWidth(240)
        self.search.setMaximumWidth(420)
        self.search.camera_chosen.connect(lambda cid: self.open_camera(cid))
        self.search.setVisible(search is not None)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.search, 0, Qt.AlignmentFlag.AlignTop)
        self.grid = QGridLayout()
        self.grid.setSpacing(2)
        self.grid.setContentsMargins(0, 0, 0, 0)
        body_box = QVBoxLayout(self.body)
        body_box.setContentsMargins(2, 2, 2, 2)
        body_box.setSpacing(2)
        body_box.addLayout(top)
        body_box.addWidget(self.banner)
        body_box.addLayout(self.grid, 1)
        self._away = QWidget(self)
        away_box = QVBoxLayout(self._away)
        self._away_label = QLabel(self._away)
        away_box.addWidget(self._away_label, 0, Qt.AlignmentFlag.AlignCenter)
        self._back = QPushButton(self._away)
        self._back.clicked.connect(self.attach)
        away_box.addWidget(self._back, 0, Qt.AlignmentFlag.AlignCenter)
        self._away.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.body)
        box.addWidget(self._away)
        self.retranslate()
        self.set_layout(self._layout_name)
        self.select(0)

    def retranslate(self) -> None:
        """Sets every text the wall shows; at start and whenever the language changes."""
        for name, act in self._layout_actions.items():
            act.setToolTip(self.tr("Layout %1 (%2)").replace("%1", name).replace("%2", SHORTCUTS[name]))
        self.presets.setToolTip(self.tr("Recall a preset"))
        self._reload_preset_names()
        self.save_preset_action.setText(self.tr("Save preset"))
        self.snapshot_action.setText(self.tr("Snapshot"))
        self.detach_action.setText(self.tr("Attach") if self.detached else self.tr("Detach"))
        self._away_label.setText(self.tr("The video wall is on its own screen."))
        self._back.setText(self.tr("Bring it back"))
        if self._window is not None:
            self._window.setWindowTitle(self.tr("Video wall"))
        # The tiles' titles, districts and offline reasons were named when they were put up: name them again.
        for tile in self.tiles:
            old = tile.source
            new = self._resolve(old.key) if old is not None else None
            if old is not None and new is not None:
                tile.set_source(replace(old, title=new.title, district=new.district, offline_reason=new.offline_reason))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "_back"):
            self.retranslate()
        super().changeEvent(event)

    # ----- layout --------------------------------------------------------------------------------

    @property
    def layout_name(self) -> str:
        return self._layout_name

    @property
    def tile_count(self) -> int:
        """Tiles in the current layout (a maximised tile does not change it)."""
        return len(LAYOUTS[self._layout_name])

    def set_layout(self, name: str) -> None:
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}")
        self._layout_name = name
        self._maximised = None
        self._layout_actions[name].setChecked(True)
        self._arrange()
        if self._selected >= self.tile_count:
            self.select(0)
        self.layout_changed.emit(name)

    def _arrange(self) -> None:
        for tile in self.tiles:
            self.grid.removeWidget(tile)
        cells = LAYOUTS[self._layout_name]
        side = max(r + rs for r, _c, rs, _cs in cells)
        for i in range(4):
            self.grid.setRowStretch(i, 1 if i < side else 0)
            self.grid.setColumnStretch(i, 1 if i < side else 0)
        for i, tile in enumerate(self.tiles):
            if self._maximised is not None:
                shown = i == self._maximised
                cell: Cell = (0, 0, side, side)
            else:
                shown = i < len(cells)
                cell = cells[i] if shown else (0, 0, 1, 1)
            if shown:
                self.grid.addWidget(tile, *cell)
            tile.setVisible(shown)
        if self.body.layout() is not None:
            self.body.layout().activate()       # tiles get their new sizes now (sub-stream choice)

    def toggle_maximised(self, index: int) -> None:
        """Double-click: the tile fills the wall; again: back to the layout."""
        self._maximised = None if self._maximised == index else index
        self._arrange()
        self.select(index)

    @property
    def maximised(self) -> int | None:
        return self._maximised

    # ----- sources -------------------------------------------------------------------------------

    def set_tile_source(self, index: int, source: TileSource | None) -> None:
        """The console's choice (alert, drone, default wall): not the operator's placement."""
        self.tiles[index].set_source(source)
        self._placed[index] = False

    def placed(self) -> list[bool]:
        """Which tiles of the current layout the operator filled himself."""
        return self._placed[:self.tile_count]

    def propose(self, alert_id: str, level: int, text: str) -> None:
        """Offers an alert's cameras on the banner (a more severe offer is not replaced by a lesser one)."""
        self.banner.propose(alert_id, level, text)

    def sources(self) -> list[TileSource | None]:
        """What each tile of the current layout shows."""
        return [t.source for t in self.tiles[:self.tile_count]]

    def pinned(self) -> list[bool]:
        return [t.pinned for t in self.tiles[:self.tile_count]]

    def open_camera(self, camera_id: str, index: int | None = None) -> bool:
        """Puts a camera in tile `index`, else the selected tile; False for an unknown camera or a pinned tile."""
        target = self._selected if index is None else index
        tile = self.tiles[target]
        source = self._resolve(CAMERA_PREFIX + camera_id)
        if source is None or (tile.pinned and index is None):
            return False
        tile.set_source(source)
        self._placed[target] = True
        self.select(target)
        return True

    def swap(self, a: int, b: int) -> None:
        """Exchanges two tiles' sources, pins and drone lines (drag and drop)."""
        if a == b:
            return
        ta, tb = self.tiles[a], self.tiles[b]
        sa, sb, pa, pb = ta.source, tb.source, ta.pinned, tb.pinned
        ta.set_source(sb)
        tb.set_source(sa)
        ta.set_pinned(pb)
        tb.set_pinned(pa)
        self._placed[a], self._placed[b] = True, True   # both where the operator wanted them

    def _on_drop(self, index: int, kind: str, payload: str) -> None:
        if kind == "tile" and payload.isdigit():
            self.swap(int(payload), index)
        elif payload.startswith(CAMERA_PREFIX):
            self.open_camera(payload[len(CAMERA_PREFIX):].strip(), index)

    # ----- selection and snapshot ----------------------------------------------------------------

    @property
    def selected(self) -> int:
        return self._selected

    def select(self, index: int) -> None:
        self._selected = index
        for tile in self.tiles:
            tile.set_selected(tile.index == index)
        self.tile_selected.emit(index)

    def snapshot_selected(self, alert_id: str | None = None) -> Path | None:
        """Saves the selected tile's frame as PNG with camera, time and alert id in name and metadata."""
        tile = self.tiles[self._selected]
        image, source = tile.snapshot(), tile.source
        if image.isNull() or source is None or self._snapshots_dir is None:
            return None
        alert = alert_id or source.alert_id or ""
        now = QDateTime.currentDateTime()
        self._snapshots_dir.mkdir(parents=True, exist_ok=True)
        name = f"{_safe(source.key.replace(':', '-'))}_{now.toString('yyyyMMdd-HHmmss-zzz')}_{_safe(alert)}.png"
        path = self._snapshots_dir / name
        for key, value in (("source", source.key), ("camera", source.camera_id or ""), ("title", source.title),
                           ("time", now.toString(Qt.DateFormat.ISODateWithMs)), ("alert", alert)):
            image.setText(key, value)
        if not image.save(str(path), "PNG"):
            log.error("could not save snapshot %s", path)
            return None
        self.snapshot_saved.emit(str(path), source.key, alert)
        return path

    # ----- presets -------------------------------------------------------------------------------

    def preset_names(self) -> list[str]:
        if self._settings is None:
            return []
        self._settings.beginGroup(PRESET_GROUP)
        try:
            return sorted(self._settings.childKeys())
        finally:
            self._settings.endGroup()

    def save_preset(self, name: str) -> None:
        """Stores the layout and the source of each of its tiles under `name`."""
        if self._settings is None or not name.strip():
            return
        data = {"layout": self._layout_name, "tiles": [s.key if s else None for s in self.sources()],
                "pinned": self.pinned()}
        self._settings.setValue(f"{PRESET_GROUP}/{name.strip()}", json.dumps(data))
        self._reload_preset_names()

    def load_preset(self, name: str) -> bool:
        """Recalls a preset; sources that no longer resolve leave their tile empty."""
        raw = self._settings.value(f"{PRESET_GROUP}/{name}") if self._settings is not None else None
        try:
            data = json.loads(str(raw))
            self.set_layout(str(data["layout"]))
            keys, pins = list(data["tiles"]), list(data.get("pinned", []))
        except (TypeError, ValueError, KeyError):
            log.warning("video wall preset %r cannot be used", name)
            return False
        for i, tile in enumerate(self.tiles[:self.tile_count]):
            key = keys[i] if i < len(keys) else None
            tile.set_source(self._resolve(key) if key else None)
            tile.set_pinned(bool(pins[i]) if i < len(pins) else False)
            self._placed[i] = key is not None
        return True

    def _ask_preset_name(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("Save preset"), self.tr("Preset name:"))
        if ok:
            self.save_preset(name)

    def _reload_preset_names(self) -> None:
        self.presets.clear()
        self.presets.addItem(self.tr("Presets…"))
        self.presets.addItems(self.preset_names())

    # ----- detaching -----------------------------------------------------------------------------

    @property
    def detached(self) -> bool:
        return self._window is not None

    def toggle_detached(self) -> None:
        if self._window is None:
            self.detach()
        else:
            self.attach()

    def detach(self) -> None:
        """Moves the wall to its own full-screen window, on another screen when there is one."""
        if self._window is not None:
            return
        window = self._window = _WallWindow()
        window.setWindowTitle(self.tr("Video wall"))
        window.closing.connect(self.attach)
        box = QVBoxLayout(window)
        box.setContentsMargins(0, 0, 0, 0)
        self.layout().removeWidget(self.body)
        box.addWidget(self.body)
        here = self.screen()
        others = [s for s in QGuiApplication.screens() if s is not here]
        screen = others[0] if others else here
        if screen is not None:
            window.setGeometry(screen.geometry())
        self._away.show()
        window.showFullScreen()
        self.detach_action.setText(self.tr("Attach"))

    def attach(self) -> None:
        """Brings the wall back into its panel and closes its window."""
        window, self._window = self._window, None
        if window is None:
            return
        window.layout().removeWidget(self.body)
        self.body.setParent(self)
        self.layout().insertWidget(0, self.body)
        self.body.show()
        self._away.hide()
        window.closing.disconnect(self.attach)
        window.close()
        window.deleteLater()
        self.detach_action.setText(self.tr("Detach"))

    # ----- health and shutdown -------------------------------------------------------------------

    def tiles_by_state(self) -> dict[str, int]:
        """How many tiles of the current layout are in each state (TileState values)."""
        counts = {s.value: 0 for s in TileState}
        for tile in self.tiles[:self.tile_count]:
            counts[tile.state.value] += 1
        return counts

    def stop(self) -> None:
        """Stops every stream (the console is closing)."""
        for tile in self.tiles:
            tile.stop()
        if self._window is not None:
            self.attach()
