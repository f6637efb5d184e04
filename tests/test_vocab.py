"""The shared vocabulary: reason codes, their catalogue, their translations, their wire form."""

from __future__ import annotations

import re
import string
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.core.server_contract import COMMAND_OPS, QUERY_OPS

from vocab import ALERT_TRANSITIONS, AlertState, DockStatus, ExclusionKind, LinkState, Reason, TaskState, render
from vocab.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
TS_FILE = ROOT / "resources" / "i18n" / "console_zh_CN.ts"
TERM_ENUMS = (TaskState, AlertState, DockStatus, ExclusionKind, LinkState)
#: Codes built from a value at run time (f"category.{name}", f"district.{key}", NAV_DLL_ACT's table).
DYNAMIC_PREFIXES = ("category.", "district.", "dll.")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def zh_translations() -> dict[str, str]:
    root = ET.parse(TS_FILE).getroot()
    out = {}
    for ctx in root.iter("context"):
        if ctx.findtext("name") == "Reason":
            for msg in ctx.iter("message"):
                out[msg.findtext("source") or ""] = msg.findtext("translation") or ""
    return out


def test_every_template_has_a_chinese_translation_that_fits_its_parameters() -> None:
    zh = zh_translations()
    # A translation may leave a parameter out (the zone's id reads oddly in Chinese), never invent one.
    bad = [(code, en, zh.get(en)) for code, en in CATALOGUE.items()
           if not zh.get(en) or not placeholders(zh[en]) <= placeholders(en)]
    assert bad == []


def test_every_state_names_itself_through_the_catalogue() -> None:
    for enum in TERM_ENUMS:
        for member in enum:
            assert member.term.code in CATALOGUE, member
            assert member.term.en


def code_literals() -> set[str]:
    """Every code written as `Reason.of("...")`, `_refused(check, "...")` or a code table value in the code."""
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    found: set[str] = set()
    pattern = re.compile(r'"([a-z_]+\.[a-z0-9_]+)"')
    for f in files:
        if f.startswith(("tests/", "vocab/catalogue.py")):
            continue
        found |= {m for m in pattern.findall((ROOT / f).read_text(encoding="utf-8")) if m.split(".")[0] in
                  {c.split(".")[0] for c in CATALOGUE}}
    return found


def test_every_code_in_the_code_is_in_the_catalogue_and_every_entry_is_used() -> None:
    # The site server's operation names ("alert.dispatch") look like codes but name requests, not reasons.
    used = code_literals() - COMMAND_OPS - QUERY_OPS
    assert sorted(used - set(CATALOGUE)) == []
    terms = {m.term.code for enum in TERM_ENUMS for m in enum}
    unused = sorted(c for c in set(CATALOGUE) - used - terms if not c.startswith(DYNAMIC_PREFIXES))
    assert unused == []


def test_a_reason_travels_as_json_and_back() -> None:
    reason = Reason.of("alert.transition", alert_id="A1", state=AlertState.NEW, to=AlertState.DISPATCHED)
    assert Reason.from_json(reason.to_json()) == reason
    assert reason.en == "alert A1 is new; it cannot become dispatched"
    said = Reason.of("mav.with_words", result=Reason.of("mav.denied"), said=Reason.said("Arming denied\t"))
    assert said.en == "the drone refused the command: Arming denied"   # PX4's trailing tab stripped
    unknown = Reason.from_json({"code": "from.a_newer_peer", "params": {}, "text": "something new"})
    assert unknown.en == "something new"


def test_unknown_codes_are_refused_where_they_are_made() -> None:
    with pytest.raises(KeyError):
        Reason.of("no.such_code")


def test_a_translation_that_does_not_fit_falls_back_to_english() -> None:
    reason = Reason.of("preflight.wind_over", wind_m_s=13.04, limit_m_s=12.0)
    assert render(reason, lambda t: "风速 {wind} 超限") == "wind 13.0 m/s is over the 12 m/s limit"
    assert render(reason, lambda t: "风速 {wind_m_s:.1f} m/s 超过 {limit_m_s:g} m/s 限值") == "风速 13.0 m/s 超过 12 m/s 限值"


def test_data_names_follow_the_language() -> None:
    zone = Reason.data(zh="青岛市人民政府", en="Qingdao Municipal Government")
    reason = Reason.of("plan.no_route", zone=zone, zone_id="Z1")
    assert "Qingdao Municipal Government" in reason.en
    assert "青岛市人民政府" in render(reason, lambda t: "航线无法绕开禁飞区「{zone}」", language="zh_CN")


def test_the_workflow_reaches_every_state_from_new() -> None:
    seen, frontier = {AlertState.NEW}, [AlertState.NEW]
    while frontier:
        for nxt in ALERT_TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(AlertState)
