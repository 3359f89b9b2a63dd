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
        # backward initial contacts are the mirrored forward toe offs
        mirrored_to = t_last - np.asarray(truth.to_times_s[side])
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


@pytest.mark.parametrize("walk", ["in_place", "across"])
def test_phantom_backward_truth_is_time_mirror(tmp_path, walk):
    kw = {"view": "sagittal_left", "seed": 3, "duration_s": 2.5, "width": 320, "height": 240}
    kw["walk"] = walk
    fwd = render_phantom(PhantomParams(**kw), tmp_path / "f.mp4")
    back = render_phantom(PhantomParams(direction="backward", **kw), tmp_path / "b.mp4")
    t_last = fwd["timestamps_s"][-1]
    for side in c.SIDES:
        mirrored = sorted(round(t_last - x, 2) for x in fwd["toe_off_s"][side])
        assert back["heel_strike_s"][side] == pytest.approx(mirrored, abs=0.02)
        assert back["knee_flexion_deg"][side] == pytest.approx(fwd["knee_flexion_deg"][side][::-1])
    assert back["params"]["direction"] == "backward"
    if walk == "across":
        assert back["walk"]["speed_m_s"] == pytest.approx(-fwd["walk"]["speed_m_s"])
