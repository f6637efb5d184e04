"""The camera layer of the map: 230,000 points, a spatial index, and two levels of detail.

Far out the cameras are a density rendering (counts binned into small screen cells, coloured on
a log ramp and drawn smoothly scaled); at street zoom each camera inside the viewport is a
small square icon, live ones bright. Both are rendered into one image per view with numpy and
cached by the map, so a frame only blits them. The index sorts cameras by grid cell, so a
viewport or hit query is a few `searchsorted` calls and contiguous slices.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from PySide6.QtGui import QImage

from widgets.map_projection import MapProjection, geo_to_m
from widgets.situation import CameraLayer

#: Side of an index cell; a few dozen cameras per cell in the city centre.
CELL_M = 250.0
#: Views narrower than this show individual cameras (street zoom).
STREET_WIDTH_M = 3000.0
#: Above this many cameras in view icons would only be noise: stay with the density rendering.
MAX_ICONS = 25_000
#: Screen pixels per density cell.
DENSITY_CELL_PX = 3
ICON_PX = 5  # odd, so that the icon centres on its camera


class CameraLod(Enum):
    """How the camera layer is drawn at the current zoom."""

    DENSITY = "density"
    ICONS = "icons"


def _argb(hex_rgb: str, alpha: int) -> np.uint32:
    """A premultiplied ARGB32 pixel value (what Format_ARGB32_Premultiplied stores)."""
    r, g, b = (int(hex_rgb[i:i + 2], 16) * alpha // 255 for i in (1, 3, 5))
    return np.uint32((alpha << 24) | (r << 16) | (g << 8) | b)


def _density_ramp() -> np.ndarray:
    """256 premultiplied colours from faint blue to bright cyan-white, by log count."""
    t = np.linspace(0.0, 1.0, 256)
    alpha = (60 + 195 * t).astype(np.uint32)
    r = (40 + 180 * t ** 2) * alpha / 255
    g = (110 + 130 * t) * alpha / 255
    b = (200 + 55 * t) * alpha / 255
    ramp = (alpha << 24) | (r.astype(np.uint32) << 16) | (g.astype(np.uint32) << 8) | b.astype(np.uint32)
    ramp[0] = 0
    return ramp


_RAMP = _density_ramp()
_ICON_BORDER = _argb("#0d1117", 230)
_ICON_FILL = _argb("#7d8da1", 255)
_ICON_LIVE = _argb("#2ee6a6", 255)


class CameraIndex:
    """Cameras sorted by grid cell, in local metres; `order[k]` is the CameraLayer index of entry k."""

    def __init__(self, layer: CameraLayer) -> None:
        self.layer = layer
        x, y = geo_to_m(layer.lats, layer.lons)
        located = np.nonzero(np.isfinite(x) & np.isfinite(y))[0]
        x, y = x[located], y[located]
        self.x0 = float(x.min()) if len(x) else 0.0
        self.y0 = float(y.min()) if len(y) else 0.0
        gx = ((x - self.x0) // CELL_M).astype(np.int64)
        gy = ((y - self.y0) // CELL_M).astype(np.int64)
        self.cols = int(gx.max()) + 1 if len(gx) else 1
        self.rows = int(gy.max()) + 1 if len(gy) else 1
        cell = gy * self.cols + gx
        sort = np.argsort(cell, kind="stable")
        self.cell = cell[sort]
        self.order = located[sort]
        # float32 halves the memory traffic of projecting every camera when the view changes.
        self.x = x[sort].astype(np.float32)
        self.y = y[sort].astype(np.float32)
        live = layer.live if layer.live is not None else np.zeros(len(layer.lats), dtype=bool)
        self.live = np.asarray(live, dtype=bool)[self.order]

    def __len__(self) -> int:
        return len(self.order)

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Entries (positions in the sorted arrays) of the cells touching a box in metres, a superset."""
        c0 = max(0, int((x0 - self.x0) // CELL_M))
        c1 = min(self.cols - 1, int((x1 - self.x0) // CELL_M))
        r0 = max(0, int((y0 - self.y0) // CELL_M))
        r1 = min(self.rows - 1, int((y1 - self.y0) // CELL_M))
        if c0 > c1 or r0 > r1:
            return np.empty(0, dtype=np.int64)
        rows = np.arange(r0, r1 + 1) * self.cols
        lo = np.searchsorted(self.cell, rows + c0, side="left")
        hi = np.searchsorted(self.cell, rows + c1, side="right")
        spans = [np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
        return np.concatenate(spans) if spans else np.empty(0, dtype=np.int64)

    def lod(self, proj: MapProjection) -> CameraLod:
        if proj.width_m() >= STREET_WIDTH_M:
            return CameraLod.DENSITY
        return CameraLod.ICONS if len(self._in_view(proj)) <= MAX_ICONS else CameraLod.DENSITY

    def _in_view(self, proj: MapProjection) -> np.ndarray:
        return self.query(*proj.view_box_m(margin_px=ICON_PX))

    def hit(self, proj: MapProjection, sx: float, sy: float, radius_px: float) -> tuple[int, float] | None:
        """The CameraLayer index of the camera nearest a pixel within `radius_px`, and its distance."""
        mx, my = proj.screen_to_m(sx, sy)
        r_m = radius_px * proj.m_per_px
        entries = self.query(mx - r_m, my - r_m, mx + r_m, my + r_m)
        if not len(entries):
            return None
        d = np.hypot(self.x[entries] - mx, self.y[entries] - my) / proj.m_per_px
        k = int(np.argmin(d))
        return (int(self.order[entries[k]]), float(d[k])) if d[k] <= radius_px else None

    # ----- rendering ------------------------------------------------------------------------------------

    def render(self, proj: MapProjection) -> tuple[QImage, CameraLod, int]:
        """The layer for this view: (image to draw scaled over the whole widget, lod, cameras drawn)."""
        lod = self.lod(proj)
        if lod is CameraLod.ICONS:
            image, drawn = self._render_icons(proj)
        else:
            image, drawn = self._render_density(proj)
        return image, lod, drawn

    def _render_density(self, proj: MapProjection) -> tuple[QImage, int]:
        cw = (proj.width + DENSITY_CELL_PX - 1) // DENSITY_CELL_PX
        ch = (proj.height + DENSITY_CELL_PX - 1) // DENSITY_CELL_PX
        scale = np.float32(1.0 / (proj.m_per_px * DENSITY_CELL_PX))
        bx = ((self.x - np.float32(proj.cx_m)) * scale + np.float32(proj.width / (2 * DENSITY_CELL_PX))).astype(np.int32)
        by = ((np.float32(proj.cy_m) - self.y) * scale + np.float32(proj.height / (2 * DENSITY_CELL_PX))).astype(np.int32)
        inside = (bx >= 0) & (bx < cw) & (by >= 0) & (by < ch)
        counts = np.bincount(by[inside] * cw + bx[inside], minlength=cw * ch)
        # Log scale: one camera is visible, a dense block of a thousand does not swamp the rest.
        peak = max(1.0, float(np.log1p(counts.max())))
        level = np.minimum(255, np.ceil(np.log1p(counts) * (255.0 / peak))).astype(np.int32)
        pixels = _RAMP[level].reshape(ch, cw)
        return _image(pixels), int(inside.sum())

    def _render_icons(self, proj: MapProjection) -> tuple[QImage, int]:
        entries = self._in_view(proj)
        w, h = proj.width, proj.height
        pixels = np.zeros((h, w), dtype=np.uint32)
        if len(entries):
            # Non-live first, so the few live cameras are stamped on top of their neighbours.
            entries = entries[np.argsort(self.live[entries], kind="stable")]
            sx, sy = proj.m_to_screen(self.x[entries], self.y[entries])
            px, py = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
            half = ICON_PX // 2
            keep = (px >= -half) & (px < w + half) & (py >= -half) & (py < h + half)
            px, py, live = px[keep], py[keep], self.live[entries[keep]]
            for dy in range(-half, half + 1):
                for dx in range(-half, half + 1):
                    edge = abs(dx) == half or abs(dy) == half
                    x, y = px + dx, py + dy
                    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
                    colour = np.where(live[ok], _ICON_LIVE, _ICON_FILL) if not edge else _ICON_BORDER
                    pixels[y[ok], x[ok]] = colour
            return _image(pixels), int(len(px))
        return _image(pixels), 0


def _image(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of premultiplied ARGB32 pixels (numpy's buffer may go away)."""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape
    return QImage(pixels.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied).copy()
