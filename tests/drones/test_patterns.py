"""Verification patterns as data: the shipped file, the fallback for unknown categories, broken files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from drones.patterns import Pattern, PatternFileError, default_patterns_path, load_patterns

ROOT = Path(__file__).resolve().parents[2]
GOOD_DEFAULT = 'kind = "orbit"\nradius_m = 50\nduration_s = 60\naltitude_m = 60\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "patterns.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_the_default_and_loads() -> None:
    assert default_patterns_path() == ROOT / "resources" / "patterns.toml"
    book = load_patterns()
    assert book.default.category == "default"
    assert len(book.categories) >= 6


def test_the_shipped_patterns_say_what_the_issue_asks_for() -> None:
    book = load_patterns()
    fire = book.for_category("forest_fire_smoke")
    assert (fire.kind, fire.radius_m, fire.turns, fire.altitude_m) == ("orbit", 150.0, 2.0, 100.0)
    water = book.for_category("waterlogging")
    assert (water.kind, water.duration_s, water.altitude_m) == ("hover", 60.0, 50.0)
    assert book.for_category("muck_truck").kind == "hover"
    crowd = book.for_category("crowding")
    assert (crowd.kind, crowd.radius_m) == ("orbit", 80.0)
    gas = book.for_category("gas_leak")
    assert gas.kind == "hover" and gas.standoff_m > 0 and gas.standoff_side == "upwind"
    assert (book.default.kind, book.default.radius_m, book.default.duration_s) == ("orbit", 50.0, 60.0)


def test_an_unknown_category_flies_the_default() -> None:
    book = load_patterns()
    assert book.for_category("manhole_cover_missing") is book.default
    assert book.for_category("") is book.default


def test_patterns_are_frozen_and_described_in_both_languages() -> None:
    fire = load_patterns().for_category("forest_fire_smoke")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fire.radius_m = 10.0  # type: ignore[misc]
    text = fire.describe()
    assert text.code == "pattern.orbit_turns" and "150" in text.en and "2" in text.en
    assert text.get("name").get("zh") and text.get("name").get("en")   # the file names it in both languages
    assert load_patterns().for_category("gas_leak").describe().code == "pattern.hover_upwind"


def test_a_new_category_needs_only_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, f'[default]\n{GOOD_DEFAULT}\n[categories.street_vendor]\nkind = "hover"\n'
                           'duration_s = 20\naltitude_m = 35\n')
    book = load_patterns(path)
    vendor = book.for_category("street_vendor")
    assert (vendor.kind, vendor.duration_s, vendor.altitude_m, vendor.category) == ("hover", 20.0, 35.0, "street_vendor")
    assert vendor.name.en == "street_vendor"


@pytest.mark.parametrize(("text", "key"), [
    ("[categories.x]\nkind = \"hover\"\nduration_s = 5\naltitude_m = 30\n", "default"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.fire]\nkind = \"orbit\"\nturns = 2\naltitude_m = 100\n",
     "categories.fire.radius_m"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.fire]\nkind = \"orbit\"\nradius_m = 100\nturns = 2\n"
     "duration_s = 60\naltitude_m = 100\n", "categories.fire.turns"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\nradius_m = 10\nduration_s = 60\n"
     "altitude_m = 50\n", "categories.flood.radius_m"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\naltitude_m = 50\n", "categories.flood.duration_s"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 50\n"
     "colour = \"red\"\n", "categories.flood.colour"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\nduration_s = \"long\"\naltitude_m = 50\n",
     "categories.flood.duration_s"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"spiral\"\nduration_s = 60\naltitude_m = 50\n",
     "categories.flood.kind"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.gas]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 50\n"
     "standoff_m = 100\n", "categories.gas.standoff_side"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.gas]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 50\n"
     "standoff_m = 100\nstandoff_side = \"downwind\"\n", "categories.gas.standoff_side"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 2\n",
     "categories.flood.altitude_m"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.Flood-2]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 50\n",
     "categories.Flood-2"),
    (f"[default]\n{GOOD_DEFAULT}\n[categories.flood]\nkind = \"hover\"\nduration_s = 60\naltitude_m = 50\n"
     "clockwise = \"yes\"\n", "categories.flood.clockwise"),
    (f"[default]\n{GOOD_DEFAULT}\n[extras]\nx = 1\n", "extras"),
])
def test_a_broken_pattern_names_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PatternFileError) as err:
        load_patterns(path)
    assert err.value.key == key
    assert str(err.value).startswith(f"{path}: {key}: ")


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="file not found"):
        load_patterns(tmp_path / "missing.toml")
    with pytest.raises(PatternFileError, match="TOML syntax error") as err:
        load_patterns(write(tmp_path, "[default\n"))
    assert str(tmp_path) in str(err.value)


def test_a_pattern_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValueError, match="radius_m"):
        Pattern("x", "orbit", 50.0, radius_m=0.0, duration_s=10.0)
    assert Pattern("x", "hover", 50.0, duration_s=10.0).radius_m == 0.0
