"""No-fly zones prepared for routing: straight lines when clear, shortest detours when not.

An `Airspace` holds the zones that apply at one altitude, in a local plane (metres): their
edges, and detour nodes around their convex corners pushed out by a margin. `route(a, b)`
is the straight line when it keeps the margin, else the shortest path through the
visibility graph over those nodes (Dijkstra), and every leg of the answer is checked again
with `drones.nofly.first_zone_crossed`, the authoritative test. Pure computation; any thread.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from drones.geo import LocalProjection
from drones.nofly import NoFlyZone, first_zone_crossed, zones_containing

log = logging.getLogger(__name__)

#: A corner turning more than this gets several nodes, so lines between them hug the corner.
MAX_CORNER_STEP_RAD = math.radians(45.0)
#: Lines must keep this share of the margin (float rounding on lines that run exactly at it).
CLEARANCE_TOLERANCE = 0.98
#: End points (docks, targets) whose visibility an airspace remembers.
MAX_CACHED_END_POINTS = 1024


def _point_segment_m(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances from points p to segments a-b (arrays of (..., 2) that broadcast), metres."""
    ab = b - a
    length_sq = np.einsum("...i,...i->...", ab, ab)
    t = np.einsum("...i,...i->...", p - a, ab) / np.where(length_sq > 0, length_sq, 1.0)
    closest = a + np.clip(t, 0.0, 1.0)[..., None] * ab
    return np.hypot(*np.moveaxis(p - closest, -1, 0))


def _segments_to_edges_m(p0: np.ndarray, p1: np.ndarray, e0: np.ndarray, e1: np.ndarray) -> np.ndarray:
    """(S, M) distances between S segments p0-p1 and M edges e0-e1; 0 where they cross."""
    p0, p1, e0, e1 = p0[:, None, :], p1[:, None, :], e0[None, :, :], e1[None, :, :]

    def cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (b[..., 0] - o[..., 0])

    crossing = (cross(e0, e1, p0) * cross(e0, e1, p1) < 0) & (cross(p0, p1, e0) * cross(p0, p1, e1) < 0)
    d = np.minimum(np.minimum(_point_segment_m(p0, e0, e1), _point_segment_m(p1, e0, e1)),
                   np.minimum(_point_segment_m(e0, p0, p1), _point_segment_m(e1, p0, p1)))
    return np.where(crossing, 0.0, d)


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull of (n, 2) points (monotone chain), without repeated points."""
    pts = sorted(set(map(tuple, points.tolist())))
    if len(pts) < 3:
        return np.array(pts)

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _detour_nodes(ring: np.ndarray, margin_m: float) -> np.ndarray:
    """Corners of a polygon circumscribed about the ring's hull grown by `margin_m`.

    Its sides lie on supporting lines of hull ⊕ disc(margin), so each side keeps the full
    margin; consecutive sides turn at most MAX_CORNER_STEP_RAD, so a round zone gets a few
    corners rather than one per vertex (fewer waypoints, each one a slow-down).
    """
    hull = _convex_hull(ring)
    if len(hull) < 3:
        return np.empty((0, 2))
    lines: list[tuple[float, float]] = []    # (normal angle, offset c): the line n(angle) · x = c
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.arctan2(-edges[:, 0], edges[:, 1])          # outward for a counter-clockwise hull
    for i, v in enumerate(hull):
        before, after = normals[i - 1], normals[i]
        turn = (after - before) % (2 * math.pi)
        # Tangents to the margin circle around this corner, so sharp corners are rounded.
        steps = math.ceil(turn / MAX_CORNER_STEP_RAD)
        for k in range(steps + 1):
            angle = before + turn * k / steps if steps else after
            lines.append((angle, math.cos(angle) * v[0] + math.sin(angle) * v[1] + margin_m))
    lines.sort(key=lambda line: line[0] % (2 * math.pi))
    chosen = [lines[0]]
    for j, line in enumerate(lines[1:], 1):
        nxt = lines[(j + 1) % len(lines)]
        if (nxt[0] - chosen[-1][0]) % (2 * math.pi) > MAX_CORNER_STEP_RAD and \
                (line[0] - chosen[-1][0]) % (2 * math.pi) > 1e-9:
            chosen.append(line)
    nodes = []
    for (a1, c1), (a2, c2) in zip(chosen, chosen[1:] + chosen[:1]):
        det = math.sin(a2 - a1)
        if abs(det) < 1e-9:
            continue
        nodes.append(((c1 * math.sin(a2) - c2 * math.sin(a1)) / det, (c2 * math.cos(a1) - c1 * math.cos(a2)) / det))
    return np.array(nodes) if nodes else np.empty((0, 2))


@dataclass(slots=True)
class _EndPoint:
    """A route's start or end in the plane: clearance per zone and per edge, lengths to visible nodes."""

    xy: np.ndarray
    zone_m: np.ndarray                 # distance to each zone's boundary
    need_m: np.ndarray                 # clearance a line from here must keep from each edge
    node_m: np.ndarray | None = None   # length of the clear line to each node, inf where blocked; on demand


class Airspace:
    """No-fly zones that apply at one altitude, prepared for routing in a local plane (metres).

    The equirectangular plane is an affine map of lat/lon, so "crosses a zone" means the same
    here as in `drones.nofly`. Its geometry is fixed once built (`airspace_for` caches one per
    zone set); it only adds recomputable end-point data to a cache, so threads may share it.
    """

    def __init__(self, zones: tuple[NoFlyZone, ...], margin_m: float) -> None:
        self.zones = zones
        self.margin_m = margin_m
        outer = [p for z in zones for p in z.polygon[0]] or [(0.0, 0.0)]
        self.proj = LocalProjection(sum(p[0] for p in outer) / len(outer), sum(p[1] for p in outer) / len(outer))
        e0, e1, owner, nodes = [], [], [], []
        for zi, zone in enumerate(zones):
            for ri, ring in enumerate(zone.polygon):
                xy = self._enu(np.asarray(ring, dtype=float))
                e0.append(xy)
                e1.append(np.roll(xy, -1, axis=0))
                owner.append(np.full(len(xy), zi))
                if ri == 0:
                    nodes.append(_detour_nodes(xy, margin_m))
        self.e0 = np.concatenate(e0) if e0 else np.empty((0, 2))
        self.e1 = np.concatenate(e1) if e1 else np.empty((0, 2))
        self.owner = np.concatenate(owner) if owner else np.empty(0, dtype=int)
        self._zone_starts = np.searchsorted(self.owner, np.arange(len(zones)))
        self.nodes = self._usable(np.concatenate(nodes) if nodes else np.empty((0, 2)))
        self.graph = self._visibility()
        self._ends: dict[tuple[float, float], _EndPoint] = {}

    def _enu(self, latlon: np.ndarray) -> np.ndarray:
        return np.column_stack(self.proj.to_enu_m(latlon[:, 0], latlon[:, 1]))

    def _latlon(self, xy: np.ndarray) -> tuple[float, float]:
        lat, lon = self.proj.to_latlon(float(xy[0]), float(xy[1]))
        return lat, lon

    def _usable(self, nodes: np.ndarray) -> np.ndarray:
        """Nodes outside every zone and at least the margin from each."""
        if not len(nodes):
            return nodes
        clear = _segments_to_edges_m(nodes, nodes, self.e0, self.e1).min(axis=1) >= self.margin_m * CLEARANCE_TOLERANCE
        keep = [i for i in np.nonzero(clear)[0] if not zones_containing(*self._latlon(nodes[i]), self.zones)]
        return nodes[keep]

    def _visibility(self) -> np.ndarray:
        """(N, N) lengths of the node-to-node lines that keep the margin from every zone, inf otherwise."""
        n = len(self.nodes)
        graph = np.full((n, n), np.inf)
        if n < 2:
            return graph
        i, j = np.triu_indices(n, 1)
        clear = (_segments_to_edges_m(self.nodes[i], self.nodes[j], self.e0, self.e1).min(axis=1)
                 >= self.margin_m * CLEARANCE_TOLERANCE)
        lengths = np.hypot(*(self.nodes[i] - self.nodes[j]).T)
        graph[i[clear], j[clear]] = graph[j[clear], i[clear]] = lengths[clear]
        return graph

    def _end(self, point: tuple[float, float]) -> _EndPoint:
        """A route end point with its clearances and visible nodes, cached (docks recur, so do targets)."""
        end = self._ends.get(point)
        if end is None:
            xy = self._enu(np.array([point]))[0]
            zone_m = np.minimum.reduceat(_point_segment_m(xy[None, :], self.e0, self.e1), self._zone_starts)
            # Near an end point, a line need only keep as clear of a zone as that end point is.
            need_m = np.minimum(zone_m, self.margin_m)[self.owner] * CLEARANCE_TOLERANCE
            if len(self._ends) >= MAX_CACHED_END_POINTS:
                self._ends.clear()
            end = self._ends[point] = _EndPoint(xy, zone_m, need_m)
        return end

    def _node_m(self, end: _EndPoint) -> np.ndarray:
        """Lengths of the clear lines from an end point to each node (inf where blocked), computed once."""
        if end.node_m is None:
            seen = _segments_to_edges_m(np.broadcast_to(end.xy, self.nodes.shape), self.nodes, self.e0, self.e1)
            end.node_m = np.where(np.all(seen >= end.need_m, axis=1), np.hypot(*(self.nodes - end.xy).T), np.inf)
        return end.node_m

    def nearest_zone(self, lat: float, lon: float) -> tuple[NoFlyZone, float] | None:
        """The zone whose boundary is nearest to a point, and how far (metres); None without zones."""
        if not self.zones:
            return None
        zone_m = self._end((lat, lon)).zone_m
        k = int(np.argmin(zone_m))
        return self.zones[k], float(zone_m[k])

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]] | None:
        """The shortest path start → end that crosses no zone, keeping the margin where it can; None if none."""
        if not self.zones:
            return [start, end]
        a, b = self._end(start), self._end(end)
        direct = _segments_to_edges_m(a.xy[None], b.xy[None], self.e0, self.e1)[0]
        if np.all(direct >= np.minimum(a.need_m, b.need_m)):
            return self._checked([start, end])
        path = self._dijkstra(self._node_m(a), self._node_m(b)) if len(self.nodes) else None
        detour = self._checked([start, *(self._latlon(self.nodes[k]) for k in path), end]) if path else None
        # When no detour keeps the margin, the straight line will do if it crosses no zone at all.
        return detour or self._checked([start, end])

    def _dijkstra(self, la: np.ndarray, lb: np.ndarray) -> list[int] | None:
        """Node indices of the shortest start → nodes → end path (dense Dijkstra), None if none."""
        dist, prev = la.copy(), np.full(len(la), -1)
        done = np.zeros(len(la), dtype=bool)
        best, last = math.inf, -1
        for _ in range(len(la)):
            i = int(np.argmin(np.where(done, np.inf, dist)))
            if done[i] or not dist[i] < best:
                break
            done[i] = True
            if dist[i] + lb[i] < best:
                best, last = float(dist[i] + lb[i]), i
            better = dist[i] + self.graph[i] < dist
            dist[better], prev[better] = dist[i] + self.graph[i][better], i
        if last < 0:
            return None
        path = [last]
        while prev[path[-1]] >= 0:
            path.append(int(prev[path[-1]]))
        return path[::-1]

    def _checked(self, path: list[tuple[float, float]]) -> list[tuple[float, float]] | None:
        """The path, after the authoritative test of `drones.nofly` on every leg; None if a leg crosses a zone."""
        for a, b in zip(path, path[1:]):
            zone = first_zone_crossed(*a, *b, self.zones)
            if zone is not None:
                if len(path) > 2:
                    log.warning("detour leg %s -> %s crosses zone %s; route refused", a, b, zone.id)
                return None
        return path


@lru_cache(maxsize=32)
def airspace_for(zones: tuple[NoFlyZone, ...], margin_m: float) -> Airspace:
    """The prepared airspace of a set of zones (cached: zone sets change rarely)."""
    return Airspace(zones, margin_m)
