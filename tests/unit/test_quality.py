"""Quality control of assess_quality on synthetic walkers (no video)."""

import numpy as np
from synthetic_walker import legs_misnamed, sagittal_walker, with_perspective

from posescore import constants as c
from posescore.config import Settings
from posescore.contract import Notice
from posescore.features import stride_measures
from posescore.gait import detect_gait_events, gait_summary
from posescore.score import assess_quality
from posescore.signals import clean_pose
from posescore.types import PoseSequence


def _quality(pose, settings=Settings(), luma=float("nan")):
    traj = clean_pose(pose, settings.signal)
    events = {s: detect_gait_events(traj, s, settings.gait) for s in c.SIDES}
    table = stride_measures(traj, events, settings.feature)
    quality = assess_quality(pose, traj, gait_summary(events, traj.fps), settings, table, luma)
    return quality.to_json()


def codes(notices):
    return [n["code"] for n in notices]


def test_good_walk_is_scorable():
    q = _quality(sagittal_walker()[0])
    assert q["scorable"] is True and q["not_scorable_reasons"] == []
    assert q["body_height_px"] > 300
    assert q["tremor_band_resolvable"] is True
    assert min(q["strides_per_leg"].values()) >= 5


def test_small_body_is_not_scorable():
    pose, _ = sagittal_walker()
    lm = pose.landmarks.copy()
    lm[:, :, :2] *= 0.25
    q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    assert q["body_height_px"] < 150
    assert q["scorable"] is False
    assert "body_too_small" in codes(q["not_scorable_reasons"])
    assert "body_too_small" in codes(q["warnings"])
    assert "far_leg_hidden" not in codes(q["not_scorable_reasons"])  # a warning only
    assert "far_leg_hidden" in codes(q["warnings"])


def test_legs_only_picture_is_not_scorable():
    """The frame cut just above the hips: the estimator's shoulders (and hips) fall outside."""
    pose, _ = sagittal_walker()
    lm = pose.landmarks.copy()
    hip_y = np.nanmin(lm[:, [c.LEFT_HIP, c.RIGHT_HIP], 1])
    lm[:, :, 1] -= hip_y - 5.0  # the picture now starts 5 px above the highest hip
    height = int(np.nanmax(lm[:, :, 1])) + 20
    q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, height))
    assert q["trunk_in_frame_fraction"] == 0.0
    assert q["scorable"] is False
    assert "trunk_out_of_frame" in codes(q["warnings"])
    whole = _quality(pose)["trunk_in_frame_fraction"]
    assert whole > Settings().quality.min_trunk_in_frame_fraction


def test_legs_visible_is_judged_on_the_frames_with_a_body():
    """A subject who enters the picture after 35 % of the clip: legs seen whenever there."""
    pose, _ = sagittal_walker(duration_s=10.0)
    lm = pose.landmarks.copy()
    lm[: int(0.35 * len(lm))] = np.nan
    q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    assert q["pose_detected_fraction"] == 0.65
    assert q["legs_visible_fraction"] == 1.0
    assert q["scorable"] is True, q["warnings"]
    lm[:, c.LEG_LANDMARKS["left"]["ankle"], 3] = 0.1  # a hidden ankle hides the legs
    q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    assert q["legs_visible_fraction"] == 0.0 and q["scorable"] is False
    assert "legs_not_visible" in codes(q["warnings"])


def test_a_walker_seen_briefly_in_a_long_clip_is_scored_on_the_time_seen():
    """Entering after 60 % of the clip: 4.8 s of a 12 s clip is enough, 3.2 s of 8 s is not."""
    for duration_s, scorable in ((12.0, True), (8.0, False)):
        pose, _ = sagittal_walker(duration_s=duration_s)
        lm = pose.landmarks.copy()
        lm[: int(0.6 * len(lm))] = np.nan
        q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
        assert q["pose_detected_fraction"] == 0.4
        assert q["scorable"] is scorable, q["warnings"]
        found = [w["message"] for w in q["warnings"] if w["code"] == "too_little_pose"]
        assert bool(found) is not scorable
    assert "3.2 s (need 60% or 4 s)" in found[0]


def test_upside_down_picture_is_not_scorable_with_the_reason():
    pose, _ = sagittal_walker()
    lm = pose.landmarks.copy()
    lm[:, :, 1] = pose.height - lm[:, :, 1]
    q = _quality(PoseSequence(lm, pose.timestamps_s, pose.fps, pose.width, pose.height))
    assert q["body_height_px"] < 0 and q["scorable"] is False
    assert "upside_down" in codes(q["warnings"])
    assert "body_too_small" not in codes(q["warnings"])


def test_low_fps_warns_about_tremor_band():
    q = _quality(sagittal_walker(fps=12.0)[0])
    assert q["tremor_band_resolvable"] is False
    assert "low_fps_tremor" in codes(q["warnings"])


def test_too_few_strides():
    q = _quality(sagittal_walker(duration_s=1.6)[0])
    assert q["scorable"] is False
    assert {"too_few_strides", "too_few_steps"} & set(codes(q["warnings"]))


def test_no_body():
    pose = PoseSequence(np.full((60, 33, 4), np.nan), np.arange(60) / 30.0, 30.0, 640, 480)
    q = _quality(pose)
    assert q["scorable"] is False and q["body_height_px"] is None


class _StubEstimator:
    def predict(self, X):
        return np.array([2.0, 0.2])

    def predict_interval(self, X):
        return np.array([[1.0, 3.0], [0.0, 1.0]])

    def predict_proba(self, X):
        return np.array([[0, 0.1, 0.8, 0.1, 0], [0.8, 0.2, 0, 0, 0]])


def test_score_pose_puts_phenomenology_and_view_warnings_in_the_contract():
    import json
    from pathlib import Path

    from synthetic_walker import frontal_walker

    from posescore.features import leg_measure_names
    from posescore.model_file import LoadedModel
    from posescore.phenomenology import PHENOMENOLOGY
    from posescore.score import score_pose
    from posescore.types import VideoMeta

    card = {"measures": leg_measure_names(), "trained_on": "phantom", "version": "test"}
    model = LoadedModel(_StubEstimator(), card, Path("stub.skops"))
    for maker, hidden in ((sagittal_walker, "foot_inversion"), (frontal_walker, "equinus")):
        pose, _ = maker()
        dark = Notice(code="low_light", stage="video", message="low light")
        meta = VideoMeta("x.mp4", "0", 30.0, pose.n_frames, 1280, 720, warnings=(dark,))
        result = json.loads(json.dumps(score_pose(pose, meta, Settings(), model).to_dict()))
        first = result["quality"]["warnings"][0]  # the video's own warnings first
        assert first == {"code": "low_light", "stage": "video", "message": "low light"}
        for side in c.SIDES:
            phen = result["legs"][side]["phenomenology"]
            assert set(phen) == set(PHENOMENOLOGY)
            assert all({"value", "unit", "present", "threshold"} <= set(m) for m in phen.values())
        assert f"view_cannot_show_{hidden}" in codes(result["quality"]["warnings"])
        assert "legs_relabelled" not in codes(result["quality"]["warnings"])
        # the interval given is the model's own after the cross-check against the leg's
        # measures, as `posescore evaluate` measures it
        own = _StubEstimator().predict_interval(None).tolist()
        for i, side in enumerate(c.SIDES):
            leg = result["legs"][side]
            findings = leg["abnormality"]["findings"]
            if not findings:
                assert leg["severity_interval"] == own[i]
            if "far_leg" in findings:  # the far leg of a side view: never a confident 0
                assert maker is sagittal_walker and leg["severity_interval"][1] >= 3.0
            for finding in findings:
                assert any(w["code"] == finding and w["stage"] == "crosscheck"
                           and side in w["message"] for w in result["quality"]["warnings"])
    pose, _ = sagittal_walker()
    pose = PoseSequence(
        legs_misnamed(with_perspective(pose.landmarks, "left", 1.05)), pose.timestamps_s,
        pose.fps, pose.width, pose.height,
    )
    meta = VideoMeta("x.mp4", "0", 30.0, pose.n_frames, 1280, 720)
    warnings = score_pose(pose, meta, Settings(), model).to_dict()["quality"]["warnings"]
    assert "legs_relabelled" in codes(warnings)


def test_a_dark_picture_is_not_scorable():
    pose, _ = sagittal_walker()
    assert _quality(pose, luma=120.0)["scorable"] is True
    dark = _quality(pose, luma=21.0)
    assert dark["scorable"] is False
    assert dark["not_scorable_reasons"] == [{
        "code": "too_dark",
        "stage": "quality",
        "message": "too dark to score: the picture's mean luminance is 21/255 (need 40); in the "
        "dark the leg landmarks drift, film in better light",
    }]
