import dataclasses

import numpy as np
import pytest
from synthetic_walker import frontal_walker, sagittal_walker

from posescore import constants as c
from posescore.config import GaitConfig, SignalConfig
from posescore.gait import GaitEvents, detect_gait_events, gait_summary, snap_to_landings
from posescore.signals import clean_pose
from posescore.types import PoseSequence

GAIT = GaitConfig()
FPS = 30.0


def _events(pose):
    traj = clean_pose(pose, SignalConfig())
    return traj, {s: detect_gait_events(traj, s, GAIT) for s in c.SIDES}


def _interior(times_s, duration_s, stride_s):
    """Truth events at least half a stride away from both ends (partial cycles excluded)."""
    margin = 0.5 * stride_s
    return times_s[(times_s > margin) & (times_s < duration_s - margin)]


def _assert_events_match(detected_idx, truth_s, duration_s, stride_s):
    truth_frames = _interior(truth_s, duration_s, stride_s) * FPS
    assert truth_frames.size >= 4
    detected = np.asarray(detected_idx, dtype=float)
    for f in truth_frames:
        assert np.min(np.abs(detected - f)) <= 1.0, (f, detected)
    # nothing spurious: every detection is near a true event
    all_truth = truth_s * FPS
    for d in detected:
        assert np.min(np.abs(all_truth - d)) <= 1.0, (d, all_truth)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # overground, towards +x
        {"direction": -1},  # mirrored: towards -x
        {"speed_px_s": 0.0},  # walking in place / treadmill
        {"pf_deg": {"left": 25.0, "right": 0.0}, "pf_amp_deg": 0.0},  # equinus left
        {"stride_s": 0.8, "near": "right"},
    ],
)
def test_zeni_events_sagittal(kwargs):
    pose, truth = sagittal_walker(**kwargs)
    traj, ev = _events(pose)
    assert traj.view.startswith("sagittal")
    for side in c.SIDES:
        assert ev[side].method == "zeni"
        _assert_events_match(ev[side].heel_strike_idx, truth.hs_times_s[side], 8.0, truth.stride_s)
        _assert_events_match(ev[side].toe_off_idx, truth.to_times_s[side], 8.0, truth.stride_s)
    summary = gait_summary(ev, FPS)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)
    assert summary["stride_time_s"] == pytest.approx(truth.stride_s, rel=0.02)
    assert summary["stride_time_cv"] < 0.05


def test_mirror_gives_identical_events():
    _, ev = _events(sagittal_walker()[0])
    _, ev_m = _events(sagittal_walker(direction=-1)[0])
    for side in c.SIDES:
        np.testing.assert_array_equal(ev[side].heel_strike_idx, ev_m[side].heel_strike_idx)
        np.testing.assert_array_equal(ev[side].toe_off_idx, ev_m[side].toe_off_idx)


@pytest.mark.parametrize("facing", [True, False])
def test_vertical_heel_events_frontal(facing):
    pose, truth = frontal_walker(facing_camera=facing)
    traj, ev = _events(pose)
    assert traj.view in ("frontal", "posterior")
    for side in c.SIDES:
        assert ev[side].method == "vertical_heel"
        _assert_events_match(ev[side].heel_strike_idx, truth.hs_times_s[side], 8.0, truth.stride_s)
        _assert_events_match(ev[side].toe_off_idx, truth.to_times_s[side], 8.0, truth.stride_s)
        # stance fraction 0.6 by construction
        assert np.mean(ev[side].stance_fractions) == pytest.approx(0.6, abs=0.04)
    summary = gait_summary(ev, FPS)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)


def test_summary_stance_fraction_sagittal():
    pose, truth = sagittal_walker()
    _, ev = _events(pose)
    summary = gait_summary(ev, FPS)
    for side in c.SIDES:
        hs, to = truth.hs_times_s[side], truth.to_times_s[side]
        expected = np.mean([(to[to > h][0] - h) / truth.stride_s for h in hs[:-1]])
        assert summary[f"{side}_stance_fraction"] == pytest.approx(expected, abs=0.03)
        assert summary[f"{side}_swing_fraction"] == pytest.approx(1 - expected, abs=0.03)
    assert summary["step_count"] == sum(len(ev[s].heel_strike_idx) for s in c.SIDES)


def test_cadence_robust_to_a_missed_heel_strike():
    pose, truth = sagittal_walker()
    _, ev = _events(pose)
    left = ev["left"]
    ev["left"] = dataclasses.replace(left, heel_strike_idx=np.delete(left.heel_strike_idx, 3))
    summary = gait_summary(ev, FPS)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)
    assert summary["stride_time_s"] == pytest.approx(truth.stride_s, rel=0.02)
    assert summary["stride_time_cv"] < 0.05  # the double-length stride is not a stride
    assert ev["left"].strides.shape[0] == len(left.heel_strike_idx) - 3


def test_cadence_with_one_leg_only():
    pose, truth = sagittal_walker()
    _, ev = _events(pose)
    summary = gait_summary({"right": ev["right"]}, FPS)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)
    assert summary["left_stance_fraction"] is None


def test_strides_filter_implausible_durations():
    ev = GaitEvents(
        side="left",
        heel_strike_idx=np.array([0, 33, 66, 70, 103]),
        toe_off_idx=np.array([20, 53, 90]),
        fps=FPS,
        min_stride_s=0.5,
        max_stride_s=4.0,
    )
    np.testing.assert_array_equal(ev.strides, [[0, 33], [33, 66], [70, 103]])
    np.testing.assert_allclose(ev.stride_times_s, 1.1)
    np.testing.assert_allclose(ev.stance_fractions, [20 / 33, 20 / 33, 20 / 33])


def test_summary_with_too_few_events_is_none_not_error():
    empty = GaitEvents("left", np.empty(0, int), np.empty(0, int), FPS)
    one = GaitEvents("right", np.array([5]), np.empty(0, int), FPS)
    for events in ({}, {"left": empty}, {"left": empty, "right": one}):
        summary = gait_summary(events, FPS)
        assert summary["cadence_steps_per_min"] is None
        assert summary["stride_time_s"] is None
        assert summary["stride_time_cv"] is None
        assert summary["left_stance_fraction"] is None
    assert gait_summary({"left": empty, "right": one}, FPS)["step_count"] == 1


def test_long_gap_splits_detection_without_crash():
    pose, truth = sagittal_walker()
    lm = pose.landmarks.copy()
    lm[100:140, :, :] = np.nan  # 1.3 s without a body
    traj, ev = _events(PoseSequence(lm, pose.timestamps_s, FPS, pose.width, pose.height))
    for side in c.SIDES:
        hs = ev[side].heel_strike_idx
        assert not ((hs >= 100) & (hs < 140)).any()
        for a, b in ev[side].strides:  # no stride across the gap
            assert b <= 100 or a >= 140
    summary = gait_summary(ev, FPS)
    assert summary["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)


@pytest.mark.parametrize("n_frames", [3, 1])
def test_too_short_sequence(n_frames):
    pose, _ = sagittal_walker(duration_s=n_frames / FPS)
    _, ev = _events(pose)
    for side in c.SIDES:
        assert ev[side].heel_strike_idx.size == 0
    assert gait_summary(ev, FPS)["cadence_steps_per_min"] is None


def test_all_nan_and_standing_still():
    nan_pose = PoseSequence(np.full((60, 33, 4), np.nan), np.arange(60) / FPS, FPS, 640, 480)
    _, ev = _events(nan_pose)
    assert all(ev[s].method == "none" and ev[s].heel_strike_idx.size == 0 for s in c.SIDES)
    pose, _ = sagittal_walker(duration_s=2.0)
    still = PoseSequence(
        np.repeat(pose.landmarks[:1], 90, axis=0), np.arange(90) / FPS, FPS, 640, 480
    )
    _, ev = _events(still)
    assert all(ev[s].heel_strike_idx.size == 0 for s in c.SIDES)
    assert gait_summary(ev, FPS)["stride_time_s"] is None


def test_snap_to_landings():
    zeni = np.array([10, 43, 76, 109])
    landings = np.array([7, 40, 74])  # the last stride's landing is missing
    # snapped to the nearest landing; the one without a landing moves by the median shift (-3)
    assert snap_to_landings(zeni, landings, 5, 200).tolist() == [7, 40, 74, 106]
    # too far: nothing snapped, Zeni unchanged
    assert snap_to_landings(zeni, landings, 1, 200).tolist() == zeni.tolist()
    assert snap_to_landings(zeni, np.empty(0, dtype=int), 5, 200).tolist() == zeni.tolist()
    assert snap_to_landings(np.empty(0, dtype=int), landings, 5, 200).size == 0
    # two Zeni events nearest the same landing give one heel strike
    assert snap_to_landings(np.array([10, 12]), np.array([9]), 5, 200).tolist() == [9]
    # an event moved past either end of the video is dropped
    assert snap_to_landings(np.array([1, 40, 76]), np.array([37, 73]), 5, 200).tolist() == [37, 73]
    assert snap_to_landings(np.array([40, 76]), np.array([43]), 5, 78).tolist() == [43]


def test_no_stride_spans_frames_without_the_body():
    """Heel strikes on both sides of a stretch without a body do not make a stride."""
    ev = GaitEvents("left", np.array([0, 33, 66, 99, 132]), np.empty(0, int), FPS,
                    min_stride_s=0.5, max_stride_s=4.0)
    assert len(ev.strides) == 4
    lost = dataclasses.replace(ev, unseen_idx=np.arange(70, 95))
    np.testing.assert_array_equal(lost.strides, [[0, 33], [33, 66], [99, 132]])
    edge = dataclasses.replace(ev, unseen_idx=np.array([66]))  # lost on a heel strike only
    assert len(edge.strides) == 4
