"""What is under a pixel of the map: the item a click selects and a hover describes.

Kept apart from the widget so it can be tested and reused without events; every query is
vectorised or goes through the camera index, so hovering over 230,000 cameras stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from widgets.map_cameras import CameraIndex, CameraLod
from widgets.map_projection import MapProjection
from widgets.situation import AlertMark, DockMark, DroneMark, MapScene, SelectionKind, ZoneShape

#: How far from an item (pixels) the cursor still points at it.
HIT_RADIUS_PX = 8.0


@dataclass(frozen=True, slots=True)
class Hit:
    """One item under the cursor: its kind, selection key and where it is drawn."""

    kind: SelectionKind
    key: str
    sx: float
    sy: float
    item: DockMark | DroneMark | AlertMark | None = None
    camera_index: int | None = None


def _nearest(proj: MapProjection, lats: list[float], lons: list[float], sx: float, sy: float,
             radius_px: float) -> tuple[int, float, float] | None:
    if not lats:
        return None
    px, py = proj.to_screen(np.asarray(lats), np.asarray(lons))
    d = np.hypot(px - sx, py - sy)
    k = int(np.argmin(d))
    return (k, float(px[k]), float(py[k])) if d[k] <= radius_px else None


def hit_test(proj: MapProjection, scene: MapScene, cameras: CameraIndex | None, visible: Callable[[str], bool],
             sx: float, sy: float, radius_px: float = HIT_RADIUS_PX) -> Hit | None:
    """The topmost item within `radius_px` of a pixel: alerts, then drones, docks, cameras (icons only)."""
    if visible("alerts"):
        found = _nearest(proj, [a.lat for a in scene.alerts], [a.lon for a in scene.alerts], sx, sy, radius_px)
        if found:
            a = scene.alerts[found[0]]
            return Hit(SelectionKind.ALERT, a.alert_id, found[1], found[2], a)
    if visible("drones"):
        found = _nearest(proj, [d.lat for d in scene.drones], [d.lon for d in scene.drones], sx, sy, radius_px)
        if found:
            d = scene.drones[found[0]]
            return Hit(SelectionKind.DRONE, str(d.sysid), found[1], found[2], d)
    if visible("docks"):
        found = _nearest(proj, [d.lat for d in scene.docks], [d.lon for d in scene.docks], sx, sy, radius_px)
        if found:
            k = scene.docks[found[0]]
            return Hit(SelectionKind.DOCK, k.dock_id, found[1], found[2], k)
    if visible("cameras") and cameras is not None and cameras.lod(proj) is CameraLod.ICONS:
        cam = cameras.hit(proj, sx, sy, radius_px)
        if cam is not None:
            i = cam[0]
            cx, cy = proj.to_screen(float(cameras.layer.lats[i]), float(cameras.layer.lons[i]))
            return Hit(SelectionKind.CAMERA, cameras.layer.camera_id(i), cx, cy, camera_index=i)
    return None


def zone_at(zones: Sequence[ZoneShape], lat: float, lon: float) -> ZoneShape | None:
    """The first zone containing a point (even-odd over all its rings)."""
    for z in zones:
        inside = False
        for ring in z.rings:
            x, y = ring[:, 0], ring[:, 1]
            x2, y2 = np.roll(x, -1), np.roll(y, -1)
            crosses = (y > lat) != (y2 > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = x + (lat - y) * (x2 - x) / (y2 - y)
            inside ^= bool(np.count_nonzero(crosses & (lon < at)) % 2)
        if inside:
            return z
    return None


def default_tooltip(hit: Hit, camera_label: Callable[[int], str] | None, words: dict[str, str]) -> str:
    """The item's own tooltip, or one built from its fields; `words` are the translated "drone",
    "link lost", "airborne" and "on the ground" (the widget translates them, with its context)."""
    item = hit.item
    if isinstance(item, DockMark):
        return item.tooltip or f"{item.name} ({item.dock_id})"
    if isinstance(item, DroneMark):
        if item.tooltip:
            return item.tooltip
        alt = "--" if item.alt_rel_m is None else f"{item.alt_rel_m:.0f} m"
        bat = "--" if item.battery_pct is None else f"{item.battery_pct:.0f} %"
        state = words["link lost"] if item.link_lost else words["airborne" if item.airborne else "on the ground"]
        return f"{words['drone']} {item.sysid} · {state}\n{alt} · {bat}"
    if isinstance(item, AlertMark):
        return item.tooltip or f"L{item.level} {item.title}"
    if hit.camera_index is not None and camera_label is not None:
        return camera_label(hit.camera_index)
    return hit.key
