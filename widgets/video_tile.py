"""One tile of the video wall: a stream played by Qt Multimedia, with an overlay saying what it is.

QMediaPlayer (FFmpeg backend) demuxes and decodes on its own threads into a QVideoSink; the tile
keeps the latest frame and converts it to an image only when it paints, so a tile costs the GUI
thread one conversion per painted frame. Broken streams never block: errors come as signals, a
stream that stops delivering frames is detected by a watchdog, and every restart uses a new
player (a player stuck in a network read is let go, not waited for). Retries back off 1, 2, 4 .. 30 s.
Hidden tiles stop decoding and resume when shown. All of it runs on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Union

from PySide6.QtCore import QDateTime, QEvent, QMimeData, QPoint, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (QColor, QDrag, QHideEvent, QImage, QMouseEvent, QPainter, QPaintEvent,
                           QResizeEvent, QShowEvent)
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from widgets.video_overlay import draw_overlay, drone_text, state_text
from widgets.video_source import CAMERA_PREFIX, TILE_MIME, DroneInfo, TileSource, TileState, quiet_ffmpeg_log

log = logging.getLogger(__name__)

#: Why a tile is not live: text, or a function that says it in the current language (a switch calls it again).
TileReason = Union[str, Callable[[], str]]

BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STALL_S = 5.0                 # live, but no new frame for this long: the stream is restarted
CONNECT_TIMEOUT_S = 12.0      # connecting without a first frame for this long counts as a failure
RECONNECT_ATTEMPTS = 3        # failed retries shown as "reconnecting" before the tile says "no signal"
WATCHDOG_MS = 1000
HIDE_GRACE_MS = 400           # layout changes hide and show tiles; do not drop streams for a blink
SUB_SWITCH_MS = 500           # resizes settle before a switch between main and sub-stream
BACKGROUND = QColor("#0d1117")


class VideoTile(QWidget):
    """Plays a `TileSource`; `state`/`reason` say how it goes. `index` is its place on the wall."""

    state_changed = Signal(object)     # TileState
    pin_toggled = Signal(bool)
    clicked = Signal()
    double_clicked = Signal()
    dropped = Signal(str, str)         # mime kind ("tile" or "text"), payload

    def __init__(self, index: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setAcceptDrops(True)
        self.setMinimumSize(80, 45)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._source: TileSource | None = None
        self._state = TileState.IDLE
        self._reason = ""
        self._reason_of: Callable[[], str] | None = None
        self._drone: DroneInfo | None = None
        self._selected = False
        self._player: QMediaPlayer | None = None
        self._sink: QVideoSink | None = None
        self._url: str | None = None
        self._frame: QVideoFrame | None = None
        self._image: QImage | None = None
        self._image_stale = False
        self._attempt = 0
        self._was_live = False
        self._started_at = 0.0
        self._last_frame_at = 0.0
        self.frames = 0               # frames received since the source was set (tests, bench)
        self.restarts = 0
        self._press: QPoint | None = None
        self._retry = QTimer(self, singleShot=True, timeout=self._start)
        self._watchdog = QTimer(self, interval=WATCHDOG_MS, timeout=self._check)
        self._hide_grace = QTimer(self, singleShot=True, interval=HIDE_GRACE_MS, timeout=self._suspend)
        self._resize_settle = QTimer(self, singleShot=True, interval=SUB_SWITCH_MS, timeout=self._maybe_switch)
        self._pin = QToolButton(self)
        self._pin.setCheckable(True)
        self._pin.setAutoRaise(True)
        self._pin.toggled.connect(self._on_pin)
        self._pin.setStyleSheet("QToolButton { color: #d7dde5; background: rgba(13,17,23,160); border-radius: 3px;"
                                " padding: 1px 4px; } QToolButton:checked { background: #1f6feb; }")
        self.retranslate()

    def retranslate(self) -> None:
        """The pin button's texts; at start and whenever the language changes."""
        self._pin.setText(self.tr("Pin"))
        self._pin.setToolTip(self.tr("Pinned tiles are never replaced by alerts or drone feeds"))
        if self._reason_of is not None:
            self._reason = self._reason_of()
            self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "_pin"):
            self.retranslate()
        super().changeEvent(event)

    # ----- public API ----------------------------------------------------------------------------

    @property
    def source(self) -> TileSource | None:
        return self._source

    @property
    def state(self) -> TileState:
        return self._state

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def url(self) -> str | None:
        """The URL being played (main or sub-stream), or None."""
        return self._url

    @property
    def pinned(self) -> bool:
        return self._pin.isChecked()

    def set_pinned(self, pinned: bool) -> None:
        self._pin.setChecked(pinned)

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def set_drone_info(self, info: DroneInfo | None) -> None:
        if info != self._drone:
            self._drone = info
            self.update()

    def painted_texts(self) -> list[str]:
        """The words the overlay paints now (title, district, state and reason, the drone's line)."""
        if self._source is None:
            return []
        texts = [self._source.title, self._source.district, state_text(self._state), self._reason]
        return texts + ([drone_text(self._drone)] if self._drone is not None else [])

    def set_source(self, source: TileSource | None) -> None:
        """Shows `source` (None empties the tile). The same stream with new labels does not restart."""
        old = self._source
        self._source = source
        # The overlay elides a long title on a small tile: the whole of it is in the tooltip.
        self.setToolTip(" · ".join(t for t in (source.title, source.district) if t) if source is not None else "")
        if old is not None and source is not None and (old.url, old.sub_url) == (source.url, source.sub_url):
            if source.url is None and self._state is TileState.NO_SIGNAL:
                self._reason = source.offline_reason or self.tr("no stream")   # e.g. in another language
            self.update()                                     # only the alert badge or title changed
            return
        self._drone = None
        self._stop_player()
        self._image = self._frame = None
        self.frames = 0
        self._attempt = 0
        self._was_live = False
        self._retry.stop()
        if source is None:
            self._set_state(TileState.IDLE, "")
        elif source.url is None:
            self._set_state(TileState.NO_SIGNAL, source.offline_reason or self.tr("no stream"))
        elif self._showing():
            self._start()
        else:
            self._set_state(TileState.IDLE, "")
        self.update()

    def restart(self) -> None:
        """Plays the source again from scratch (operator's retry)."""
        if self._source is not None and self._source.url is not None:
            self._attempt = 0
            self._start()

    def snapshot(self) -> QImage:
        """The current frame at the stream's resolution (a null QImage when there is none)."""
        if self._frame is not None and (self._image is None or self._image_stale):
            self._image = self._frame.toImage()
            self._image_stale = False
        return QImage(self._image) if self._image is not None else QImage()

    def wanted_url(self) -> str | None:
        """Main stream, or the sub-stream when the tile is smaller than the main stream's picture."""
        src = self._source
        if src is None or src.url is None:
            return None
        if src.sub_url:
            ratio = self.devicePixelRatioF()
            w, h = src.stream_size
            if self.width() * ratio < w and self.height() * ratio < h:
                return src.sub_url
        return src.url

    # ----- playing -------------------------------------------------------------------------------

    def _showing(self) -> bool:
        return self.isVisible() and not self.window().isMinimized()

    def _start(self) -> None:
        url = self.wanted_url()
        if url is None or not self._showing():
            return
        self._stop_player()
        self._url = url
        self._player, self._sink = QMediaPlayer(self), QVideoSink(self)
        quiet_ffmpeg_log()
        self._player.setVideoOutput(self._sink)
        # A stale signal from a replaced player must not touch the new one: bind the player it came from.
        player = self._player
        self._sink.videoFrameChanged.connect(lambda f, p=player: self._on_frame(p, f))
        player.errorOccurred.connect(lambda e, msg, p=player: self._on_error(p, e, msg))
        player.mediaStatusChanged.connect(lambda s, p=player: self._on_status(p, s))
        self._started_at = time.monotonic()
        self._last_frame_at = 0.0
        retrying = self._attempt > 0
        self._set_state(TileState.RECONNECTING if retrying and self._was_live else
                        self._state if retrying else TileState.CONNECTING, self._reason if retrying else "")
        player.setSource(QUrl.fromLocalFile(url) if "://" not in url and not url.startswith("file:") else QUrl(url))
        player.play()
        self._watchdog.start()

    def _stop_player(self) -> None:
        self._watchdog.stop()
        player, sink = self._player, self._sink
        self._player = self._sink = None
        self._url = None
        if player is None:
            return
        self.restarts += 1
        # An empty source interrupts FFmpeg's I/O (tens of ms). stop() alone would not: the player's
        # destructor would then wait for a stalled network read to time out (about 18 s, measured).
        player.setSource(QUrl())
        player.deleteLater()
        if sink is not None:
            sink.deleteLater()

    def _suspend(self) -> None:
        """Hidden: stop decoding, keep the source and the last picture."""
        if self._player is not None or self._retry.isActive():
            self._stop_player()
            self._retry.stop()
            self._set_state(TileState.IDLE, "")

    def _resume(self) -> None:
        self._hide_grace.stop()
        if self._player is None and not self._retry.isActive() and self._source is not None \
                and self._source.url is not None:
            self._attempt = 0
            self._start()

    def _on_frame(self, player: QMediaPlayer, frame: QVideoFrame) -> None:
        if player is not self._player or not frame.isValid():
            return
        self._frame = frame
        self._image_stale = True
        self.frames += 1
        self._last_frame_at = time.monotonic()
        if self._state is not TileState.LIVE:
            self._attempt = 0
            self._was_live = True
            self._set_state(TileState.LIVE, "")
        self.update()

    def _on_error(self, player: QMediaPlayer, error: QMediaPlayer.Error, message: str) -> None:
        if player is not self._player or error == QMediaPlayer.Error.NoError:
            return
        # The backend's message is FFmpeg's English ("Could not open file"): the tile says it in the operator's
        # language from the error's kind, the log keeps the backend's words.
        log.info("tile %d: %s (%s)", self.index, error.name, message)
        reason = lambda: self._error_text(error) or message or error.name  # noqa: E731 - said again on a language switch
        if error in (QMediaPlayer.Error.FormatError, QMediaPlayer.Error.AccessDeniedError):
            self._fail(TileState.ERROR, reason)
        else:
            self._fail(TileState.NO_SIGNAL, reason)

    def _error_text(self, error: QMediaPlayer.Error) -> str:
        return {
            QMediaPlayer.Error.ResourceError: self.tr("the stream cannot be opened"),
            QMediaPlayer.Error.FormatError: self.tr("the stream's format is not supported"),
            QMediaPlayer.Error.NetworkError: self.tr("network error"),
            QMediaPlayer.Error.AccessDeniedError: self.tr("access to the stream was denied"),
        }.get(error, "")

    def _on_status(self, player: QMediaPlayer, status: QMediaPlayer.MediaStatus) -> None:
        if player is not self._player or status != QMediaPlayer.MediaStatus.EndOfMedia:
            return
        if self._source is not None and self._source.loop:
            player.setPosition(0)
            player.play()
        else:
            self._fail(TileState.NO_SIGNAL, lambda: self.tr("the stream ended"))

    def _check(self) -> None:
        """Watchdog: a live stream without frames, or a connection without a first frame, is restarted."""
        now = time.monotonic()
        if self._state is TileState.LIVE and now - self._last_frame_at > STALL_S:
            self._fail(TileState.NO_SIGNAL, lambda: self.tr("no picture for %1 s").replace("%1", f"{STALL_S:g}"))
        elif self._state is not TileState.LIVE and self._last_frame_at == 0.0 \
                and now - self._started_at > CONNECT_TIMEOUT_S:
            self._fail(TileState.NO_SIGNAL,
                       lambda: self.tr("no picture after %1 s").replace("%1", f"{CONNECT_TIMEOUT_S:g}"))
        elif self._state is TileState.LIVE:
            self.update()                                    # the clock in the overlay

    def _fail(self, state: TileState, reason: TileReason) -> None:
        """Drops the player and retries after the next backoff step."""
        log.info("video tile %d (%s): %s; retry %d", self.index, self._url, reason() if callable(reason) else reason,
                 self._attempt + 1)
        self._stop_player()
        if self._was_live and self._attempt < RECONNECT_ATTEMPTS and state is TileState.NO_SIGNAL:
            state = TileState.RECONNECTING
        delay = BACKOFF_S[min(self._attempt, len(BACKOFF_S) - 1)]
        self._attempt += 1
        self._set_state(state, reason)
        self._retry.start(int(delay * 1000))
        self.update()

    def _set_state(self, state: TileState, reason: TileReason) -> None:
        """`reason`: text, or a function that says it in the current language (called again on a switch)."""
        changed = state is not self._state
        self._reason_of = reason if callable(reason) else None
        self._state, self._reason = state, reason() if callable(reason) else reason
        if changed:
            self.state_changed.emit(state)
        self.update()

    def _maybe_switch(self) -> None:
        if self._player is not None and self.wanted_url() != self._url:
            self._attempt = 0
            self._start()

    def _on_pin(self, pinned: bool) -> None:
        self.pin_toggled.emit(pinned)
        self.update()

    # ----- Qt events -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._resume()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._hide_grace.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        hint = self._pin.sizeHint()
        self._pin.setGeometry(self.width() - hint.width() - 4, 4, hint.width(), hint.height())
        if self._player is not None:
            self._resize_settle.start()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        rect = self.rect()
        p.fillRect(rect, BACKGROUND)
        image = self.snapshot() if self._frame is not None else None
        if image is not None and not image.isNull():
            size = image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(QPoint(0, 0), size)
            target.moveCenter(rect.center())
            p.drawImage(target, image)
        now = QDateTime.currentDateTime().toString("HH:mm:ss")
        draw_overlay(p, rect, self._source, self._state, self._reason, self._drone, now,
                     selected=self._selected, pinned=self.pinned, stale=self._state is not TileState.LIVE,
                     reserve_right=self._pin.width() + 8)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self.clicked.emit()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - self._press).manhattanLength() < QApplication.startDragDistance():
            return
        self._press = None
        mime = QMimeData()
        mime.setData(TILE_MIME, str(self.index).encode())
        if self._source is not None and self._source.camera_id:
            mime.setText(CAMERA_PREFIX + self._source.camera_id)
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.double_clicked.emit()

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        mime = event.mimeData()
        if mime.hasFormat(TILE_MIME) or (mime.hasText() and mime.text().startswith(CAMERA_PREFIX)):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        mime = event.mimeData()
        if mime.hasFormat(TILE_MIME):
            self.dropped.emit("tile", bytes(mime.data(TILE_MIME).data()).decode())
        elif mime.hasText():
            self.dropped.emit("text", mime.text())
        event.acceptProposedAction()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self._stop_player()
        super().closeEvent(event)

    def stop(self) -> None:
        """Stops decoding and retrying for good (the wall is closing)."""
        self._retry.stop()
        self._hide_grace.stop()
        self._stop_player()

