"""The simulated weather over the site: wind, gusts, rain and temperature per district.

The docks read it (the anemometer in their osd, the wind and rain limits for opening the
cover) and pass the wind on to the flight model (see `drones.sim.docks.DockSim`). It runs on
simulated time: `DockFleetSim` steps it on the simulator's loop, `time_scale` times faster
than the wall clock. Deterministic for a seed and a sequence of steps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum


class Rainfall(IntEnum):
    """`osd.data.rainfall`."""

    NONE = 0
    LIGHT = 1
    MODERATE = 2
    HEAVY = 3


@dataclass(frozen=True, slots=True)
class DistrictClimate:
    """Typical wind and temperature offset of a district (the coast and Laoshan's slopes are windier)."""

    wind_mean_m_s: float
    wind_sd_m_s: float
    temperature_offset_c: float


CLIMATES: Mapping[str, DistrictClimate] = {
    "shinan": DistrictClimate(4.5, 1.5, 0.0),
    "shibei": DistrictClimate(3.5, 1.2, 0.3),
    "licang": DistrictClimate(3.2, 1.2, 0.0),
    "laoshan": DistrictClimate(6.5, 2.2, -1.5),
}
DEFAULT_CLIMATE = DistrictClimate(4.0, 1.5, 0.0)
#: Weather timing, in simulated seconds.
WIND_CORRELATION_S = 1800.0
GUST_MEAN_INTERVAL_S = 240.0
GUST_DURATION_S = (3.0, 20.0)
GUST_FACTOR = (1.3, 1.8)
TEMPERATURE_MEAN_C = 12.0
TEMPERATURE_SD_C = 2.0
TEMPERATURE_CORRELATION_S = 3 * 3600.0
#: Citywide rain as a Markov chain: from level -> ((to level, mean seconds before that change), ...).
RAIN_CHANGES: Mapping[int, tuple[tuple[int, float], ...]] = {
    0: ((1, 8 * 3600.0),),
    1: ((0, 2400.0), (2, 3600.0)),
    2: ((1, 1200.0), (3, 3600.0)),
    3: ((2, 600.0),),
}
CALM_WIND_M_S = 2.0
#: Qingdao's winter monsoon blows from the north-north-west.
PREVAILING_WIND_FROM_DEG = 340.0
WIND_DIRECTION_SD_DEG = 35.0
CALM_TEMPERATURE_C = 15.0


@dataclass(frozen=True, slots=True)
class WeatherSnapshot:
    """The weather of one district now (wind blows FROM `wind_direction_deg`)."""

    wind_speed_m_s: float
    wind_direction_deg: float
    rainfall: Rainfall
    temperature_c: float


def _ou_step(x: float, mean: float, sd: float, dt_s: float, correlation_s: float, rng: random.Random) -> float:
    """One exact step of an Ornstein-Uhlenbeck process: a random walk pulled back towards `mean`."""
    decay = math.exp(-dt_s / correlation_s)
    return mean + (x - mean) * decay + sd * math.sqrt(1 - decay * decay) * rng.gauss(0.0, 1.0)


class WeatherModel:
    """Weather per district: wind speed and direction as slow random walks around the district's
    mean (Ornstein-Uhlenbeck processes) with occasional gusts, citywide rain that comes and
    goes, temperature drifting around the season's mean. Deterministic for a seed and a
    sequence of steps; `calm=True` holds light wind and no rain (tests). Stepped on the
    simulator's loop.
    """

    def __init__(self, *, seed: int | None = None, calm: bool = False) -> None:
        self.calm = calm
        self._rng = random.Random(seed)
        self._wind = {d: max(0.0, self._rng.gauss(c.wind_mean_m_s, c.wind_sd_m_s)) for d, c in sorted(CLIMATES.items())}
        self._direction = {d: self._rng.gauss(PREVAILING_WIND_FROM_DEG, WIND_DIRECTION_SD_DEG)
                           for d in sorted(CLIMATES)}
        self._gust_until: dict[str, float] = {}
        self._gust_factor: dict[str, float] = {}
        self._t = 0.0
        self._rain = self._rng.choices((0, 1, 2), (0.85, 0.1, 0.05))[0]
        self._temperature = TEMPERATURE_MEAN_C + self._rng.gauss(0.0, TEMPERATURE_SD_C)

    def step(self, dt_s: float) -> None:
        """Advances the weather by `dt_s` simulated seconds."""
        if self.calm or dt_s <= 0:
            return
        self._t += dt_s
        rng = self._rng
        for district, c in sorted(CLIMATES.items()):
            self._wind[district] = max(0.0, _ou_step(self._wind[district], c.wind_mean_m_s, c.wind_sd_m_s, dt_s,
                                                     WIND_CORRELATION_S, rng))
            self._direction[district] = _ou_step(self._direction[district], PREVAILING_WIND_FROM_DEG,
                                                 WIND_DIRECTION_SD_DEG, dt_s, WIND_CORRELATION_S, rng)
            gust_starts = rng.random() < 1 - math.exp(-dt_s / GUST_MEAN_INTERVAL_S)
            if self._t >= self._gust_until.get(district, 0.0) and gust_starts:
                self._gust_until[district] = self._t + rng.uniform(*GUST_DURATION_S)
                self._gust_factor[district] = rng.uniform(*GUST_FACTOR)
        for to, mean_s in RAIN_CHANGES[self._rain]:
            if rng.random() < 1 - math.exp(-dt_s / mean_s):
                self._rain = to
                break
        self._temperature = _ou_step(self._temperature, TEMPERATURE_MEAN_C, TEMPERATURE_SD_C, dt_s,
                                     TEMPERATURE_CORRELATION_S, rng)

    def district(self, district: str) -> WeatherSnapshot:
        """The weather in a district now (a district without a climate gets the citywide mean wind)."""
        if self.calm:
            return WeatherSnapshot(CALM_WIND_M_S, PREVAILING_WIND_FROM_DEG, Rainfall.NONE, CALM_TEMPERATURE_C)
        c = CLIMATES.get(district, DEFAULT_CLIMATE)
        wind = self._wind.get(district, c.wind_mean_m_s)
        if self._t < self._gust_until.get(district, 0.0):
            wind *= self._gust_factor[district]
        direction = self._direction.get(district, PREVAILING_WIND_FROM_DEG) % 360.0
        temperature = self._temperature + c.temperature_offset_c - 0.8 * self._rain
        return WeatherSnapshot(round(wind, 2), round(direction, 1), Rainfall(self._rain), round(temperature, 2))
