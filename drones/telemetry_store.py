"""Latest telemetry of every drone plus ten minutes of history, written per message, read from any thread.

The fleet's MAVSDK callbacks write here (one writer thread per drone: MAVSDK's callback
thread); views, plots, tasks and safety checks read snapshots whenever they like. Nothing
locks: a reader never blocks the writer.

- Latest numeric values live in one preallocated float64 matrix, a row per drone and a
  column per field (`Col`); NaN means "not reported yet", never zero. Fields that change
  together (a position, a velocity, a battery report) are written under a per-drone
  sequence counter, seqlock style: odd while a write is under way; a reader copies the row
  and retries if the counter moved, so it never sees half of one message and half of another.
- Flight mode, armed, landed state, health, status text, link state and mission progress
  are Python values in small per-drone slots, each replaced whole, only when it changes.
- On every position message one sample of the main series (`SERIES`) goes into the drone's
  ring buffer: 10 minutes at 10 Hz. A reader copies the samples it wants, then checks that
  the writer did not lap the part it copied.

The writer does no per-message allocation of its own: it stores the numbers MAVSDK hands
over through memoryviews of the preallocated arrays.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Iterable

import numpy as np

from drones.model import DroneState, LandedState
from vocab import LinkState

#: History kept per drone for plots.
HISTORY_S = 600.0
#: Ring samples are taken on each position message; PX4 streams GLOBAL_POSITION_INT at 10 Hz.
SAMPLE_HZ = 10.0
#: Extra ring slots beyond the readable history: a reader copying the history while the
#: writer keeps going fails its consistency check only if the writer gets this far ahead.
RING_MARGIN = 64
RING_SAMPLES = int(HISTORY_S * SAMPLE_HZ) + RING_MARGIN
#: The main series sampled into the ring buffers (plus their time, `t`).
SERIES: tuple[str, ...] = ("alt_rel_m", "ground_speed_m_s", "battery_pct", "message_rate_hz")


class Col:
    """Column indices of the latest-value matrix (plain ints: an Enum lookup would double the write cost)."""

    LAT = 0
    LON = 1
    ALT_AMSL = 2
    ALT_REL = 3
    V_NORTH = 4
    V_EAST = 5
    V_DOWN = 6
    HEADING = 7
    BATTERY_PCT = 8
    BATTERY_V = 9
    BATTERY_REMAINING_S = 10
    GPS_FIX = 11
    SATELLITES = 12
    HOME_LAT = 13
    HOME_LON = 14
    HOME_ALT = 15
    UPDATED_AT = 16       # clock() of the last message of any kind
    HEARTBEAT_AT = 17     # clock() of the last heartbeat
    MESSAGES = 18         # messages received so far (a counter, starts at 0)


N_COLS = Col.MESSAGES + 1


class _Slots:
    """Non-numeric state of one drone; each attribute is replaced whole, only when it changes."""

    __slots__ = ("flight_mode", "armed", "landed", "health_all_ok", "armable", "status_text", "link", "mission",
                 "link_loss_action")

    def __init__(self) -> None:
        self.flight_mode: str | None = None
        self.armed: bool | None = None
        self.landed = LandedState.UNKNOWN
        self.health_all_ok: bool | None = None
        self.armable: bool | None = None
        self.status_text: str | None = None
        self.link = LinkState.NEVER
        self.mission: tuple[int, int] | None = None   # (current, total)
        self.link_loss_action: int | None = None      # PX4 NAV_DLL_ACT, once read from the drone


def _opt(x: float) -> float | None:
    return None if math.isnan(x) else x


def _opt_int(x: float) -> int | None:
    return None if math.isnan(x) else int(x)


class DroneWriter:
    """The single writer of one drone's row, slots and ring buffer.

    Only one thread may call these methods for a given drone; in the fleet that is MAVSDK's
    callback thread. Each method takes the values of one update. All but `velocity` and
    `heading` count one received message and note its time (`Col.MESSAGES`, `Col.UPDATED_AT`):
    MAVSDK derives those two from the GLOBAL_POSITION_INT that `position` already counted.
    """

    __slots__ = ("sysid", "slots", "_clock", "_row", "_seq", "_r", "_rate", "_ring_n", "_ring_count",
                 "_rt", "_ralt", "_rspd", "_rbat", "_rrate")

    def __init__(self, store: TelemetryStore, sysid: int) -> None:
        r = store._row_of[sysid]
        self.sysid = sysid
        self.slots = store._slots[r]
        self._clock = store._clock
        self._r = r
        self._row = memoryview(store._latest[r])
        self._seq = store._seq
        self._rate = memoryview(store._rates)
        self._ring_count = store._ring_count
        self._ring_n = store._ring_count[r]
        self._rt = memoryview(store._ring_t[r])
        values = store._ring_v[r]
        self._ralt, self._rspd, self._rbat, self._rrate = (memoryview(values[k]) for k in range(len(SERIES)))

    def touch(self) -> None:
        """Counts one message (of a kind without numbers to store) and notes when it came."""
        row = self._row
        row[Col.UPDATED_AT] = self._clock()
        row[Col.MESSAGES] += 1.0

    def heartbeat(self) -> None:
        row = self._row
        row[Col.UPDATED_AT] = row[Col.HEARTBEAT_AT] = self._clock()
        row[Col.MESSAGES] += 1.0

    def position(self, lat: float, lon: float, alt_amsl_m: float, alt_rel_m: float) -> None:
        """Stores a global position and takes one sample of the main series."""
        now = self._clock()
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[Col.LAT] = lat
        row[Col.LON] = lon
        row[Col.ALT_AMSL] = alt_amsl_m
        row[Col.ALT_REL] = alt_rel_m
        row[Col.UPDATED_AT] = now
        row[Col.MESSAGES] += 1.0
        seq[r] += 1
        i = self._ring_n % RING_SAMPLES
        self._rt[i] = now
        self._ralt[i] = alt_rel_m
        self._rspd[i] = math.hypot(row[Col.V_NORTH], row[Col.V_EAST])
        self._rbat[i] = row[Col.BATTERY_PCT]
        self._rrate[i] = self._rate[r]
        self._ring_n += 1
        self._ring_count[r] = self._ring_n  # publishes the sample

    def velocity(self, north_m_s: float, east_m_s: float, down_m_s: float) -> None:
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[Col.V_NORTH] = north_m_s
        row[Col.V_EAST] = east_m_s
        row[Col.V_DOWN] = down_m_s
        seq[r] += 1

    def heading(self, heading_deg: float) -> None:
        row = self._row
        row[Col.HEADING] = heading_deg

    def battery(self, pct: float, voltage_v: float, remaining_s: float) -> None:
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[Col.BATTERY_PCT] = pct
        row[Col.BATTERY_V] = voltage_v
        row[Col.BATTERY_REMAINING_S] = remaining_s
        row[Col.UPDATED_AT] = self._clock()
        row[Col.MESSAGES] += 1.0
        seq[r] += 1

    def gps(self, fix_type: int, satellites: int) -> None:
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[Col.GPS_FIX] = fix_type
        row[Col.SATELLITES] = satellites
        row[Col.UPDATED_AT] = self._clock()
        row[Col.MESSAGES] += 1.0
        seq[r] += 1

    def home(self, lat: float, lon: float, alt_amsl_m: float) -> None:
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[Col.HOME_LAT] = lat
        row[Col.HOME_LON] = lon
        row[Col.HOME_ALT] = alt_amsl_m
        row[Col.UPDATED_AT] = self._clock()
        row[Col.MESSAGES] += 1.0
        seq[r] += 1

    def value(self, col: int) -> float:
        """The latest value of one column as this writer last stored it (NaN when unknown)."""
        return self._row[col]

    def mirror(self, values: list[float], rate_hz: float, *, sample: bool) -> None:
        """Stores a whole row another store sent (a console's copy of the site server's fleet:
        docs/architecture.md, "Site server"), its clock columns already read on this store's clock; with
        `sample`, takes one sample of the main series, as a position message would."""
        row, seq, r = self._row, self._seq, self._r
        seq[r] += 1
        row[:] = array("d", values)
        self._rate[r] = rate_hz
        seq[r] += 1
        if sample:
            i = self._ring_n % RING_SAMPLES
            self._rt[i] = self._clock()
            self._ralt[i] = values[Col.ALT_REL]
            self._rspd[i] = math.hypot(values[Col.V_NORTH], values[Col.V_EAST])
            self._rbat[i] = values[Col.BATTERY_PCT]
            self._rrate[i] = rate_hz
            self._ring_n += 1
            self._ring_count[r] = self._ring_n  # publishes the sample


class TelemetryStore:
    """Latest values and recent history of a fixed set of drones (MAVLink system ids).

    Writers: one `DroneWriter` per drone (`writer(sysid)`), used by a single thread. Link
    state, message rates and mission progress are set by the fleet on the core loop. Readers:
    any thread, any time.
    """

    def __init__(self, sysids: Iterable[int], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.sysids: tuple[int, ...] = tuple(dict.fromkeys(sysids))
        self._row_of = {s: i for i, s in enumerate(self.sysids)}
        n = len(self.sysids)
        self._latest = np.full((n, N_COLS), np.nan)
        self._latest[:, Col.MESSAGES] = 0.0
        self._seq = [0] * n
        self._slots = [_Slots() for _ in range(n)]
        self._rates = np.full(n, np.nan)
        self._ring_t = np.full((n, RING_SAMPLES), np.nan)
        self._ring_v = np.full((n, len(SERIES), RING_SAMPLES), np.nan, dtype=np.float32)
        self._ring_count = [0] * n
        self._writers: dict[int, DroneWriter] = {}

    def __contains__(self, sysid: object) -> bool:
        return sysid in self._row_of

    def writer(self, sysid: int) -> DroneWriter:
        """The writer for one drone (created once; hand it to exactly one thread)."""
        w = self._writers.get(sysid)
        if w is None:
            w = self._writers[sysid] = DroneWriter(self, sysid)
        return w

    # ----- supervisor side (core loop) ---------------------------------------------------------

    def set_link(self, sysid: int, state: LinkState) -> None:
        self._slots[self._row_of[sysid]].link = state

    def set_mission(self, sysid: int, current: int, total: int) -> None:
        self._slots[self._row_of[sysid]].mission = (current, total)

    def set_link_loss_action(self, sysid: int, action: int | None) -> None:
        self._slots[self._row_of[sysid]].link_loss_action = action

    def link(self, sysid: int) -> LinkState:
        return self._slots[self._row_of[sysid]].link

    def set_message_rates(self, rates_hz: np.ndarray) -> None:
        """Message rates of all drones, in row order (NaN for a drone never heard)."""
        self._rates[:] = rates_hz

    def column(self, col: int) -> np.ndarray:
        """A copy of one column for all drones, in `sysids` order."""
        return self._latest[:, col].copy()

    def position_samples(self, sysid: int | None = None) -> int:
        """Position messages stored so far, for one drone or all of them."""
        if sysid is None:
            return sum(self._ring_count)
        return self._ring_count[self._row_of[sysid]]

    # ----- readers (any thread) -----------------------------------------------------------------

    def _row_copy(self, r: int) -> list[float]:
        seq = self._seq
        while True:
            before = seq[r]
            if not before & 1:
                values = self._latest[r].tolist()
                if seq[r] == before:
                    return values
            time.sleep(0)  # a write is under way on another thread: let it finish

    def row(self, sysid: int) -> list[float]:
        """One drone's latest values, consistent (`Col` order; NaN: not reported yet)."""
        return self._row_copy(self._row_of[sysid])

    def rate(self, sysid: int) -> float:
        """The drone's measured message rate (NaN: never heard)."""
        return float(self._rates[self._row_of[sysid]])

    def slots(self, sysid: int) -> _Slots:
        """The drone's non-numeric state (each attribute replaced whole when it changes; read, never write)."""
        return self._slots[self._row_of[sysid]]

    def snapshot(self, sysid: int) -> DroneState:
        """A consistent picture of one drone, built now; KeyError for a drone not in the store."""
        r = self._row_of[sysid]
        v = self._row_copy(r)
        s = self._slots[r]
        now = self._clock()
        healthy = None if s.health_all_ok is None or s.armable is None else (s.health_all_ok and s.armable)
        rate = float(self._rates[r])
        return DroneState(
            sysid=sysid, link=s.link,
            heartbeat_age_s=_opt(now - v[Col.HEARTBEAT_AT]),
            message_rate_hz=_opt(rate),
            flight_mode=s.flight_mode, armed=s.armed, landed=s.landed,
            lat=_opt(v[Col.LAT]), lon=_opt(v[Col.LON]),
            alt_amsl_m=_opt(v[Col.ALT_AMSL]), alt_rel_m=_opt(v[Col.ALT_REL]),
            v_north_m_s=_opt(v[Col.V_NORTH]), v_east_m_s=_opt(v[Col.V_EAST]), v_down_m_s=_opt(v[Col.V_DOWN]),
            heading_deg=_opt(v[Col.HEADING]),
            battery_pct=_opt(v[Col.BATTERY_PCT]), battery_v=_opt(v[Col.BATTERY_V]),
            battery_remaining_s=_opt(v[Col.BATTERY_REMAINING_S]),
            gps_fix=_opt_int(v[Col.GPS_FIX]), satellites=_opt_int(v[Col.SATELLITES]),
            healthy=healthy,
            home_lat=_opt(v[Col.HOME_LAT]), home_lon=_opt(v[Col.HOME_LON]), home_alt_amsl_m=_opt(v[Col.HOME_ALT]),
            mission_current=None if s.mission is None else s.mission[0],
            mission_total=None if s.mission is None else s.mission[1],
            status_text=s.status_text,
            link_loss_action=s.link_loss_action,
            updated_at=_opt(v[Col.UPDATED_AT]),
        )

    def snapshots(self) -> list[DroneState]:
        """Snapshots of every drone, in `sysids` order."""
        return [self.snapshot(s) for s in self.sysids]

    def series(self, sysid: int, name: str, seconds: float = HISTORY_S) -> tuple[np.ndarray, np.ndarray]:
        """Samples of one main series from the last `seconds`: (t, values), float64 copies.

        `t` is time.monotonic() of each sample, ascending; values are NaN where unknown.
        """
        k_series = SERIES.index(name)
        r = self._row_of[sysid]
        t_ring, v_ring = self._ring_t[r], self._ring_v[r, k_series]
        wanted = min(int(math.ceil(seconds * SAMPLE_HZ)) + 1, RING_SAMPLES - RING_MARGIN)
        while True:
            c1 = self._ring_count[r]
            k = min(c1, wanted)
            i0, i1 = (c1 - k) % RING_SAMPLES, c1 % RING_SAMPLES
            if k == 0:
                t, v = np.empty(0), np.empty(0)
            elif i0 < i1:
                t, v = t_ring[i0:i1].copy(), v_ring[i0:i1].astype(np.float64)
            else:
                t = np.concatenate((t_ring[i0:], t_ring[:i1]))
                v = np.concatenate((v_ring[i0:], v_ring[:i1])).astype(np.float64)
            # The writer's next sample goes to slot c1 and on: our copy of [c1-k, c1) is intact
            # unless it wrote RING_SAMPLES - k or more samples meanwhile.
            if self._ring_count[r] - c1 < RING_SAMPLES - k:
                break
            time.sleep(0)  # lapped by the writer while copying: copy again
        start = int(np.searchsorted(t, self._clock() - seconds, side="left"))
        return t[start:], v[start:]
