"""The alert generator's contract and mix (driven by its own clock) and its feed over real Mosquitto."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import Counter
from typing import Any

import aiomqtt
import numpy as np
import pytest

from drones.sim.alerts import (
    KNOWN_CATEGORIES,
    MALFORMED_KINDS,
    NEW_CATEGORIES,
    AlertFeedSim,
    AlertGenerator,
    AlertMessage,
    BurstPolicy,
    CandidatePoints,
)
from drones.site import parse_broker_url
from tests.conftest import MosquittoBroker

NOW = 1795500000.0  # 2026-11-24 14:00 +08:00
ID_RE = re.compile(r"^ALR-\d{8}-\d{6}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$")
DISTRICTS = ("shinan", "shibei", "licang", "laoshan")
CENTRES = {"shinan": (36.066, 120.383), "shibei": (36.087, 120.374), "licang": (36.145, 120.432),
           "laoshan": (36.107, 120.468)}


def camera_points(n: int = 400, seed: int = 0) -> list[tuple[float, float, str, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        district = DISTRICTS[i % 4]
        lat, lon = CENTRES[district]
        out.append((lat + rng.uniform(-0.02, 0.02), lon + rng.uniform(-0.02, 0.02), f"3702{i:016d}", district))
    return out


POINTS = camera_points()
CAMERA_IDS = {p[2] for p in POINTS}


def generator(**kw: Any) -> AlertGenerator:
    return AlertGenerator(POINTS, **{"seed": 11, "clock": lambda: NOW, **kw})


def metres(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    k = math.cos(math.radians(lat1))
    return np.hypot((lat2 - lat1) * 111_320, (lon2 - lon1) * 111_320 * k)


def check_contract(message: AlertMessage, root: str = "qdcb") -> dict[str, Any]:
    """Asserts a message is a well-formed alert of the alert contract; returns its body."""
    body = json.loads(message.payload.decode("utf-8"))
    assert set(body) == {"id", "ts", "category", "level", "lat", "lon", "source", "title", "detail", "confidence",
                         "snapshot_url", "status"}
    assert ID_RE.match(body["id"]) and TS_RE.match(body["ts"])
    assert isinstance(body["level"], int) and 1 <= body["level"] <= 4
    assert isinstance(body["lat"], float) and isinstance(body["lon"], float)
    assert body["source"]["kind"] in ("camera", "iot", "citizen") and isinstance(body["source"]["id"], str)
    assert re.search(r"[\u4e00-\u9fff]", body["title"]) and isinstance(body["detail"], str)
    assert isinstance(body["confidence"], float) and 0.0 <= body["confidence"] <= 1.0
    assert isinstance(body["snapshot_url"], str) and body["status"] in ("active", "cleared")
    root_, alerts, v1, district, category = message.topic.split("/")
    assert (root_, alerts, v1, category) == (root, "alerts", "v1", body["category"]) and district in DISTRICTS
    return body


def test_alerts_follow_the_contract_with_a_realistic_mix() -> None:
    messages = generator(malformed_fraction=0.0).advance(4 * 3600)
    kinds = Counter(m.kind for m in messages)
    assert kinds["alert"] > 1000 and kinds["cleared"] > 0 and kinds["redelivery"] > 0 and not kinds["malformed"]
    bodies = {m.kind: [] for m in messages}  # type: dict[str, list[dict[str, Any]]]
    for m in messages:
        bodies[m.kind].append(check_contract(m))
    alerts = bodies["alert"]
    ids = [a["id"] for a in alerts]
    assert len(set(ids)) == len(ids)
    first_payload = {m.alert.id: m.payload for m in messages if m.kind == "alert" and m.alert}
    for m in messages:
        if m.kind == "redelivery":
            assert m.alert and m.payload == first_payload[m.alert.id]  # the very same message again
    assert {a["id"] for a in bodies["cleared"]} <= set(ids)
    assert all(a["status"] == "cleared" for a in bodies["cleared"])
    assert all(a["status"] == "active" for a in alerts)

    levels = Counter(a["level"] for a in alerts)
    assert (levels[3] + levels[4]) / len(alerts) > 0.6 and levels[1] / len(alerts) < 0.1 and levels[1] > 0
    categories = Counter(a["category"] for a in alerts)
    assert set(KNOWN_CATEGORIES) <= set(categories)
    assert set(categories) & set(NEW_CATEGORIES)
    for m in messages:
        if m.kind == "alert" and m.alert:
            if m.alert.category == "forest_fire_smoke":
                assert m.alert.district == "laoshan"
            if m.alert.category in ("sea_rescue", "illegal_fishing"):
                assert m.alert.district in ("shinan", "laoshan")
            if m.alert.source_kind == "camera":
                assert m.alert.source_id in CAMERA_IDS
    lat, lon = np.array([p[0] for p in POINTS]), np.array([p[1] for p in POINTS])
    for a in alerts:
        assert metres(a["lat"], a["lon"], lat, lon).min() < 200.0  # next to a supplied camera


def test_same_seed_same_traffic_and_emit_on_demand() -> None:
    a = [m.payload for m in generator(malformed_fraction=0.05).advance(1800)]
    b = [m.payload for m in generator(malformed_fraction=0.05).advance(1800)]
    assert a == b and len(a) > 100
    gen = generator(id_start=1)
    m = gen.emit("waterlogging", 2, 36.0671, 120.3826)
    body = check_contract(m)
    assert body["id"] == "ALR-20261124-000001" and body["ts"] == "2026-11-24T14:00:00.000+08:00"
    assert (body["category"], body["level"], body["lat"], body["lon"]) == ("waterlogging", 2, 36.0671, 120.3826)
    assert m.alert and m.alert.district == "shinan" and body["source"]["kind"] == "camera"
    odd = gen.emit("kite_on_power_line", 3, 36.1, 120.45, district="licang", source_kind="iot")
    assert odd.topic == "qdcb/alerts/v1/licang/kite_on_power_line" and json.loads(odd.payload)["id"].endswith("02")


def test_points_as_arrays_mapping_structured_or_callable() -> None:
    lat = np.array([p[0] for p in POINTS])
    lon = np.array([p[1] for p in POINTS])
    ids = np.array([p[2] for p in POINTS])
    districts = np.array([p[3] for p in POINTS])
    structured = np.zeros(len(POINTS), dtype=[("lat", "f8"), ("lon", "f8"), ("id", "U20"), ("district", "U8")])
    structured["lat"], structured["lon"], structured["id"], structured["district"] = lat, lon, ids, districts
    sources = [CandidatePoints(lat, lon, ids, districts),
               {"lat": lat, "lon": lon, "camera_id": ids, "district": districts}, structured, lambda rng: POINTS[int(rng.integers(len(POINTS)))]]
    for points in sources:
        messages = AlertGenerator(points, seed=3, clock=lambda: NOW, bursts=None).advance(1200)
        assert messages and all(check_contract(m) for m in messages)
    with pytest.raises(ValueError):
        AlertGenerator([], seed=1)


def test_rate_is_poisson_around_the_configured_rate_and_bursts_raise_it() -> None:
    quiet = generator(bursts=None, redelivery_fraction=0.0, clear_fraction=0.0, rate_per_min=14.0)
    per_minute = [len(quiet.advance(60.0)) for _ in range(240)]
    mean = sum(per_minute) / len(per_minute)
    assert 12.5 < mean < 15.5
    assert 8 < np.var(per_minute) < 25  # Poisson: variance close to the mean

    bursty = generator(bursts=BurstPolicy(multiplier=20.0, duration_s=30.0, interval_s=(180.0, 420.0)),
                       redelivery_fraction=0.0, clear_fraction=0.0)
    windows = []
    for _ in range(4 * 60 * 2):  # four hours in 30 s windows
        windows.append(len(bursty.advance(30.0)))
    assert max(windows) > 60  # 20 x 7 alerts per 30 s
    assert np.median(windows) < 15  # most of the time it is quiet


def test_malformed_option_produces_every_kind() -> None:
    gen = generator(malformed_fraction=1.0, redelivery_fraction=0.0, clear_fraction=0.0, bursts=None)
    messages: list[AlertMessage] = []
    while len({m.malformed for m in messages}) < len(MALFORMED_KINDS):
        messages += gen.advance(60.0)
        assert gen.sim_time_s < 3600, "not every malformed kind within an hour"
    assert all(m.kind == "malformed" for m in messages)
    for m in messages:
        if m.malformed == "non_utf8":
            with pytest.raises(UnicodeDecodeError):
                m.payload.decode("utf-8")
            continue
        text = m.payload.decode("utf-8")
        if m.malformed == "not_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            continue
        body = json.loads(text)
        if m.malformed == "oversized":
            assert len(m.payload) >= 2 * 1024 * 1024
        elif m.malformed == "missing_id":
            assert "id" not in body
        elif m.malformed == "lat_out_of_range":
            assert not -90 <= body["lat"] <= 90
        elif m.malformed == "wrong_types":
            assert (not isinstance(body["level"], int) or not isinstance(body["lat"], float)
                    or not isinstance(body["lon"], float) or not isinstance(body["confidence"], float)
                    or not isinstance(body["source"], dict) or not isinstance(body["ts"], str))


def test_feed_publishes_qos1_over_mosquitto(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        cfg = parse_broker_url(mosquitto.url)
        got: list[aiomqtt.Message] = []
        async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as sub:
            await sub.subscribe("qdcb/alerts/v1/#", qos=1)

            async def read() -> None:
                async for m in sub.messages:
                    got.append(m)

            reader = asyncio.create_task(read())
            # 14 alerts per simulated minute at x60: about 14 a second.
            gen = AlertGenerator(POINTS, seed=5, bursts=None, malformed_fraction=0.0)
            feed = AlertFeedSim(mosquitto.url, gen, time_scale=60.0, client_id="test-alerts")
            task = asyncio.create_task(feed.run())
            assert await feed.wait_connected(5)
            alert = await feed.emit("gas_leak", 1, 36.0671, 120.3826, source_kind="iot")
            await feed.publish(gen.malformed("oversized"))
            deadline = time.monotonic() + 10
            while len(got) < 20 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)  # polling interval of a condition wait
            await feed.close()
            await asyncio.wait_for(task, 5)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        assert len(got) >= 20
        assert all(m.qos == 1 for m in got)
        payloads = [bytes(m.payload) for m in got]  # type: ignore[arg-type]
        assert any(len(p) >= 2 * 1024 * 1024 for p in payloads)
        mine = [(str(m.topic), json.loads(p)) for m, p in zip(got, payloads, strict=True)
                if alert.id.encode() in p and len(p) < 100_000]
        assert [(topic, body["category"], body["level"]) for topic, body in mine] == [
            ("qdcb/alerts/v1/shinan/gas_leak", "gas_leak", 1)]
        assert feed.published["alert"] >= 18

    asyncio.run(scenario())
