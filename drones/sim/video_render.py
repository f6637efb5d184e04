"""Synthetic pictures for the simulator's video streams: street cameras, drone aerial views, the
drone's dock interior and a "no signal" slate.

Pure Pillow and numpy, no Qt. Every renderer draws a frame from the time (and, for a drone, its
state) alone, so a stream keeps no history. Static parts are drawn once per renderer (or once per
process, like the ground texture) and each frame adds only moving parts and text. A renderer is
used by one producer at a time, on a worker thread of the video server.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import random
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

# Simplified-Chinese faces first (Noto Sans CJK SC is face 2 of the .ttc); Windows and macOS fallbacks.
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)
JPEG_QUALITY = 70
CHINA_TZ = timezone(timedelta(hours=8), "CST")   # Asia/Shanghai has had no daylight saving since 1991
WEEKDAYS_ZH = "一二三四五六日"
BASE_W, BASE_H = 640, 360            # geometry below is designed at this size and scaled
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
OSD_GREEN, WARN_RED = (120, 255, 140), (255, 80, 60)

# Ground texture of the aerial view: periodic, 0.25 m per texel, 512 m before it repeats.
GROUND_RES_M = 0.25
GROUND_PX = 2048
BLOCK_PX = 256                       # one city block plus its road, 64 m
ROAD_PX = 40
CAMERA_HFOV_DEG = 80.0               # nadir gimbal camera
VIEW_ALT_RANGE_M = (8.0, 200.0)      # altitudes outside this range are drawn at its ends
ORIGIN_LAT_DEG, ORIGIN_LON_DEG = 36.07, 120.38   # Qingdao; where the ground texture is anchored
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# Bilinear costs about 6 ms a 640×360 frame on these machines, nearest 0.4 ms; the jaggies are acceptable.
AERIAL_RESAMPLE = Image.Resampling.NEAREST
DOCKED_ALT_M = 0.5                   # a disarmed drone below this is in its dock unless told otherwise
LOW_BATTERY_PCT = 20.0


@dataclass(frozen=True, slots=True)
class DroneView:
    """What a drone's video shows about it. Unknown numbers are NaN and drawn as "--"."""

    lat_deg: float
    lon_deg: float
    relative_alt_m: float
    heading_deg: float
    ground_speed_m_s: float
    battery_pct: float
    armed: bool
    mode: str
    docked: bool | None = None       # None: inferred (disarmed and on the ground)

    @property
    def in_dock(self) -> bool:
        if self.docked is not None:
            return self.docked
        alt = self.relative_alt_m
        return not self.armed and (math.isnan(alt) or alt < DOCKED_ALT_M)


# ---------------------------------------------------------------- fonts and text

@functools.cache
def _cjk_font_file() -> tuple[str, int] | None:
    for path, index in CJK_FONTS:
        if Path(path).is_file():
            return path, index
    log.warning("no CJK font found (tried %s); video text falls back to ASCII", ", ".join(p for p, _ in CJK_FONTS))
    return None


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The CJK font at `size` pixels, or Pillow's default font when no CJK font is installed."""
    found = _cjk_font_file()
    if found is not None:
        try:
            return ImageFont.truetype(found[0], size, index=found[1])
        except OSError:
            log.warning("cannot load CJK font %s; falling back to ASCII", found[0])
    return ImageFont.load_default(size)


def has_cjk() -> bool:
    return _cjk_font_file() is not None


def text(zh: str, en: str = "") -> str:
    """Chinese (with English) when a CJK font is there, else the English or ASCII part only."""
    if has_cjk():
        return f"{zh} {en}".strip()
    return en or zh.encode("ascii", "ignore").decode().strip()


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, size: int, fill: tuple[int, int, int]) -> tuple[Image.Image | None, int, int, float]:
    """One character with a dark outline: its tile, the tile's offset from the pen on the baseline, advance."""
    f = font(size)
    stroke = max(1, size // 12)
    left, top, right, bottom = f.getbbox(ch, stroke_width=stroke, anchor="ls")
    advance = f.getlength(ch)
    if right <= left or bottom <= top:
        return None, 0, 0, advance
    tile = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((-left, -top), ch, font=f, anchor="ls", fill=fill, stroke_width=stroke,
                              stroke_fill=BLACK)
    return tile, left, top, advance


@functools.cache
def _line_metrics(size: int) -> tuple[int, int]:
    """Ink ascent and descent of a line of mixed Chinese and Latin text, outline included."""
    _, top, _, bottom = font(size).getbbox("国Hgy", stroke_width=max(1, size // 12), anchor="ls")
    return -top, bottom


def paste_label(img: Image.Image, s: str, size: int, xy: tuple[float, float], anchor: str = "lt",
                fill: tuple[int, int, int] = WHITE) -> None:
    """Draws `s` with a dark outline at `xy`; `anchor` is l/m/r then t/m/b of the line, as in Pillow.

    Characters are cached one by one: drawing an outlined string costs about 1.5 ms, so text that
    changes every frame (position, heading) is pasted from glyphs (no kerning, unseen in an OSD)."""
    glyphs = [_glyph(ch, size, fill) for ch in s]
    width = sum(g[3] for g in glyphs)
    ascent, descent = _line_metrics(size)
    x = xy[0] - {"l": 0, "m": width / 2, "r": width}[anchor[0]]
    baseline = xy[1] + {"t": ascent, "m": (ascent - descent) / 2, "b": -descent}[anchor[1]]
    for tile, left, top, advance in glyphs:
        if tile is not None:
            img.paste(tile, (round(x + left), round(baseline + top)), tile)
        x += advance


def clock_text(now_s: float, with_weekday: bool = True) -> str:
    t = datetime.fromtimestamp(now_s, CHINA_TZ)
    weekday = f"星期{WEEKDAYS_ZH[t.weekday()]}" if has_cjk() else t.strftime("%a")
    return f"{t:%Y-%m-%d} {weekday} {t:%H:%M:%S}" if with_weekday else f"{t:%Y-%m-%d %H:%M:%S}"


def encode_jpeg(img: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _fmt(value: float, spec: str) -> str:
    return "--" if math.isnan(value) else format(value, spec)


class Renderer:
    """Base of renderers: subclasses draw at the 640×360 design size, frames are resized to `size`.

    Other sizes cost one resize (0.2 ms to 320×180) and keep all geometry in one unit."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)

    def render(self, now_s: float, view: DroneView | None = None) -> Image.Image:
        """The frame at `now_s` (epoch seconds); `view` is the drone's state (None: lost link)."""
        img = self._draw(now_s, view)
        if img.size == self.size:
            return img
        factor = BASE_W // self.size[0]
        if self.size == (BASE_W // factor, BASE_H // factor) and BASE_W % factor == BASE_H % factor == 0:
            return img.reduce(factor)                           # 0.2 ms, where resize() takes 1.7 ms
        return img.resize(self.size, Image.Resampling.BILINEAR)

    def _draw(self, now_s: float, view: DroneView | None) -> Image.Image:
        raise NotImplementedError


# ---------------------------------------------------------------- street camera

CAR_COLOURS = ((200, 30, 30), (235, 235, 235), (30, 30, 35), (40, 80, 170), (150, 150, 160), (230, 180, 40))
CLOTHES = ((40, 60, 140), (170, 40, 40), (60, 120, 60), (90, 90, 90), (200, 150, 60), (30, 30, 30))
GLASS = (120, 160, 190)


class CameraRenderer(Renderer):
    """A fixed street camera looking across a road: skyline, cars both ways, pedestrians, OSD.

    The scene (buildings, sky, traffic) is seeded by the camera id, so each camera looks its own."""

    def __init__(self, camera_id: str, name: str, district: str, width: int, height: int) -> None:
        super().__init__(width, height)
        rng = random.Random(zlib.crc32(camera_id.encode()))
        self.camera_id, self.name, self.district = camera_id, name, district
        self._bg = self._background(rng)
        # (lane y, direction, speed px/s, phase px, colour, perspective scale, is a bus); one speed a lane
        self._cars: list[tuple[float, int, float, float, tuple[int, int, int], float, bool]] = []
        for lane_y, direction, scale in ((245, -1, 0.72), (305, 1, 1.0)):
            speed = rng.uniform(45, 110)
            for i in range(3):
                self._cars.append((lane_y, direction, speed, (BASE_W + 260) * i / 3 + rng.uniform(0, 60),
                                   rng.choice(CAR_COLOURS), scale, rng.random() < 0.15))
        # (foot y, direction, speed px/s, phase px, clothes, step phase)
        self._walkers = [(rng.choice((196.0, 352.0)), rng.choice((-1, 1)), rng.uniform(14, 26), rng.uniform(0, 800),
                          rng.choice(CLOTHES), rng.uniform(0, 6.3)) for _ in range(rng.randint(3, 6))]

    @staticmethod
    def _background(rng: random.Random) -> Image.Image:
        w, h = BASE_W, BASE_H
        img = Image.new("RGB", (w, h))
        d = ImageDraw.Draw(img)
        top, bottom = np.array(rng.choice(((95, 150, 215), (150, 170, 190), (120, 160, 210)))), np.array((205, 220, 235))
        for y in range(170):
            d.line([(0, y), (w, y)], fill=tuple(int(v) for v in top + (bottom - top) * y / 170))
        x = -10
        while x < w:                                         # skyline with lit windows
            bw, bh, grey = rng.randint(40, 110), rng.randint(60, 150), rng.randint(90, 170)
            d.rectangle([x, 180 - bh, x + bw, 180], fill=(grey, grey - rng.randint(0, 20), grey - rng.randint(0, 30)))
            for wy in range(180 - bh + 8, 172, 14):
                for wx in range(x + 6, x + bw - 8, 12):
                    d.rectangle([wx, wy, wx + 5, wy + 7], fill=(250, 225, 150) if rng.random() < 0.3 else (70, 85, 100))
            x += bw + rng.randint(0, 12)
        d.rectangle([0, 180, w, 205], fill=(170, 165, 155))     # far sidewalk
        d.rectangle([0, 205, w, 320], fill=(70, 72, 76))        # road
        for x0 in range(0, w, 48):
            d.rectangle([x0, 261, x0 + 26, 264], fill=(235, 235, 220))
        d.rectangle([0, 316, w, 320], fill=(230, 200, 60))
        d.rectangle([0, 320, w, h], fill=(185, 178, 165))       # near sidewalk
        for x0 in range(rng.randint(20, 90), w, 190):           # street lamps on the far kerb
            d.rectangle([x0, 120, x0 + 3, 200], fill=(60, 60, 65))
            d.rectangle([x0 - 10, 118, x0 + 3, 122], fill=(60, 60, 65))
        return img

    def _draw(self, now_s: float, view: DroneView | None) -> Image.Image:
        img = self._bg.copy()
        d = ImageDraw.Draw(img)
        for lane_y, direction, speed, phase, colour, scale, bus in self._cars:
            pos = (phase + speed * now_s) % (BASE_W + 260) - 130
            _vehicle(d, pos if direction > 0 else BASE_W - pos, lane_y, scale, bus, direction, colour)
        for y, direction, speed, phase, colour, step in self._walkers:
            pos = (phase + speed * now_s) % (BASE_W + 40) - 20
            x, k = (pos if direction > 0 else BASE_W - pos), (0.55 if y < 250 else 1.0)
            swing = 7 * k * math.sin(now_s * 7.0 + step)
            for leg in (swing, -swing):
                d.line([(x, y - 20 * k), (x + leg, y)], fill=(30, 30, 40), width=max(1, round(3 * k)))
            d.rectangle([x - 5 * k, y - 42 * k, x + 5 * k, y - 19 * k], fill=colour)
            d.ellipse([x - 4.5 * k, y - 52 * k, x + 4.5 * k, y - 43 * k], fill=(225, 190, 160))
        paste_label(img, clock_text(now_s), 17, (8, 8))
        paste_label(img, self.name, 20, (8, BASE_H - 8), "lb")
        paste_label(img, f"{self.district} {self.camera_id}", 13, (BASE_W - 8, BASE_H - 8), "rb")
        return img


def _vehicle(d: ImageDraw.ImageDraw, x: float, y: float, k: float, bus: bool, direction: int,
             colour: tuple[int, int, int]) -> None:
    """A car or bus seen from the side, centred on `x`, wheels on `y`, `k` its perspective scale."""
    half = (80 if bus else 40) * k
    x0, x1, body_top = x - half, x + half, y - 16 * k
    if bus:
        d.rounded_rectangle([x0, y - 40 * k, x1, y], radius=5 * k, fill=colour)
        d.rectangle([x0 + 5 * k, y - 35 * k, x1 - 5 * k, y - 22 * k], fill=GLASS)
    else:
        d.rounded_rectangle([x0, body_top, x1, y], radius=4 * k, fill=colour)
        c0, c1 = x0 + 0.22 * (x1 - x0), x1 - 0.25 * (x1 - x0)
        d.rounded_rectangle([c0, body_top - 13 * k, c1, body_top + 1], radius=5 * k, fill=colour)
        d.rectangle([c0 + 3 * k, body_top - 10 * k, c1 - 3 * k, body_top - 2 * k], fill=GLASS)
    for wx in (x0 + 0.2 * (x1 - x0), x1 - 0.2 * (x1 - x0)):
        d.ellipse([wx - 6 * k, y - 6 * k, wx + 6 * k, y + 6 * k], fill=(20, 20, 20))
    front = x1 if direction > 0 else x0
    d.rectangle([front - 3, body_top + 3 * k, front + 3, body_top + 7 * k], fill=(255, 240, 170))


# ---------------------------------------------------------------- drone: aerial view and dock

_ground_lock = threading.Lock()
_ground: Image.Image | None = None


def ground_texture() -> Image.Image:
    """The periodic city texture (GROUND_PX² RGB), built once per process on first use (≈0.3 s)."""
    global _ground
    with _ground_lock:
        if _ground is None:
            _ground = _build_ground(random.Random(2026))
        return _ground


def _build_ground(rng: random.Random) -> Image.Image:
    n, cells, pad = GROUND_PX, 32, 2
    noise = np.pad(np.random.default_rng(7).random((cells, cells)), pad, mode="wrap")   # wraps: texture tiles
    cell = n // cells
    big = Image.fromarray((noise * 255).astype(np.uint8)).resize(((cells + 2 * pad) * cell,) * 2,
                                                                Image.Resampling.BICUBIC)
    shade = np.asarray(big, dtype=np.float32)[pad * cell:pad * cell + n, pad * cell:pad * cell + n] / 255
    grass, soil = np.array((80, 115, 60), np.float32), np.array((140, 125, 95), np.float32)
    img = Image.fromarray((grass + (soil - grass) * shade[..., None]).astype(np.uint8))
    d = ImageDraw.Draw(img)
    roofs = ((150, 150, 155), (170, 90, 70), (90, 120, 160), (200, 200, 195), (120, 110, 100))
    for by in range(0, n, BLOCK_PX):
        for bx in range(0, n, BLOCK_PX):
            x0, y0, x1, y1 = bx + ROAD_PX, by + ROAD_PX, bx + BLOCK_PX - 4, by + BLOCK_PX - 4
            kind = rng.random()
            if kind < 0.62:                                     # buildings with shadows
                d.rectangle([x0, y0, x1, y1], fill=(125, 125, 120))
                for _ in range(rng.randint(2, 5)):
                    w, h = rng.randint(40, 110), rng.randint(30, 100)
                    px, py = rng.randint(x0 + 6, max(x0 + 7, x1 - w - 6)), rng.randint(y0 + 6, max(y0 + 7, y1 - h - 6))
                    d.rectangle([px + 8, py + 8, px + w + 8, py + h + 8], fill=(70, 70, 70))
                    roof = rng.choice(roofs)
                    d.rectangle([px, py, px + w, py + h], fill=roof, outline=tuple(c - 30 for c in roof), width=2)
                    d.rectangle([px + w // 4, py + h // 4, px + w // 4 + 10, py + h // 4 + 8], fill=(90, 90, 95))
            elif kind < 0.82:                                   # park with trees and a path
                d.line([(x0, y0), (x1, y1)], fill=(205, 190, 150), width=6)
                for _ in range(rng.randint(15, 30)):
                    tx, ty, r = rng.randint(x0, x1), rng.randint(y0, y1), rng.randint(6, 14)
                    d.ellipse([tx - r, ty - r, tx + r, ty + r], fill=(40, rng.randint(85, 120), 40))
            elif kind < 0.92:                                   # car park
                d.rectangle([x0, y0, x1, y1], fill=(95, 95, 100))
                for cy in range(y0 + 10, y1 - 20, 28):
                    for cx in range(x0 + 8, x1 - 12, 14):
                        if rng.random() < 0.6:
                            d.rectangle([cx, cy, cx + 8, cy + 18], fill=rng.choice(CAR_COLOURS))
            else:                                               # pond
                d.ellipse([x0 + 10, y0 + 10, x1 - 10, y1 - 10], fill=(60, 110, 150))
    for k in range(0, n, BLOCK_PX):                             # roads over the blocks' edges
        d.rectangle([0, k, n, k + ROAD_PX - 1], fill=(65, 65, 70))
        d.rectangle([k, 0, k + ROAD_PX - 1, n], fill=(65, 65, 70))
    for k in range(0, n, BLOCK_PX):
        mid = k + ROAD_PX // 2
        for j in range(ROAD_PX, n, 24):
            if j % BLOCK_PX >= ROAD_PX:                         # centre lines, not across junctions
                d.rectangle([j, mid - 1, j + 12, mid + 1], fill=(240, 240, 230))
                d.rectangle([mid - 1, j, mid + 1, j + 12], fill=(240, 240, 230))
        for s in range(k + ROAD_PX + 2, k + ROAD_PX + 14, 4):  # zebra crossings
            d.line([(s, k + 4), (s, k + ROAD_PX - 4)], fill=(230, 230, 230), width=2)
    return img


class DroneRenderer(Renderer):
    """A drone's nadir camera over the ground texture, or its dock's interior, with the OSD.

    The view is centred on the drone's position, turned so its heading is up, and zoomed by its
    altitude; a lost link (no state) shows the no-signal slate."""

    def __init__(self, sysid: int, width: int, height: int) -> None:
        super().__init__(width, height)
        self._tex = ground_texture()
        self._dock_bg = self._dock_background()
        self._lost = NoSignalRenderer(BASE_W, BASE_H)
        self._title = text(f"无人机 {sysid:02d}", f"UAV-{sysid:02d}")

    def _draw(self, now_s: float, view: DroneView | None) -> Image.Image:
        if view is None:
            return self._lost.render(now_s)
        img = self._in_dock(now_s, view) if view.in_dock else self._aerial(view)
        self._osd(img, now_s, view)
        return img

    def _aerial(self, v: DroneView) -> Image.Image:
        w, h = BASE_W, BASE_H
        alt = min(max(0.0 if math.isnan(v.relative_alt_m) else v.relative_alt_m, VIEW_ALT_RANGE_M[0]),
                  VIEW_ALT_RANGE_M[1])
        k = 2 * alt * math.tan(math.radians(CAMERA_HFOV_DEG / 2)) / w / GROUND_RES_M   # texels per pixel
        lat = ORIGIN_LAT_DEG if math.isnan(v.lat_deg) else v.lat_deg
        lon = ORIGIN_LON_DEG if math.isnan(v.lon_deg) else v.lon_deg
        east = (lon - ORIGIN_LON_DEG) * M_PER_DEG_LON_EQUATOR * math.cos(math.radians(ORIGIN_LAT_DEG))
        north = (lat - ORIGIN_LAT_DEG) * M_PER_DEG_LAT
        cx, cy = east / GROUND_RES_M, -north / GROUND_RES_M
        r = int(k * math.hypot(w, h) / 2) + 2
        x0, y0 = math.floor(cx) - r, math.floor(cy) - r
        patch = Image.new("RGB", (2 * r, 2 * r))
        n = self._tex.width
        for dy in (0, n):                                       # the patch spans at most 2×2 periods
            for dx in (0, n):
                patch.paste(self._tex, (dx - x0 % n, dy - y0 % n))
        hdg = math.radians(0.0 if math.isnan(v.heading_deg) else v.heading_deg)
        a, b, c, e = k * math.cos(hdg), -k * math.sin(hdg), k * math.sin(hdg), k * math.cos(hdg)
        data = (a, b, cx - x0 - a * w / 2 - b * h / 2, c, e, cy - y0 - c * w / 2 - e * h / 2)
        return patch.transform((w, h), Image.Transform.AFFINE, data, AERIAL_RESAMPLE)

    @staticmethod
    def _dock_background() -> Image.Image:
        img = Image.new("RGB", (BASE_W, BASE_H), (38, 40, 44))
        d = ImageDraw.Draw(img)
        d.polygon([(150, 120), (490, 120), (600, 330), (40, 330)], fill=(70, 72, 78))                # pad
        d.polygon([(150, 120), (490, 120), (490, 60), (150, 60)], fill=(52, 54, 58))                  # back wall
        for x in range(40, 600, 40):                                                                  # hazard edge
            d.polygon([(x, 330), (x + 20, 330), (x + 30, 345), (x + 10, 345)], fill=(230, 190, 30))
        d.ellipse([230, 170, 410, 300], outline=(235, 235, 235), width=6)
        for line in ([(290, 200), (290, 270)], [(350, 200), (350, 270)], [(290, 235), (350, 235)]):   # "H"
            d.line(line, fill=(235, 235, 235), width=8)
        for x in (200, 320, 440):
            d.rectangle([x - 30, 62, x + 30, 70], fill=(230, 230, 215))                               # lamps
        return img

    def _in_dock(self, now_s: float, v: DroneView) -> Image.Image:
        img = self._dock_bg.copy()
        d = ImageDraw.Draw(img)
        d.ellipse([600, 80, 612, 92], fill=(60, 230, 90) if int(now_s * 2) % 2 == 0 else (20, 60, 30))
        if not math.isnan(v.battery_pct):                     # charging bar creeping up to the battery level
            full = max(0.0, min(v.battery_pct, 100.0)) / 100
            fill = full * (0.6 + 0.4 * ((now_s / 3) % 1)) if full < 0.99 else full
            d.rectangle([220, 128, 420, 138], outline=WHITE)
            d.rectangle([221, 129, 221 + 198 * fill, 137], fill=OSD_GREEN)
        paste_label(img, text("机巢内", "IN DOCK"), 22, (BASE_W / 2, 95), "mm")
        return img

    def _osd(self, img: Image.Image, now_s: float, v: DroneView) -> None:
        w, h, cx, cy = BASE_W, BASE_H, BASE_W / 2, BASE_H / 2
        d = ImageDraw.Draw(img)
        if not v.in_dock:
            self._heading_tape(img, d, v.heading_deg)
            for x0, y0, x1, y1 in ((-22, 0, -6, 0), (6, 0, 22, 0), (0, -22, 0, -6), (0, 6, 0, 22)):   # crosshair
                d.line([(cx + x0, cy + y0), (cx + x1, cy + y1)], fill=OSD_GREEN, width=2)
            d.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=OSD_GREEN)
        paste_label(img, self._title, 17, (8, 8))
        paste_label(img, clock_text(now_s, with_weekday=False), 15, (w - 8, 8), "rt")
        paste_label(img, f"ALT {_fmt(v.relative_alt_m, '.1f')} m", 15, (8, cy - 12), "lb", OSD_GREEN)
        paste_label(img, f"SPD {_fmt(v.ground_speed_m_s, '.1f')} m/s", 15, (8, cy + 12), "lt", OSD_GREEN)
        low = not math.isnan(v.battery_pct) and v.battery_pct < LOW_BATTERY_PCT
        paste_label(img, f"BAT {_fmt(v.battery_pct, '.0f')}%", 15, (w - 8, cy - 12), "rb", WARN_RED if low else OSD_GREEN)
        armed = text("已解锁", "ARMED") if v.armed else text("未解锁", "DISARMED")
        paste_label(img, f"{v.mode} {armed}", 15, (w - 8, cy + 12), "rt", WARN_RED if v.armed else OSD_GREEN)
        pos = f"{_fmt(v.lat_deg, '.6f')}, {_fmt(v.lon_deg, '.6f')}"
        paste_label(img, f"HDG {_fmt(v.heading_deg % 360, '03.0f')}°   {pos}", 13, (cx, h - 8), "mb")

    @staticmethod
    def _heading_tape(img: Image.Image, d: ImageDraw.ImageDraw, heading_deg: float) -> None:
        """A compass tape along the top, ±60° around the heading, marker in the middle."""
        if math.isnan(heading_deg):
            return
        top, px_per_deg = 34, BASE_W * 0.5 / 120
        for deg in range(int(heading_deg) - 60, int(heading_deg) + 61):
            if deg % 10:
                continue
            x = BASE_W / 2 + (deg - heading_deg) * px_per_deg
            d.line([(x, top), (x, top + (10 if deg % 30 == 0 else 5))], fill=OSD_GREEN, width=2)
            if deg % 30 == 0:
                name = {0: "N", 90: "E", 180: "S", 270: "W"}.get(deg % 360, str(deg % 360))
                paste_label(img, name, 12, (x, top + 11), "mt", OSD_GREEN)
        d.polygon([(BASE_W / 2 - 5, top - 7), (BASE_W / 2 + 5, top - 7), (BASE_W / 2, top - 1)], fill=OSD_GREEN)


# ---------------------------------------------------------------- no signal

SMPTE_BARS = ((192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192))
NOSIGNAL_BOX = (128, 137, 512, 223)


class NoSignalRenderer(Renderer):
    """Colour bars with a rolling band of static, "无信号 NO SIGNAL" and the clock."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(width, height)
        w, h = BASE_W, BASE_H
        img = Image.new("RGB", (w, h), BLACK)
        d = ImageDraw.Draw(img)
        bar_w = w / len(SMPTE_BARS)
        for i, colour in enumerate(SMPTE_BARS):
            d.rectangle([i * bar_w, 0, (i + 1) * bar_w, h * 0.67], fill=colour)
            d.rectangle([i * bar_w, h * 0.67, (i + 1) * bar_w, h * 0.75], fill=SMPTE_BARS[-1 - i])
        for i, grey in enumerate((16, 235, 16, 64, 16)):
            d.rectangle([i * w / 5, h * 0.75, (i + 1) * w / 5, h], fill=(grey,) * 3)
        d.rectangle(NOSIGNAL_BOX, fill=BLACK)
        paste_label(img, text("无信号", "NO SIGNAL"), 34, (w / 2, h / 2), "mm")
        self._bg = img
        self._rng = np.random.default_rng()

    def _draw(self, now_s: float, view: DroneView | None) -> Image.Image:
        img = self._bg.copy()
        band_h = BASE_H // 12
        y = int((now_s * 0.25 % 1) * (BASE_H - band_h))        # the band rolls down every 4 s
        noise = self._rng.integers(0, 256, (band_h, BASE_W), dtype=np.uint8)
        img.paste(Image.fromarray(noise).convert("RGB"), (0, y))
        img.paste(self._bg.crop(NOSIGNAL_BOX), NOSIGNAL_BOX[:2])  # the message stays readable
        paste_label(img, clock_text(now_s, with_weekday=False), 14, (BASE_W / 2, BASE_H * 0.6), "mb")
        return img
