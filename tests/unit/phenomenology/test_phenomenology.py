"""Phenomenology flags and tremor on synthetic walkers and arrays (no video)."""

import math

import numpy as np
import pytest
from synthetic_walker import frontal_walker, sagittal_walker

from posescore import constants as c
from posescore.config import GaitConfig, PhenomenologyConfig, Settings, SignalConfig
from posescore.features import (
    lateral_offset_leglen,
    leg_measure_names,
    stride_measures,
    toe_extension_proxy_deg,
)
from posescore.gait import detect_gait_events, gait_summary
from posescore.phenomenology import PHENOMENOLOGY, leg_phenomenology, tremor_measure
from posescore.signals import clean_pose
from posescore.types import PoseSequence


def _phen(pose, **kw):
    traj = clean_pose(pose, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    g = gait_summary(events, traj.fps)
    table = stride_measures(traj, events)
    return leg_phenomenology(
        table, traj.view, pose=pose, stride_time_s=g["stride_time_s"], **kw
    ), traj


def _check_shape(legs):
    for side in c.SIDES:
        assert set(legs[side]) == set(PHENOMENOLOGY)
        for name, m in legs[side].items():
            assert m["unit"] == PHENOMENOLOGY[name][0]
            assert "threshold" in m and "present" in m
            v = m["value"]
            assert v is None or (isinstance(v, float) and math.isfinite(v)), name
            if v is None:
                assert m["present"] is None and m["reason"], name


# --------------------------------------------------------------------------- per-frame maths


def test_toe_extension_proxy():
    heel = np.array([[0.0, 0.0]])
    ankle = np.array([[0.0, -50.0]])  # straight above the heel (y down)
    assert toe_extension_proxy_deg(ankle, heel, np.array([[100.0, 0.0]]))[0] == pytest.approx(0)
    raised = np.array([[100.0 * np.cos(np.radians(20)), -100.0 * np.sin(np.radians(20))]])
    assert toe_extension_proxy_deg(ankle, heel, raised)[0] == pytest.approx(20.0)
    mirror = np.array([-1.0, 1.0])
    assert toe_extension_proxy_deg(ankle * mirror, heel * mirror, raised * mirror)[0] == (
        pytest.approx(20.0)
    )
    nan = np.array([[np.nan, np.nan]])
    assert np.isnan(toe_extension_proxy_deg(ankle, heel, nan)[0])


def test_lateral_offset_sign():
    hip = np.array([[100.0, 0.0]])
    ankle = np.array([[80.0, 200.0]])  # 20 px towards -x
    # medial side is +x -> ankle moved laterally
    assert lateral_offset_leglen(hip, ankle, 1.0, 200.0)[0] == pytest.approx(0.1)
    assert lateral_offset_leglen(hip, ankle, -1.0, 200.0)[0] == pytest.approx(-0.1)


# --------------------------------------------------------------------------- tremor


def test_tremor_detects_band_and_nyquist():
    fps = 60.0
    t = np.arange(int(6 * fps)) / fps
    gait = np.sin(2 * np.pi * 0.9 * t)
    rng = np.random.default_rng(0)
    clean, _, why = tremor_measure(gait + 0.01 * rng.normal(size=t.size), fps, (4, 8), 0.9)
    assert why is None and clean < 0.5
    trem, flat, _ = tremor_measure(gait + 0.3 * np.sin(2 * np.pi * 6 * t), fps, (4, 8), 0.9)
    assert trem > 0.8 and 0 <= flat < 0.5  # one regular peak: low flatness
    share, _, why = tremor_measure(gait, 12.0, (4, 8))
    assert share is None and "fps" in why


def test_tremor_degenerate_inputs():
    assert tremor_measure(np.zeros(300), 30.0, (4, 8))[0] == 0.0  # constant
    assert tremor_measure(np.full(300, np.nan), 30.0, (4, 8))[0] is None  # all NaN
    assert tremor_measure(np.ones(5), 30.0, (4, 8))[0] is None  # too short
    x = np.sin(np.arange(300) / 3.0)
    x[100:140] = np.nan  # gap interpolated over
    assert tremor_measure(x, 30.0, (4, 8))[0] is not None


# --------------------------------------------------------------------------- legs


def test_sagittal_equinus_flag_on_affected_leg_only():
    pose, _ = sagittal_walker(pf_deg={"left": 25.0, "right": 0.0}, pf_amp_deg=0.0)
    (legs, warnings), _ = _phen(pose)
    _check_shape(legs)
    assert legs["left"]["equinus"]["present"] is True
    assert legs["left"]["equinus"]["value"] == pytest.approx(25.0, abs=1.5)
    assert legs["right"]["equinus"]["present"] is False
    assert legs["left"]["pattern"]["kind"] == "sustained"
    assert legs["right"]["pattern"]["kind"] == "none"
    # inversion is not measurable from the side: null with a reason, and a warning
    for side in c.SIDES:
        assert legs[side]["foot_inversion"]["value"] is None
        assert "not measurable" in legs[side]["foot_inversion"]["reason"]
    assert "view_cannot_show_foot_inversion" in [w.code for w in warnings]
    assert legs["left"]["tremor"]["present"] is False


def test_frontal_inversion_flag_on_affected_leg_only():
    pose, _ = frontal_walker(inversion_deg={"left": 0.0, "right": 18.0})
    (legs, warnings), traj = _phen(pose)
    assert traj.view == "frontal"
    _check_shape(legs)
    assert legs["right"]["foot_inversion"]["present"] is True
    assert legs["left"]["foot_inversion"]["present"] is False
    assert legs["left"]["equinus"]["value"] is None
    assert "view_cannot_show_equinus" in [w.code for w in warnings]
    assert legs["right"]["hip_circumduction"]["present"] is False


def test_overflow_and_intermittent():
    table = {
        "left": {n: np.array([20.0, 20.0, 20.0, 20.0]) for n in leg_measure_names()},
        "right": {n: np.array([20.0, 0.0, 0.0, 20.0]) for n in leg_measure_names()},
    }
    for side in c.SIDES:
        table[side]["ankle_plantarflexion_hs_deg"] = (
            np.array([20.0, 20.0, 20.0, 20.0]) if side == "left" else np.array([20.0, 0, 0, 0])
        )
        table[side]["toe_extension_swing_deg"] = np.zeros(4)
    cfg = PhenomenologyConfig(posture_present_fraction=0.2)
    legs, _ = leg_phenomenology(table, "sagittal_left", cfg=cfg)
    assert legs["left"]["pattern"]["kind"] == "sustained"
    assert legs["right"]["pattern"]["kind"] == "intermittent"
    assert legs["right"]["pattern"]["value"] == pytest.approx(0.25)
    assert legs["right"]["overflow"]["present"] is True
    assert legs["left"]["overflow"]["present"] is False


def test_knee_flags():
    names = leg_measure_names()
    table = {s: {n: np.full(3, np.nan) for n in names} for s in c.SIDES}
    table["left"]["knee_flexion_stance_deg"] = np.array([35.0, 36.0, 34.0])
    table["right"]["knee_flexion_hs_deg"] = np.array([-10.0, -9.0, -11.0])
    table["right"]["knee_flexion_stance_deg"] = np.array([5.0, 5.0, 5.0])
    legs, _ = leg_phenomenology(table, "sagittal_right")
    assert legs["left"]["knee"]["excess_flexion"] and legs["left"]["knee"]["present"]
    assert legs["right"]["knee"]["hyperextension"] and legs["right"]["knee"]["present"]


@pytest.mark.parametrize("n_frames", [1, 3, 20])
def test_too_short_and_empty(n_frames):
    pose, _ = sagittal_walker(duration_s=n_frames / 30.0)
    (legs, _), _ = _phen(pose)
    _check_shape(legs)
    for side in c.SIDES:
        assert legs[side]["equinus"]["value"] is None
        assert legs[side]["pattern"]["value"] is None


def test_all_nan_and_constant_pose():
    nan_pose = PoseSequence(np.full((90, 33, 4), np.nan), np.arange(90) / 30.0, 30.0, 640, 480)
    (legs, _), _ = _phen(nan_pose)
    _check_shape(legs)
    pose, _ = sagittal_walker(duration_s=1.0)
    still = PoseSequence(
        np.repeat(pose.landmarks[:1], 90, axis=0), np.arange(90) / 30.0, 30.0, 640, 480
    )
    (legs, _), _ = _phen(still)
    _check_shape(legs)
    # every frame repeats the first picture: one picture, no frame rate to see tremor with
    assert legs["left"]["tremor"]["present"] is None
    assert "frame rate" in legs["left"]["tremor"]["reason"]
    # a person standing still: the estimator's landmarks still differ a little frame to frame
    jitter = 1e-3 * np.random.default_rng(0).standard_normal(still.landmarks.shape)
    standing = PoseSequence(still.landmarks + jitter, still.timestamps_s, 30.0, 640, 480)
    (legs, _), _ = _phen(standing)
    assert legs["left"]["tremor"]["present"] is False  # no motion, no tremor


def test_low_fps_tremor_is_null_with_warning():
    pose, _ = sagittal_walker(fps=12.0)
    (legs, warnings), _ = _phen(pose)
    assert legs["left"]["tremor"]["value"] is None
    assert [w.code for w in warnings if "tremor band" in w.message] == ["low_fps_tremor"]


def test_settings_has_phenomenology_section():
    assert Settings().phenomenology == PhenomenologyConfig()
