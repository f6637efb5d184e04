"""The shift's service-level figures: what the alert core computes and the alert desk shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SlaFigure:
    """How long one step took over the alerts that reached it: count, median and 90th percentile (s)."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class SlaSummary:
    """The shift's figures, timed from this console's receipt of each alert."""

    shift_start: float          # epoch seconds
    alerts: int                 # received this shift
    acknowledge: SlaFigure
    dispatch: SlaFigure
    on_scene: SlaFigure
