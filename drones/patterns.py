"""Verification patterns: what a drone does on scene, per alert category, read from data.

The city adds AI algorithms without notice (docs/architecture.md, "What it is"), so a category's pattern is
a table in `resources/patterns.toml`, not a code branch: `PatternBook.for_category(name)`
gives the category's pattern, or the `[default]` one for a category nobody configured.
Every problem in the file is one `PatternFileError` naming the file and the key.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from vocab import Reason

log = logging.getLogger(__name__)

PatternKind = Literal["orbit", "hover"]
PATTERN_KINDS: tuple[str, ...] = ("orbit", "hover")
StandoffSide = Literal["upwind"]
STANDOFF_SIDES: tuple[str, ...] = ("upwind",)
DEFAULT_TABLE = "default"
#: Sanity bounds of a pattern's numbers; the site's ceiling clamps the altitude further.
MIN_ALTITUDE_M = 10.0
MAX_ALTITUDE_M = 500.0
MAX_RADIUS_M = 2_000.0
MAX_DURATION_S = 3_600.0
MAX_TURNS = 20.0
MAX_STANDOFF_M = 1_000.0
_CATEGORY_NAME = re.compile(r"[a-z0-9_]+")
_KEYS = frozenset({"kind", "altitude_m", "radius_m", "turns", "duration_s", "clockwise", "standoff_m",
                   "standoff_side", "name_zh", "name_en"})


def default_patterns_path() -> Path:
    """`resources/patterns.toml`, from the source tree and from the frozen bundle alike."""
    # PyInstaller unpacks data under sys._MEIPASS (as console/resources.py finds it).
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / "patterns.toml"


class PatternFileError(ValueError):
    """A pattern file that cannot be used; `str()` names the file and the key."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        self.path = Path(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}" if key else f"{self.path}: {problem}")


@dataclass(frozen=True, slots=True)
class Pattern:
    """What to do on scene: orbit a point or hover (over it or at a standoff), nose toward it.

    `category` is the table the pattern came from ("default" for the fallback). An orbit runs
    for `turns` full circles or `duration_s` seconds (exactly one of them); a hover for
    `duration_s`. `altitude_m` is above the dock's ground.
    """

    category: str
    kind: PatternKind
    altitude_m: float
    radius_m: float = 0.0
    duration_s: float | None = None
    turns: float | None = None
    clockwise: bool = True
    standoff_m: float = 0.0
    standoff_side: StandoffSide | None = None
    name: Reason = field(default_factory=lambda: Reason.of("pattern.default_name"))

    def __post_init__(self) -> None:
        problem = _pattern_problem(self)
        if problem:
            raise ValueError(problem)

    @property
    def is_orbit(self) -> bool:
        return self.kind == "orbit"

    def describe(self) -> Reason:
        """One line for the dispatch confirmation, e.g. "Wide orbit over the smoke: r 150 m × 2, 100 m"."""
        if self.is_orbit and self.turns is not None:
            return Reason.of("pattern.orbit_turns", name=self.name, radius_m=self.radius_m, turns=self.turns,
                             alt_m=self.altitude_m)
        if self.is_orbit:
            return Reason.of("pattern.orbit_time", name=self.name, radius_m=self.radius_m,
                             duration_s=self.duration_s, alt_m=self.altitude_m)
        if self.standoff_m:
            return Reason.of("pattern.hover_upwind", name=self.name, duration_s=self.duration_s,
                             standoff_m=self.standoff_m, alt_m=self.altitude_m)
        return Reason.of("pattern.hover", name=self.name, duration_s=self.duration_s, alt_m=self.altitude_m)


def _pattern_problem(p: Pattern) -> str | None:
    """What makes a pattern unusable (a "key: problem" text), or None when it is fine."""
    if p.kind not in PATTERN_KINDS:
        return f"kind: must be one of {', '.join(PATTERN_KINDS)}, got {p.kind!r}"
    if not MIN_ALTITUDE_M <= p.altitude_m <= MAX_ALTITUDE_M:
        return f"altitude_m: must be {MIN_ALTITUDE_M:g}..{MAX_ALTITUDE_M:g} m, got {p.altitude_m:g}"
    if p.duration_s is not None and not 0.0 < p.duration_s <= MAX_DURATION_S:
        return f"duration_s: must be 0..{MAX_DURATION_S:g} s, got {p.duration_s:g}"
    if p.kind == "orbit":
        if not 0.0 < p.radius_m <= MAX_RADIUS_M:
            return f"radius_m: an orbit needs a radius of 0..{MAX_RADIUS_M:g} m, got {p.radius_m:g}"
        if (p.turns is None) == (p.duration_s is None):
            return "turns: an orbit needs exactly one of turns or duration_s"
        if p.turns is not None and not 0.0 < p.turns <= MAX_TURNS:
            return f"turns: must be 0..{MAX_TURNS:g}, got {p.turns:g}"
        if p.standoff_m or p.standoff_side:
            return "standoff_m: only a hover can stand off"
        return None
    if p.radius_m:
        return "radius_m: a hover has no radius"
    if p.turns is not None:
        return "turns: a hover has no turns"
    if p.duration_s is None:
        return "duration_s: a hover needs a duration"
    if not 0.0 <= p.standoff_m <= MAX_STANDOFF_M:
        return f"standoff_m: must be 0..{MAX_STANDOFF_M:g} m, got {p.standoff_m:g}"
    if p.standoff_side is not None and p.standoff_side not in STANDOFF_SIDES:
        return f"standoff_side: must be one of {', '.join(STANDOFF_SIDES)}, got {p.standoff_side!r}"
    if (p.standoff_m > 0) != (p.standoff_side is not None):
        return "standoff_side: standoff_m and standoff_side go together"
    return None


@dataclass(frozen=True, slots=True)
class PatternBook:
    """Every configured pattern, by category, and the fallback for categories not listed."""

    default: Pattern
    categories: Mapping[str, Pattern] = field(default_factory=lambda: MappingProxyType({}))

    def for_category(self, category: str) -> Pattern:
        """The category's pattern, or the default one for a category nobody configured."""
        return self.categories.get(category, self.default)


def load_patterns(path: Path | str | None = None) -> PatternBook:
    """Reads a pattern file (default `resources/patterns.toml`); PatternFileError naming the key otherwise."""
    path = Path(path) if path is not None else default_patterns_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatternFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PatternFileError(path, None, f"cannot read the file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PatternFileError(path, None, f"TOML syntax error: {exc}") from None
    return patterns_from_dict(data, path=path)


def patterns_from_dict(data: Mapping[str, Any], *, path: Path | str = "<patterns>") -> PatternBook:
    """Builds a PatternBook from parsed TOML, checking every key."""
    extra = set(data) - {DEFAULT_TABLE, "categories"}
    if extra:
        raise PatternFileError(path, sorted(extra)[0], "unknown table (expected [default] and [categories.*])")
    if not isinstance(data.get(DEFAULT_TABLE), dict):
        raise PatternFileError(path, DEFAULT_TABLE, "missing [default] table")
    default = _pattern(data[DEFAULT_TABLE], DEFAULT_TABLE, DEFAULT_TABLE, path)
    raw = data.get("categories", {})
    if not isinstance(raw, dict):
        raise PatternFileError(path, "categories", "must be tables [categories.<name>]")
    categories: dict[str, Pattern] = {}
    for name, table in raw.items():
        key = f"categories.{name}"
        if not _CATEGORY_NAME.fullmatch(name):
            raise PatternFileError(path, key, "a category name is lower-case letters, digits and _")
        if not isinstance(table, dict):
            raise PatternFileError(path, key, "must be a table")
        categories[name] = _pattern(table, name, key, path)
    log.debug("patterns %s: default and %d categories", path, len(categories))
    return PatternBook(default, MappingProxyType(categories))


def _pattern(table: Mapping[str, Any], category: str, key: str, path: Path | str) -> Pattern:
    """One table as a Pattern, or PatternFileError naming `key.field`."""
    unknown = set(table) - _KEYS
    if unknown:
        raise PatternFileError(path, f"{key}.{sorted(unknown)[0]}", "unknown key")

    def number(name: str, default: float | None = None) -> float | None:
        value = table.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise PatternFileError(path, f"{key}.{name}", f"must be a number, got {value!r}")
        return float(value)

    def text(name: str, default: str | None = None) -> str | None:
        value = table.get(name, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise PatternFileError(path, f"{key}.{name}", f"must be non-empty text, got {value!r}")
        return value

    kind = text("kind")
    if kind is None:
        raise PatternFileError(path, f"{key}.kind", "missing required key")
    altitude = number("altitude_m")
    if altitude is None:
        raise PatternFileError(path, f"{key}.altitude_m", "missing required key")
    clockwise = table.get("clockwise", True)
    if not isinstance(clockwise, bool):
        raise PatternFileError(path, f"{key}.clockwise", f"must be true or false, got {clockwise!r}")
    fields = {"radius_m": number("radius_m", 0.0) or 0.0, "duration_s": number("duration_s"),
              "turns": number("turns"), "standoff_m": number("standoff_m", 0.0) or 0.0,
              "standoff_side": text("standoff_side"),
              "name": Reason.data(zh=text("name_zh", category) or category, en=text("name_en", category) or category)}
    try:
        return Pattern(category=category, kind=kind, altitude_m=altitude, clockwise=clockwise,  # type: ignore[arg-type]
                       **fields)  # type: ignore[arg-type]
    except ValueError as exc:
        field_name, _, problem = str(exc).partition(": ")
        raise PatternFileError(path, f"{key}.{field_name}", problem) from None
