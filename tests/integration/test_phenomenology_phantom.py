"""Gait events, angles, phenomenology and task-specificity vs phantom truth, through MediaPipe.

Four 5 s, 640x480 clips (about 15 s each to render and track on one core). The bounds are
the accuracy measured on these clips (see the module constants); they are regression guards,
not the issue's targets, which are not all met yet (see the closing note of issue 3).
"""

import numpy as np
import pytest
from contract_support import score_dict

from posescore.config import Settings
from posescore.constants import SIDES
from posescore.contract import Score
from posescore.features import ankle_plantarflexion_deg, knee_flexion_deg, stride_measures
from posescore.gait import detect_gait_events, gait_summary
from posescore.phantom import PhantomParams, render_phantom
from posescore.phenomenology import leg_phenomenology
from posescore.pose import extract_pose
from posescore.profile import profile_session
from posescore.signals import clean_pose

pytestmark = pytest.mark.slow

HS_WITHIN_2_FRAMES_MIN = 0.65
"""Share of detected heel strikes within 2 frames of truth, sagittal in place (both legs).

Measured 0.67 on this clip since the phantom's swing foot lands instead of hovering
(``kinematics.lower_for_landing``): contact, the truth, now comes when the heel reaches the
floor, and MediaPipe's Zeni heel maximum of the far leg falls 2-2.5 frames after it (it was
0.85 against the hovering phantom's later contacts)."""
CADENCE_REL_TOL = 0.05
KNEE_RMSE_MAX_DEG = 10.0
"""Near-leg knee flexion RMSE vs truth (measured 4-9 deg in-place and across)."""
ANKLE_RMSE_MAX_DEG = 16.0
"""Near-leg ankle plantarflexion RMSE (5-9 deg healthy; 12-16 deg on a severe equinus,
which MediaPipe under-reads by 12-15 deg)."""

CLIPS = {
    "forward": PhantomParams(affected_side="left", severity=3.0, view="sagittal_left", seed=2),
    "backward": PhantomParams(
        affected_side="left", severity=3.0, view="sagittal_left", seed=2, direction="backward"
    ),
    "backward_healthy": PhantomParams(view="sagittal_left", seed=2, direction="backward"),
    "frontal": PhantomParams(affected_side="left", severity=3.0, view="frontal", seed=1),
}


def _analyse(path, truth):
    settings = Settings()
    pose, _ = extract_pose(path, settings)
    traj = clean_pose(pose, settings.signal)
    events = {s: detect_gait_events(traj, s, settings.gait) for s in SIDES}
    gait = gait_summary(events, traj.fps)
    table = stride_measures(traj, events, settings.feature)
    legs, warnings = leg_phenomenology(
        table, traj.view, pose=pose, stride_time_s=gait["stride_time_s"]
    )
    return {
        "truth": truth,
        "traj": traj,
        "events": events,
        "gait": gait,
        "legs": legs,
        "warnings": warnings,
        "contract": Score.model_validate(score_dict(
            video={"path": str(path)},
            legs={s: {"severity": None, "phenomenology": legs[s]} for s in SIDES},
        )),
    }


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    out = tmp_path_factory.mktemp("phen_phantoms")
    done = {}
    for name, params in CLIPS.items():
        params = params.model_copy(update={"duration_s": 5.0, "width": 640, "height": 480})
        path = out / f"{name}.mp4"
        done[name] = _analyse(path, render_phantom(params, path))
    return done


def _hs_errors_frames(clip, side):
    fps = clip["traj"].fps
    truth = np.asarray(clip["truth"]["heel_strike_s"][side]) * fps
    found = clip["events"][side].heel_strike_idx
    return np.array([i - truth[np.argmin(np.abs(truth - i))] for i in found])


def test_heel_strike_timing_sagittal(clips):
    errors = np.concatenate([_hs_errors_frames(clips["forward"], s) for s in SIDES])
    assert errors.size >= 6
    assert np.mean(np.abs(errors) <= 2) >= HS_WITHIN_2_FRAMES_MIN


def test_cadence_within_5_percent(clips):
    for name in ("forward", "frontal"):
        c = clips[name]
        assert c["gait"]["cadence_steps_per_min"] == pytest.approx(
            c["truth"]["cadence_steps_per_min"], rel=CADENCE_REL_TOL
        ), name


def test_near_leg_angle_rmse(clips):
    c = clips["forward"]
    traj, truth = c["traj"], c["truth"]
    side = truth["near_side"]
    p = {j: traj.point(side, j) for j in ("hip", "knee", "ankle", "heel", "toe")}
    knee = knee_flexion_deg(p["hip"], p["knee"], p["ankle"], traj.direction)
    ankle = ankle_plantarflexion_deg(p["knee"], p["ankle"], p["heel"], p["toe"])
    rmse_knee = np.sqrt(np.nanmean((knee - np.asarray(truth["knee_flexion_deg"][side])) ** 2))
    rmse_ankle = np.sqrt(
        np.nanmean((ankle - np.asarray(truth["ankle_plantarflexion_deg"][side])) ** 2)
    )
    assert rmse_knee <= KNEE_RMSE_MAX_DEG
    assert rmse_ankle <= ANKLE_RMSE_MAX_DEG


def test_affected_leg_flags_sagittal(clips):
    legs = clips["forward"]["legs"]
    assert legs["left"]["equinus"]["present"] is True
    assert legs["right"]["equinus"]["present"] is False
    assert legs["left"]["pattern"]["present"] is True
    assert legs["right"]["pattern"]["present"] is False
    assert legs["left"]["foot_inversion"]["value"] is None  # side view: not measurable
    assert "view_cannot_show_foot_inversion" in [w.code for w in clips["forward"]["warnings"]]


def test_frontal_inversion_only_where_the_phantom_put_it(clips):
    c = clips["frontal"]
    assert c["traj"].view == "frontal"
    legs = c["legs"]
    assert legs["left"]["foot_inversion"]["present"] is True
    assert legs["right"]["foot_inversion"]["present"] is False
    assert legs["left"]["foot_inversion"]["value"] > legs["right"]["foot_inversion"]["value"] + 5
    assert legs["left"]["equinus"]["value"] is None  # frontal: not measurable


def test_backward_walking_events(clips):
    c = clips["backward_healthy"]
    assert all(c["events"][s].method == "zeni_backward" for s in SIDES)
    assert c["gait"]["cadence_steps_per_min"] == pytest.approx(
        c["truth"]["cadence_steps_per_min"], rel=CADENCE_REL_TOL
    )


def test_provoking_factor_task_specific_vs_generalised(clips):
    fwd = ("walk_forward", clips["forward"]["contract"])
    specific = profile_session([fwd, ("walk_backward", clips["backward_healthy"]["contract"])])
    assert specific["legs"]["left"]["provoking_factor"] == 1
    assert specific["legs"]["right"]["provoking_factor"] == 0
    many = profile_session([fwd, ("walk_backward", clips["backward"]["contract"])])
    assert many["legs"]["left"]["provoking_factor"] == 2
    assert many["legs"]["right"]["provoking_factor"] == 0


def test_a_back_view_names_the_legs_by_the_body_when_stated(tmp_path):
    """Filmed from behind, MediaPipe names the phantom as if it faced the camera; stated as
    posterior, each leg's landmarks follow the leg the phantom moved (hip positions)."""
    params = PhantomParams(affected_side="left", severity=3.0, view="posterior", seed=3,
                           duration_s=4.0, width=640, height=480)
    path = tmp_path / "back.mp4"
    truth = render_phantom(params, path)
    settings = Settings()
    pose, _ = extract_pose(path, settings)
    stated = settings.signal.model_copy(update={"view": "posterior"})
    true_hip = {s: np.asarray(truth["joints_px"][s]["hip"])[:, 0] for s in SIDES}
    for cfg, expect_right in ((stated, True), (settings.signal, False)):
        traj = clean_pose(pose, cfg)
        left_x = traj.point("left", "hip")[:, 0]
        n = min(len(left_x), len(true_hip["left"]))
        near_true_left = np.abs(left_x[:n] - true_hip["left"][:n]) < np.abs(
            left_x[:n] - true_hip["right"][:n])
        seen = np.isfinite(left_x[:n])
        share = near_true_left[seen].mean()
        assert (share > 0.9) if expect_right else (share < 0.1), (cfg.view, share)
