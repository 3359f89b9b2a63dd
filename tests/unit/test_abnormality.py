"""Abnormality inputs: deviations from healthy walking and from the other leg, either direction."""

import json

import numpy as np
import pytest

from posescore.abnormality import AbnormalityTransform
from posescore.errors import ModelError
from posescore.model import LegSeverityModel
from posescore.model_design import leg_rows
from posescore.model_file import load_model, save_model
from posescore.normative import (
    DEFAULT_REFERENCE_PATH,
    LEG_CLASS_VALUES,
    NORMAL_RANGE_Z,
    NormativeReference,
    fit_reference,
    leg_class,
    load_reference,
    robust_centre_scale,
)

MEASURES = ["knee_flexion_range_deg", "foot_inversion_deg"]


def _healthy_walks(n=40, seed=0):
    rng = np.random.default_rng(seed)
    walks = []
    for i in range(n):
        view = ("sagittal_left", "sagittal_right", "frontal")[i % 3]
        feats = {}
        for side in ("left", "right"):
            near = view == f"sagittal_{side}"
            knee = rng.normal(60.0 if near else 50.0, 3.0)  # the far leg reads smaller
            feats[f"{side}_knee_flexion_range_deg"] = knee if view != "frontal" else None
            feats[f"{side}_foot_inversion_deg"] = (rng.normal(2.0, 2.0) if view == "frontal"
                                                   else None)
        walks.append((feats, view))
    return walks


@pytest.fixture(scope="module")
def reference():
    return fit_reference(_healthy_walks(), MEASURES, source="test walkers")


def test_leg_class():
    assert leg_class("sagittal_left", "left") == "near"
    assert leg_class("sagittal_left", "right") == "far"
    assert leg_class("frontal", "left") == leg_class("posterior", "right") == "other"


def test_robust_scale_is_the_sd_for_normal_data_and_has_a_floor():
    rng = np.random.default_rng(1)
    centre, scale = robust_centre_scale(rng.normal(5.0, 2.0, 20000), 0.1)
    assert centre == pytest.approx(5.0, abs=0.05) and scale == pytest.approx(2.0, rel=0.03)
    assert robust_centre_scale(np.array([1.0, 1.0, 1.0, np.nan]), 0.5) == (1.0, 0.5)


def test_reference_per_leg_class(reference):
    assert reference.centre["near"]["knee_flexion_range_deg"] == pytest.approx(60, abs=2)
    assert reference.centre["far"]["knee_flexion_range_deg"] == pytest.approx(50, abs=2)
    assert reference.contra_centre["near"]["knee_flexion_range_deg"] == pytest.approx(10, abs=2)
    assert "foot_inversion_deg" not in reference.centre["near"]  # never seen from the side
    again = NormativeReference.from_dict(json.loads(json.dumps(reference.to_dict())))
    assert again == reference
    with pytest.raises(ModelError, match="not a normative reference"):
        NormativeReference.from_dict({"format": "something else"})


def _rows(reference, feats, view):
    X = leg_rows(feats, view, MEASURES)
    t = AbnormalityTransform(reference.to_dict(), MEASURES).fit(X)
    return t, X


def test_too_little_counts_as_much_as_too_much(reference):
    scale = reference.scale["near"]["knee_flexion_range_deg"]
    for knee in (60 + 5 * scale, 60 - 5 * scale):
        feats = {"left_knee_flexion_range_deg": knee, "right_knee_flexion_range_deg": 50.0}
        t, X = _rows(reference, feats, "sagittal_left")
        out = t.transform(X)
        assert out[0, 0] == pytest.approx(5.0, abs=0.8)  # |z| from healthy, near leg
        assert out[1, 0] < 1.0  # the far leg is normal for a far leg
        assert out[0, 2] > NORMAL_RANGE_Z and out[1, 2] > NORMAL_RANGE_Z  # legs differ


def test_what_a_view_cannot_see_stays_missing(reference):
    feats = {"left_knee_flexion_range_deg": 60.0, "right_knee_flexion_range_deg": 50.0}
    X = leg_rows(feats, "sagittal_left", MEASURES)
    frontal = leg_rows({"left_foot_inversion_deg": 9.0, "right_foot_inversion_deg": 1.0},
                       "frontal", MEASURES)
    t = AbnormalityTransform(reference.to_dict(), MEASURES).fit(np.vstack([X, frontal]))
    out = t.transform(X)
    names = t.column_names()
    assert np.isnan(out[0, names.index("abs_z_normal_foot_inversion_deg")])
    assert np.isfinite(out[0, names.index("worst_abs_z_normal")])
    assert len(t.monotonic_cst()) == out.shape[1] == len(names)
    # an input no training row had reads 0 (inert), not NaN
    side_only = AbnormalityTransform(reference.to_dict(), MEASURES).fit(X)
    assert side_only.transform(X)[0, names.index("abs_z_normal_foot_inversion_deg")] == 0.0


def test_monotone_model_reads_abnormality_in_either_direction(reference, tmp_path):
    rng = np.random.default_rng(3)
    scale = reference.scale["near"]["knee_flexion_range_deg"]
    X, y = [], []
    for i in range(200):  # severity grows with |deviation|, both signs, near legs only
        sev = rng.uniform(0, 4) if i % 2 else 0.0
        sign = 1 if i % 4 < 2 else -1
        knee = 60 + sign * sev * 2.5 * scale + rng.normal(0, scale)
        feats = {"left_knee_flexion_range_deg": knee, "right_knee_flexion_range_deg": 50.0}
        X.append(leg_rows(feats, "sagittal_left", MEASURES)[0])
        y.append(sev)
    X, y = np.array(X), np.array(y)
    model = LegSeverityModel(family="monotone_boosting", n_estimators=40,
                             reference=reference.to_dict(), measures=MEASURES).fit(X, y)
    grid = np.array([[60 + d * scale, np.nan, 50.0, np.nan, LEG_CLASS_VALUES["near"]]
                     for d in (-10, -6, -3, 0, 3, 6, 10)])
    pred = model.predict(grid)
    assert pred[3] < 0.5 and pred[0] > 2.5 and pred[-1] > 2.5
    assert np.all(np.diff(pred[:4]) <= 1e-9) and np.all(np.diff(pred[3:]) >= -1e-9)
    assert model.support_upper_.shape == (len(MEASURES) * 2 + 3,)
    save_model(model, tmp_path / "m.skops", {"measures": MEASURES})
    loaded = load_model(tmp_path / "m.skops")  # every type it holds is on the trusted list
    np.testing.assert_allclose(loaded.estimator.predict(grid), pred)


def test_shipped_reference_loads_and_matches_published_normal_gait():
    ref = load_reference(DEFAULT_REFERENCE_PATH)
    assert set(ref.n_legs) == {"near", "far", "other"}
    near = ref.centre["near"]
    # Perry & Burnfield 2010; Winter 2009: knee about 60 deg in swing, 0-5 at contact;
    # stance about 60 % of the stride; stride about 1.0-1.2 s at 100-120 steps/min
    assert 50 <= near["knee_flexion_range_deg"] <= 70
    assert -5 <= near["knee_flexion_hs_deg"] <= 12
    assert 0.33 <= near["swing_fraction"] <= 0.47
    assert 0.9 <= near["stride_time_s"] <= 1.35
    assert abs(near["ankle_plantarflexion_hs_deg"]) <= 10  # near neutral at contact
