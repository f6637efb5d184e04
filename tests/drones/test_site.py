"""Site files: good ones load; every broken one names file, line, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drones.site import MAVLINK_PORT_BASE, SiteFileError, load_site, parse_broker_url

GOOD = """\
[site]
name = "测试站点"

[broker]
url = "mqtt://user:secret@broker.example:1884"

[[docks]]
id = "SN01"
name = "五四广场"
district = "shinan"
lat = 36.0617
lon = 120.3844
ground_alt_m = 8.0
dock_sn = "QDDOCK0001"
sysid = 1

[[docks]]
id = "LS01"
name = "崂山风景区"
district = "laoshan"
lat = 36.15
lon = 120.6
dock_sn = "QDDOCK0002"
sysid = 2
port = 15000
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "site.toml"
    p.write_text(text, encoding="utf-8")
    return p


def error_of(tmp_path: Path, text: str) -> SiteFileError:
    with pytest.raises(SiteFileError) as info:
        load_site(write(tmp_path, text))
    return info.value


def test_good_site_loads_with_defaults(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.name == "测试站点"
    assert site.topic_root == "qdcb"
    assert site.broker is not None
    assert (site.broker.host, site.broker.port, site.broker.username, site.broker.password) == \
        ("broker.example", 1884, "user", "secret")
    assert [d.id for d in site.docks] == ["SN01", "LS01"]
    assert site.docks[0].port == MAVLINK_PORT_BASE + 1 == 14540
    assert site.docks[0].mavlink_url == "udpin://0.0.0.0:14540"
    assert site.docks[1].port == 15000


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace('lat = 36.15', 'lat = = 36.15'))
    expected = line_of(GOOD, "lat = 36.15")
    assert err.line == expected
    assert "syntax" in str(err)
    assert str(err).startswith(f"{tmp_path / 'site.toml'}:{expected}:")


def test_missing_field_names_line_and_field(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace('dock_sn = "QDDOCK0002"\n', ""))
    assert err.field_name == "docks[1].dock_sn"
    # the [[docks]] header of the dock that lacks it
    assert err.line == line_of(GOOD, 'id = "LS01"') - 1
    assert "missing required field" in str(err)


def test_duplicate_sysid_is_refused_at_its_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("sysid = 2", "sysid = 1"))
    assert err.field_name == "docks[1].sysid"
    assert err.line == line_of(GOOD, "sysid = 2")
    assert "duplicate MAVLink system id 1" in str(err)


@pytest.mark.parametrize(("old", "new", "field"), [
    ("lat = 36.0617", "lat = 136.0617", "docks[0].lat"),
    ("lon = 120.6", "lon = 220.6", "docks[1].lon"),
    ("lat = 36.0617", 'lat = "north"', "docks[0].lat"),
    ('district = "shinan"', 'district = "pudong"', "docks[0].district"),
    ("sysid = 2", "sysid = 300", "docks[1].sysid"),
    ("port = 15000", "port = 14540", "docks[1].port"),
    ('url = "mqtt://user:secret@broker.example:1884"', 'url = "http://x"', "broker.url"),
])
def test_bad_values_name_their_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    err = error_of(tmp_path, GOOD.replace(old, new, 1))
    assert err.field_name == field
    assert err.line is not None and new.split(" =")[0] in write(tmp_path, GOOD.replace(old, new, 1)).read_text(
        encoding="utf-8").splitlines()[err.line - 1]


def test_missing_file_and_missing_site_table(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="file not found"):
        load_site(tmp_path / "nope.toml")
    assert error_of(tmp_path, "[broker]\nurl='mqtt://x'\n").field_name == "site"


def test_broker_urls() -> None:
    assert parse_broker_url("mqtts://a:b@h").port == 8883
    assert parse_broker_url("mqtts://a:b@h").tls
    for bad in ("tcp://h:1", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ValueError):
            parse_broker_url(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_either_loads_or_gives_a_site_file_error(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "site.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_site(path)
    except SiteFileError as exc:
        assert str(exc).startswith(str(path))


AUTOMATION = """
[[automation.rules]]
categories = ["forest_fire_smoke"]
max_level = 1
districts = ["laoshan"]

[[automation.rules]]
categories = ["gas_leak", "sea_rescue"]
max_level = 2
"""


def test_automation_rules_and_the_district_reserve_load(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD.replace('name = "测试站点"', 'name = "测试站点"\nmin_ready_per_district = 3')
                           + AUTOMATION))
    assert site.min_ready_per_district == 3
    fire, other = site.automation
    assert fire.matches("forest_fire_smoke", 1, "laoshan")
    assert not fire.matches("forest_fire_smoke", 2, "laoshan") and not fire.matches("forest_fire_smoke", 1, "shinan")
    assert other.matches("sea_rescue", 2, None) and not other.matches("waterlogging", 1, "shinan")


def test_without_automation_nothing_is_dispatched_without_a_click(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.automation == () and site.min_ready_per_district == 2


def test_the_demo_site_dispatches_level_1_forest_fire_smoke_in_laoshan_on_its_own() -> None:
    site = load_site(Path(__file__).resolve().parents[2] / "resources" / "sites" / "demo.toml")
    assert [(r.categories, r.max_level, r.districts) for r in site.automation] == [
        (("forest_fire_smoke",), 1, ("laoshan",))]


@pytest.mark.parametrize("old, new, field", [
    ("max_level = 1", "max_level = 5", "automation.rules[0].max_level"),
    ("max_level = 2", 'max_level = "2"', "automation.rules[1].max_level"),
    ('districts = ["laoshan"]', 'districts = ["qingdao"]', "automation.rules[0].districts"),
    ('categories = ["gas_leak", "sea_rescue"]', "categories = []", "automation.rules[1].categories"),
    ('categories = ["forest_fire_smoke"]', 'category = ["forest_fire_smoke"]', "automation.rules[0].category"),
])
def test_bad_automation_rules_name_their_line_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = GOOD + AUTOMATION.replace(old, new, 1)
    err = error_of(tmp_path, text)
    assert err.field_name == field
    assert err.line == line_of(text, new)


def test_bad_district_reserve_names_its_line(tmp_path: Path) -> None:
    text = GOOD.replace('name = "测试站点"', 'name = "测试站点"\nmin_ready_per_district = -1')
    err = error_of(tmp_path, text)
    assert err.field_name == "site.min_ready_per_district" and err.line == line_of(text, "min_ready_per_district")


AUTOPILOT = """
[autopilot.params]
NAV_DLL_ACT = 2
MPC_XY_CRUISE = 10.0
"""


def test_the_autopilot_table_loads_with_the_types_written(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD + AUTOPILOT))
    assert dict(site.autopilot_params) == {"NAV_DLL_ACT": 2, "MPC_XY_CRUISE": 10.0}
    assert isinstance(site.autopilot_params["NAV_DLL_ACT"], int)
    assert dict(load_site(write(tmp_path, GOOD)).autopilot_params) == {}


def test_the_demo_site_sets_its_link_loss_action_and_cruise_explicitly() -> None:
    site = load_site(Path(__file__).resolve().parents[2] / "resources" / "sites" / "demo.toml")
    assert site.autopilot_params["NAV_DLL_ACT"] == 2 and site.autopilot_params["MPC_XY_CRUISE"] == 10.0


@pytest.mark.parametrize("old, new, field, problem", [
    ("NAV_DLL_ACT = 2", 'NAV_DLL_ACT = "return"', "autopilot.params.NAV_DLL_ACT", "must be a number"),
    ("NAV_DLL_ACT = 2", "NAV_DLL_ACT = true", "autopilot.params.NAV_DLL_ACT", "must be a number"),
    ("NAV_DLL_ACT = 2", "nav_dll_act = 2", "autopilot.params.nav_dll_act", "not a PX4 parameter name"),
    ("NAV_DLL_ACT = 2", "A_NAME_LONGER_THAN_16 = 2", "autopilot.params.A_NAME_LONGER_THAN_16",
     "not a PX4 parameter name"),
    ("[autopilot.params]", "[autopilot.parameters]", "autopilot.parameters", "unknown key"),
])
def test_a_bad_autopilot_table_names_its_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                       problem: str) -> None:
    text = GOOD + AUTOPILOT.replace(old, new)
    err = error_of(tmp_path, text)
    assert err.field_name == field and problem in err.problem
    assert err.line == line_of(text, new.split(" =")[0].strip("[]").split(".")[-1])


JOURNAL = """
[journal]
url = "postgresql:///qd?host=/run/postgresql&user=qd"
"""


def test_the_journal_url_loads_and_defaults_to_none(tmp_path: Path) -> None:
    assert load_site(write(tmp_path, GOOD + JOURNAL)).journal_url == "postgresql:///qd?host=/run/postgresql&user=qd"
    assert load_site(write(tmp_path, GOOD + JOURNAL.replace("postgresql:", "postgres:"))).journal_url == \
        "postgres:///qd?host=/run/postgresql&user=qd"
    assert load_site(write(tmp_path, GOOD)).journal_url is None
    demo = load_site(Path(__file__).resolve().parents[2] / "resources" / "sites" / "demo.toml")
    assert demo.journal_url is None    # the demo keeps SQLite files


@pytest.mark.parametrize("old, new, field, problem", [
    ('url = "postgresql:', 'url = "sqlite:', "journal.url", "must be a PostgreSQL URL"),
    ('url = "postgresql:///qd?host=/run/postgresql&user=qd"', "url = 5", "journal.url", "must be a PostgreSQL URL"),
    ('url = "postgresql:', 'uri = "postgresql:', "journal.uri", "unknown key"),
])
def test_a_bad_journal_table_names_its_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                      problem: str) -> None:
    text = GOOD + JOURNAL.replace(old, new)
    err = error_of(tmp_path, text)
    assert err.field_name == field and problem in err.problem
    assert err.line == line_of(text, new)


def test_a_journal_table_without_url_is_refused(tmp_path: Path) -> None:
    text = GOOD + "\n[journal]\n"
    err = error_of(tmp_path, text)
    assert err.field_name == "journal.url" and "missing" in err.problem and err.line == line_of(text, "[journal]")
    assert error_of(tmp_path, 'journal = "postgresql:///qd"\n' + GOOD).field_name == "journal"
