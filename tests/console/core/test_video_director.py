"""VideoDirector without Qt: alert blocks, pinning, drone feeds through a task's life."""

from __future__ import annotations

from console.core.video_director import AlertFocus, Arrival, CameraCandidate, Slot, TileAssignment, VideoDirector


def cams(*ids: str, live: bool = True) -> tuple[CameraCandidate, ...]:
    return tuple(CameraCandidate(c, 10.0 * i, live) for i, c in enumerate(ids))


def apply(slots: list[Slot], out: list[TileAssignment]) -> list[Slot]:
    slots = list(slots)
    for a in out:
        slots[a.index] = Slot(a.key, slots[a.index].pinned, a.alert_id)
    return slots


def keys(slots: list[Slot]) -> list[str | None]:
    return [s.key for s in slots]


def test_an_alert_fills_its_block_nearest_working_cameras_first() -> None:
    d = VideoDirector()
    slots = [Slot(f"camera:old{i}") for i in range(9)]
    near = cams("c1", "c2", "dead", "c3", "c4", "c5", "c6", "c7")
    alert = AlertFocus("A1", 2, tuple(CameraCandidate(c.camera_id, c.distance_m, c.camera_id != "dead") for c in near))
    out = d.alert_selected(slots, alert)
    assert [a.index for a in out] == [0, 1, 2, 3, 4, 5]                # block of 6 on a 3×3 wall
    assert all(a.alert_id == "A1" and a.alert_level == 2 and a.origin == "alert" for a in out)
    assert keys(apply(slots, out))[:6] == ["camera:c1", "camera:c2", "camera:c3", "camera:c4", "camera:c5",
                                           "camera:c6"]
    assert keys(apply(slots, out))[6:] == ["camera:old6", "camera:old7", "camera:old8"]


def test_pinned_tiles_are_never_replaced_and_cameras_not_doubled() -> None:
    d = VideoDirector()
    slots = [Slot("camera:p", pinned=True), Slot("camera:c2"), Slot(None), Slot("camera:c1", pinned=True)]
    out = d.alert_selected(slots, AlertFocus("A1", 1, cams("c1", "c2", "c3", "c4")))
    result = apply(slots, out)
    assert result[0].key == "camera:p" and result[3].key == "camera:c1"
    assert keys(result) == ["camera:p", "camera:c2", "camera:c3", "camera:c1"]


def test_only_level_1_and_2_alerts_fill_the_wall_when_they_arrive_and_only_if_enabled() -> None:
    d = VideoDirector()
    slots = [Slot(None)] * 4
    assert d.alert_arrived(slots, AlertFocus("A3", 3, cams("c1"))) == Arrival([])
    assert d.alert_arrived(slots, AlertFocus("A1", 1, cams("c1"))).assignments[0].key == "camera:c1"
    d.auto_alerts = False
    assert d.alert_arrived(slots, AlertFocus("A1", 1, cams("c1"))) == Arrival([])


def test_the_drone_feed_follows_the_task_and_gives_its_tile_back() -> None:
    d = VideoDirector()
    slots = [Slot(f"camera:old{i}") for i in range(9)]
    slots = apply(slots, d.alert_selected(slots, AlertFocus("A1", 1, cams("c1", "c2", "c3"))))
    out = d.task_changed(slots, "T1", 7, "A1", "planned")
    assert out == [TileAssignment(3, "drone:7", "drone", "A1")]          # right after the alert's cameras
    slots = apply(slots, out)
    for state in ("preflight", "launching", "en_route", "on_scene", "returning", "landing"):
        assert d.task_changed(slots, "T1", 7, "A1", state) == []
    assert d.drones_on_wall == {"T1": 7}
    # A new alert does not push the flying drone off the wall.
    out = d.alert_selected(slots, AlertFocus("A2", 2, cams(*[f"n{i}" for i in range(8)])))
    assert 3 not in [a.index for a in out]
    slots = apply(slots, out)
    assert slots[3].key == "drone:7"
    out = d.task_changed(slots, "T1", 7, "A1", "docked")
    assert out == [TileAssignment(3, "camera:old3", "restore", None)]
    assert d.drones_on_wall == {}
    assert d.task_changed(apply(slots, out), "T1", 7, "A1", "completed") == []


def test_a_drone_goes_to_an_empty_tile_without_an_alert_block_and_follows_swaps() -> None:
    d = VideoDirector()
    slots = [Slot("camera:a"), Slot(None), Slot("camera:b"), Slot("camera:c")]
    out = d.task_changed(slots, "T9", 3, None, "launching")
    assert out == [TileAssignment(1, "drone:3", "drone", None)]
    slots = apply(slots, out)
    slots[1], slots[2] = slots[2], slots[1]                               # the operator swapped tiles
    assert d.task_changed(slots, "T9", 3, None, "failed") == [TileAssignment(2, None, "restore", None)]


def test_a_pinned_single_tile_keeps_the_drone_out() -> None:
    d = VideoDirector()
    assert d.task_changed([Slot("camera:a", pinned=True)], "T1", 1, None, "en_route") == []


def test_a_less_severe_arrival_leaves_a_more_severe_block_on_the_wall() -> None:
    d = VideoDirector()
    slots = [Slot(None)] * 9
    out = d.alert_arrived(slots, AlertFocus("A1", 1, cams("c1", "c2"))).assignments
    slots = [Slot(a.key, False, a.alert_id, a.alert_level) for a in out] + slots[len(out):]
    assert d.alert_arrived(slots, AlertFocus("A2", 2, cams("c3"))) == Arrival([], proposed=True)
    assert d.alert_arrived(slots, AlertFocus("A3", 1, cams("c3"))).assignments[0].key == "camera:c3"   # as severe
    # Once the severe alert is closed, its block no longer holds the wall.
    assert d.alert_arrived(slots, AlertFocus("A2", 2, cams("c3")),
                           is_open=lambda a: a != "A1").assignments[0].key == "camera:c3"
    # The operator's own selection shows any alert.
    assert d.alert_selected(slots, AlertFocus("A2", 2, cams("c3")))[0].key == "camera:c3"


def test_an_arrival_never_takes_a_tile_the_operator_placed_pinned_or_maximised() -> None:
    d = VideoDirector()
    slots = [Slot("camera:mine", placed=True), Slot("camera:pin", pinned=True), Slot("camera:auto0"),
             Slot("camera:auto1")]
    out = d.alert_arrived(slots, AlertFocus("A1", 1, cams("c1", "c2", "c3")))
    assert keys(apply(slots, out.assignments)) == ["camera:mine", "camera:pin", "camera:c1", "camera:c2"]
    # Every tile the operator's: nothing is replaced, the alert is proposed instead.
    mine = [Slot(f"camera:m{i}", placed=True) for i in range(4)]
    assert d.alert_arrived(mine, AlertFocus("A1", 1, cams("c1"))) == Arrival([], proposed=True)
    # A maximised tile: the operator is looking at one picture; the wall stays as it is.
    maxed = [Slot("camera:a", maximised=True), Slot("camera:b"), Slot(None), Slot(None)]
    assert d.alert_arrived(maxed, AlertFocus("A1", 1, cams("c1"))) == Arrival([], proposed=True)
    # The operator's own selection of an alert may use placed tiles, never the pinned or maximised one.
    chosen = d.alert_selected(slots[:2] + [Slot("camera:x", maximised=True), Slot(None)],
                              AlertFocus("A1", 1, cams("c1", "c2", "c3")))
    assert sorted(a.index for a in chosen) == [0, 3]


def test_an_arrival_waits_while_the_operator_works_an_alert_as_severe_or_more() -> None:
    d = VideoDirector()
    slots = [Slot(None)] * 4
    assert d.alert_arrived(slots, AlertFocus("A2", 2, cams("c1")), working_level=2) == Arrival([], proposed=True)
    assert d.alert_arrived(slots, AlertFocus("A2", 2, cams("c1")), working_level=1) == Arrival([], proposed=True)
    more_severe = d.alert_arrived(slots, AlertFocus("A1", 1, cams("c1")), working_level=2)
    assert [a.key for a in more_severe.assignments] == ["camera:c1"] and not more_severe.proposed


def test_only_working_cameras_when_there_are_any_and_no_dead_block_on_arrival() -> None:
    d = VideoDirector()
    slots = [Slot(f"camera:old{i}") for i in range(9)]
    mixed = cams("dead1", "dead2", live=False) + tuple(CameraCandidate(f"live{i}", 900.0 + i) for i in range(2))
    out = d.alert_arrived(slots, AlertFocus("A1", 1, mixed)).assignments
    assert [a.key for a in out] == ["camera:live0", "camera:live1"]   # 2 live: 2 tiles, the rest keep their pictures
    assert keys(apply(slots, out))[2:] == [f"camera:old{i}" for i in range(2, 9)]
    # No working camera at all: an arrival leaves the wall alone; a selection shows where the cameras are.
    dead = cams("dead1", "dead2", live=False)
    assert d.alert_arrived(slots, AlertFocus("A1", 1, dead)) == Arrival([])
    assert [a.key for a in d.alert_selected(slots, AlertFocus("A1", 1, dead))] == ["camera:dead1", "camera:dead2"]
