"""Two voices: the learned severity cross-checked against the leg's own measures."""

import numpy as np
import pytest
from test_abnormality import MEASURES, _healthy_walks

from posescore.config import ModelConfig
from posescore.crosscheck import crosscheck, untrained_view_notice
from posescore.features import leg_measure_names
from posescore.model import LegSeverityModel
from posescore.model_design import leg_rows
from posescore.model_file import load_model
from posescore.normative import fit_reference, load_reference


@pytest.fixture(scope="module")
def model():
    reference = fit_reference(_healthy_walks(60, seed=4), MEASURES)
    rng = np.random.default_rng(0)
    scale = reference.scale["near"]["knee_flexion_range_deg"]
    X, y = [], []
    for i in range(160):
        sev = rng.uniform(0, 4) if i % 2 else 0.0
        knee = 60 - sev * 2 * scale + rng.normal(0, scale)
        view = ("sagittal_left", "sagittal_right")[i % 4 // 2]
        near, far = (("left", "right") if view == "sagittal_left" else ("right", "left"))
        feats = {f"{near}_knee_flexion_range_deg": knee, f"{far}_knee_flexion_range_deg": 50.0}
        rows = leg_rows(feats, view, MEASURES)
        X.append(rows[0 if near == "left" else 1])
        y.append(sev)
    return LegSeverityModel(family="monotone_boosting", n_estimators=40,
                            reference=reference.to_dict(), measures=MEASURES).fit(
        np.array(X), np.array(y)), reference


def _check(model, feats, view, severity, interval=((1.0, 3.0), (0.0, 0.6))):
    estimator, _ = model
    X = leg_rows(feats, view, MEASURES)
    return crosscheck(estimator, X, np.asarray(severity), np.asarray(interval), MEASURES,
                      ModelConfig())


def test_severity_without_any_abnormal_measure_is_a_disagreement(model):
    normal = {"left_knee_flexion_range_deg": 60.0, "right_knee_flexion_range_deg": 50.0}
    left, right = _check(model, normal, "sagittal_left", [2.5, 0.1])
    assert left.findings == ["unbacked_severity"] and left.interval[0] == 0.0
    assert left.notices[0].code == "unbacked_severity" and left.notices[0].stage == "crosscheck"
    assert "none of the leg's measures lies outside its normal range" in left.notices[0].message
    assert left.to_dict()["agreement"] == "disagree"
    assert "unbacked_severity" not in right.findings  # it reads 0.1: no disagreement


def _near_knee_below_normal(model, n_scales):
    """A side view whose near (left) knee flexes ``n_scales`` robust SDs less than healthy."""
    scale = model[1].scale["near"]["knee_flexion_range_deg"]
    return {"left_knee_flexion_range_deg": 60.0 - n_scales * scale,
            "right_knee_flexion_range_deg": 50.0}


def test_far_abnormal_measure_read_as_healthy_is_a_disagreement(model):
    feats = _near_knee_below_normal(model, 9)
    left, _ = _check(model, feats, "sagittal_left", [0.1, 0.1], ((0.0, 0.5), (0.0, 0.5)))
    assert "unread_abnormality" in left.findings
    assert left.interval[1] >= ModelConfig().disagreement_upper
    block = left.to_dict()
    assert "knee_flexion_range_deg" in block["measures_outside_normal_range"]
    # the signed deviations say which way: less knee flexion than healthy walking
    knee = block["deviations"]["knee_flexion_range_deg"]
    assert knee["from_healthy_z"] == pytest.approx(-9, abs=1.0) and knee["from_other_leg_z"] < -3
    assert block["deviations"]["foot_inversion_deg"]["from_healthy_z"] is None  # side view


def test_agreeing_voices_keep_the_model_s_interval(model):
    left, _ = _check(model, _near_knee_below_normal(model, 6), "sagittal_left", [2.6, 0.1])
    assert left.findings == [] and left.interval == (1.0, 3.0)
    assert left.to_dict()["agreement"] == "agree"


def test_far_leg_of_a_side_view_never_gets_a_confident_zero(model):
    normal = {"left_knee_flexion_range_deg": 60.0, "right_knee_flexion_range_deg": 50.0}
    _, far = _check(model, normal, "sagittal_left", [0.0, 0.0], ((0.0, 0.5), (0.0, 0.4)))
    assert "far_leg" in far.findings and far.interval[1] >= ModelConfig().far_leg_upper
    assert far.to_dict()["agreement"] == "agree"  # uncertain, not a disagreement


def test_legs_beyond_the_training_data_get_a_wider_interval(model):
    feats = _near_knee_below_normal(model, 60)
    left, _ = _check(model, feats, "sagittal_left", [3.9, 0.1], ((3.0, 4.0), (0.0, 0.5)))
    assert "outside_training_support" in left.findings
    assert left.interval == (2.0, 4.0)


def _normal_walk(reference, view):
    """Features of a walk whose every measure sits at the healthy median of its leg class."""
    from posescore.normative import leg_class

    feats = {}
    for side in ("left", "right"):
        centre = reference.centre[leg_class(view, side)]
        feats.update({f"{side}_{m}": v for m, v in centre.items()})
    return feats


@pytest.mark.parametrize("view", ["sagittal_left", "sagittal_right", "frontal"])
def test_shipped_model_reads_a_walk_inside_the_normal_range_below_1(view):
    loaded = load_model()
    reference = load_reference()
    X = leg_rows(_normal_walk(reference, view), view, loaded.measures)
    severity = loaded.estimator.predict(X)
    assert np.all(severity < 1.0), severity
    checks = crosscheck(loaded.estimator, X, severity, loaded.estimator.predict_interval(X),
                        loaded.measures)
    assert all(c.outside_normal == {} for c in checks)
    # handed the same walk, a model that says 2.5 is contradicted by the measures
    told = crosscheck(loaded.estimator, X, np.array([2.5, 2.5]),
                      np.array([[1.5, 3.5], [1.5, 3.5]]), loaded.measures)
    assert all("unbacked_severity" in c.findings and c.interval[0] == 0.0 for c in told)
    assert leg_measure_names() == loaded.measures


@pytest.mark.parametrize("views,view,said", [
    ({"sagittal_left", "frontal"}, "posterior", True),
    ({"sagittal_left", "frontal"}, "frontal", False),
    (None, "posterior", False),  # a card that does not say: nothing to say either
    ({"frontal"}, None, False),
])
def test_a_view_the_model_never_saw_is_said(views, view, said):
    notice = untrained_view_notice(views, view)
    assert (notice is not None) == said
    if said:
        assert notice.code == "view_not_in_training" and notice.stage == "crosscheck"
        assert view in notice.message and "frontal" in notice.message


def test_the_default_model_knows_side_and_front_clips_but_not_back_ones():
    from synthetic_walker import frontal_walker

    from posescore.config import Settings
    from posescore.score import score_pose
    from posescore.types import VideoMeta

    model = load_model(None)
    assert model.training_views == {"sagittal_left", "sagittal_right", "frontal"}
    codes = {}
    for facing in (True, False):
        pose, _ = frontal_walker(facing_camera=facing)
        meta = VideoMeta("x.mp4", "0", pose.fps, pose.n_frames, pose.width, pose.height)
        result = score_pose(pose, meta, Settings(), model).to_dict()
        assert result["quality"]["scorable"], result["quality"]["warnings"]
        codes[result["view"]] = [w["code"] for w in result["quality"]["warnings"]]
    assert set(codes) == {"frontal", "posterior"}
    assert "view_not_in_training" in codes["posterior"]
    assert "view_not_in_training" not in codes["frontal"]
