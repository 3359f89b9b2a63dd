"""Dystonia expression space: the severity rule, the named families, their kinematics."""

import numpy as np
import pytest
from pydantic import ValidationError

from posescore.constants import SIDES
from posescore.phantom import PhantomParams, plan_dataset
from posescore.phantom.expression import (
    EXPRESSION_FAMILIES,
    EXPRESSION_FAMILY_NAMES,
    LegExpression,
    draw_expression,
    legacy_expression,
    magnitude,
    severe_deg,
    severity_from_expression,
)
from posescore.phantom.kinematics import (
    leg_angles,
    leg_phases,
    plan_gait,
    stride_spans_s,
    tremor_waveform,
)
from posescore.phantom.variation import PostureMix

T_S = np.arange(0.0, 6.0, 1 / 240)


@pytest.mark.parametrize("family", EXPRESSION_FAMILY_NAMES)
def test_every_family_draws_expressions_whose_rule_severity_is_the_target(family):
    for seed in range(20):
        for severity in (0.3, 1.0, 2.2, 3.1, 4.0):
            e = draw_expression(severity, family, seed)
            assert severity_from_expression(e) == pytest.approx(severity, abs=1e-9)
            assert e.family == family
            # the family's primary posture is the worst one
            primary = EXPRESSION_FAMILIES[family]["primary"][0]
            assert magnitude(e) == pytest.approx(
                getattr(e, primary) / severe_deg(primary, e.equinus_timing))


def test_rule_follows_the_bfmdrs_anchors():
    healthy = LegExpression()
    assert severity_from_expression(healthy) == 0.0
    sustained_severe = LegExpression(equinus_deg=30, posture_fraction=1.0, step_shortening=0.4)
    assert severity_from_expression(sustained_severe) == pytest.approx(4.0)
    occasional = sustained_severe.model_copy(update={"posture_fraction": 0.2})
    slight = sustained_severe.model_copy(update={"equinus_deg": 8, "posture_fraction": 0.3,
                                                 "step_shortening": 0.0})
    assert severity_from_expression(slight) < 1.0 < severity_from_expression(occasional) < 4.0
    # too little knee flexion counts as much as too much: the rule sees the magnitude only
    stiff = LegExpression(knee_stiff_deg=15, posture_fraction=1.0)
    steppage = LegExpression(knee_steppage_deg=15, posture_fraction=1.0)
    assert severity_from_expression(stiff) == pytest.approx(severity_from_expression(steppage))


def test_a_subject_keeps_its_shape_and_grows_in_degree():
    mild, severe = (draw_expression(s, "crouch", 7) for s in (1.0, 3.5))
    assert severe.knee_crouch_deg > mild.knee_crouch_deg
    assert mild.posture_pattern == severe.posture_pattern
    assert (mild.equinus_deg > 0) == (severe.equinus_deg > 0)
    with pytest.raises(ValueError, match="unknown expression family"):
        draw_expression(2.0, "nonsense", 1)


def test_legacy_expression_is_the_original_single_picture():
    e = legacy_expression(4.0, PostureMix(equinus=0.5))
    assert e.equinus_deg == pytest.approx(15.0) and e.inversion_deg == pytest.approx(30.0)
    assert e.knee_crouch_deg == pytest.approx(e.equinus_deg)
    assert e.posture_fraction == 1.0 and e.cadence_reduction == pytest.approx(0.2)


def _angles(expression, seed=3):
    plan = plan_gait(seed, 6.0, {"left": expression, "right": LegExpression()}, 100.0)
    phases = leg_phases(plan, T_S)
    return {side: leg_angles(phases[side], plan.expression[side], plan.posture_present[side],
                             plan.hip_excursion_factor[side], plan.knee_excursion_factor[side],
                             tremor=tremor_waveform(T_S, seed))
            for side in SIDES}


def test_knee_patterns_move_the_knee_in_their_own_direction():
    healthy = _angles(LegExpression())["left"].knee_flexion_deg
    full = {"posture_fraction": 1.0}
    stiff = _angles(LegExpression(knee_stiff_deg=30, **full))["left"].knee_flexion_deg
    crouch = _angles(LegExpression(knee_crouch_deg=20, **full))["left"].knee_flexion_deg
    back = _angles(LegExpression(knee_hyperextension_deg=12, **full))["left"].knee_flexion_deg
    assert stiff.max() == pytest.approx(healthy.max() - 30, abs=3)  # less swing flexion
    assert np.median(crouch) > np.median(healthy) + 8  # more flexion in stance
    assert back.min() == pytest.approx(-12, abs=0.5) and healthy.min() > 0  # past straight


def test_swing_equinus_relaxes_in_stance_and_sustained_does_not():
    base = {"equinus_deg": 30, "posture_fraction": 1.0}
    healthy = _angles(LegExpression())["left"]
    phase = np.mod(leg_phases(plan_gait(3, 6.0, {s: LegExpression() for s in SIDES}, 100.0),
                              T_S)["left"], 1.0)
    mid_stance = (phase > 0.2) & (phase < 0.4)
    for timing, expected in (("sustained", 30.0), ("swing", 0.0)):
        a = _angles(LegExpression(equinus_timing=timing, **base))["left"]
        excess = a.ankle_plantarflexion_deg - healthy.ankle_plantarflexion_deg
        assert np.median(excess[mid_stance]) == pytest.approx(expected, abs=1.0)


def test_tremor_is_irregular_and_in_the_4_8_hz_band():
    a = _angles(LegExpression(tremor_deg=6, posture_fraction=1.0))["left"]
    h = _angles(LegExpression())["left"]
    x = a.ankle_plantarflexion_deg - h.ankle_plantarflexion_deg
    spectrum = np.abs(np.fft.rfft(x - x.mean())) ** 2
    f = np.fft.rfftfreq(x.size, 1 / 240)
    assert spectrum[(f >= 4) & (f <= 8)].sum() > 0.9 * spectrum.sum()
    assert np.abs(x).max() == pytest.approx(6, abs=1.5)
    peak = f[(f >= 4) & (f <= 8)][np.argmax(spectrum[(f >= 4) & (f <= 8)])]
    assert spectrum[np.abs(f - peak) < 0.2].sum() < 0.5 * spectrum.sum()  # not one sharp line


def test_bouts_keep_the_posture_strides_together():
    e = LegExpression(equinus_deg=20, posture_fraction=0.5, posture_pattern="bouts")
    plan = plan_gait(4, 20.0, {"left": e, "right": LegExpression()}, 100.0)
    begin, end = stride_spans_s(plan.cycle_starts_s, "left")
    in_clip = (end > 0.0) & (begin < 20.0)
    on = np.flatnonzero(plan.posture_present["left"] & in_clip)
    assert len(on) >= 0.4 * in_clip.sum() and np.all(np.diff(on) == 1)  # one run


def test_params_refuse_a_severity_that_is_not_the_expression_s():
    e = draw_expression(2.5, "stiff_knee", 3)
    PhantomParams(affected_side="left", severity=2.5, expression=e)
    with pytest.raises(ValidationError, match="rule severity"):
        PhantomParams(affected_side="left", severity=3.5, expression=e)


def test_data_sets_assign_expression_families_round_robin_healthy_subjects_too():
    clips = plan_dataset(64, seed=5, families=(1, 2), clips_per_subject=2, ffmpeg_ok=False)
    families = {c.expression_family for c in clips}
    assert families == set(EXPRESSION_FAMILY_NAMES)
    for c in clips:
        p = c.params
        if p.affected_side == "none":
            assert p.expression is None
        else:
            assert p.expression.family == c.expression_family
            assert severity_from_expression(p.expression) == pytest.approx(p.severity, abs=0.01)
    legacy = plan_dataset(8, seed=5, families=(1,), expression_families=None, ffmpeg_ok=False)
    assert all(c.params.expression is None for c in legacy)


def test_the_severity_rule_doc_names_every_family():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "severity_rule.md").read_text()
    for name, recipe in EXPRESSION_FAMILIES.items():
        assert f"`{name}`" in text and recipe["describe"] in text
