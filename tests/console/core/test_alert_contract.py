"""The alert contract: usable alerts pass (unknown categories and missing optional fields too);
everything else ends as a Quarantined record with a reason, and validation never raises."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.alert_contract import (MAX_PAYLOAD_BYTES, Alert, Quarantined, category_name, parse_ts, topic_parts,
                                    validate)
from drones.sim.alerts import MALFORMED_KINDS, AlertGenerator

TOPIC = "qdcb/alerts/v1/laoshan/forest_fire_smoke"
GOOD = {"id": "ALR-20261124-000123", "ts": "2026-11-24T15:04:05.123+08:00", "category": "forest_fire_smoke",
        "level": 1, "lat": 36.15, "lon": 120.55, "source": {"kind": "camera", "id": "37020200001310000001"},
        "title": "林区烟火 北九水", "detail": "...", "confidence": 0.91, "snapshot_url": "http://x/1.jpg",
        "status": "active"}
POINTS = [(36.15, 120.55, "37021200001310000001", "laoshan"), (36.06, 120.38, "37020200001310000002", "shinan")]


def body(**changes: object) -> bytes:
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False).encode()


def test_a_full_alert_is_read_field_by_field() -> None:
    alert = validate(TOPIC, body(), 1.0)
    assert isinstance(alert, Alert)
    assert (alert.id, alert.category, alert.level, alert.lat, alert.lon) == (GOOD["id"], "forest_fire_smoke", 1,
                                                                             36.15, 120.55)
    assert alert.ts == parse_ts("2026-11-24T15:04:05.123+08:00")
    assert alert.district == "laoshan" and alert.source_kind == "camera" and alert.confidence == 0.91
    assert alert.known_category and alert.category_name.code == "category.forest_fire_smoke"
    assert Alert.from_json(json.loads(json.dumps(alert.to_json()))) == alert


def test_unknown_category_and_missing_optional_fields_are_accepted() -> None:
    alert = validate("qdcb/alerts/v1/shinan/street_vendor",
                     json.dumps({"id": "X1", "level": 3, "lat": 36.06, "lon": 120.38}).encode(), 42.0)
    assert isinstance(alert, Alert)
    assert alert.category == "street_vendor" and not alert.known_category   # taken from the topic
    assert alert.ts == 42.0 and alert.title == "" and alert.status == "active"
    assert "street_vendor" in category_name("street_vendor").en


def test_cleared_status_is_read() -> None:
    alert = validate(TOPIC, body(status="cleared"), 1.0)
    assert isinstance(alert, Alert) and alert.status == "cleared"


@pytest.mark.parametrize("payload, words", [
    (b"\xff\xfe{", "UTF-8"),
    (b'{"id": "A", "level": 1', "JSON"),
    (b"[1, 2]", "not an object"),
    (b'"text"', "not an object"),
    (b"", "JSON"),
    (body(id=...), "no alert id"),
    (body(id=""), "no alert id"),
    (body(id=123), "id must be text"),
    (body(level=0), "outside 1-4"),
    (body(level=5), "outside 1-4"),
    (body(level="2级"), "level must be an integer"),
    (body(level=True), "level must be an integer"),
    (body(level=1.5), "level must be an integer"),
    (body(lat=120.55, lon=36.15), "latitude"),
    (body(lon=181.0), "longitude"),
    (body(lat="36.1"), "lat must be a number"),
    (body(lat=...), "missing field lat"),
    (body(ts=1764000000000), "ts must be text"),
    (body(ts="yesterday"), "ISO-8601"),
    (body(status="gone"), "status"),
    (body(source="3702"), "source must be an object"),
    (body(confidence="high"), "confidence must be a number"),
    (body(confidence=3), "outside 0-1"),
    (body(title=["a"]), "title must be text"),
    (b'{"id": "A", "level": 1, "lat": NaN, "lon": 1}', "finite"),
    (b"[" * 30_000 + b"]" * 30_000, "JSON"),
    (body(snapshot_base64="A" * MAX_PAYLOAD_BYTES), "oversized"),
])
def test_hand_list_of_unusable_payloads_is_quarantined_with_a_reason(payload: bytes, words: str) -> None:
    result = validate(TOPIC, payload, 7.0)
    assert isinstance(result, Quarantined), result
    assert words in result.reason.en and result.reason.code.startswith("contract.")
    assert result.raw == payload[:MAX_PAYLOAD_BYTES] and result.size == len(payload) and result.received_ts == 7.0


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
def test_every_malformed_kind_of_the_simulator_is_quarantined(kind: str) -> None:
    generator = AlertGenerator(POINTS, seed=3)
    for _ in range(20):   # each kind mutates at random: try many of them
        message = generator.malformed(kind)  # type: ignore[arg-type]
        result = validate(message.topic, message.payload, 1.0)
        assert isinstance(result, Quarantined), (kind, message.payload[:200])


def test_the_simulators_ordinary_traffic_is_all_usable() -> None:
    generator = AlertGenerator(POINTS, seed=4, rate_per_min=600, unknown_fraction=0.2)
    messages = generator.advance(300)
    assert len(messages) > 1000
    for m in messages:
        assert isinstance(validate(m.topic, m.payload, 1.0), Alert), m.payload


def test_a_payload_that_is_not_bytes_is_quarantined() -> None:
    result = validate(TOPIC, None, 1.0)
    assert isinstance(result, Quarantined) and "bytes" in result.reason.en


def test_topic_parts() -> None:
    assert topic_parts("qdcb/alerts/v1/shinan/waterlogging") == ("shinan", "waterlogging")
    assert topic_parts("city/x/alerts/v1/licang") == ("licang", None)
    assert topic_parts("qdcb/other") == (None, None)


def _check(result: Alert | Quarantined) -> None:
    if isinstance(result, Alert):
        assert result.id and 1 <= result.level <= 4
        assert -90 <= result.lat <= 90 and -180 <= result.lon <= 180 and math.isfinite(result.ts)
    else:
        assert result.reason.code.startswith("contract.") and result.reason.en and len(result.raw) <= MAX_PAYLOAD_BYTES


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_an_alert_or_a_quarantine(payload: bytes) -> None:
    _check(validate(TOPIC, payload, 1.0))


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: JSON_VALUES for k in GOOD}))
def test_any_json_object_with_contract_keys_gives_an_alert_or_a_quarantine(data: dict[str, object]) -> None:
    _check(validate(TOPIC, json.dumps(data).encode(), 1.0))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(GOOD)), JSON_VALUES)
def test_one_field_of_a_good_alert_replaced_by_anything_never_raises(key: str, value: object) -> None:
    _check(validate(TOPIC, body(**{key: value}), 1.0))
