"""What a video tile plays and shows: plain value types shared by the tile, the wall and the console.

The console turns cameras and drones into `TileSource`s (URLs already absolute); the widgets know
nothing else about them. `quiet_ffmpeg_log()` stops FFmpeg's per-frame warnings on stderr.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
from dataclasses import dataclass
from enum import Enum
from typing import Literal

log = logging.getLogger(__name__)

SourceKind = Literal["camera", "drone", "file"]
#: Mime type of a tile dragged onto another tile (payload: the tile's index as text).
TILE_MIME = "application/x-qd-video-tile"
#: Plain-text payload prefix of a camera dragged from the map or the search box: "camera:<id>".
CAMERA_PREFIX = "camera:"
DRONE_PREFIX = "drone:"
#: FFmpeg's AV_LOG_FATAL: only messages about FFmpeg itself failing reach stderr.
AV_LOG_FATAL = 8
#: Qt Multimedia's own logging categories that repeat per stream (re)open; the tile shows the reason instead.
QUIET_QT_RULES = ("qt.multimedia.symbolsresolver=false", "qt.multimedia.ffmpeg*.warning=false",
                  "qt.multimedia.ffmpeg*.info=false", "qt.multimedia.playbackengine*=false")


class TileState(Enum):
    """What a tile is doing; the overlay shows it and the health line counts tiles by it."""

    IDLE = "idle"                  # no source, or hidden (not decoding)
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"  # it was live and lost the stream; retrying
    NO_SIGNAL = "no_signal"        # cannot reach the stream (or the camera has none); retrying
    ERROR = "error"                # the stream is there but unusable (format, access); retrying


@dataclass(frozen=True, slots=True)
class TileSource:
    """One thing a tile can show. `key` ("camera:<id>", "drone:<sysid>", "file:<path>") identifies it
    for presets and drag and drop; `url` None means there is nothing to play (`offline_reason` says why)."""

    key: str
    title: str
    url: str | None
    kind: SourceKind = "camera"
    district: str = ""
    sub_url: str | None = None
    stream_size: tuple[int, int] = (640, 360)   # the main stream's resolution, to decide on the sub-stream
    alert_id: str | None = None
    alert_level: int | None = None              # set when an alert put the source on the wall
    offline_reason: str | None = None
    loop: bool = False                          # files start over at their end; streams reconnect

    @property
    def camera_id(self) -> str | None:
        return self.key[len(CAMERA_PREFIX):] if self.key.startswith(CAMERA_PREFIX) else None


@dataclass(frozen=True, slots=True)
class DroneInfo:
    """The drone line of a drone tile; None is "not reported yet", shown as "--", never as zero."""

    alt_rel_m: float | None = None
    battery_pct: float | None = None
    task_state: str | None = None


def fmt_number(value: float | None, digits: int = 0) -> str:
    """A number for the overlay, or "--" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    return f"{value:.{digits}f}"


_quieted = False


def quiet_ffmpeg_log() -> bool:
    """Raises the av_log level of Qt's bundled FFmpeg to fatal (call once a QMediaPlayer exists).

    Without QT_FFMPEG_DEBUG, Qt leaves FFmpeg's default log callback in place, which prints every
    warning to stderr, e.g. "[swscaler] deprecated pixel format used" for each MJPEG frame. Qt has no
    setting for the av_log level, so it is set through the library Qt already loaded (by soname, with
    RTLD_NOLOAD: nothing new is loaded). Returns whether it worked; harmless when FFmpeg is elsewhere.
    """
    global _quieted
    if _quieted or os.environ.get("QT_FFMPEG_DEBUG"):
        return _quieted
    for soname in ("libavutil.so.61", "libavutil.so.60", "libavutil.so.59", "libavutil.so.58",
                   "avutil-61.dll", "avutil-60.dll", "avutil-59.dll", "libavutil.61.dylib"):
        try:
            lib = ctypes.CDLL(soname, mode=getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 0))
        except OSError:
            continue
        lib.av_log_set_level(AV_LOG_FATAL)
        _quieted = True
        log.debug("FFmpeg log level set to fatal through %s", soname)
        return True
    return False
