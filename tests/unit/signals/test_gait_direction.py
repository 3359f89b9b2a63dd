"""Gait events walking backward and with a bobbing pelvis (synthetic, no MediaPipe)."""

import numpy as np
import pytest
from synthetic_walker import frontal_walker, sagittal_walker

from posescore import constants as c
from posescore.config import GaitConfig, SignalConfig
from posescore.features import stride_measures
from posescore.gait import detect_gait_events, walks_backward
from posescore.phantom import PhantomParams, render_phantom
from posescore.signals import clean_pose
from posescore.types import PoseSequence


def _reversed(pose):
    lm = pose.landmarks[::-1].copy()
    return PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height)


def _nearest_errors(found_idx, truth_s, fps):
    truth = np.asarray(truth_s) * fps
    return np.array([i - truth[np.argmin(np.abs(truth - i))] for i in found_idx])


def test_walks_backward_on_time_reversed_walker():
    pose, truth = sagittal_walker(pf_deg={"left": 20.0, "right": 0.0}, pf_amp_deg=0.0)
    back = _reversed(pose)
    t_last = pose.timestamps_s[-1]
    for p, expected in ((pose, "zeni"), (back, "zeni_backward")):
        traj = clean_pose(p, SignalConfig())
        for side in c.SIDES:
            ev = detect_gait_events(traj, side, GaitConfig())
            assert ev.method == expected
    traj = clean_pose(back, SignalConfig())
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    for side in c.SIDES:
        # backward initial contacts are the mirrored forward toe lift-offs
        mirrored_to = t_last - np.asarray(truth.toe_liftoff_times_s[side])
        err = _nearest_errors(events[side].heel_strike_idx, mirrored_to, pose.fps)
        assert np.all(np.abs(err) <= 1.5), side
    # "at heel strike" postures are read at the heel's last contact walking backward
    table = stride_measures(traj, events)
    np.testing.assert_allclose(table["left"]["ankle_plantarflexion_hs_deg"], 20.0, atol=1.5)
    np.testing.assert_allclose(table["right"]["ankle_plantarflexion_hs_deg"], 0.0, atol=1.5)


def test_walks_backward_degenerate():
    assert walks_backward(np.zeros(5), np.zeros(5)) is False
    assert walks_backward(np.full(50, np.nan), np.full(50, np.nan)) is False
    assert walks_backward(np.zeros(50), np.zeros(50)) is False  # constant: undecided


def test_frontal_events_ignore_pelvis_bob():
    pose, truth = frontal_walker()
    lm = pose.landmarks.copy()
    t = pose.timestamps_s
    bob = 12.0 * np.cos(4 * np.pi * t / truth.stride_s + 1.0)  # two bobs per stride, px
    for idx in (c.LEFT_HIP, c.RIGHT_HIP, c.LEFT_SHOULDER, c.RIGHT_SHOULDER, c.NOSE):
        lm[:, idx, 1] += bob
    pose_bob = PoseSequence(lm, t, pose.fps, pose.width, pose.height)
    for p in (pose, pose_bob):
        traj = clean_pose(p, SignalConfig())
        assert traj.view == "frontal"
        for side in c.SIDES:
            ev = detect_gait_events(traj, side, GaitConfig())
            err = _nearest_errors(ev.heel_strike_idx, truth.hs_times_s[side], p.fps)
            assert err.size >= 5 and np.all(np.abs(err) <= 1.5), side


@pytest.mark.parametrize("walk", ["across"])
def test_phantom_backward_truth_is_time_mirror(tmp_path, walk):
    kw = {"view": "sagittal_left", "seed": 3, "duration_s": 2.5, "width": 320, "height": 240}
    kw["walk"] = walk
    fwd = render_phantom(PhantomParams(**kw), tmp_path / "f.mp4")
    back = render_phantom(PhantomParams(direction="backward", **kw), tmp_path / "b.mp4")
    t_last = kw["duration_s"] - 1 / (30.0 * 8)  # last sample of the 8x-oversampled grid
    for side in c.SIDES:
        mirrored = sorted(round(t_last - x, 2) for x in fwd["toe_off_s"][side])
        assert back["heel_strike_s"][side] == pytest.approx(mirrored, abs=0.02)
        # same motion played backwards (frames sample the fine grid 7/8 frame apart)
        kb, kf = (
            np.asarray(back["knee_flexion_deg"][side]),
            np.asarray(fwd["knee_flexion_deg"][side]),
        )
        assert kb.max() == pytest.approx(kf.max(), abs=3) and kb.mean() == pytest.approx(
            kf.mean(), abs=2
        )
    assert back["params"]["direction"] == "backward"
    if walk == "across":
        assert back["walk"]["speed_m_s"] == pytest.approx(-fwd["walk"]["speed_m_s"])


@pytest.mark.parametrize("facing_camera", [True, False])
@pytest.mark.parametrize("growth", [0.6, -0.4])
def test_view_walking_towards_and_away(facing_camera, growth):
    """Walking towards (body grows) or away (shrinks) keeps the frontal/posterior view."""
    pose, truth = frontal_walker(facing_camera=facing_camera)
    lm = pose.landmarks.copy()
    t = pose.timestamps_s
    scale = 1.0 + growth * t / t[-1]
    anchor = np.array([640.0, 700.0])  # floor point ahead of the subject
    lm[:, :, :2] = anchor + (lm[:, :, :2] - anchor) * scale[:, None, None]
    traj = clean_pose(PoseSequence(lm, t, pose.fps, pose.width, pose.height), SignalConfig())
    assert traj.view == ("frontal" if facing_camera else "posterior")
    for side in c.SIDES:
        ev = detect_gait_events(traj, side, GaitConfig())
        assert len(ev.strides) >= 4
        assert np.median(ev.stride_times_s) == pytest.approx(truth.stride_s, rel=0.05)


@pytest.mark.parametrize("direction", [1, -1])
@pytest.mark.parametrize("near", ["left", "right"])
def test_view_walking_across_and_in_place(direction, near):
    for speed in (120.0, 0.0):
        pose, _ = sagittal_walker(direction=direction, near=near, speed_px_s=speed)
        traj = clean_pose(pose, SignalConfig())
        assert traj.view == f"sagittal_{near}"
        assert traj.direction == direction


def test_cadence_survives_left_right_label_swaps():
    from posescore.gait import gait_summary, step_rhythm_cadence

    pose, truth = sagittal_walker()
    lm = pose.landmarks.copy()
    legs = ("knee", "ankle", "heel", "toe")
    left = [c.LEG_LANDMARKS["left"][j] for j in legs]
    right = [c.LEG_LANDMARKS["right"][j] for j in legs]
    n = int(round(truth.stride_s * pose.fps))
    swapped = np.zeros(len(lm), bool)
    for start in range(n // 2, len(lm), 2 * n):  # half a stride swapped, every other stride
        swapped[start : start + n // 2] = True
    lm[np.ix_(swapped, left + right)] = lm[np.ix_(swapped, right + left)]
    traj = clean_pose(
        PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height), SignalConfig()
    )
    events = {s: detect_gait_events(traj, s, GaitConfig()) for s in c.SIDES}
    assert step_rhythm_cadence(traj) == pytest.approx(truth.cadence_steps_per_min, rel=0.04)
    fixed = gait_summary(events, traj.fps, traj)
    assert fixed["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.2)
    clean = clean_pose(pose, SignalConfig())
    ev = {s: detect_gait_events(clean, s, GaitConfig()) for s in c.SIDES}
    ok = gait_summary(ev, clean.fps, clean)
    assert ok["cadence_source"] == "events"
    assert ok["cadence_steps_per_min"] == pytest.approx(truth.cadence_steps_per_min, rel=0.02)


def test_step_rhythm_degenerate():
    from posescore.gait import step_rhythm_cadence

    nan_pose = PoseSequence(np.full((60, 33, 4), np.nan), np.arange(60) / 30.0, 30.0, 640, 480)
    assert step_rhythm_cadence(clean_pose(nan_pose, SignalConfig())) is None
    pose, _ = sagittal_walker(duration_s=1.0)
    still = PoseSequence(
        np.repeat(pose.landmarks[:1], 90, axis=0), np.arange(90) / 30.0, 30.0, 640, 480
    )
    assert step_rhythm_cadence(clean_pose(still, SignalConfig())) is None
