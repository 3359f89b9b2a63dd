"""Pre/post comparison maths on synthetic per-stride values (no video, no MediaPipe)."""

import dataclasses
import json

import numpy as np
import pytest
from contract_support import score_dict

from posescore.compare import (
    bootstrap_legs,
    compare_results,
    compare_text,
    features_from_legs,
    hedges_g,
    require_own_evidence,
)
from posescore.constants import SIDES, is_far_leg
from posescore.errors import PosescoreError
from posescore.features import FEATURES, aggregate_strides, leg_measure_names
from posescore.mdc import _sd_entry, feature_mdc95, load_mdc_table, noise_class, severity_mdc95
from posescore.model_file import load_model
from posescore.report import compare_report


def fake_result(pf_left, pf_right, view="sagittal_left", severity=(1.0, 0.0), seed=0):
    """A score dict with per-stride values: ankle plantarflexion given, others noise."""
    rng = np.random.default_rng(seed)
    strides = {}
    for side, pf in zip(SIDES, (pf_left, pf_right)):
        n = len(pf)
        block = {m: list(rng.normal(10, 1, n)) for m in leg_measure_names()}
        block["ankle_plantarflexion_hs_deg"] = list(pf)
        block["stride_time_s"] = list(rng.normal(1.1, 0.03, n))
        block["stride_start_s"] = list(np.arange(n) * 1.1)
        block["stride_end_s"] = list(np.arange(1, n + 1) * 1.1)
        strides[side] = block
    per_side = {s: aggregate_strides({k: np.array(v) for k, v in strides[s].items()}, 2)
                for s in SIDES}
    return score_dict(
        video={"path": "/secret/patient.mp4", "sha256": "ab" * 32, "duration_s": 6.0},
        view=view,
        legs={s: {"severity": v} for s, v in zip(SIDES, severity)},
        features=features_from_legs(per_side, view),
        model={"name": "x"},
        strides=strides,
    )


def row(comparison, name):
    return next(r for r in comparison["features"] if r["name"] == name)


def test_packaged_mdc_table_states_method_and_n():
    table = load_mdc_table()
    assert "1.96" in table["method"] and table["n_pairs"] >= 10
    assert table["n_videos"] == 2 * table["n_pairs"] == len(table["rows"])
    entry = table["measures"]["ankle_plantarflexion_hs_deg"]
    assert entry["unit"] == "deg" and entry["mdc95"] > 0 and entry["n_diffs"] >= 10
    assert set(entry["by_class"]) >= {"near", "far"}


def test_noise_class_and_class_specific_mdc():
    assert noise_class("sagittal_left", "left") == "near"
    assert noise_class("sagittal_left", "right") == "far"
    assert noise_class("frontal", "left") == "frontal"
    assert noise_class("oblique", "left") is None
    assert is_far_leg("sagittal_left", "right") and not is_far_leg("sagittal_left", "left")
    assert not any(is_far_leg(view, "left") for view in ("frontal", "posterior", "oblique", None))
    table = {"measures": {"m": {"mdc95": 2.0, "by_class": {"near": {"mdc95": 3.0}}}}}
    assert feature_mdc95("m", table, "near") == 3.0
    assert feature_mdc95("m", table, "far") == 2.0
    assert feature_mdc95("unknown", table) is None


def test_hedges_g():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    assert hedges_g(a, a) == pytest.approx(0.0)
    assert hedges_g(a, a + 10) > 5
    assert hedges_g(np.array([1.0]), a) is None


def test_bootstrap_is_seeded_and_resamples_whole_strides():
    res = fake_result([20, 22, 24, 21], [1, 2, 3, 2])
    b1 = bootstrap_legs(res, 200, np.random.default_rng(3), 2)
    b2 = bootstrap_legs(res, 200, np.random.default_rng(3), 2)
    np.testing.assert_array_equal(b1["left"]["ankle_plantarflexion_hs_deg"],
                                  b2["left"]["ankle_plantarflexion_hs_deg"])
    values = b1["left"]["ankle_plantarflexion_hs_deg"]
    assert values.min() >= 20 and values.max() <= 24


def test_large_change_is_beyond_noise_and_same_values_are_not():
    pre = fake_result([20, 22, 24, 21, 23, 22], [1, 2, 3, 2, 1, 2])
    post = fake_result([2, 4, 3, 1, 2, 3], [1, 2, 3, 2, 1, 2], seed=1)
    cmp_ = compare_results(pre, post, n_boot=500)
    r = row(cmp_, "left_ankle_plantarflexion_hs_deg")
    assert r["change"] == pytest.approx(np.mean([2, 4, 3, 1, 2, 3]) - np.mean(
        [20, 22, 24, 21, 23, 22]))
    assert r["ci95"][1] < 0 and r["beyond_noise"] and r["direction"] == "decrease"
    assert r["unit"] == "deg" and r["mdc95"] > 0 and r["effect_size_g"] < -2
    same = row(cmp_, "right_ankle_plantarflexion_hs_deg")
    assert same["change"] == 0 and not same["beyond_noise"]
    # without a model the severity change has no interval and is never "beyond noise"
    assert cmp_["legs"]["left"]["ci95"] is None and not cmp_["legs"]["left"]["beyond_noise"]
    json.dumps(cmp_, allow_nan=False)
    text = compare_text(cmp_)
    assert "Left leg: ankle plantarflexion at heel strike (degrees)" in text
    assert "decrease" in text and "left_ankle_plantarflexion_hs_deg" not in text
    assert text.splitlines()[0] == cmp_["summary"][0] and "not clinically validated" in text
    html = compare_report(cmp_, pre, post)
    assert html.index("Summary") < html.index("Change pre") and "(degrees)" in html


def test_severity_change_needs_own_measure_beyond_noise():
    leg = {"change": 0.9, "beyond_noise": True, "direction": "increase", "reason": "r"}
    quiet = [{"side": "right", "beyond_noise": False}] * 3
    moved = quiet + [{"side": "right", "beyond_noise": True}]
    kept = require_own_evidence(leg, moved)
    assert kept["beyond_noise"] and kept["direction"] == "increase"
    dropped = require_own_evidence(leg, quiet)
    assert not dropped["beyond_noise"] and dropped["direction"] == "no change beyond noise"
    assert "other leg" in dropped["reason"] and dropped["change"] == 0.9
    assert leg["beyond_noise"]  # the input is not modified


def test_small_change_inside_mdc_is_not_beyond_noise():
    pre = fake_result([10.0, 10.5, 10.2, 10.1, 10.4, 10.3], [1, 2, 3, 2, 1, 2])
    post = fake_result([12.0, 12.5, 12.2, 12.1, 12.4, 12.3], [1, 2, 3, 2, 1, 2], seed=1)
    r = row(compare_results(pre, post, n_boot=300), "left_ankle_plantarflexion_hs_deg")
    assert r["ci95"][0] > 0  # the interval excludes zero ...
    assert not r["beyond_noise"] and "MDC95" in r["reason"]  # ... but 2 deg < MDC95


def test_paths_are_withheld_unless_asked():
    pre = fake_result([20, 22, 24], [1, 2, 3])
    assert "path" not in compare_results(pre, pre, n_boot=50)["pre"]
    assert compare_results(pre, pre, n_boot=50, include_paths=True)["pre"]["path"]
    assert "/secret/" not in json.dumps(compare_results(pre, pre, n_boot=50))


def test_result_without_strides_is_refused():
    pre = fake_result([20, 22, 24], [1, 2, 3])
    old = {k: v for k, v in pre.items() if k != "strides"}
    with pytest.raises(PosescoreError, match="per-stride"):
        compare_results(old, pre)


def test_result_of_another_schema_is_refused():
    pre = fake_result([20, 22, 24], [1, 2, 3])
    old = {**pre, "schema_version": "1"}
    with pytest.raises(PosescoreError, match="schema 2.*re-score"):
        compare_results(old, pre)


def test_view_mismatch_is_warned():
    pre = fake_result([20, 22, 24], [1, 2, 3])
    post = fake_result([20, 22, 24], [1, 2, 3], view="sagittal_right")
    warnings = compare_results(pre, post, n_boot=50)["warnings"]
    assert [w["code"] for w in warnings if w["stage"] == "compare"][0] == "views_differ"


def test_features_from_legs_matches_registry():
    per_side = {s: {m: 1.0 for m in leg_measure_names()} for s in SIDES}
    feats = features_from_legs(per_side, "sagittal_left")
    assert set(feats) == set(FEATURES)
    assert feats["left_foot_inversion_deg"] is None  # not measurable in a side view
    assert feats["asym_stride_time_s"] == 0.0


def test_zero_spread_is_not_an_mdc_of_zero():
    assert _sd_entry(np.zeros(6))["mdc95"] is None  # a constant model measured no noise
    assert _sd_entry(np.array([0.1, -0.1]))["mdc95"] is None  # too few differences
    entry = _sd_entry(np.array([0.1, -0.1, 0.2, -0.2]))
    assert entry["mdc95"] == pytest.approx(1.96 * np.std([0.1, -0.1, 0.2, -0.2], ddof=1), abs=1e-4)


def test_severity_mdc_leaves_out_training_seeds(phantom_model_path):
    model = load_model(phantom_model_path)
    table = load_mdc_table()
    n_pairs = len({r["pair"] for r in table["rows"]})
    sev = severity_mdc95(model)
    assert sev["n_diffs"] == 2 * n_pairs  # the test model saw none of the pairs
    assert sev["mdc95"] > 0 and set(sev["by_class"]) >= {"near", "far"}
    seen = [r["seed"] for r in table["rows"] if r["pair"] in (0, 1)][:3]
    card = {**model.card, "training_seeds": seen}
    sev2 = severity_mdc95(dataclasses.replace(model, card=card))
    assert sev2["n_diffs"] == 2 * (n_pairs - 2)


def test_a_session_whose_voices_disagree_is_warned():
    pre = fake_result(np.full(8, 20.0), np.full(8, 5.0), seed=1)
    post = fake_result(np.full(8, 5.0), np.full(8, 5.0), seed=2)
    pre["legs"]["left"]["abnormality"].update(agreement="disagree",
                                              findings=["unbacked_severity"])
    post["legs"]["left"]["abnormality"].update(agreement="agree", findings=["far_leg"])
    warnings = compare_results(pre, post, n_boot=50)["warnings"]
    disagree = [w["message"] for w in warnings if w["code"] == "session_disagreement"]
    assert len(disagree) == 1 and "pre video, left leg" in disagree[0]
    assert "unbacked_severity" in disagree[0]
