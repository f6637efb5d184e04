"""What a level-1 or level-2 alert does to the desk: a red (or amber) frame flashing, and a sound.

The sounds are tiny WAV files generated at first use into the user's cache directory (no binary
assets in the repository). A machine without an audio device (a test runner, a remote desktop)
cannot play them: that is logged once and otherwise ignored, the flash still shows.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QEasingCurve, QObject, QRectF, QStandardPaths, Qt, QUrl, QVariantAnimation
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

#: Levels that raise an alarm, and what they sound like: (tone Hz, beeps).
ALARM_TONES: dict[int, tuple[float, int]] = {1: (1200.0, 3), 2: (880.0, 2)}
FLASH_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500"}
FLASH_MS = 1800           # three pulses: visible from across the hall, over before it annoys
FLASH_PULSES = 3
FLASH_WIDTH_PX = 6
SAMPLE_RATE = 16_000
BEEP_S = 0.12
GAP_S = 0.08


def write_tone(path: Path, tone_hz: float, beeps: int) -> Path:
    """A short mono 16-bit WAV of `beeps` beeps (a few kilobytes)."""
    frames = bytearray()
    n_beep, n_gap = int(SAMPLE_RATE * BEEP_S), int(SAMPLE_RATE * GAP_S)
    for _ in range(beeps):
        for i in range(n_beep):
            envelope = min(1.0, i / 160, (n_beep - i) / 160)   # 10 ms ramps: no clicks
            frames += struct.pack("<h", int(0.45 * 32767 * envelope * math.sin(2 * math.pi * tone_hz * i / SAMPLE_RATE)))
        frames += b"\0\0" * n_gap
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(bytes(frames))
    return path


def sound_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(base or tempfile.gettempdir()) / "alert-sounds"


class AlertSound(QObject):
    """One sound per alarm level, each mutable; `played` counts what was asked to sound (tests, health)."""

    def __init__(self, parent: QObject | None = None, directory: Path | None = None) -> None:
        super().__init__(parent)
        self.directory = directory or sound_dir()
        self.muted: dict[int, bool] = {level: False for level in ALARM_TONES}
        self.played: list[int] = []
        self._effects: dict[int, object] = {}
        self._failed = False

    def set_muted(self, level: int, muted: bool) -> None:
        self.muted[level] = muted

    def play(self, level: int) -> bool:
        """Sounds the alarm of `level` unless muted; False when nothing was asked to play."""
        if level not in ALARM_TONES or self.muted.get(level, False):
            return False
        self.played.append(level)
        if self._failed:
            return True
        try:
            effect = self._effect(level)
            effect.play()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - no audio device or no multimedia backend: the flash remains
            self._failed = True
            log.warning("alert sound unavailable: %s", exc)
        return True

    def preload(self) -> None:
        """Loads the audio backend and the sounds now (tens of milliseconds), not at the first alarm."""
        try:
            for level in ALARM_TONES:
                self._effect(level)
        except Exception as exc:  # noqa: BLE001 - as in play(): no audio is not an error of the desk
            self._failed = True
            log.warning("alert sound unavailable: %s", exc)

    def _effect(self, level: int) -> object:
        if level not in self._effects:
            from PySide6.QtMultimedia import QSoundEffect  # imported late: the backend loads slowly

            tone, beeps = ALARM_TONES[level]
            path = self.directory / f"alert-level{level}.wav"
            if not path.exists():
                write_tone(path, tone, beeps)
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(0.8)
            effect.statusChanged.connect(lambda e=effect, lv=level: self._status(e, lv))
            self._effects[level] = effect
        return self._effects[level]

    def _status(self, effect: object, level: int) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        if effect.status() == QSoundEffect.Status.Error and not self._failed:  # type: ignore[attr-defined]
            self._failed = True
            log.warning("alert sound of level %d cannot play (no audio device?)", level)


class FlashOverlay(QWidget):
    """A frame drawn over its parent that pulses in the level's colour; clicks go through it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.colour = QColor(FLASH_COLOURS[1])
        self.level: int | None = None
        self.flashes = 0                # how many flashes started (tests, health)
        self._alpha = 0.0
        self.anim = QVariantAnimation(self, startValue=0.0, endValue=float(FLASH_PULSES), duration=FLASH_MS)
        self.anim.setEasingCurve(QEasingCurve.Type.Linear)
        self.anim.valueChanged.connect(self._on_value)
        self.anim.finished.connect(self._done)
        self.hide()

    @property
    def running(self) -> bool:
        return self.anim.state() == QVariantAnimation.State.Running

    def flash(self, level: int) -> None:
        """Starts (or restarts, for a more severe level) the flash; a burst does not stack flashes."""
        if self.running and self.level is not None and self.level <= level:
            return
        self.level = level
        self.colour = QColor(FLASH_COLOURS.get(level, FLASH_COLOURS[1]))
        self.flashes += 1
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.anim.stop()
        self.anim.start()

    def _on_value(self, value: float) -> None:
        # A pulse is one rise and fall of the frame's opacity.
        self._alpha = abs(math.sin(math.pi * float(value)))
        self.update()

    def _done(self) -> None:
        self.level = None
        self._alpha = 0.0
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._alpha <= 0.0:
            return
        p = QPainter(self)
        colour = QColor(self.colour)
        colour.setAlphaF(self._alpha)
        p.setPen(QPen(colour, FLASH_WIDTH_PX))
        half = FLASH_WIDTH_PX / 2
        p.drawRect(QRectF(self.rect()).adjusted(half, half, -half, -half))
        p.end()
