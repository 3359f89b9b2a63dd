import math

import numpy as np
import pytest
from synthetic_walker import _leg_angles, frontal_walker, sagittal_walker

from posescore import constants as c
from posescore.config import FeatureConfig, GaitConfig, QualityConfig, Settings, SignalConfig
from posescore.features import (
    FEATURES,
    STRIDE_TIME_KEYS,
    FeatureSpec,
    aggregate_strides,
    ankle_plantarflexion_deg,
    compute_features,
    feature_names,
    foot_floor_angle_deg,
    foot_inversion_deg,
    hip_flexion_deg,
    knee_flexion_deg,
    lateral_offset_leglen,
    leg_measure_names,
    stride_measures,
    toe_height_leglen,
)
from posescore.gait import detect_gait_events
from posescore.signals import clean_pose
from posescore.types import PoseSequence


def _features(pose, cfg=None):
    traj = clean_pose(pose, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    return compute_features(traj, events, cfg)


def _pt(x, y):
    return np.array([[x, y]], dtype=float)


def _assert_clean(feats):
    assert list(feats) == feature_names()
    for v in feats.values():
        assert v is None or (isinstance(v, float) and math.isfinite(v))


# --------------------------------------------------------------------------- angles


def test_knee_flexion():
    hip, knee = _pt(0, 0), _pt(0, 100)  # image y down: knee below hip
    assert knee_flexion_deg(hip, knee, _pt(0, 200))[0] == pytest.approx(0.0)
    # shank swung backward (towards -x while walking towards +x) by 30 deg
    ankle = _pt(-100 * np.sin(np.radians(30)), 100 + 100 * np.cos(np.radians(30)))
    assert knee_flexion_deg(hip, knee, ankle, direction=1)[0] == pytest.approx(30.0)
    assert knee_flexion_deg(hip, knee, ankle, direction=-1)[0] == pytest.approx(-30.0)
    assert knee_flexion_deg(hip, knee, ankle)[0] == pytest.approx(30.0)
    mirror = np.array([-1.0, 1.0])
    assert knee_flexion_deg(hip * mirror, knee * mirror, ankle * mirror, -1)[0] == pytest.approx(
        30.0
    )


def test_hip_flexion():
    shoulder, hip = _pt(0, -150), _pt(0, 0)
    knee = _pt(100 * np.sin(np.radians(25)), 100 * np.cos(np.radians(25)))  # knee forward (+x)
    assert hip_flexion_deg(shoulder, hip, knee, 1)[0] == pytest.approx(25.0)
    assert hip_flexion_deg(shoulder, hip, knee * [-1, 1], -1)[0] == pytest.approx(25.0)
    assert hip_flexion_deg(shoulder, hip, _pt(0, 100), 1)[0] == pytest.approx(0.0)


@pytest.mark.parametrize("pf", [-15.0, 0.0, 20.0, 45.0])
@pytest.mark.parametrize("mirror", [1.0, -1.0])
def test_ankle_plantarflexion_and_foot_floor(pf, mirror):
    knee, ankle = _pt(0, 0), _pt(0, 100)  # vertical shank
    a = np.radians(pf)
    heel = ankle + _pt(-10, 10)
    toe = heel + 50 * np.array([[np.cos(a), np.sin(a)]])  # y down: +pf points toe down
    m = np.array([mirror, 1.0])
    assert ankle_plantarflexion_deg(knee * m, ankle * m, heel * m, toe * m)[0] == pytest.approx(pf)
    assert foot_floor_angle_deg(heel * m, toe * m)[0] == pytest.approx(-pf)
    expected_h = -50 * np.sin(a) / 200.0
    assert toe_height_leglen(heel * m, toe * m, 200.0)[0] == pytest.approx(expected_h)


def test_foot_inversion_sign():
    knee, ankle = _pt(0, 0), _pt(0, 100)
    a = np.radians(12)
    heel = ankle + 15 * np.array([[np.sin(a), np.cos(a)]])  # sole centre towards +x
    toe = ankle + 25 * np.array([[np.sin(a), np.cos(a)]])
    assert foot_inversion_deg(knee, ankle, heel, toe, medial_sign=1.0)[0] == pytest.approx(12.0)
    assert foot_inversion_deg(knee, ankle, heel, toe, medial_sign=-1.0)[0] == pytest.approx(-12.0)


def test_sole_centre_offset_sign_scale_and_gaps():
    ankle = np.array([[0.0, 100.0], [0.0, 100.0], [np.nan, np.nan]])
    sole = np.array([[6.0, 120.0], [-4.0, 120.0], [0.0, 120.0]])
    medial = -lateral_offset_leglen(ankle, sole, medial_sign=1.0, leg_length_px=200.0)
    assert medial[:2] == pytest.approx([0.03, -0.02])  # 6 px medial, 4 px lateral
    lateral = -lateral_offset_leglen(ankle, sole, medial_sign=-1.0, leg_length_px=200.0)
    assert lateral[:2] == pytest.approx([-0.03, 0.02])
    assert np.isnan(medial[2])


def test_angles_nan_propagate():
    nan = _pt(np.nan, np.nan)
    assert np.isnan(knee_flexion_deg(nan, _pt(0, 1), _pt(0, 2))[0])
    assert np.isnan(foot_floor_angle_deg(nan, _pt(0, 2))[0])


# --------------------------------------------------------------------------- registry


def test_registry():
    names = feature_names()
    assert names == list(FEATURES) and len(names) == len(set(names))
    for name, spec in FEATURES.items():
        assert isinstance(spec, FeatureSpec) and spec.name == name
        assert name.split("_", 1)[0] in ("left", "right", "asym")
        assert name.endswith(spec.unit) or spec.unit == "fraction"
        assert set(spec.views) <= set(c.VIEWS) and spec.views
    assert "left_ankle_plantarflexion_hs_deg" in names
    assert "asym_foot_floor_angle_hs_deg" in names


def test_settings_has_feature_section():
    assert Settings().feature == FeatureConfig()


# --------------------------------------------------------------------------- sagittal walker


@pytest.mark.parametrize("pf_left", [0.0, 25.0])
def test_known_plantarflexion(pf_left):
    pose, truth = sagittal_walker(pf_deg={"left": pf_left, "right": 0.0}, pf_amp_deg=0.0)
    f = _features(pose)
    _assert_clean(f)
    assert f["left_ankle_plantarflexion_hs_deg"] == pytest.approx(pf_left, abs=1.0)
    assert f["left_ankle_plantarflexion_swing_deg"] == pytest.approx(pf_left, abs=1.0)
    assert f["left_ankle_plantarflexion_swing_max_deg"] == pytest.approx(pf_left, abs=1.0)
    assert f["right_ankle_plantarflexion_hs_deg"] == pytest.approx(0.0, abs=1.0)
    assert f["asym_ankle_plantarflexion_hs_deg"] == pytest.approx(pf_left, abs=1.0)
    assert f["left_plantarflexion_posture_fraction"] == (1.0 if pf_left > 10 else 0.0)
    for side in c.SIDES:
        assert f[f"{side}_foot_floor_angle_hs_deg"] == pytest.approx(
            truth.foot_floor_hs_deg[side], abs=1.0
        )
        assert f[f"{side}_knee_flexion_hs_deg"] == pytest.approx(
            truth.knee_flexion_hs_deg[side], abs=1.0
        )
        assert f[f"{side}_knee_flexion_range_deg"] == pytest.approx(
            truth.knee_flexion_range_deg[side], abs=1.0
        )
        assert f[f"{side}_hip_flexion_range_deg"] == pytest.approx(40.0, abs=1.0)
        assert f[f"{side}_stride_time_s"] == pytest.approx(truth.stride_s, rel=0.02)
        assert 0.2 < f[f"{side}_swing_fraction"] < 0.45
        assert f[f"{side}_foot_inversion_deg"] is None  # not measurable from the side
    # equinus: toe lower than heel at heel strike and in swing
    if pf_left > 0:
        assert f["left_foot_floor_angle_hs_deg"] < 0
        assert f["left_toe_height_swing_leglen"] < f["right_toe_height_swing_leglen"]
    # whole-stride medians: the sustained posture shifts them by its full size
    assert f["left_ankle_plantarflexion_median_deg"] == pytest.approx(pf_left, abs=1.0)
    assert f["right_ankle_plantarflexion_median_deg"] == pytest.approx(0.0, abs=1.0)
    assert f["right_foot_floor_angle_median_deg"] - f["left_foot_floor_angle_median_deg"] == (
        pytest.approx(pf_left, abs=2.0)
    )
    assert f["left_foot_inversion_p90_deg"] is None  # not measurable from the side
    _, knee, _ = _leg_angles(np.linspace(0.0, 1.0, 1000, endpoint=False), 0.0, 0.0)
    for side in c.SIDES:
        assert f[f"{side}_knee_flexion_median_deg"] == pytest.approx(np.median(knee), abs=1.0)
    if pf_left > 0:
        assert f["left_toe_height_median_leglen"] < f["right_toe_height_median_leglen"] - 0.05
    else:
        assert f["left_toe_height_median_leglen"] == pytest.approx(
            f["right_toe_height_median_leglen"], abs=0.01
        )


def test_posture_threshold_is_configurable():
    pose, _ = sagittal_walker(pf_deg={"left": 25.0, "right": 0.0}, pf_amp_deg=0.0)
    f = _features(pose, FeatureConfig(plantarflexion_posture_threshold_deg=30.0))
    assert f["left_plantarflexion_posture_fraction"] == 0.0


def test_features_independent_of_walking_direction():
    kw = {"pf_deg": {"left": 20.0, "right": 5.0}}
    f = _features(sagittal_walker(**kw)[0])
    f_m = _features(sagittal_walker(direction=-1, **kw)[0])
    assert f.keys() == f_m.keys()
    for name in f:
        if f[name] is None:
            assert f_m[name] is None, name
        else:
            assert f_m[name] == pytest.approx(f[name], abs=1e-6), name
    assert f["left_step_length_proxy_leglen"] > 0.2


def test_treadmill_equals_overground():
    f = _features(sagittal_walker()[0])
    f_t = _features(sagittal_walker(speed_px_s=0.0)[0])
    for name in (
        "left_ankle_plantarflexion_hs_deg",
        "right_knee_flexion_range_deg",
        "left_step_length_proxy_leglen",
    ):
        assert f_t[name] == pytest.approx(f[name], abs=0.5)


# --------------------------------------------------------------------------- frontal walker


def test_frontal_view_features():
    pose, truth = frontal_walker(inversion_deg={"left": 10.0, "right": 0.0})
    f = _features(pose)
    _assert_clean(f)
    for name, spec in FEATURES.items():
        if "frontal" not in spec.views:
            assert f[name] is None, name
    assert f["left_foot_inversion_deg"] == pytest.approx(10.0, abs=1.0)
    assert f["right_foot_inversion_deg"] == pytest.approx(0.0, abs=1.0)
    assert f["left_foot_inversion_p90_deg"] == pytest.approx(10.0, abs=1.0)
    assert f["right_foot_inversion_p90_deg"] == pytest.approx(0.0, abs=1.0)
    assert f["asym_foot_inversion_deg"] == pytest.approx(10.0, abs=1.0)
    # the sole centre, 20 px below the ankle, swings 20 tan(10 deg) px medially
    traj = clean_pose(pose, SignalConfig())
    sole_shift = 20.0 * math.tan(math.radians(10.0)) / traj.leg_length_px
    for name in ("sole_medial_offset_stance_leglen", "sole_medial_offset_p90_leglen"):
        assert f[f"left_{name}"] - f[f"right_{name}"] == pytest.approx(sole_shift, rel=0.15)
        assert f[f"right_{name}"] == pytest.approx(0.0, abs=0.01)
    assert f["left_stride_time_s"] == pytest.approx(truth.stride_s, rel=0.02)
    assert f["left_swing_fraction"] == pytest.approx(0.4, abs=0.04)


def test_inversion_p90_keeps_a_posture_that_comes_and_goes():
    """An inversion held for a third of each stride: the p90 reads it, the stance mean halves."""
    pose, truth = frontal_walker(inversion_deg={"left": 0.0, "right": 0.0})
    traj = clean_pose(pose, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    base = stride_measures(traj, events)["left"]["foot_inversion_p90_deg"]
    lm = pose.landmarks.copy()
    ankle, heel, toe = (c.LEG_LANDMARKS["left"][j] for j in ("ankle", "heel", "toe"))
    medial = 1.0 if lm[0, c.LEG_LANDMARKS["right"]["hip"], 0] > lm[0, ankle, 0] else -1.0
    period = int(round(truth.stride_s * pose.fps))
    on = (np.arange(pose.n_frames) % period) < period // 3
    # the sole centre (20 px below the ankle) swings 4 px medially: atan(4 / 20) = 11.3 deg
    sole_drop = 0.5 * (lm[0, heel, 1] + lm[0, toe, 1]) - lm[0, ankle, 1]
    assert sole_drop == pytest.approx(20.0)
    lm[on, heel, 0] += 4.0 * medial
    lm[on, toe, 0] += 4.0 * medial
    inverted = PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height)
    f = _features(inverted)
    assert np.nanmax(np.abs(base)) < 1.0
    assert f["left_foot_inversion_p90_deg"] == pytest.approx(11.3, abs=1.5)
    assert f["left_foot_inversion_deg"] < 0.5 * f["left_foot_inversion_p90_deg"]
    assert f["right_foot_inversion_p90_deg"] == pytest.approx(0.0, abs=1.0)
    leg = clean_pose(pose, SignalConfig()).leg_length_px
    assert f["left_sole_medial_offset_p90_leglen"] == pytest.approx(4.0 / leg, rel=0.2)
    assert f["left_sole_medial_offset_stance_leglen"] < 0.5 * 4.0 / leg


def test_posterior_view_inversion_sign():
    pose, _ = frontal_walker(facing_camera=False, inversion_deg={"left": 0.0, "right": 8.0})
    f = _features(pose)
    assert f["right_foot_inversion_deg"] == pytest.approx(8.0, abs=1.0)
    assert f["left_foot_inversion_deg"] == pytest.approx(0.0, abs=1.0)
    medial_offset = {side: f[f"{side}_sole_medial_offset_stance_leglen"] for side in c.SIDES}
    assert medial_offset["right"] > medial_offset["left"] + 0.005


# --------------------------------------------------------------------------- degraded input


def test_long_gap_in_one_leg_degrades_to_none():
    pose, _ = sagittal_walker()
    lm = pose.landmarks.copy()
    lm[20:, c.LEFT_HEEL, 3] = 0.0  # left heel lost after 0.67 s
    f = _features(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    _assert_clean(f)
    assert f["left_ankle_plantarflexion_hs_deg"] is None
    assert f["asym_ankle_plantarflexion_hs_deg"] is None
    assert f["right_ankle_plantarflexion_hs_deg"] == pytest.approx(0.0, abs=1.5)


def test_short_gaps_are_filled():
    pose, _ = sagittal_walker(pf_deg={"left": 20.0, "right": 0.0}, pf_amp_deg=0.0)
    lm = pose.landmarks.copy()
    for start in range(10, 230, 25):
        lm[start : start + 3, c.LEFT_FOOT_INDEX, 3] = 0.0
    f = _features(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    assert f["left_ankle_plantarflexion_hs_deg"] == pytest.approx(20.0, abs=1.5)


def test_too_few_strides():
    pose, _ = sagittal_walker(duration_s=1.5)
    f = _features(pose)
    _assert_clean(f)
    assert all(v is None for v in f.values())


@pytest.mark.parametrize("n_frames", [3, 1])
def test_too_short_sequence(n_frames):
    pose, _ = sagittal_walker(duration_s=n_frames / 30.0)
    f = _features(pose)
    _assert_clean(f)
    assert all(v is None for v in f.values())


def test_all_nan_and_constant_input():
    nan_pose = PoseSequence(np.full((90, 33, 4), np.nan), np.arange(90) / 30.0, 30.0, 640, 480)
    f = _features(nan_pose)
    _assert_clean(f)
    assert all(v is None for v in f.values())
    pose, _ = sagittal_walker(duration_s=1.0)
    still = PoseSequence(
        np.repeat(pose.landmarks[:1], 90, axis=0), np.arange(90) / 30.0, 30.0, 640, 480
    )
    f = _features(still)
    _assert_clean(f)
    assert all(v is None for v in f.values())


def test_missing_side_in_events():
    pose, _ = sagittal_walker()
    traj = clean_pose(pose, SignalConfig())
    f = compute_features(traj, {"right": detect_gait_events(traj, "right", GaitConfig())})
    _assert_clean(f)
    assert f["left_stride_time_s"] is None and f["right_stride_time_s"] is not None
    assert f["asym_stride_time_s"] is None


def test_noisy_landmarks_with_dropouts():
    pose, truth = sagittal_walker(pf_deg={"left": 20.0, "right": 0.0}, pf_amp_deg=0.0)
    rng = np.random.default_rng(1)
    lm = pose.landmarks.copy()
    lm[:, :, :2] += rng.normal(0.0, 1.5, lm[:, :, :2].shape)
    lm[:, :, 3][rng.random(lm.shape[:2]) < 0.05] = 0.2
    f = _features(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    _assert_clean(f)
    assert f["left_ankle_plantarflexion_hs_deg"] == pytest.approx(20.0, abs=1.5)
    assert f["right_ankle_plantarflexion_hs_deg"] == pytest.approx(0.0, abs=1.5)
    assert f["left_stride_time_s"] == pytest.approx(truth.stride_s, rel=0.02)


# --------------------------------------------------------------------------- per-stride table


def _strides(pose, cfg=None):
    traj = clean_pose(pose, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    return traj, events, stride_measures(traj, events, cfg)


def test_stride_measures_shape_and_keys():
    pose, truth = sagittal_walker(pf_deg={"left": 25.0, "right": 0.0}, pf_amp_deg=0.0)
    traj, events, table = _strides(pose)
    assert set(table) == set(c.SIDES)
    for side in c.SIDES:
        t = table[side]
        assert set(t) == {*leg_measure_names(), *STRIDE_TIME_KEYS}
        n = len(events[side].strides)
        assert n >= 5
        for values in t.values():
            assert values.shape == (n,)
        assert np.all(t["stride_end_s"] > t["stride_start_s"])
        np.testing.assert_allclose(t["stride_end_s"] - t["stride_start_s"], t["stride_time_s"])
        np.testing.assert_allclose(t["stride_time_s"], truth.stride_s, rtol=0.05)
        assert np.isnan(t["foot_inversion_deg"]).all()  # not measurable from the side
    np.testing.assert_allclose(table["left"]["ankle_plantarflexion_hs_deg"], 25.0, atol=1.0)
    assert set(table["left"]["plantarflexion_posture_fraction"]) == {1.0}
    assert set(table["right"]["plantarflexion_posture_fraction"]) == {0.0}


@pytest.mark.parametrize("maker", [sagittal_walker, frontal_walker])
def test_compute_features_aggregates_stride_measures(maker):
    pose, _ = maker()
    traj, events, table = _strides(pose)
    f = compute_features(traj, events)
    assert compute_features(traj, events, strides=table) == f
    for side in c.SIDES:
        agg = aggregate_strides(table[side], QualityConfig().min_strides_per_measure)
        for name in leg_measure_names():
            got = f[f"{side}_{name}"]
            if got is None:
                assert not np.isfinite(agg[name]), name
            else:
                assert got == pytest.approx(agg[name]), name
        assert f[f"{side}_stride_time_s"] == pytest.approx(np.median(table[side]["stride_time_s"]))


def test_stride_measures_nan_gap_marks_only_affected_strides():
    pose, _ = sagittal_walker(pf_deg={"left": 20.0, "right": 0.0}, pf_amp_deg=0.0)
    lm = pose.landmarks.copy()
    lm[100:112, c.LEFT_FOOT_INDEX, 3] = 0.0  # 0.4 s gap: longer than the fill limit
    _, _, table = _strides(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    swing = table["left"]["ankle_plantarflexion_swing_deg"]
    assert np.isnan(swing).any() and np.isfinite(swing).any()
    assert np.isfinite(table["right"]["ankle_plantarflexion_swing_deg"]).all()


def test_stride_measures_empty_inputs():
    nan_pose = PoseSequence(np.full((90, 33, 4), np.nan), np.arange(90) / 30.0, 30.0, 640, 480)
    _, _, table = _strides(nan_pose)
    for side in c.SIDES:
        assert all(v.shape == (0,) for v in table[side].values())
    pose, _ = sagittal_walker()
    traj = clean_pose(pose, SignalConfig())
    table = stride_measures(traj, {})
    assert all(v.size == 0 for s in c.SIDES for v in table[s].values())
    agg = aggregate_strides(table["left"], 2)
    assert all(np.isnan(v) for v in agg.values())


def test_aggregate_strides_min_strides_and_nan():
    table = {name: np.array([1.0, np.nan, 3.0]) for name in leg_measure_names()}
    agg = aggregate_strides(table, 2)
    assert agg["ankle_plantarflexion_hs_deg"] == pytest.approx(2.0)
    assert np.isnan(aggregate_strides(table, 3)["ankle_plantarflexion_hs_deg"])
    table["stride_time_s"] = np.array([1.0, 1.1, 5.0])
    assert aggregate_strides(table, 2)["stride_time_s"] == pytest.approx(1.1)  # median
